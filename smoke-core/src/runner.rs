//! Runs one tick: every check concurrently within a bound, each attempt under its deadline,
//! failed attempts retried after their delay, a panicking probe reported under its own name.

use crate::check::Check;
use crate::outcome::{Cause, Failure, Outcome, Phase, ProbeReport, RunReport, Verdict};
use crate::panel::Mode;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How many probes run at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Slack past a probe's own timeout before the runner stops waiting for an attempt that does not
/// honour its deadline (an in-process probe stuck on a lock, say).
const DEADLINE_GRACE: Duration = Duration::from_millis(250);

/// Runs the checks, at most `concurrency` at a time, and returns their reports in the order given.
pub(crate) async fn run_probes(
    checks: Vec<impl Into<Arc<Check>>>,
    concurrency: usize,
) -> Vec<ProbeReport> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let tasks: Vec<_> = checks
        .into_iter()
        .map(|check| {
            let check: Arc<Check> = check.into();
            let gate = gate.clone();
            let name = check.info().name.clone();
            let task = tokio::spawn(async move {
                let _permit = gate
                    .acquire_owned()
                    .await
                    .expect("the gate is never closed");
                run_one(&check).await
            });
            (name, task)
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for (name, task) in tasks {
        reports.push(match task.await {
            Ok(report) => report,
            Err(e) => {
                let mut r = ProbeReport::new(name);
                r.fail(Failure::new(
                    Cause::Checker,
                    format!("the probe task died: {e}"),
                ));
                r
            }
        });
    }
    reports
}

/// One check with its retries.
pub(crate) async fn run_one(check: &Check) -> ProbeReport {
    let info = check.info();
    let started = Instant::now();
    let mut attempts = 0;
    let verdict = loop {
        attempts += 1;
        let verdict = attempt(check, attempts).await;
        if verdict.outcome != Outcome::Fail || attempts > info.settings.retries {
            break verdict;
        }
        tokio::time::sleep(info.settings.retry_delay).await;
    };
    let mut report = ProbeReport::new(&info.name);
    report.set_verdict(verdict);
    report.attempts = attempts;
    report.duration_ms = started.elapsed();
    report
}

async fn attempt(check: &Check, number: u32) -> Verdict {
    let info = check.info();
    let cx = check.context(number);
    // A panic in a probe is the checker's own fault, not the service's, and must not take the
    // tick (or the watch loop) down with it.
    let verdict = CatchUnwind(Box::pin(check.probe().verdict(&cx)));
    let give_up = cx.deadline().later(DEADLINE_GRACE + check.probe().grace());
    match give_up.bound(verdict).await {
        Ok(Ok(verdict)) => verdict,
        Ok(Err(panic)) => Verdict::failed(Failure::new(
            Cause::Checker,
            format!(
                "the probe panicked: {}",
                crate::text::panic_message(panic.as_ref())
            ),
        )),
        Err(_) => {
            let mut v = Verdict::failed(Failure::timeout(Phase::Headers, info.settings.timeout));
            v.detail = Some(format!(
                "no result within {}",
                crate::units::format_duration(info.settings.timeout)
            ));
            v.phase = None;
            v
        }
    }
}

/// Where a tick's checks run: one side of a panel, or inside another service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A side of the panel: on the VM, or from another host.
    Side(Mode),
    /// Inside the service that checks itself (its report says `in-process`).
    InProcess,
}

impl Origin {
    /// How a report names it: `internal`, `external`, `in-process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Side(mode) => mode.as_str(),
            Origin::InProcess => "in-process",
        }
    }
}

/// Runs ticks of checks under one name: `Runner::new("my-service").run(checks)` for a service
/// checking itself; `.mode(Mode::Internal)` for a side of a panel, `.concurrency(n)` to bound
/// how many run at once (32 by default).
#[derive(Debug, Clone)]
pub struct Runner {
    name: String,
    origin: Origin,
    concurrency: usize,
}

impl Runner {
    /// A runner for the checks of `name` (a panel, a service), in-process, 32 at a time.
    pub fn new(name: impl Into<String>) -> Self {
        Runner {
            name: name.into(),
            origin: Origin::InProcess,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Its checks are a side of a panel.
    pub fn mode(self, mode: Mode) -> Self {
        Runner {
            origin: Origin::Side(mode),
            ..self
        }
    }

    /// At most `n` checks at once (at least one).
    pub fn concurrency(self, n: usize) -> Self {
        Runner {
            concurrency: n.max(1),
            ..self
        }
    }

    /// One tick: every check's report, in the order given, and the worst outcome.
    pub async fn run(&self, checks: Vec<impl Into<Arc<Check>>>) -> RunReport {
        let started_at = jiff::Timestamp::now();
        let started = Instant::now();
        let probes = run_probes(checks, self.concurrency).await;
        let mut report = RunReport::of(
            self.name.clone(),
            self.origin.as_str().to_string(),
            started_at,
            probes,
        );
        report.duration_ms = started.elapsed();
        report
    }
}

/// A future whose panic comes back as an `Err`, as `std::panic::catch_unwind` does for a closure.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}
