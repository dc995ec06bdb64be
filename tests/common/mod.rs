//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// A recording in `../shared/captures/`, or None (with a printed reason) on a machine without
/// `../shared` (CI always has it).
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
