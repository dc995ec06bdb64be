//! The `linkscope` command: parse (clap) → call the library → render.
#![recursion_limit = "256"]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // `linkscope … --json | head`: a reader that goes away ends the output quietly, the way
    // command-line tools do, instead of a panic message about the broken pipe.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the file and the problem; the chain of causes joined by ": ".
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
