//! The known-good baseline of whole ticks (`known.rs`): refusing a tick that did not pass,
//! latency percentiles, the M-of-N rule of latency drift and its floor, per-step keys, and
//! judging that leaves a failing probe alone.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::observation::Observation;
use crate::outcome::{Cause, Failure, Outcome, ProbeReport, RunReport, Step};

fn json_shape(value: &Value, latency: Duration) -> Shape {
    let headers = vec![("content-type".to_string(), "application/json".to_string())];
    let mut shape = Shape::of(&Observation::http(200, headers, value.to_string().into()));
    shape.latency_us = Some(latency.as_micros() as u64);
    shape
}

/// A JSON-RPC answer of `n` persons, each with an email.
fn persons(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"id": i, "email": format!("p{i}@example.test")}))
        .collect();
    json!({"jsonrpc": "2.0", "id": 1, "result": list})
}

fn answered(name: &str, shape: Shape) -> ProbeReport {
    let mut p = ProbeReport::new(name);
    p.shape = Some(Box::new(shape));
    p
}

fn tick(probes: Vec<ProbeReport>) -> RunReport {
    let at = jiff::Timestamp::from_second(1_750_000_000).unwrap();
    RunReport::of("p".into(), "internal".into(), at, probes)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// The baseline of five healthy ticks of `biz` answering 5 persons in `latency` each.
fn five_ticks(latency: Duration) -> SideBaseline {
    let ticks: Vec<RunReport> = (0..5)
        .map(|_| tick(vec![answered("biz", json_shape(&persons(5), latency))]))
        .collect();
    SideBaseline::of(&ticks, "vm").unwrap()
}

/// Judges one tick of `biz` answering in `latency`; its drift lines.
fn judge_latency(
    known: &SideBaseline,
    history: &mut LatencyHistory,
    latency: Duration,
) -> Vec<String> {
    let mut report = tick(vec![answered("biz", json_shape(&persons(5), latency))]);
    known.judge(&mut report, LATENCY_DRIFT, Some(history), |_| {
        DriftMode::Degraded
    });
    report.probes()[0].drift.clone()
}

#[test]
fn a_tick_where_a_probe_failed_is_refused_by_tick_and_probe() {
    let good = || tick(vec![answered("biz", json_shape(&persons(5), ms(1)))]);
    let mut failed = ProbeReport::new("biz");
    failed.fail(Failure::new(
        Cause::Assertion,
        "expected len(result) > 0, got 0",
    ));
    let bad = tick(vec![ProbeReport::new("health"), failed]);
    let refused = SideBaseline::of(&[good(), bad, good()], "vm").unwrap_err();
    assert_eq!(
        refused,
        NotGood::Failed {
            tick: 2,
            ticks: 3,
            probe: "biz".into(),
            outcome: "fail",
            detail: ": expected len(result) > 0, got 0".into(),
        }
    );
    assert_eq!(
        refused.to_string(),
        "tick 2 of 3: biz fail: expected len(result) > 0, got 0"
    );
    assert_eq!(SideBaseline::of(&[], "vm"), Err(NotGood::Nothing));
    assert_eq!(
        SideBaseline::of(&[tick(vec![])], "vm"),
        Err(NotGood::Nothing)
    );
    // A degraded probe passes: its warn is known and accepted.
    let mut warned = answered("biz", json_shape(&persons(5), ms(1)));
    warned.degrade(Cause::Assertion, "queue_depth 150");
    let known = SideBaseline::of(&[tick(vec![warned])], "vm").unwrap();
    assert_eq!(known.ticks, 1);
    assert!(known.probes["biz"].answer.is_some());
}

#[test]
fn latency_percentiles_are_nearest_rank() {
    assert_eq!(Latency::of(vec![]), None);
    let one = Latency::of(vec![700]).unwrap();
    assert_eq!((one.p50_us, one.p95_us), (700, 700));
    // Of five runs, unsorted: the median and the slowest.
    let five = Latency::of(vec![5, 1, 4, 2, 3]).unwrap();
    assert_eq!((five.p50_us, five.p95_us), (3, 5));
    let hundred = Latency::of((1..=100).rev().collect()).unwrap();
    assert_eq!((hundred.p50_us, hundred.p95_us), (50, 95));
    let known = five_ticks(ms(2));
    let base = known.probes["biz"].answer.as_ref().unwrap();
    assert_eq!(
        base.latency,
        Some(Latency {
            p50_us: 2000,
            p95_us: 2000
        })
    );
}

#[test]
fn two_slow_ticks_of_five_are_not_latency_drift_three_are() {
    let known = five_ticks(ms(1));
    let mut history = LatencyHistory::default();
    // slow, fast, slow, fast, fast, slow: never more than 2 slow in the last 5.
    for (i, latency) in [ms(20), ms(1), ms(20), ms(1), ms(1), ms(20)]
        .into_iter()
        .enumerate()
    {
        let drift = judge_latency(&known, &mut history, latency);
        assert!(drift.is_empty(), "tick {}: {drift:?}", i + 1);
    }
    // A third slow one in the last five.
    let drift = judge_latency(&known, &mut history, ms(20));
    assert_eq!(
        drift,
        ["latency: p95 20 ms vs 1 ms at baseline (over 3× in 3 of the last 5 ticks)"]
    );
    // Three slow ticks in a row from nothing kept say so in as many words.
    let mut fresh = LatencyHistory::default();
    assert!(judge_latency(&known, &mut fresh, ms(30)).is_empty());
    assert!(judge_latency(&known, &mut fresh, ms(30)).is_empty());
    assert_eq!(
        judge_latency(&known, &mut fresh, ms(30)),
        ["latency: p95 30 ms vs 1 ms at baseline (over 3× in 3 of the last 3 ticks)"]
    );
    // Slow in 3 of the last 4, then of 5; then 2 of 5 is over, and five fast ticks in a row
    // leave nothing kept. Fast ticks alone never kept any.
    let after: Vec<bool> = (0..5)
        .map(|_| judge_latency(&known, &mut fresh, ms(1)).is_empty())
        .collect();
    assert_eq!(after, [false, false, true, true, true]);
    assert!(fresh.is_empty());
    let mut healthy = LatencyHistory::default();
    for _ in 0..50 {
        judge_latency(&known, &mut healthy, ms(2));
    }
    assert!(healthy.is_empty());
}

#[test]
fn latency_under_the_floor_or_the_factor_is_never_drift() {
    // 5.9 times its p95, but 4.9 ms over it: nothing a user feels.
    let fast = five_ticks(ms(1));
    let mut history = LatencyHistory::default();
    for _ in 0..10 {
        assert!(judge_latency(&fast, &mut history, us(5_900)).is_empty());
    }
    // 5 ms over is slow.
    let mut history = LatencyHistory::default();
    for _ in 0..2 {
        assert!(judge_latency(&fast, &mut history, ms(6)).is_empty());
    }
    assert_eq!(judge_latency(&fast, &mut history, ms(6)).len(), 1);
    // 29 ms over a p95 of 10: far over the floor, under 3×.
    let slower = five_ticks(ms(10));
    let mut history = LatencyHistory::default();
    for _ in 0..10 {
        assert!(judge_latency(&slower, &mut history, ms(29)).is_empty());
    }
}

fn step(shape: Shape) -> Step {
    Step {
        request: "GET /".into(),
        status: shape.status,
        timings: Default::default(),
        conditions: Vec::new(),
        captures: Default::default(),
        shape: Some(Box::new(shape)),
    }
}

/// A probe of two steps: a list, then one person.
fn flow(listed: usize, person: Value) -> ProbeReport {
    let mut p = ProbeReport::new("flow");
    p.steps = vec![
        step(json_shape(&persons(listed), ms(1))),
        step(json_shape(&json!({"result": person}), ms(1))),
    ];
    p
}

#[test]
fn each_step_has_its_own_baseline_keyed_step_n() {
    let ticks: Vec<RunReport> = (0..3)
        .map(|_| tick(vec![flow(4, json!({"id": 1, "email": "a@b.test"}))]))
        .collect();
    let known = SideBaseline::of(&ticks, "vm").unwrap();
    let base = &known.probes["flow"];
    assert!(base.answer.is_none());
    assert_eq!(base.steps.keys().collect::<Vec<_>>(), ["step 1", "step 2"]);
    let mut report = tick(vec![flow(1, json!({"id": 1}))]);
    let mut history = LatencyHistory::default();
    known.judge(&mut report, LATENCY_DRIFT, Some(&mut history), |_| {
        DriftMode::Degraded
    });
    let p = &report.probes()[0];
    assert_eq!(
        p.drift,
        [
            "step 1: len(result): 4 at baseline, 1 now",
            "step 2: json.result.email: in 3 of 3 baseline runs, missing now",
        ]
    );
    assert_eq!(p.outcome, Outcome::Degraded);
    assert_eq!(p.cause, Some(Cause::Drift));
    assert_eq!(
        p.detail.as_deref(),
        Some("step 1: len(result): 4 at baseline, 1 now (and 1 more)")
    );
    assert_eq!(report.outcome(), Outcome::Degraded);
    // Latency is judged per step: the second one slow, the first not.
    let slow_second = || {
        let mut p = flow(4, json!({"id": 1, "email": "a@b.test"}));
        p.steps[1].shape.as_mut().unwrap().latency_us = Some(30_000);
        p
    };
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut report = tick(vec![slow_second()]);
        known.judge(&mut report, LATENCY_DRIFT, Some(&mut history), |_| {
            DriftMode::Degraded
        });
        lines = report.probes()[0].drift.clone();
    }
    assert_eq!(
        lines,
        ["step 2: latency: p95 30 ms vs 1 ms at baseline (over 3× in 3 of the last 3 ticks)"]
    );
}

