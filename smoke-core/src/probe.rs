//! The [`Probe`] trait: one thing to check, one attempt at a time.
//!
//! Panel probes (HTTP over a socket or a URL) implement it in [`crate::http`]; another hero
//! service implements it for an in-process check and hands it to the same runner, so its
//! report reads exactly like the panel's.

use crate::condition::{Condition, Evaluation, Limit};
use crate::observation::Observation;
use crate::outcome::{Cause, ConditionResult, Failure, Outcome, ProbeReport};
use crate::panel::{defaults, Severity};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

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
///
/// Judging runs on the calling thread without a deadline: an in-process probe judges what it
/// made itself. A body from a service is judged with [`judge_off_runtime`].
pub fn judge(
    report: &mut ProbeReport,
    obs: &Observation,
    expect: &[Condition],
    warn: &[Condition],
) {
    if let Err(limit) = judge_in(report, &Evaluation::new(obs), expect, warn) {
        report.fail(Failure::new(limit.cause(), limit.to_string()));
    }
}

/// A probe's conditions, shared with the thread that judges them.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub expect: Vec<Condition>,
    pub warn: Vec<Condition>,
}

/// How long past the deadline the runtime waits for a judging that has not noticed it (one
/// slice of a parse, one query) before it reports the timeout without it.
const JUDGING_GRACE: Duration = Duration::from_millis(100);

/// Judges a service's answer on a blocking thread, so that a body made to be slow to parse or
/// query never stalls the runtime's workers (and with them every other probe, the `/healthz`
/// answer and the signal handling), and gives up at `deadline` with a `timeout` that names
/// the probe's `timeout`.
pub async fn judge_off_runtime(
    name: &str,
    obs: Arc<Observation>,
    checks: Arc<Checks>,
    deadline: Instant,
    timeout: Duration,
) -> ProbeReport {
    let seen = (obs.status, obs.timings.clone());
    let work = {
        let name = name.to_string();
        tokio::task::spawn_blocking(move || {
            let mut report = ProbeReport::new(name);
            let ev = Evaluation::until(&obs, deadline.into_std());
            let judged = judge_in(&mut report, &ev, &checks.expect, &checks.warn);
            (report, judged)
        })
    };
    let late = || {
        Failure::new(
            Cause::Timeout,
            format!(
                "conditions not judged within the {} timeout",
                crate::units::format_duration(timeout)
            ),
        )
    };
    let failure = match tokio::time::timeout_at(deadline + JUDGING_GRACE, work).await {
        Ok(Ok((report, Ok(())))) => return report,
        Ok(Ok((mut report, Err(limit)))) => {
            report.fail(match limit {
                Limit::Deadline => late(),
                _ => Failure::new(limit.cause(), limit.to_string()),
            });
            return report;
        }
        // A panic while judging is the checker's own fault, reported as such.
        Ok(Err(e)) => Failure::new(Cause::Checker, format!("judging the answer failed: {e}")),
        // The blocking thread finishes its slice and is dropped; its answer no longer counts.
        Err(_) => late(),
    };
    let mut report = ProbeReport::new(name);
    report.fail(failure.seen(seen.0, &seen.1));
    report
}

/// [`judge`] within the bounds of `ev`: a bound it runs into fails the probe with its cause
/// (`protocol` for the answer's size or shape, `timeout` for the deadline) and names it.
fn judge_in(
    report: &mut ProbeReport,
    ev: &Evaluation<'_>,
    expect: &[Condition],
    warn: &[Condition],
) -> Result<(), Limit> {
    let obs = ev.observation();
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
        let j = cond.judge(ev)?;
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
    Ok(())
}
