//! A probe written with the prelude alone, as another service writes one: the runner names,
//! times, retries and judges it, and a panic or a broken service is reported as such.

use smoke_core::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Says what it is told to, and counts the attempts it was handed.
struct Scripted {
    seen: Arc<AtomicU32>,
    answer: fn(u32) -> Result<Observation, Failure>,
}

#[async_trait]
impl Probe for Scripted {
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure> {
        self.seen.store(cx.number(), Ordering::SeqCst);
        (self.answer)(cx.number())
    }
}

fn scripted(answer: fn(u32) -> Result<Observation, Failure>) -> (Scripted, Arc<AtomicU32>) {
    let seen = Arc::new(AtomicU32::new(0));
    let probe = Scripted {
        seen: seen.clone(),
        answer,
    };
    (probe, seen)
}

struct Panics;

#[async_trait]
impl Probe for Panics {
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        panic!("index out of bounds in the queue");
    }
}

/// Sleeps past its deadline, as a probe stuck on a lock would.
struct Stuck;

#[async_trait]
impl Probe for Stuck {
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure> {
        tokio::time::sleep(cx.deadline().budget() * 100).await;
        Ok(Observation::default())
    }
}

fn ok_json(_: u32) -> Result<Observation, Failure> {
    Ok(Observation::from_json(serde_json::json!({"ok": true})))
}

#[tokio::test]
async fn a_panicking_probe_is_an_error_under_its_own_name_and_the_others_still_report() {
    let (fine, _) = scripted(ok_json);
    let checks = vec![
        Check::new("queue", Panics),
        Check::new("fine", fine)
            .expect_that("json.ok == true")
            .unwrap(),
    ];
    let report = Runner::new("svc").concurrency(2).run(checks).await;
    let queue = &report.probes()[0];
    assert_eq!(queue.name(), "queue");
    assert_eq!(queue.outcome(), Outcome::Error);
    assert_eq!(queue.cause(), Some(Cause::Checker));
    assert!(
        queue
            .detail()
            .is_some_and(|d| d.contains("panicked: index out of bounds in the queue")),
        "{:?}",
        queue.detail()
    );
    assert_eq!(report.probes()[1].outcome(), Outcome::Ok);
    assert_eq!(report.outcome().exit(), Exit::Broken);
}

#[tokio::test]
async fn a_service_found_broken_fails_with_cause_service_and_exit_2() {
    let (probe, _) = scripted(|_| {
        Err(Failure::new(
            Cause::Service,
            "storage /var/lib/x: permission denied",
        ))
    });
    let check = Check::new("storage", probe).retries(0, Duration::ZERO);
    let report = Runner::new("svc").concurrency(1).run(vec![check]).await;
    let p = &report.probes()[0];
    assert_eq!(
        (p.outcome(), p.cause()),
        (Outcome::Fail, Some(Cause::Service))
    );
    assert_eq!(report.outcome().exit(), Exit::Failed);
    let doc: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    assert_eq!(doc["probes"][0]["cause"], "service");
    // A probe of one request has no steps in its JSON.
    assert!(doc["probes"][0].get("steps").is_none(), "{doc}");
}

#[tokio::test]
async fn the_runner_retries_a_failed_attempt_and_hands_each_its_number() {
    let (probe, seen) = scripted(|n| match n {
        1 => Ok(Observation::from_json(serde_json::json!({"ok": false}))),
        _ => ok_json(n),
    });
    let check = Check::new("flaky", probe)
        .retries(2, Duration::from_millis(1))
        .expect_that("json.ok == true")
        .unwrap();
    let report = Runner::new("svc").concurrency(1).run(vec![check]).await;
    let p = &report.probes()[0];
    assert_eq!(p.outcome(), Outcome::Ok, "{:?}", p.detail());
    assert_eq!(p.attempts(), 2);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    // The runner timed the attempt the probe did not time: `total` and the report's duration.
    assert!(p.timings().total.is_some());
    assert_eq!(p.conditions().len(), 1);
}

#[tokio::test]
async fn conditions_are_judged_by_the_runner_hard_and_soft() {
    let (probe, _) = scripted(|_| Ok(Observation::from_json(serde_json::json!({"depth": 7}))));
    let check = Check::new("queue", probe)
        .expect_that("json.depth < 100")
        .unwrap()
        .warn_that("json.depth < 5")
        .unwrap()
        .warn_that("time < 1h")
        .unwrap();
    let report = Runner::new("svc").concurrency(1).run(vec![check]).await;
    let p = &report.probes()[0];
    assert_eq!(p.outcome(), Outcome::Degraded);
    assert_eq!(p.cause(), Some(Cause::Assertion));
    assert_eq!(p.detail(), Some("expected json.depth < 5, got 7"));
    assert!(
        p.conditions()[2].passed(),
        "time is the runner's: {:?}",
        p.conditions()
    );
}

#[tokio::test]
async fn a_probe_that_ignores_its_deadline_times_out_by_name() {
    let check = Check::new("stuck", Stuck)
        .timeout(Duration::from_millis(50))
        .retries(0, Duration::ZERO);
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        Runner::new("svc").concurrency(1).run(vec![check]),
    )
    .await
    .expect("the runner gives up on the probe");
    let p = &report.probes()[0];
    assert_eq!(
        (p.outcome(), p.cause()),
        (Outcome::Fail, Some(Cause::Timeout))
    );
    assert_eq!(p.detail(), Some("no result within 50ms"));
}

/// Two requests, each judged by its own conditions, as a flow of steps is.
struct TwoSteps;

#[async_trait]
impl Probe for TwoSteps {
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        Ok(Observation::http(200, Vec::new(), b"[1]".to_vec()))
    }

    async fn verdict(&self, cx: &Attempt) -> smoke_core::engine::Verdict {
        use smoke_core::engine::Checks;
        use smoke_core::engine::Condition;
        use smoke_core::engine::Step;
        let mut steps = Vec::new();
        let mut last = None;
        for (request, status) in [("GET /list", 200), ("GET /item/1", 404)] {
            let checks = Checks {
                expect: vec![Condition::parse("status == 200").unwrap()],
                warn: Vec::new(),
            };
            let obs = Observation::http(status, Vec::new(), Vec::new());
            let v = cx.judge_by(obs, Arc::new(checks)).await;
            steps.push(Step::of(request, &v));
            last = Some(v);
        }
        let mut verdict = last.unwrap();
        verdict.set_steps(steps);
        verdict
    }
}

#[tokio::test]
async fn a_probe_of_several_steps_reports_each_request_in_its_json() {
    let check = Check::new("flow", TwoSteps).retries(0, Duration::ZERO);
    let report = Runner::new("svc").concurrency(1).run(vec![check]).await;
    assert_eq!(report.probes()[0].outcome(), Outcome::Fail);
    let doc: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    let steps = doc["probes"][0]["steps"].as_array().expect("a steps list");
    assert_eq!(steps.len(), 2, "{doc}");
    assert_eq!(steps[1]["request"], "GET /item/1");
    assert_eq!(steps[1]["status"], 404);
    assert_eq!(steps[1]["conditions"][0]["passed"], false);
    assert!(steps[0]["timings"]["total_ms"].is_number(), "{doc}");
}
