//! Runs one tick: every probe concurrently within a bound, each attempt under its deadline,
//! failed attempts retried after their delay.

use crate::outcome::{Failure, Outcome, Phase, ProbeReport, RunReport};
use crate::probe::Probe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How many probes run at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Slack past a probe's own timeout before the runner stops waiting for an attempt that does not
/// honour its deadline (an in-process probe stuck on a lock, say).
const DEADLINE_GRACE: Duration = Duration::from_millis(250);

/// Runs the probes, at most `concurrency` at a time, and returns their reports in the order given.
pub async fn run_probes(probes: Vec<Arc<dyn Probe>>, concurrency: usize) -> Vec<ProbeReport> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let tasks: Vec<_> = probes
        .into_iter()
        .map(|probe| {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _permit = gate
                    .acquire_owned()
                    .await
                    .expect("the gate is never closed");
                run_one(probe.as_ref()).await
            })
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        reports.push(match task.await {
            Ok(report) => report,
            Err(e) => {
                let mut r = ProbeReport::new("?");
                r.fail(Failure::new(
                    crate::outcome::Cause::Checker,
                    format!("the probe task died: {e}"),
                ));
                r
            }
        });
    }
    reports
}

/// One probe with its retries.
pub async fn run_one(probe: &dyn Probe) -> ProbeReport {
    let info = probe.info();
    let started = Instant::now();
    let mut attempts = 0;
    let mut report = loop {
        attempts += 1;
        let report = attempt(probe).await;
        if report.outcome != Outcome::Fail || attempts > info.retries {
            break report;
        }
        tokio::time::sleep(info.retry_delay).await;
    };
    report.name = info.name.clone();
    report.attempts = attempts;
    report.severity = info.severity;
    report.tags = info.tags.clone();
    report.target = info.target.clone();
    report.thresholds = (info.failure_threshold, info.success_threshold);
    report.duration_ms = started.elapsed();
    report
}

async fn attempt(probe: &dyn Probe) -> ProbeReport {
    let info = probe.info();
    match tokio::time::timeout(info.timeout + DEADLINE_GRACE, probe.attempt()).await {
        Ok(report) => report,
        Err(_) => {
            let mut r = ProbeReport::new(&info.name);
            r.fail(Failure::timeout(Phase::Headers, info.timeout));
            r.detail = Some(format!(
                "no result within {}",
                crate::units::format_duration(info.timeout)
            ));
            r.phase = None;
            r
        }
    }
}

/// One tick of a panel: the probes' reports and the worst outcome.
pub async fn run_tick(
    panel: &str,
    mode: &str,
    probes: Vec<Arc<dyn Probe>>,
    concurrency: usize,
) -> RunReport {
    let started_at = jiff::Timestamp::now();
    let started = Instant::now();
    let probes = run_probes(probes, concurrency).await;
    RunReport {
        panel: panel.to_string(),
        mode: mode.to_string(),
        started_at,
        duration_ms: started.elapsed(),
        outcome: probes
            .iter()
            .map(|p| p.outcome)
            .max()
            .unwrap_or(Outcome::Ok),
        probes,
    }
}