#[test]
fn judging_leaves_failing_probes_unknown_probes_and_drift_off_alone() {
    let known = five_ticks(ms(1));
    let judge = |p: ProbeReport, mode: DriftMode| {
        let mut report = tick(vec![p]);
        known.judge(
            &mut report,
            LATENCY_DRIFT,
            Some(&mut LatencyHistory::default()),
            |_| mode,
        );
        report.probes()[0].clone()
    };
    // Its failure is the news: no drift said over it.
    let mut failing = answered("biz", json_shape(&persons(1), ms(1)));
    failing.fail(Failure::new(Cause::Http, "HTTP 500"));
    let judged = judge(failing, DriftMode::Fail);
    assert_eq!(judged.outcome, Outcome::Fail);
    assert_eq!(judged.cause, Some(Cause::Http));
    assert_eq!(judged.detail.as_deref(), Some("HTTP 500"));
    assert!(judged.drift.is_empty());
    // Off: not judged.
    let judged = judge(
        answered("biz", json_shape(&persons(1), ms(1))),
        DriftMode::Off,
    );
    assert_eq!(judged.outcome, Outcome::Ok);
    assert!(judged.drift.is_empty());
    // A probe the baseline does not know.
    let judged = judge(
        answered("new", json_shape(&persons(1), ms(1))),
        DriftMode::Degraded,
    );
    assert_eq!(judged.outcome, Outcome::Ok);
    // Fail: the probe fails with cause drift, naming what moved.
    let judged = judge(
        answered("biz", json_shape(&persons(1), ms(1))),
        DriftMode::Fail,
    );
    assert_eq!(judged.outcome, Outcome::Fail);
    assert_eq!(judged.cause, Some(Cause::Drift));
    assert_eq!(judged.drift, ["len(result): 5 at baseline, 1 now"]);
}

