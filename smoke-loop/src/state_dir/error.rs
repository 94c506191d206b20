//! What went wrong with the state folder or one of its files. Each variant's words are the
//! message an operator reads (and that scripts and tests match), so they stay as they were.

use std::fs::FileType;
use std::path::PathBuf;

/// Why the state folder, or a file of it, could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    /// Another process holds the folder's lock: `pid` when its lock file names one.
    #[error("the state folder {} is in use by {} (another smoke run or watch on this panel); give another --state-dir or wait for it", .path.display(), holder(*.pid))]
    InUse { path: PathBuf, pid: Option<u32> },
    /// The folder could not be made.
    #[error("cannot create the state folder {}: {source}", .path.display())]
    CannotCreate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The folder's own metadata could not be read.
    #[error("cannot read the state folder {}: {source}", .path.display())]
    CannotReadFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The folder is a symbolic link: a root smoke must not follow one planted there.
    #[error("refused the state folder {}: it is a symbolic link; give the folder's own path", .path.display())]
    FolderIsLink { path: PathBuf },
    /// The folder belongs to another user.
    #[error("refused the state folder {}: it belongs to uid {owner}, not to this user (uid {me}); chown it or give another --state-dir", .path.display())]
    NotOurs { path: PathBuf, owner: u32, me: u32 },
    /// Group or others may write to the folder (`mode`: its permission bits).
    #[error("refused the state folder {}: group or others may write to it (mode {mode:o}); run chmod go-w on it or give another --state-dir", .path.display())]
    WritableByOthers { path: PathBuf, mode: u32 },
    /// A file smoke keeps in the folder (`name`) is not a regular file.
    #[error("refused the state folder {}: {name} is {}", .path.display(), super::not_regular(Some(*.kind)))]
    NotRegular {
        path: PathBuf,
        name: String,
        kind: FileType,
    },
    /// A file of the folder could not be opened.
    #[error("cannot open {}: {source}", .path.display())]
    CannotOpen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file of the folder (the rollup, the results log) could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    CannotRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file of the folder could not be written whole.
    #[error("cannot save {}: {source}", .path.display())]
    CannotSave {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The results log could not be rotated.
    #[error("cannot rotate {}: {source}", .path.display())]
    CannotRotate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A tick's lines could not be appended to the results log.
    #[error("cannot append to {}: {source}", .path.display())]
    CannotAppend {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The state file could not be read.
    #[error("cannot read the state file {}: {source}", .path.display())]
    CannotReadState {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The state file is of a version this smoke does not read (`version`: what it says,
    /// "version N, ...").
    #[error("the state file {} is {version}", .path.display())]
    StateVersion { path: PathBuf, version: String },
    /// The state file does not parse: it is kept, never reset, as it may hold open incidents.
    #[error("the state file {} is unreadable ({why}); move it away to start afresh (its open incidents would be opened again)", .path.display())]
    StateUnreadable { path: PathBuf, why: String },
    /// The mutes file does not parse.
    #[error("the mutes file {} is unreadable: {source}", .path.display())]
    MutesUnreadable {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The mutes' own lock could not be taken.
    #[error("cannot lock the mutes: {0}")]
    CannotLockMutes(#[source] std::io::Error),
    /// The rollup is of another version than this smoke writes.
    #[error("{} is version {found}, this smoke reads {reads}", .path.display())]
    RollupVersion {
        path: PathBuf,
        found: u32,
        reads: u32,
    },
    /// The rollup does not parse, or holds what no loop writes.
    #[error("{} is unreadable ({why})", .path.display())]
    RollupUnreadable { path: PathBuf, why: String },
}

fn holder(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "another process".to_string(),
    }
}
