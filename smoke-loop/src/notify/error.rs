//! What went wrong telling a sink, sorted by what to do next: the kind decides whether the
//! delivery is tried again at once, never the event it was carrying.

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
