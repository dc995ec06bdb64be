//! Helpers shared by the live-source tests: run the binary, check a recording with linkscope
//! and with sigmf-python's validator, read its meta.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `linkscope ARGS` with extra environment variables: (exit code, stdout, stderr).
pub fn run_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linkscope"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// sigmf-python's validator accepts the recording (skipped with a note when not installed).
pub fn sigmf_validate(base: &Path) {
    let meta = format!("{}.sigmf-meta", base.display());
    match Command::new("sigmf_validate").arg(&meta).output() {
        Ok(o) => assert!(
            o.status.success(),
            "sigmf_validate rejected {meta}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("skipped: sigmf_validate not installed (pip install sigmf)"),
    }
}

/// The recording's meta.
pub fn meta(base: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{}.sigmf-meta", base.display())).unwrap())
        .unwrap()
}
