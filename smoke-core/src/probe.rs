//! The [`Probe`] trait: one thing to check, one attempt at a time.
//!
//! Panel probes (HTTP over a socket or a URL) implement it in [`crate::http`]; another hero
//! service implements it for an in-process check and hands it to the same runner, so its
//! report reads exactly like the panel's.

use crate::condition::Condition;
use crate::observation::Observation;
use crate::outcome::{Cause, ConditionResult, Failure, Outcome, ProbeReport};
use crate::panel::{defaults, Severity};
use std::time::Duration;

/// What the runner needs to know of a probe besides how to attempt it.
#[derive(Debug, Clone)]
pub struct ProbeInfo {
    pub name: String,
    /// Where it goes, as a person reads it: a socket path, a URL, "in-process".
    pub target: String,
    pub tags: Vec<String>,
    pub severity: Severity,
    /// Bounds one attempt, every phase of it included.
    pub timeout: Duration,
    pub retries: u32,
    pub retry_delay: Duration,
    /// Failed ticks in a row that open an incident.
    pub failure_threshold: u32,
    /// Passing ticks in a row that resolve it.
    pub success_threshold: u32,
}

impl ProbeInfo {
    /// Info with the panel defaults: 5s timeout, one retry after 2s, critical.
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        ProbeInfo {
            name: name.into(),
            target: target.into(),
            tags: Vec::new(),
            severity: Severity::Critical,
            timeout: defaults::TIMEOUT,
            retries: defaults::RETRIES,
            retry_delay: defaults::RETRY_DELAY,
            failure_threshold: defaults::FAILURE_THRESHOLD,
            success_threshold: defaults::SUCCESS_THRESHOLD,
        }
    }
}

/// One check. `attempt` is called once per try; the runner owns retries, deadlines and
/// concurrency, so an implementation only says what it saw.
///
/// ```
/// use smoke_core::probe::{Probe, ProbeInfo, judge};
/// use smoke_core::outcome::ProbeReport;
/// use smoke_core::observation::Observation;
/// use smoke_core::condition::Condition;
///
/// struct QueueDepth { info: ProbeInfo, expect: Vec<Condition> }
///
/// #[async_trait::async_trait]
/// impl Probe for QueueDepth {
///     fn info(&self) -> &ProbeInfo { &self.info }
///     async fn attempt(&self) -> ProbeReport {
///         let obs = Observation::from_json(serde_json::json!({"queue_depth": 3}));
///         let mut report = ProbeReport::new(&self.info.name);
///         judge(&mut report, &obs, &self.expect, &[]);
///         report
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Probe: Send + Sync {
    fn info(&self) -> &ProbeInfo;

    /// One try. A failure is reported in the returned report (see [`ProbeReport::fail`]), never
    /// as a panic.
    async fn attempt(&self) -> ProbeReport;
}

/// Judges an observation: every `expect` must hold (else the probe fails with cause
/// `assertion`), every `warn` should (else it is degraded). Fills status, timings and
/// conditions of the report.
pub fn judge(
    report: &mut ProbeReport,
    obs: &Observation,
    expect: &[Condition],
    warn: &[Condition],
) {
    report.status = obs.status;
    report.timings = obs.timings.clone();
    report.cert = obs.cert.clone();
    let mut first_hard: Option<String> = None;
    let mut first_soft: Option<String> = None;
    for (cond, soft) in expect
        .iter()
        .map(|c| (c, false))
        .chain(warn.iter().map(|c| (c, true)))
    {
        let j = cond.evaluate(obs);
        if !j.passed {
            let slot = if soft {
                &mut first_soft
            } else {
                &mut first_hard
            };
            slot.get_or_insert(j.message);
        }
        report.conditions.push(ConditionResult {
            text: cond.text().to_string(),
            passed: j.passed,
            got: j.got,
            soft,
        });
    }
    if let Some(message) = first_hard {
        report.fail(Failure::new(Cause::Assertion, message));
    } else if let Some(message) = first_soft {
        if report.outcome == Outcome::Ok {
            report.outcome = Outcome::Degraded;
            report.cause = Some(Cause::Assertion);
            report.detail = Some(message);
        }
    }
}
