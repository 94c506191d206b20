//! The commit a binary built from this checkout must name in its `--version`, as git itself
//! says it (the tests' oracle for smoke-loop's build script, not a copy of it).

use std::path::Path;
use std::process::Command;

/// `"<12 hex digits>"` of HEAD when smoke-loop's build script is tracked by the git checkout
/// this source is in; `"unknown"` otherwise (a tarball, no git).
pub fn expected_commit() -> String {
    let smoke_loop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../smoke-loop");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&smoke_loop)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match (
        git(&["ls-files", "--error-unmatch", "build.rs"]),
        git(&["rev-parse", "HEAD"]),
    ) {
        (Some(_), Some(head)) if head.len() >= 12 => head[..12].to_string(),
        _ => "unknown".to_string(),
    }
}

/// The whole `--version` line of a smoke binary: its own name, the version and the commit.
pub fn expected_version_line(binary: &str) -> String {
    format!(
        "{binary} {} (commit {})",
        env!("CARGO_PKG_VERSION"),
        expected_commit()
    )
}
