//! One attempt's deadline, the one value every phase of it reads: the runner makes it when a try
//! starts and hands it down through the attempt, the fetch, the exchange and the judging, so no
//! phase keeps a clock of its own and every timeout failure names the same budget.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// When a try must be over, and the budget (the probe's `timeout`) it was given for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    start: Instant,
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now. A budget past what the clock can hold is cut to
    /// [`crate::units::MAX_DURATION`], as good as none.
    pub fn after(budget: Duration) -> Deadline {
        Deadline::from(Instant::now(), budget)
    }

    /// `budget` from `start`.
    pub fn from(start: Instant, budget: Duration) -> Deadline {
        let at = start
            .checked_add(budget)
            .unwrap_or_else(|| start + crate::units::MAX_DURATION);
        Deadline { start, at, budget }
    }

    /// The instant it passes.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// What the try was given: the words of a timeout ("within the 5s timeout").
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The time since the try began.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The time left, zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The same budget, passing no earlier than `grace` from now: a cleanup step's, which may
    /// run after the try's deadline.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn or_grace(&self, grace: Duration) -> Deadline {
        Deadline {
            at: self.at.max(Instant::now() + grace),
            ..*self
        }
    }

    /// Passing `slack` later, with the same budget: how long a caller waits for a phase that
    /// should have noticed the deadline itself.
    pub(crate) fn later(&self, slack: Duration) -> Deadline {
        Deadline {
            at: self.at + slack,
            ..*self
        }
    }

    /// `work`, or `Err` once the deadline passes.
    pub async fn bound<F: Future>(
        &self,
        work: F,
    ) -> Result<F::Output, tokio::time::error::Elapsed> {
        tokio::time::timeout_at(self.at, work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_deadline_counts_down_its_budget_and_a_grace_only_moves_it_later() {
        let s = Duration::from_secs;
        let d = Deadline::after(s(5));
        assert_eq!(d.budget(), s(5));
        assert!(d.remaining() <= s(5) && d.remaining() > s(4), "{d:?}");
        // Started 10 s ago: passed, nothing left, whatever it bounds gives up at once.
        let gone = Deadline::from(Instant::now() - s(10), s(5));
        assert!(gone.passed());
        assert_eq!(gone.remaining(), Duration::ZERO);
        assert!(gone.bound(std::future::pending::<()>()).await.is_err());
        // A grace moves the end only when it reaches past it, and keeps the budget.
        assert_eq!(d.or_grace(Duration::from_millis(1)).at(), d.at());
        let cleanup = gone.or_grace(s(60));
        assert!(!cleanup.passed() && cleanup.budget() == s(5));
        assert!(gone.later(s(60)).remaining() > s(40));
    }

    #[test]
    fn a_budget_past_the_clock_is_as_good_as_none() {
        let d = Deadline::from(Instant::now(), Duration::MAX);
        assert_eq!(d.budget(), Duration::MAX);
        assert!(d.remaining() > Duration::from_secs(3600 * 24 * 365));
    }
}
