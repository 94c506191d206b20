//! Loading a panel and handling a tick's incidents cost time in proportion to the probes, not to
//! their square: a big panel and a bad day of thousands of failures are when smoke must stay
//! fast. The bounds are wide on purpose (a quadratic pass over 10,000 probes took 20 s to
//! minutes here); figures come from `smoke-sim bench`.

use smoke_core::engine::{advance, Policy, ProbeInfo, Resolve, Seen, State};
use smoke_core::prelude::{Cause, Failure, ProbeReport, RunReport};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn report(at: i64, probes: Vec<ProbeReport>) -> RunReport {
    RunReport::made(
        "scale",
        "internal",
        jiff::Timestamp::from_second(at).unwrap(),
        probes,
    )
}

/// `n` roots failing with wrong answers (never grouped), each the cause of one child, and `n`
/// probes behind stale sockets (one group).
fn bad_day(n: usize) -> Vec<ProbeReport> {
    let mut probes = Vec::new();
    for i in 0..n {
        let mut root = ProbeReport::new(format!("root{i:05}"));
        root.fail(Failure::new(Cause::Assertion, "expected 3 persons, got 0"));
        let mut child = ProbeReport::new(format!("child{i:05}"));
        child.fail(Failure::new(Cause::Rpc, "no persons"));
        child.set_caused_by(Some(root.name().to_string()));
        let mut stale = ProbeReport::new(format!("stale{i:05}"));
        stale.fail(Failure::new(
            Cause::Connect,
            format!("connection refused: /run/s{i}/rpc.sock is a stale socket"),
        ));
        probes.extend([root, child, stale]);
    }
    probes
}

#[test]
fn ten_thousand_incidents_and_a_group_of_ten_thousand_advance_in_linear_time() {
    let n = 10_000;
    let infos: HashMap<String, ProbeInfo> = bad_day(n)
        .iter()
        .map(|p| {
            (
                p.name().to_string(),
                ProbeInfo::new(p.name(), format!("{}/rpc", p.name())),
            )
        })
        .collect();
    let policy = Policy {
        probes: &infos,
        remind_every: Duration::from_secs(3600),
        seen: Seen::Everything,
        resolve: Resolve::AfterThreshold,
    };
    let mut state = State::default();
    let started = Instant::now();
    let opened = advance(&mut state, &report(0, bad_day(n)), &policy);
    let kept = advance(&mut state, &report(600, bad_day(n)), &policy);
    let took = started.elapsed();
    assert_eq!(
        opened
            .iter()
            .filter(|e| e.event.as_str() == "opened")
            .count(),
        n + 1
    );
    assert_eq!(state.incidents.len(), n + 1);
    assert_eq!(state.incidents["root00042"].covers.affected, ["child00042"]);
    assert!(kept.iter().all(|e| e.event.as_str() == "firing"));
    assert!(took < Duration::from_secs(20), "two ticks took {took:?}");
    eprintln!("two ticks of {} probes: {took:?}", 3 * n);
}

#[test]
fn a_panel_of_ten_thousand_probes_loads_in_linear_time() {
    let mut text = String::from("[panel]\nname = \"big\"\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "\n[[probe]]\nname = \"p{i:05}\"\ntarget = \"svc_{:03}/rpc\"\nget = \"/health\"\n\
             expect = [\"json.status == ok\"]\n",
            i % 50
        ));
    }
    let started = Instant::now();
    let panel =
        smoke_core::engine::load_str(&text, std::path::Path::new("big.toml"), &Default::default())
            .expect("a valid panel");
    let took = started.elapsed();
    assert_eq!(panel.probes.len(), 10_000);
    assert_eq!(
        panel.probes[9_999].line,
        4 + 6 * 9_999,
        "its `[[probe]]` line"
    );
    assert!(took < Duration::from_secs(10), "loading took {took:?}");
    eprintln!("a panel of 10,000 probes loaded in {took:?}");
}
