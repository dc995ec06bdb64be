//! The `linkscope` command: parse (clap) → call the library → render.
#![recursion_limit = "256"]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the file and the problem; the chain of causes joined by ": ".
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