#[test]
fn a_side_reads_its_own_part_of_the_file_and_reads_past_the_other() {
    let mut file = KnownGood::new("p", "internal", five_ticks(ms(1)));
    file.sides.insert("external".into(), five_ticks(ms(40)));
    let text = file.to_json();
    let inside = KnownGood::side_from_json(&text, "internal").unwrap();
    assert_eq!(inside.sides.keys().collect::<Vec<_>>(), ["internal"]);
    assert_eq!(inside.side("internal"), file.side("internal"));
    assert_eq!(
        (inside.format, inside.panel.as_str()),
        (BASELINE_FORMAT, "p")
    );
    let none = KnownGood::side_from_json(&text, "elsewhere").unwrap();
    assert!(none.sides.is_empty());

    // The other side's part need only be JSON; this side's is read as strictly as ever, and a
    // fault in it is said at its line and column in the file.
    let other = text.replacen("\"external\": {", "\"external\": {\"odd\": [1, {}],", 1);
    assert!(KnownGood::side_from_json(&other, "internal").is_ok());
    assert!(KnownGood::from_json(&other).is_err());
    let bad = text.replacen("\"ticks\": 5", "\"ticks\": \"five\"", 2);
    let e = KnownGood::side_from_json(&bad, "internal").unwrap_err();
    let line = 1 + bad[..bad.rfind("\"ticks\": \"five\"").unwrap()]
        .matches('\n')
        .count();
    assert!(e.contains(&format!("line {line} column")), "{e}");
    let e = KnownGood::side_from_json(&text.replacen("\"panel\"", "\"panels\"", 1), "internal")
        .unwrap_err();
    assert!(e.contains("unknown field `panels`"), "{e}");
    let e = KnownGood::side_from_json(&text.replacen("\"format\": 1", "\"format\": 7", 1), "x")
        .unwrap_err();
    assert!(e.contains("format 7"), "{e}");
}
