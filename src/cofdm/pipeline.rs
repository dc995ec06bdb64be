//! The decoding chain, inline or on a second core. The front end (sync, FFT, equaliser) and
//! the chain (demapping, Viterbi, RS) each take about half of the work, so with two threads
//! the front end hands each equalised symbol over a bounded queue to a worker that runs the
//! [`Chain`] and sends the finished packets back in order. The packets, their order and every
//! count are the same as inline decoding; only the moment a packet comes out is later.

use super::chain::{Chain, ChainStats, EqSymbol, TsPacket};
use super::params::TxParams;
use num_complex::Complex32;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender, TryRecvError};
use std::thread::JoinHandle;

/// Equalised symbols queued ahead of the worker (back-pressure beyond this).
const QUEUE_SYMBOLS: usize = 64;

enum Job {
    Symbol(EqSymbol),
    Finish,
}

struct Reply {
    packets: Vec<TsPacket>,
    stats: ChainStats,
    /// The symbol's buffers, returned for reuse.
    spent: Option<(Vec<Complex32>, Vec<f32>)>,
}

struct Worker {
    to: SyncSender<Job>,
    from: Receiver<Reply>,
    handle: JoinHandle<Chain>,
}

enum Engine {
    Inline(Box<Chain>),
    Threaded(Worker),
    /// The worker thread ended abnormally; nothing more is decoded.
    Lost,
}

/// The chain for one set of transmission parameters.
pub struct Decoder {
    params: TxParams,
    engine: Engine,
    stats: ChainStats,
    spare: Vec<(Vec<Complex32>, Vec<f32>)>,
}

impl Decoder {
    /// A decoder for `params`; `threaded` runs the chain on its own thread.
    pub fn new(params: TxParams, threaded: bool) -> Decoder {
        let engine = match threaded.then(|| spawn(params)).flatten() {
            Some(w) => Engine::Threaded(w),
            None => Engine::Inline(Box::new(Chain::new(params))),
        };
        Decoder {
            params,
            engine,
            stats: ChainStats::default(),
            spare: Vec::new(),
        }
    }

    /// Parameters in use.
    pub fn params(&self) -> &TxParams {
        &self.params
    }

    /// The cell identifier, once TPS has carried both halves.
    pub fn set_cell_id(&mut self, id: Option<u16>) {
        self.params.cell_id = id;
        if let Engine::Inline(c) = &mut self.engine {
            c.params.cell_id = id;
        }
    }

    /// Counters so far (for a threaded chain: up to the last symbol it has finished).
    pub fn stats(&self) -> &ChainStats {
        match &self.engine {
            Engine::Inline(c) => &c.stats,
            _ => &self.stats,
        }
    }

    /// The chain itself, when it is not on another thread (always after [`Decoder::finish`]).
    pub fn chain(&self) -> Option<&Chain> {
        match &self.engine {
            Engine::Inline(c) => Some(c),
            _ => None,
        }
    }

    /// Buffers for the next symbol's cells and channel state (reused once the chain is done
    /// with them).
    pub fn buffers(&mut self) -> (Vec<Complex32>, Vec<f32>) {
        self.spare.pop().unwrap_or_default()
    }

    /// Decode one symbol; packets that are ready are appended to `out`.
    pub fn push(&mut self, s: EqSymbol, out: &mut Vec<TsPacket>) {
        match &mut self.engine {
            Engine::Inline(c) => {
                c.push_symbol(&s, out);
                self.spare.push((s.cells, s.csi));
            }
            Engine::Threaded(w) => {
                if w.to.send(Job::Symbol(s)).is_err() {
                    self.lose(out);
                    return;
                }
                self.poll(out);
            }
            Engine::Lost => {}
        }
    }

    /// Collect the packets the worker has finished, without waiting.
    pub fn poll(&mut self, out: &mut Vec<TsPacket>) {
        loop {
            let Engine::Threaded(w) = &self.engine else {
                return;
            };
            match w.from.try_recv() {
                Ok(r) => self.take(r, out),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.lose(out);
                    return;
                }
            }
        }
    }

    /// End of the stream: flush the chain (waiting for the worker) and bring it back to this
    /// thread.
    pub fn finish(&mut self, out: &mut Vec<TsPacket>) {
        match std::mem::replace(&mut self.engine, Engine::Lost) {
            Engine::Inline(mut c) => {
                c.finish(out);
                self.engine = Engine::Inline(c);
            }
            Engine::Threaded(w) => {
                let _ = w.to.send(Job::Finish);
                while let Ok(r) = w.from.recv() {
                    self.take(r, out);
                }
                if let Ok(mut c) = w.handle.join() {
                    c.params.cell_id = self.params.cell_id;
                    self.engine = Engine::Inline(Box::new(c));
                }
            }
            Engine::Lost => {}
        }
    }

    fn take(&mut self, r: Reply, out: &mut Vec<TsPacket>) {
        out.extend(r.packets);
        self.stats = r.stats;
        if let Some(b) = r.spent {
            self.spare.push(b);
        }
    }

    /// The worker is gone (it can only have panicked): keep what it sent, decode no more.
    fn lose(&mut self, out: &mut Vec<TsPacket>) {
        if let Engine::Threaded(w) = std::mem::replace(&mut self.engine, Engine::Lost) {
            while let Ok(r) = w.from.try_recv() {
                self.take(r, out);
            }
        }
    }
}

/// The chain on its own thread (None when no thread can be started).
fn spawn(params: TxParams) -> Option<Worker> {
    let (to, jobs) = sync_channel::<Job>(QUEUE_SYMBOLS);
    // Replies never outnumber the symbols sent, so this queue needs no bound of its own.
    let (done, from) = channel::<Reply>();
    let handle = std::thread::Builder::new()
        .name("cofdm-chain".into())
        .spawn(move || {
            let mut chain = Chain::new(params);
            run_worker(&mut chain, jobs, done);
            chain
        })
        .ok()?;
    Some(Worker { to, from, handle })
}

fn run_worker(chain: &mut Chain, jobs: Receiver<Job>, done: Sender<Reply>) {
    while let Ok(job) = jobs.recv() {
        let mut packets = Vec::new();
        let spent = match job {
            Job::Symbol(s) => {
                chain.push_symbol(&s, &mut packets);
                Some((s.cells, s.csi))
            }
            Job::Finish => {
                chain.finish(&mut packets);
                let _ = done.send(Reply {
                    packets,
                    stats: chain.stats.clone(),
                    spent: None,
                });
                return;
            }
        };
        let r = Reply {
            packets,
            stats: chain.stats.clone(),
            spent,
        };
        if done.send(r).is_err() {
            return;
        }
    }
}
