use super::*;
use smoke_core::prelude::{Cause, Failure, RunReport};

fn at(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

fn sample(outcome: Outcome) -> Sample {
    Sample {
        outcome,
        cause: None,
        detail: None,
        phase: None,
        failed_conditions: Vec::new(),
        drift: Vec::new(),
        duration: Duration::from_millis(3),
    }
}

fn failed(cause: &str, detail: &str) -> Sample {
    Sample {
        cause: Some(cause.into()),
        detail: Some(detail.into()),
        ..sample(Outcome::Fail)
    }
}

fn drifted(lines: &[&str]) -> Sample {
    Sample {
        cause: Some("drift".into()),
        detail: lines.first().map(|l| l.to_string()),
        drift: lines.iter().map(|l| l.to_string()).collect(),
        ..sample(Outcome::Degraded)
    }
}

/// Three ticks, each probe's sample per tick given.
fn three(ticks: [Vec<(&str, Sample)>; 3]) -> Gathered {
    let mut g = Gathered::default();
    for (i, tick) in ticks.into_iter().enumerate() {
        g.tick();
        for (name, s) in tick {
            g.add(name, at(i as i64), s);
        }
    }
    g
}

fn reasons_of(g: &Gathered) -> Reasons {
    let mut r = Reasons::default();
    r.of_probes(g, false);
    r
}

#[test]
fn clean_ticks_and_a_warn_are_good() {
    let warned = Sample {
        detail: Some("queue_depth 150".into()),
        ..sample(Outcome::Degraded)
    };
    let g = three([
        vec![("a", sample(Outcome::Ok)), ("b", warned.clone())],
        vec![("a", sample(Outcome::Ok)), ("b", warned.clone())],
        vec![("a", sample(Outcome::Ok)), ("b", warned)],
    ]);
    let r = reasons_of(&g);
    assert_eq!(r.verdict(), Verdict::Good, "{r:?}");
    assert_eq!(g.ticks, 3);
    assert_eq!(g.probes.len(), 2);
}

#[test]
fn a_failure_and_a_drift_are_named_with_their_ticks() {
    let ok = || sample(Outcome::Ok);
    let g = three([
        vec![("photos", failed("protocol", "empty reply")), ("biz", ok())],
        vec![
            ("photos", failed("protocol", "empty reply")),
            ("biz", drifted(&["len(result): 5 at baseline, 1 now"])),
        ],
        vec![
            ("photos", failed("protocol", "empty\x1b[31m reply")),
            ("biz", ok()),
        ],
    ]);
    let r = reasons_of(&g);
    assert_eq!(r.verdict(), Verdict::NotGood);
    assert_eq!(
        r.all(),
        [
            "photos failed in 3 of 3 ticks: protocol: empty\\u{1b}[31m reply",
            "biz drifted in tick 2 of 3: len(result): 5 at baseline, 1 now",
        ]
    );
    let biz = &g.probes[1];
    assert_eq!((biz.drifted.n, biz.failed.n, biz.ticks), (1, 0, 3));
    assert_eq!(biz.worst.outcome, Outcome::Degraded);
    let json = probes_json(&g);
    assert_eq!(json["biz"]["drifted"], 1);
    assert_eq!(json["biz"]["drift"][0], "len(result): 5 at baseline, 1 now");
    assert_eq!(json["photos"]["outcome"], "fail");
    assert_eq!(json["photos"]["failed"], 3);
    // In JUnit, the drifted probe is a failure naming what moved.
    let window = Window {
        from: at(0),
        to: at(3),
    };
    let text = smoke_core::engine::junit_suite(&junit(&g, "herodemo", "internal", &window));
    assert!(text.contains("tests=\"2\" failures=\"2\""), "{text}");
    assert!(
        text.contains("<failure message=\"drift: len(result): 5 at baseline, 1 now\""),
        "{text}"
    );
}

#[test]
fn drift_set_to_fail_is_said_as_drift_not_as_a_failure() {
    let mut drift_fail = drifted(&["json.result: gone", "a", "b", "c"]);
    drift_fail.outcome = Outcome::Fail;
    let g = three([
        vec![("biz", drift_fail.clone())],
        vec![("biz", drift_fail.clone())],
        vec![("biz", drift_fail)],
    ]);
    let r = reasons_of(&g);
    assert_eq!(
        r.all(),
        ["biz drifted in 3 of 3 ticks: json.result: gone; a; b (and 1 more)"]
    );
}

#[test]
fn the_checkers_fault_cannot_tell_unless_something_failed() {
    let err = Sample {
        cause: Some("checker".into()),
        detail: Some("cannot read the capture".into()),
        ..sample(Outcome::Error)
    };
    let g = three([
        vec![("a", err.clone())],
        vec![("a", sample(Outcome::Ok))],
        vec![("a", sample(Outcome::Ok))],
    ]);
    let r = reasons_of(&g);
    assert_eq!(r.verdict(), Verdict::Unknown);
    assert_eq!(
        r.unknown,
        ["a could not be checked in tick 1 of 3 (the checker's own fault): checker: cannot read the capture"]
    );
    let g = three([
        vec![("a", err), ("b", failed("http", "HTTP 502"))],
        vec![("a", sample(Outcome::Ok)), ("b", sample(Outcome::Ok))],
        vec![("a", sample(Outcome::Ok)), ("b", sample(Outcome::Ok))],
    ]);
    assert_eq!(reasons_of(&g).verdict(), Verdict::NotGood);
    assert!(reasons_of(&Gathered::default()).verdict() == Verdict::Unknown);
}

#[test]
fn an_open_incident_is_not_good() {
    let mut state = smoke_core::engine::State::default();
    let text = r#"{"version":2,"incidents":{"health-hero_os":{"id":"x","opened_at":"2026-01-01T00:00:00Z","cause":"timeout","detail":"no answer","severity":"critical","last_told":"2026-01-01T00:00:00Z","group":null,"members":["health-hero_os"],"affected":[]}}}"#;
    state.incidents = smoke_core::engine::State::from_json(text)
        .unwrap()
        .incidents;
    let mut r = Reasons::default();
    r.of_incidents(&state);
    assert_eq!(
        r.not_good,
        ["incident open since 2026-01-01 00:00:00 UTC for health-hero_os: no answer"]
    );
}

fn report(second: i64, probes: Vec<ProbeReport>) -> RunReport {
    RunReport::made("herodemo", "internal", at(second), probes)
}

#[test]
fn the_window_is_read_from_the_results_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = |r: &RunReport| crate::results_log::append(dir.path(), r, 1 << 20).unwrap();
    let mut broken = ProbeReport::new("a");
    broken.fail(Failure::new(Cause::Http, "HTTP 502"));
    log(&report(100, vec![broken]));
    for s in [200, 300, 400] {
        log(&report(
            s,
            vec![ProbeReport::new("a"), ProbeReport::new("b")],
        ));
    }
    // Another panel's line in the same folder is not this panel's history.
    log(&RunReport::made(
        "other",
        "internal",
        at(350),
        vec![ProbeReport::new("c")],
    ));
    let window = Window {
        from: at(150),
        to: at(500),
    };
    let h = read_history(dir.path(), "herodemo", "internal", &window).unwrap();
    assert_eq!(h.oldest, Some(at(100)));
    assert_eq!(h.latest, Some(at(400)));
    assert_eq!(h.gathered.ticks, 3);
    assert_eq!(h.gathered.probes.len(), 2);
    assert_eq!(reasons_of(&h.gathered).verdict(), Verdict::Good);
    // The failure is in a wider window.
    let wider = Window {
        from: at(50),
        to: at(500),
    };
    let h = read_history(dir.path(), "herodemo", "internal", &wider).unwrap();
    let mut r = Reasons::default();
    r.of_probes(&h.gathered, true);
    assert_eq!(
        r.not_good,
        ["a failed in the tick of 1970-01-01 00:01:40 UTC: http: HTTP 502"]
    );
    let none = read_history(&dir.path().join("nowhere"), "herodemo", "internal", &window).unwrap();
    assert_eq!((none.oldest, none.gathered.ticks), (None, 0));
}

