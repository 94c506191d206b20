//! Why a command of the binary stopped (exit 3). Each variant's words are the one line
//! `smoke: …` the operator reads, as they were when these were plain strings.

use super::tick::TickFault;
use crate::init::InitError;
use crate::notify::NotifierError;
use crate::relay::RelayError;
use crate::state_dir::StateDirError;
use smoke_core::engine::PanelError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What stopped a command before or instead of its work.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No `--panel` and no `SMOKE_PANEL`.
    #[error("no panel: give --panel FILE or set SMOKE_PANEL (the herodemo panel is probes/herodemo.toml)")]
    NoPanel,
    /// The panel, or the loop's tables of it, do not load (at its file, line and column).
    #[error(transparent)]
    Panel(#[from] PanelError),
    /// The side could not be made from the panel (its own words).
    #[error("{0}")]
    Side(smoke_core::engine::SideError),
    /// `relay --only`.
    #[error("relay takes no --only: it relays the alerts of every probe of the panel")]
    RelayOnly,
    /// The panel (`file`) has no probe for this side: a run would check nothing.
    #[error("{}: panel \"{panel}\" has no probe for the {mode} side: nothing to check", .file.display())]
    NoProbeHere {
        file: PathBuf,
        panel: String,
        mode: &'static str,
    },
    /// No probe of this side has a name or tag of `--only`.
    #[error("--only {}: no probe of panel \"{panel}\" on the {mode} side has this name or tag", .only.join(" --only "))]
    NoneOnly {
        only: Vec<String>,
        panel: String,
        mode: &'static str,
    },
    /// The panel's sinks could not be set up (a missing secret): before any probe runs.
    #[error(transparent)]
    Sinks(#[from] NotifierError),
    /// The state folder, or a file of it, refused.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// A tick could not read or save its state.
    #[error(transparent)]
    Tick(#[from] TickFault),
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Init(#[from] InitError),
    /// The file of `flag` (`--metrics-file`, `--html`) has no file name to write.
    #[error("{flag} {}: not a file name", .path.display())]
    NotAFileName { flag: &'static str, path: PathBuf },
    /// `mute --for` ends past the last time smoke can write.
    #[error("--for {}: the end of the mute is past the last time smoke can write", smoke_core::engine::format_duration(*.duration))]
    MuteTooLong { duration: Duration },
    /// A mute of a name no probe has and no tag names (`panel`: its file).
    #[error("no probe or tag `{target}` in {}", .panel.display())]
    UnknownTarget { target: String, panel: PathBuf },
    /// `status` of a folder that is not there.
    #[error("no state folder at {}: give the --state-dir of the watch loop (or SMOKE_STATE_DIR)", .0.display())]
    NoStateFolder(PathBuf),
    /// `status` with neither `--state-dir` nor `--panel`.
    #[error("no state folder: give --state-dir DIR (the watch loop's) or --panel FILE")]
    NoStateDir,
    /// The address of `watch --listen` could not be bound.
    #[error("--listen {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The handler of a signal (`name`: SIGHUP, SIGTERM, SIGINT) could not be set.
    #[error("{name}: {source}")]
    Signal {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// Loading the panel again on SIGHUP panicked (its message): a bug, the old panel stays.
    #[error("loading it panicked ({0})")]
    ReloadPanicked(String),
}
