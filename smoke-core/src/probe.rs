//! The [`Probe`] trait: one thing to check, one attempt at a time, and the judging of what an
//! attempt saw.
//!
//! Panel probes (HTTP over a socket or a URL) implement it in [`crate::http`]; another hero
//! service implements it for an in-process check, wraps it in a [`Check`](crate::check::Check)
//! and hands it to the same runner, so its report reads exactly like the panel's.

use crate::condition::{Condition, Evaluation, Limit};
use crate::deadline::Deadline;
use crate::observation::Observation;
use crate::outcome::{Cause, ConditionResult, Failure, Severity, Verdict};
use std::sync::Arc;
use std::time::Duration;

/// What the runner needs to know of a probe besides how to attempt it.
/// What a probe gets for what it leaves unsaid, in a panel or in a [`crate::check::Check`].
pub mod defaults {
    use std::time::Duration;
    /// Bounds one attempt.
    pub const TIMEOUT: Duration = Duration::from_secs(5);
    pub(crate) const RETRIES: u32 = 1;
    pub(crate) const RETRY_DELAY: Duration = Duration::from_secs(2);
    pub(crate) const FAILURE_THRESHOLD: u32 = 1;
    pub(crate) const SUCCESS_THRESHOLD: u32 = 1;
}

/// Names and tags that pick probes (`--only`, a mute, a maintenance window): none picks every
/// probe, else a probe is picked by its name or by one of its tags. The one place that rule is.
#[derive(Debug, Clone, Copy)]
pub struct Selector<'a>(pub &'a [String]);

impl Selector<'_> {
    /// Whether it picks the probe `name` with `tags`.
    pub fn picks(&self, name: &str, tags: &[String]) -> bool {
        self.0.is_empty() || self.0.iter().any(|s| s == name || tags.contains(s))
    }
}

/// A probe's name, where it goes and its settings.
#[derive(Debug, Clone)]
pub struct ProbeInfo {
    /// Its name, unique in the panel.
    pub name: String,
    /// Where it goes, as a person reads it: a socket path, a URL, "in-process".
    pub(crate) target: String,
    /// What it shares with every probe.
    pub settings: Settings,
}

/// What every probe shares, whatever its kind, in one place: a panel probe's come from its
/// table over `[defaults]` (filled once, when the panel loads), an in-process check's from its
/// builder over [`Settings::default`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// What `--only`, mutes and maintenance windows pick it by.
    pub tags: Vec<String>,
    /// How loud its failure is.
    pub severity: Severity,
    /// Bounds one attempt, every phase of it included.
    pub timeout: Duration,
    /// Attempts after the first within one tick.
    pub retries: u32,
    /// The pause between attempts.
    pub retry_delay: Duration,
    /// Failed ticks in a row that open an incident.
    pub(crate) failure_threshold: u32,
    /// Passing ticks in a row that resolve it.
    pub(crate) success_threshold: u32,
    /// `proven = true`: its failures alarm from the first, though it never passed on this
    /// deployment. Else a probe alarms only once it has passed here (the loop keeps that).
    pub proven: bool,
    /// Its own period (`every = "30m"`), when it runs less often than its panel: a loop runs
    /// it on the first tick that long after its last run. `None`: every tick.
    pub every: Option<Duration>,
    /// What drift from the panel's known-good baseline makes of it (`drift = "fail"`):
    /// degraded unless told otherwise.
    pub drift: crate::shape::DriftMode,
    /// The checks it depends on, by name: the panel's `depends_on` and a side's built-in ones.
    /// A name that does not run in this tick is ignored.
    pub depends_on: Vec<String>,
    /// How the service behind it is restarted when it fails (an open incident), if at all: a
    /// panel probe of a service's (`restart`, over `[defaults]`); never an in-process check's.
    /// Boxed: every probe's info carries its settings (a `for_each` over 10,000 services, 10,000
    /// times, and the tick's map of them once more); inline, a restart would nearly double them.
    pub restart: Option<Box<crate::panel::Restart>>,
}

impl Default for Settings {
    /// smoke's own defaults: 5s timeout, one retry after 2s, critical, thresholds of one.
    fn default() -> Self {
        Settings {
            tags: Vec::new(),
            severity: Severity::Critical,
            timeout: defaults::TIMEOUT,
            retries: defaults::RETRIES,
            retry_delay: defaults::RETRY_DELAY,
            failure_threshold: defaults::FAILURE_THRESHOLD,
            success_threshold: defaults::SUCCESS_THRESHOLD,
            proven: false,
            every: None,
            drift: crate::shape::DriftMode::default(),
            depends_on: Vec::new(),
            restart: None,
        }
    }
}

