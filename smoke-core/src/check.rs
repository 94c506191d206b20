//! A [`Check`]: a probe with its name, its settings and the conditions that judge what it saw.
//! The runner runs checks; the panel makes one of each `[[probe]]`, an author builds one with
//! [`Check::new`].

use crate::condition::{Condition, ConditionError};
use crate::outcome::Severity;
use crate::probe::{Attempt, Checks, Probe, ProbeInfo};
use std::sync::Arc;
use std::time::Duration;

/// Where an in-process check goes, as reports and incidents name it unless told otherwise.
pub(crate) const IN_PROCESS: &str = "in-process";

/// A probe ready for the runner.
#[derive(Clone)]
pub struct Check {
    info: ProbeInfo,
    checks: Arc<Checks>,
    probe: Arc<dyn Probe>,
    /// Each answer it judges also gives its shape to the report: what a baseline records and
    /// drift is judged on. Off unless asked, since the walk costs a second look at every body.
    shapes: bool,
}

/// A condition given to [`Check::expect_that`] or [`Check::warn_that`] that does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("condition `{text}`: {error}")]
pub struct CheckError {
    /// The condition as given.
    pub(crate) text: String,
    /// What is wrong with it, and at which column.
    pub(crate) error: ConditionError,
}

impl Check {
    /// A check of `probe` named `name`, with the panel's defaults (5s timeout, one retry after
    /// 2s, critical) and no conditions yet.
    pub fn new(name: impl Into<String>, probe: impl Probe + 'static) -> Self {
        Check::of(
            ProbeInfo::new(name, IN_PROCESS),
            Checks::default(),
            Arc::new(probe),
        )
    }

    /// A check with its settings and conditions already made, as the panel's are.
    pub(crate) fn of(info: ProbeInfo, checks: Checks, probe: Arc<dyn Probe>) -> Self {
        Check {
            info,
            checks: Arc::new(checks),
            probe,
            shapes: false,
        }
    }

    /// The check, each answer of which also gives its [`Shape`](crate::engine::shape::Shape)
    /// to the report (for a baseline, or drift from one).
    pub fn with_shapes(mut self) -> Self {
        self.record_shapes();
        self
    }

    /// [`Check::with_shapes`] in place: a plan's checks are shared, and a clone of each to
    /// change one flag would be a thousand clones a tick.
    pub(crate) fn record_shapes(&mut self) {
        self.shapes = true;
    }

    /// Adds a condition that must hold, else the check fails with cause `assertion`.
    pub fn expect_that(mut self, text: &str) -> Result<Self, CheckError> {
        let condition = parse(text)?;
        Arc::make_mut(&mut self.checks).expect.push(condition);
        Ok(self)
    }

    /// Adds a condition that should hold, else the check is degraded.
    pub fn warn_that(mut self, text: &str) -> Result<Self, CheckError> {
        let condition = parse(text)?;
        Arc::make_mut(&mut self.checks).warn.push(condition);
        Ok(self)
    }

    /// Bounds each attempt, every phase of it included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        // Bounded like a panel's durations, so a deadline can always be computed.
        self.info.settings.timeout = timeout.min(crate::units::MAX_DURATION);
        self
    }

    /// How many times a failed attempt is tried again within one tick, and after how long.
    pub fn retries(mut self, retries: u32, delay: Duration) -> Self {
        self.info.settings.retries = retries;
        self.info.settings.retry_delay = delay;
        self
    }

    /// Where it goes, as a person reads it (a path, a queue); `in-process` unless told.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.info.target = target.into();
        self
    }

    /// How loud its failure is; [`Severity::Critical`] unless told.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.info.settings.severity = severity;
        self
    }

    /// Adds a tag, by which `--only`, mutes and maintenance windows pick it.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.info.settings.tags.push(tag.into());
        self
    }

    /// The checks it depends on, by name, in the order a cause is looked for (a name given
    /// twice counts once).
    pub fn depends_on(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.info.settings.depends_on.clear();
        for name in names {
            let name = name.into();
            if !self.info.settings.depends_on.contains(&name) {
                self.info.settings.depends_on.push(name);
            }
        }
        self
    }

    /// Its name and settings.
    pub fn info(&self) -> &ProbeInfo {
        &self.info
    }

    /// The conditions it is judged by, as written.
    pub fn conditions(&self) -> &Checks {
        &self.checks
    }

    /// The context of try `number` (1 for the first), starting now.
    pub(crate) fn context(&self, number: u32) -> Attempt {
        Attempt::new(number, self.info.settings.timeout, self.checks.clone())
            .with_shapes(self.shapes)
    }

    pub(crate) fn probe(&self) -> &dyn Probe {
        self.probe.as_ref()
    }
}

fn parse(text: &str) -> Result<Condition, CheckError> {
    Condition::parse(text).map_err(|error| CheckError {
        text: text.to_string(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::Observation;
    use crate::outcome::Failure;

    struct Nothing;

    #[async_trait::async_trait]
    impl Probe for Nothing {
        async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
            Ok(Observation::default())
        }
    }

    #[test]
    fn a_condition_that_does_not_parse_is_refused_with_its_text_and_column() {
        let e = Check::new("x", Nothing)
            .expect_that("json.ok == true")
            .unwrap()
            .warn_that("json.ok ==")
            .err()
            .expect("a condition without a value is refused");
        assert_eq!(e.text, "json.ok ==");
        assert!(e.error.column >= 1, "{e}");
        assert!(
            e.to_string().starts_with("condition `json.ok ==`: column "),
            "{e}"
        );
    }
}
