//! Serve a cu8 file as an rtl_tcp server on loopback, paced at a sample rate, for trying the
//! live paths without a dongle and for measuring them:
//!
//! ```text
//! cargo run --release --example fake_rtl_tcp -- captures/band/rtl_355m_mixed.sigmf-data 3.2e6
//! linkscope record --device rtl_tcp=127.0.0.1:PORT -f 355M -s 3.2M --duration 20s -o /tmp/r
//! ```
//! It prints the port, loops the file until the client leaves, and prints the commands received.
//! The server is the one the tests use (`tests/common/rtltcp.rs`).

#[path = "../tests/common/rtltcp.rs"]
#[allow(dead_code)] // the tests use more of it
mod rtltcp;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: fake_rtl_tcp FILE.cu8 RATE_SAMPLES_PER_S");
        std::process::exit(2);
    }
    let data = std::fs::read(&args[1]).unwrap_or_else(|e| {
        eprintln!("error: {}: {e}", args[1]);
        std::process::exit(1)
    });
    let rate: f64 = args[2].parse().unwrap_or_else(|_| {
        eprintln!("error: '{}' is not a sample rate", args[2]);
        std::process::exit(2)
    });
    let srv = rtltcp::FakeRtlTcp::start(rtltcp::Serve {
        data,
        rate: Some(rate),
        cut_at: None,
        looped: true,
    });
    println!("{}", srv.port);
    let cmds = srv.commands.clone();
    let sent = srv.join();
    eprintln!(
        "sent {sent} bytes; commands received: {:?}",
        cmds.lock().map(|c| c.clone()).unwrap_or_default()
    );
}
