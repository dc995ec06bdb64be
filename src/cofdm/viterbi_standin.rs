//! TEMPORARY scalar stand-in for `linkscope_dsp::viterbi::ViterbiStream` (same API), to be
//! deleted when the SIMD decoder lands on main.

/// Soft-decision Viterbi decoder for a rate-½ K = 7 code, streaming.
#[derive(Debug, Clone)]
pub struct ViterbiStream {
    out_a: [u8; 128],
    out_b: [u8; 128],
    metric: [i32; 64],
    next: [i32; 64],
    decisions: Vec<u64>,
    traceback: usize,
}

impl ViterbiStream {
    pub fn new(poly_a: u8, poly_b: u8, traceback: usize) -> ViterbiStream {
        let mut out_a = [0u8; 128];
        let mut out_b = [0u8; 128];
        for r in 0..128usize {
            out_a[r] = ((r as u8 & poly_a).count_ones() & 1) as u8;
            out_b[r] = ((r as u8 & poly_b).count_ones() & 1) as u8;
        }
        let mut v = ViterbiStream {
            out_a,
            out_b,
            metric: [0; 64],
            next: [0; 64],
            decisions: Vec::new(),
            traceback: traceback.max(8),
        };
        v.reset();
        v
    }

    pub fn reset(&mut self) {
        self.metric = [0; 64];
        self.decisions.clear();
    }

    pub fn push(&mut self, soft: &[i8], out: &mut Vec<u8>) {
        for p in soft.chunks_exact(2) {
            let (a, b) = (p[0] as i32, p[1] as i32);
            let mut dec = 0u64;
            for ns in 0..64usize {
                let bit = ns >> 5;
                let mut best = i32::MIN;
                let mut choice = 0;
                for x in 0..2usize {
                    let s = ((ns & 31) << 1) | x;
                    let r = (bit << 6) | s;
                    let m = self.metric[s]
                        + if self.out_a[r] == 1 { a } else { -a }
                        + if self.out_b[r] == 1 { b } else { -b };
                    if m > best {
                        best = m;
                        choice = x;
                    }
                }
                self.next[ns] = best;
                dec |= (choice as u64) << ns;
            }
            let top = self.next.iter().copied().max().unwrap_or(0);
            for (m, n) in self.metric.iter_mut().zip(self.next.iter()) {
                *m = n - top;
            }
            self.decisions.push(dec);
            if self.decisions.len() >= 2 * self.traceback {
                let emit = self.decisions.len() - self.traceback;
                self.trace(emit, out);
            }
        }
    }

    /// Trace back from the best state and emit the oldest `emit` decided bits.
    fn trace(&mut self, emit: usize, out: &mut Vec<u8>) {
        let mut s = (0..64).max_by_key(|&i| self.metric[i]).unwrap_or(0);
        let n = self.decisions.len();
        let mut bits = vec![0u8; n];
        for t in (0..n).rev() {
            bits[t] = (s >> 5) as u8;
            let x = (self.decisions[t] >> s & 1) as usize;
            s = ((s & 31) << 1) | x;
        }
        out.extend_from_slice(&bits[..emit]);
        self.decisions.drain(..emit);
    }

    pub fn flush(&mut self, out: &mut Vec<u8>) {
        let n = self.decisions.len();
        self.trace(n, out);
        self.reset();
    }
}
