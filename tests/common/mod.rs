//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// A recording in `../shared/captures/`, or None (with a printed reason) on a machine without
/// `../shared` (CI always has it).
#[allow(dead_code)]
pub fn shared(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipped: {} not found (../shared is absent on this machine)",
            p.display()
        );
        None
    }
}

/// Run the `linkscope` binary: (exit code, stdout, stderr).
#[allow(dead_code)]
pub fn linkscope(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args(args)
        .output()
        .expect("run linkscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// JSON lines of a `--json` run: (per-item objects, the summary object).
#[allow(dead_code)]
pub fn json_lines(stdout: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut items = Vec::new();
    let mut summary = serde_json::Value::Null;
    for l in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
        match v.get("summary") {
            Some(s) => summary = s.clone(),
            None => items.push(v),
        }
    }
    (items, summary)
}