#[test]
fn sha256_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x");
    std::fs::write(&file, "abc").unwrap();
    assert_eq!(
        sha256_file(&file).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_stretch_of_the_window_without_a_tick_is_found_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let log = |r: &RunReport| crate::results_log::append(dir.path(), r, 1 << 20).unwrap();
    let mut slow = ProbeReport::new("a");
    slow.set_duration(Duration::from_secs(30));
    // A tick before the window, then ticks a minute apart, then nothing from 400 on.
    for s in [60, 120, 180, 240, 300, 360, 400] {
        let p = if s == 360 {
            slow.clone()
        } else {
            ProbeReport::new("a")
        };
        log(&report(s, vec![p]));
    }
    let every = Duration::from_secs(60);
    let read = |to: i64| {
        let window = Window {
            from: at(100),
            to: at(to),
        };
        read_history(dir.path(), "herodemo", "internal", &window).unwrap()
    };
    // To 500: the longest stretch is from the end of the last tick to the window's end; 100 s
    // is within two periods.
    let h = read(500);
    assert_eq!(h.longest_gap, Some((at(400), at(500))));
    assert_eq!(h.gap(every), None);
    // To 700: 300 s without a tick.
    let h = read(700);
    assert_eq!(h.longest_gap, Some((at(400), at(700))));
    let said = h.gap(every).unwrap();
    assert_eq!(
        said,
        "no tick from 1970-01-01 00:06:40 UTC to 1970-01-01 00:11:40 UTC (5m, more than 2 periods of 1m): was the loop running?"
    );
    // A tick that ran long covers the time it ran (360 + 30 s to 400 is 10 s); the longest is
    // the first minute between ticks, from the one before the window.
    let h = read(420);
    assert_eq!(h.longest_gap, Some((at(60), at(120))));
    assert!(h.gap(every).is_none());
}
