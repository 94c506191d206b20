//! Why the relay could not start. Each variant's words are what the operator reads, as they
//! were when these were plain strings.

use crate::notify::NotifierError;
use crate::secret::SecretError;
use crate::state_dir::StateDirError;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What stopped `relay` before it listened.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The sinks marked `relay = true` could not be set up.
    #[error(transparent)]
    Sinks(NotifierError),
    /// No `[[notify]]` entry of the panel (`panel`: its file) is marked `relay = true`.
    #[error("{}: no [[notify]] entry has relay = true: the relay would tell only its log (mark the forge and Slack entries relay = true)", .panel.display())]
    NoRelaySink { panel: PathBuf },
    /// The secret of `[relay] bearer_token` could not be read.
    #[error("[relay] bearer_token: {0}")]
    Token(#[source] SecretError),
    /// The relay's state folder refused it (in use, unsafe, an unreadable state).
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// The handler of a stop signal (`name`: SIGTERM, SIGINT) could not be set.
    #[error("{name}: {source}")]
    Signal {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The address of `--listen` could not be bound.
    #[error("--listen {listen}: {source}")]
    Listen {
        listen: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}