impl ProbeInfo {
    /// Info with smoke's default settings.
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        ProbeInfo {
            name: name.into(),
            target: target.into(),
            settings: Settings::default(),
        }
    }
}

/// One thing to check, one attempt at a time: it says what it saw, or why it saw nothing. The
/// runner names it, times it, retries it and judges what it saw by the conditions of its
/// [`Check`](crate::check::Check).
///
/// ```
/// use smoke_core::prelude::*;
///
/// struct QueueDepth;
///
/// #[async_trait]
/// impl Probe for QueueDepth {
///     async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
///         Ok(Observation::from_json(serde_json::json!({"queue_depth": 3})))
///     }
/// }
///
/// # fn main() -> Result<(), CheckError> {
/// let check = Check::new("queue", QueueDepth).expect_that("json.queue_depth < 100")?;
/// # Ok(()) }
/// ```
#[async_trait::async_trait]
pub trait Probe: Send + Sync {
    /// One try, bounded by `cx.deadline()`. A failure is returned, never a panic (a panic is
    /// reported as the checker's own `error`).
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure>;

    /// The verdict on one try: by default, what [`Probe::attempt`] saw judged by the check's
    /// conditions. A probe that judges more than one answer (several contexts, the steps of a
    /// flow) or adds a verdict of its own (a certificate's days left) overrides it, and judges
    /// with [`Attempt::judge`].
    async fn verdict(&self, cx: &Attempt) -> Verdict {
        cx.verdict(self.attempt(cx).await).await
    }

    /// How long past its deadline a try may still run on purpose (a flow's cleanup steps): the
    /// runner waits this much longer before it gives up on it.
    fn grace(&self) -> Duration {
        Duration::ZERO
    }
}

/// One try of a check, as the runner hands it to the probe.
#[derive(Debug, Clone)]
pub struct Attempt {
    number: u32,
    deadline: Deadline,
    checks: Arc<Checks>,
    /// Whether each answer judged also gives its shape to the verdict.
    shapes: bool,
}

impl Attempt {
    /// Attempt `number` (1 for the first try) of a check bounded by `timeout`, starting now.
    pub(crate) fn new(number: u32, timeout: Duration, checks: Arc<Checks>) -> Self {
        Attempt {
            number,
            deadline: Deadline::after(timeout),
            checks,
            shapes: false,
        }
    }

    /// The attempt, recording the shape of each answer judged when `shapes`.
    pub(crate) fn with_shapes(mut self, shapes: bool) -> Self {
        self.shapes = shapes;
        self
    }

    /// 1 for the first try, 2 for the first retry, and so on.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// When this try must be over, every phase of it included, and the probe's timeout it is
    /// the start of the try plus.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Judges an attempt's result: a failure as it is, an observation by the check's conditions.
    pub(crate) async fn verdict(&self, attempt: Result<Observation, Failure>) -> Verdict {
        match attempt {
            Ok(obs) => self.judge(obs).await,
            Err(failure) => Verdict::failed(failure),
        }
    }

    /// Judges an observation by the check's conditions, off the runtime and by the deadline. An
    /// observation that timed no `total` gets the time since the try began.
    pub async fn judge(&self, obs: impl Into<Arc<Observation>>) -> Verdict {
        self.judge_by(obs, self.checks.clone()).await
    }

    /// [`Attempt::judge`] by other conditions than the check's: a step's own, in a probe of
    /// several steps.
    pub async fn judge_by(&self, obs: impl Into<Arc<Observation>>, checks: Arc<Checks>) -> Verdict {
        self.judge_until(obs, checks, self.deadline).await
    }

    /// [`Attempt::judge_by`] by another deadline: a cleanup step's, which may pass the try's.
    pub(crate) async fn judge_until(
        &self,
        obs: impl Into<Arc<Observation>>,
        checks: Arc<Checks>,
        deadline: Deadline,
    ) -> Verdict {
        let mut obs = obs.into();
        if let Some(o) = Arc::get_mut(&mut obs) {
            o.timings
                .total
                .get_or_insert_with(|| self.deadline.elapsed());
        }
        judged(obs, checks, deadline, self.shapes).await
    }
}

