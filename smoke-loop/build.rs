//! Sets `SMOKE_COMMIT`, the commit `--version` names: the git commit of the tree being built, or
//! the one `cargo package` recorded for a packaged crate, else "unknown". Never fails the build:
//! a clean clone, a tarball without .git and a machine without git all build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let commit = packaged_commit(Path::new(&dir))
        .or_else(|| git_commit(Path::new(&dir)))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SMOKE_COMMIT={commit}");
}

/// A crate made by `cargo package` carries the commit it was cut from.
fn packaged_commit(dir: &Path) -> Option<String> {
    let file = dir.join(".cargo_vcs_info.json");
    if !file.exists() {
        return None;
    }
    println!("cargo:rerun-if-changed={}", file.display());
    let info: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
    let sha = info.pointer("/git/sha1")?.as_str()?;
    short(sha)
}

/// The commit of the checkout this crate is in, if this crate is tracked there: a copy of the
/// source unpacked inside some other repository must not take that repository's commit.
fn git_commit(dir: &Path) -> Option<String> {
    git(dir, &["ls-files", "--error-unmatch", "build.rs"])?;
    let sha = git(dir, &["rev-parse", "HEAD"])?;
    // Rebuilt when HEAD moves (a commit, a checkout): HEAD itself, the branch it points at,
    // and packed-refs, wherever this worktree keeps them. Only files that exist: a missing one
    // would make cargo rerun this script on every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", &name],
        ) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    short(&sha)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The first 12 hex digits, like `git rev-parse --short=12`; anything that is not a commit id
/// is refused rather than printed.
fn short(sha: &str) -> Option<String> {
    let sha = sha.trim();
    (sha.len() >= 12 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha[..12].to_string())
}
