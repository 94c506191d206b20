//! What went wrong with the sinks: setting one up from its entry ([`SetupError`]), making the
//! panel's sinks ([`NotifierError`]), and telling one ([`SinkError`]), the last sorted by what
//! to do next: the kind decides whether the delivery is tried again at once, never the event it
//! was carrying.

use crate::secret::SecretError;
use crate::state_dir::StateDirError;

/// Why a `[[notify]]` entry's keys make no sink, or its sink cannot be set up. The words follow
/// `[[notify]]` at the entry's line, or the entry's name when its secret is read.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A key unknown here or of the wrong type (toml's words, with a hint).
    #[error("{0}")]
    Keys(String),
    /// A key the sink cannot work without is missing or empty.
    #[error("type = \"{kind}\" needs `{key}`")]
    Needs {
        kind: &'static str,
        key: &'static str,
    },
    /// A base URL that is not http(s).
    #[error("url `{url}` must start with http:// or https://")]
    NotHttp { url: String },
    /// The secret is named wrongly, or cannot be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A check of the sink's own, its error type in its file: what all sinks share names none.
    #[error(transparent)]
    Sink(Box<dyn std::error::Error + Send + Sync>),
}

impl SetupError {
    /// A sink's own fault of its keys.
    pub fn sink(e: impl std::error::Error + Send + Sync + 'static) -> SetupError {
        SetupError::Sink(Box::new(e))
    }
}

/// Why the panel's sinks could not be made: the loop stops before any probe runs (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// rustls refused the protocol versions of the sinks' client.
    #[error("TLS set-up for the sinks: {0}")]
    Tls(#[source] rustls::Error),
    /// reqwest could not build the sinks' client.
    #[error("cannot set up the sinks' HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The secret of `heartbeat_url_env` could not be read.
    #[error("[panel] heartbeat: {0}")]
    Heartbeat(#[source] SecretError),
    /// The sink of the entry `name` at `line` could not be set up.
    #[error("[[notify]] {name} (line {line}): {source}")]
    Sink {
        name: String,
        line: usize,
        #[source]
        source: SetupError,
    },
}

/// What went wrong in a flush, said on stderr: nothing it concerns is lost but the deliveries
/// to sinks no longer in the panel.
#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    /// Deliveries owed to sinks the panel no longer has, dropped.
    #[error("dropped {0} deliveries for sinks no longer in the panel")]
    Dropped(usize),
    /// The sink's reconciliation failed: its `kept` deliveries wait for the next tick.
    #[error("{sink}: {error}; {kept} deliveries kept for the next tick")]
    Reconcile {
        sink: String,
        #[source]
        error: SinkError,
        kept: usize,
    },
    /// A delivery failed after its tries: it and those after it wait for a later tick.
    #[error("{sink}: {error}; kept, to try again on a later tick")]
    Kept {
        sink: String,
        #[source]
        error: SinkError,
    },
    /// The state could not be saved after a delivery.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
}

/// Why a sink did not take a delivery. Whatever the kind, the delivery stays owed (in the
/// outbox) and is tried again on a later tick: nothing told is ever dropped for a failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The sink cannot work as set up (a secret unreadable, a program that does not start):
    /// trying again before the panel or the machine changes gives the same answer.
    #[error("{0}")]
    Config(String),
    /// Nothing was done on the far side (no connection, a 5xx to a request that can be
    /// repeated, 408 or 429): tried again at once, with a short pause.
    #[error("{0}")]
    Transient(String),
    /// The far side may have acted before its answer was lost (a timeout or a 5xx after a
    /// request that makes something, an answer that could not be read): never repeated at once,
    /// so a forge issue is not made twice; the next tick's reconciliation finds out first.
    #[error("{0}")]
    MaybeDelivered(String),
    /// The far side refused the request as it is (a 4xx: a wrong token, a repository that
    /// does not exist): repeating it at once gives the same answer.
    #[error("{0}")]
    Refused(String),
}

impl SinkError {
    /// Whether the same delivery may be tried again within this tick.
    pub fn retry_at_once(&self) -> bool {
        matches!(self, SinkError::Transient(_))
    }

    /// The same kind with `context` before its words: `the new forge issue: …`.
    pub fn context(self, context: &str) -> SinkError {
        self.map(|m| format!("{context}: {m}"))
    }

    fn map(self, f: impl FnOnce(String) -> String) -> SinkError {
        match self {
            SinkError::Config(m) => SinkError::Config(f(m)),
            SinkError::Transient(m) => SinkError::Transient(f(m)),
            SinkError::MaybeDelivered(m) => SinkError::MaybeDelivered(f(m)),
            SinkError::Refused(m) => SinkError::Refused(f(m)),
        }
    }

    /// The kind of an answer with `status` (not 2xx) to a request that `repeatable` or not.
    pub fn of_status(status: u16, repeatable: bool, words: String) -> SinkError {
        match status {
            408 | 429 => SinkError::Transient(words),
            500..=599 => SinkError::unsure(repeatable, words),
            _ => SinkError::Refused(words),
        }
    }

    /// A failure after the request was sent, whose effect on the far side is unknown: harmless
    /// to repeat for a request that can be (`repeatable`), else perhaps acted on.
    pub fn unsure(repeatable: bool, words: String) -> SinkError {
        if repeatable {
            SinkError::Transient(words)
        } else {
            SinkError::MaybeDelivered(words)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_did_nothing_on_the_far_side_is_tried_again_at_once() {
        let w = || "x".to_string();
        assert!(SinkError::of_status(503, true, w()).retry_at_once());
        assert!(SinkError::of_status(429, false, w()).retry_at_once());
        // A 502 to a POST that makes an issue may have made it.
        assert_eq!(
            SinkError::of_status(502, false, w()),
            SinkError::MaybeDelivered(w())
        );
        assert_eq!(
            SinkError::of_status(401, true, w()),
            SinkError::Refused(w())
        );
        assert!(!SinkError::Config(w()).retry_at_once());
        assert_eq!(
            SinkError::Transient(w()).context("the forge"),
            SinkError::Transient("the forge: x".to_string())
        );
    }
}