/// Judges an observation: every `expect` must hold (else the probe fails with cause
/// `assertion`), every `warn` should (else it is degraded). Fills status, timings and
/// conditions of the report.
///
/// Judging runs on the calling thread without a deadline. A body from a service is judged with
/// [`judge_off_runtime`], as the runner does. For tests (`test-support`).
#[cfg(any(test, feature = "test-support"))]
pub fn judge(
    report: &mut crate::outcome::ProbeReport,
    obs: &Observation,
    expect: &[Condition],
    warn: &[Condition],
) {
    let mut verdict = Verdict::default();
    if let Err(limit) = judge_in(&mut verdict, &Evaluation::new(obs), expect, warn) {
        verdict.fail(Failure::new(limit.cause(), limit.to_string()));
    }
    report.set_verdict(verdict);
}

/// A probe's conditions, shared with the thread that judges them.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Conditions that fail it.
    pub expect: Vec<Condition>,
    /// Conditions that only degrade it.
    pub warn: Vec<Condition>,
}

/// How long past the deadline the runtime waits for a judging that has not noticed it (one
/// slice of a parse, one query) before it reports the timeout without it.
const JUDGING_GRACE: Duration = Duration::from_millis(100);

/// Judges a service's answer on a blocking thread, so that a body made to be slow to parse or
/// query never stalls the runtime's workers (and with them every other probe, the `/healthz`
/// answer and the signal handling), and gives up at `deadline` with a `timeout` that names
/// the probe's `timeout`.
#[cfg(any(test, feature = "test-support"))]
pub async fn judge_off_runtime(
    name: &str,
    obs: Arc<Observation>,
    checks: Arc<Checks>,
    deadline: Deadline,
) -> crate::outcome::ProbeReport {
    let mut report = crate::outcome::ProbeReport::new(name);
    report.set_verdict(judged(obs, checks, deadline, false).await);
    report
}

async fn judged(
    obs: Arc<Observation>,
    checks: Arc<Checks>,
    deadline: Deadline,
    shapes: bool,
) -> Verdict {
    let seen = (obs.status, obs.timings.clone());
    let small = obs.body.len() <= JUDGE_IN_PLACE_BYTES;
    let judge = move || {
        let mut verdict = Verdict::default();
        let ev = Evaluation::until(&obs, deadline.at().into_std());
        let judged = judge_in(&mut verdict, &ev, &checks.expect, &checks.warn);
        // Walked where the conditions were judged: off the runtime for a large body, and
        // bounded like them (nodes, depth), so a hostile body costs no more here.
        if shapes && judged.is_ok() {
            verdict.shape = Some(Box::new(crate::shape::Shape::of(&obs)));
        }
        (verdict, judged)
    };
    // A small body costs less to judge than a hop to a blocking thread, and no more than one
    // slice of a large one: it is judged in place.
    let work = if small {
        let (verdict, judged) = judge();
        return settle(verdict, judged, deadline);
    } else {
        tokio::task::spawn_blocking(judge)
    };
    let failure = match deadline.later(JUDGING_GRACE).bound(work).await {
        Ok(Ok((verdict, judged))) => return settle(verdict, judged, deadline),
        // A panic while judging is the checker's own fault, reported as such.
        Ok(Err(e)) => Failure::new(Cause::Checker, format!("judging the answer failed: {e}")),
        // The blocking thread finishes its slice and is dropped; its answer no longer counts.
        Err(_) => late(deadline),
    };
    Verdict::failed(failure.seen(seen.0, &seen.1))
}

/// The verdict of a judging that ran to its end, or to a limit.
fn settle(mut verdict: Verdict, judged: Result<(), Limit>, deadline: Deadline) -> Verdict {
    if let Err(limit) = judged {
        verdict.fail(match limit {
            Limit::Deadline => late(deadline),
            _ => Failure::new(limit.cause(), limit.to_string()),
        });
    }
    verdict
}

fn late(deadline: Deadline) -> Failure {
    Failure::new(
        Cause::Timeout,
        format!(
            "conditions not judged within the {} timeout",
            crate::units::format_duration(deadline.budget())
        ),
    )
}

/// Bodies up to this size are judged in place, on the runtime: one slice of an HTML parse.
pub const JUDGE_IN_PLACE_BYTES: usize = 16 * 1024;

/// [`judge`] within the bounds of `ev`: a bound it runs into fails the probe with its cause
/// (`protocol` for the answer's size or shape, `timeout` for the deadline) and names it.
fn judge_in(
    report: &mut Verdict,
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
        report.degrade(Cause::Assertion, message);
    }
    Ok(())
}
