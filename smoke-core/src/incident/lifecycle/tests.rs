//! What a tick does to incidents, case by case.

use super::*;
use crate::outcome::{Cause, Failure, ProbeReport};

fn report(at: i64, probes: Vec<ProbeReport>) -> RunReport {
    RunReport {
        panel: "p".into(),
        mode: "internal".into(),
        vantage: String::new(),
        every: None,
        started_at: jiff::Timestamp::from_second(at).unwrap(),
        duration_ms: Duration::ZERO,
        outcome: Outcome::Ok,
        probes,
        notes: Vec::new(),
    }
}

fn ok(name: &str) -> ProbeReport {
    ProbeReport::new(name)
}

fn failed(name: &str, cause: Cause) -> ProbeReport {
    let mut r = ProbeReport::new(name);
    r.fail(Failure::new(cause, "broken"));
    r
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events
        .iter()
        .map(|e| e.event)
        .filter(|k| *k != EventKind::Firing)
        .collect()
}

/// A policy for probes that open and resolve after `threshold` ticks.
fn probes(threshold: u32) -> HashMap<String, ProbeInfo> {
    ["biz", "ui"]
        .into_iter()
        .map(|n| {
            let mut info = ProbeInfo::new(n, format!("{n}/rpc"));
            info.settings.failure_threshold = threshold;
            info.settings.success_threshold = threshold;
            (n.to_string(), info)
        })
        .collect()
}

fn policy(probes: &HashMap<String, ProbeInfo>, remind_every: Duration) -> Policy<'_> {
    Policy {
        probes,
        remind_every,
        seen: Seen::Everything,
        resolve: Resolve::AfterThreshold,
    }
}

#[test]
fn a_fault_held_for_five_ticks_opens_once_reminds_on_schedule_and_resolves_with_its_duration() {
    let mut s = State::default();
    let infos = probes(1);
    let p = policy(&infos, Duration::from_secs(1200));
    let mut all = Vec::new();
    for tick in 0..5 {
        all.push(kinds(&advance(
            &mut s,
            &report(tick * 600, vec![failed("biz", Cause::Rpc)]),
            &p,
        )));
    }
    use EventKind::*;
    assert_eq!(
        all,
        vec![vec![Opened], vec![], vec![Reminder], vec![], vec![Reminder]]
    );
    let healed = advance(&mut s, &report(3000, vec![ok("biz")]), &p);
    assert_eq!(kinds(&healed), [Resolved]);
    assert_eq!(healed[0].duration_s, Some(3000));
    assert_eq!(healed[0].duration_text().as_deref(), Some("50m 0s"));
    assert_eq!(
        healed[0].target, "biz/rpc",
        "the target comes from the probe's settings"
    );
    assert!(s.incidents.is_empty());
    assert_eq!(s.log.len(), 1, "a resolved incident goes to the log");
    assert_eq!(s.log[0].key, "biz");
}

#[test]
fn thresholds_hold_back_opening_and_resolving_unless_told_to_resolve_now() {
    let mut s = State::default();
    let infos = probes(2);
    let p = policy(&infos, Duration::from_secs(3600));
    let tick = |s: &mut State, at, r: ProbeReport, p: &Policy<'_>| {
        kinds(&advance(s, &report(at, vec![r]), p))
    };
    assert!(tick(&mut s, 0, failed("biz", Cause::Http), &p).is_empty());
    assert_eq!(
        tick(&mut s, 1, failed("biz", Cause::Http), &p),
        [EventKind::Opened]
    );
    assert!(tick(&mut s, 2, ok("biz"), &p).is_empty());
    assert_eq!(tick(&mut s, 3, ok("biz"), &p), [EventKind::Resolved]);
    // Open again, then a passing re-check after a restart resolves at once.
    tick(&mut s, 4, failed("biz", Cause::Http), &p);
    tick(&mut s, 5, failed("biz", Cause::Http), &p);
    let now = Policy {
        resolve: Resolve::Now,
        seen: Seen::Some,
        ..p
    };
    assert_eq!(tick(&mut s, 6, ok("biz"), &now), [EventKind::Resolved]);
}

#[test]
fn a_new_cause_is_told_and_a_vanished_probe_resolves() {
    let mut s = State::default();
    let infos = probes(1);
    let p = policy(&infos, Duration::from_secs(3600));
    advance(&mut s, &report(0, vec![failed("ui", Cause::Connect)]), &p);
    let e = advance(&mut s, &report(1, vec![failed("ui", Cause::Timeout)]), &p);
    assert_eq!(kinds(&e), [EventKind::CauseChanged]);
    assert_eq!(e[0].previous_cause.as_deref(), Some("connect"));
    let some = Policy {
        seen: Seen::Some,
        ..p
    };
    let partial = advance(&mut s, &report(2, vec![]), &some);
    assert!(
        partial.is_empty(),
        "--only runs leave other incidents alone"
    );
    let gone = advance(&mut s, &report(3, vec![]), &p);
    assert_eq!(kinds(&gone), [EventKind::Resolved]);
    assert!(gone[0].detail.contains("no longer probed"));
}

#[test]
fn a_symptom_opens_nothing_until_its_root_heals_while_it_still_fails() {
    let mut s = State::default();
    let infos = probes(1);
    let p = policy(&infos, Duration::from_secs(3600));
    let mut child = failed("biz", Cause::Dns);
    child.caused_by = Some("ui".into());
    let e = advance(
        &mut s,
        &report(0, vec![failed("ui", Cause::Dns), child]),
        &p,
    );
    assert_eq!(kinds(&e), [EventKind::Opened]);
    assert_eq!(e[0].probe, "ui", "the root alone opens an incident");
    // The root heals; the child still fails and is now its own cause.
    let e = advance(
        &mut s,
        &report(1, vec![ok("ui"), failed("biz", Cause::Http)]),
        &p,
    );
    assert_eq!(kinds(&e), [EventKind::Resolved, EventKind::Opened]);
    assert_eq!(e[1].probe, "biz");
}

/// Probes on targets of their own: `a`..`f` each on `a/rpc`..
fn six() -> HashMap<String, ProbeInfo> {
    ["a", "b", "c", "d", "e", "f"]
        .into_iter()
        .map(|n| (n.to_string(), ProbeInfo::new(n, format!("{n}/rpc"))))
        .collect()
}

fn bad_gateway(name: &str) -> ProbeReport {
    let mut r = failed(name, Cause::Http);
    r.detail = Some("HTTP 502 Bad Gateway".into());
    r.status = Some(502);
    r
}

fn all(events: &[Event]) -> Vec<(EventKind, String)> {
    events
        .iter()
        .filter(|e| e.event != EventKind::Firing)
        .map(|e| (e.event, e.probe.clone()))
        .collect()
}

#[test]
fn one_signature_on_several_targets_is_one_group_that_members_join_and_leave() {
    let mut s = State::default();
    let infos = six();
    let p = policy(&infos, Duration::from_secs(3600));
    let e = advance(
        &mut s,
        &report(0, vec![bad_gateway("a"), bad_gateway("b"), ok("c")]),
        &p,
    );
    assert_eq!(all(&e), [(EventKind::Opened, "group:http-502".into())]);
    assert_eq!(e[0].covers.members, ["a", "b"]);
    assert_eq!(e[0].headline(), "2 probes fail with HTTP 502 Bad Gateway");
    assert_eq!(e[0].severity, Severity::Critical);
    // c joins the open group; a heals and leaves it.
    let e = advance(
        &mut s,
        &report(1, vec![ok("a"), bad_gateway("b"), bad_gateway("c")]),
        &p,
    );
    assert_eq!(all(&e), [(EventKind::Affected, "group:http-502".into())]);
    assert_eq!(e[0].covers.members, ["b", "c"]);
    // Every member passes: one resolution, for the group.
    let e = advance(&mut s, &report(2, vec![ok("a"), ok("b"), ok("c")]), &p);
    assert_eq!(all(&e), [(EventKind::Resolved, "group:http-502".into())]);
    assert_eq!(e[0].detail, "every probe of the group passes again");
    assert_eq!(
        e[0].headline(),
        "2 probes fail with HTTP 502 Bad Gateway",
        "the resolution names the group as its opening did"
    );
    assert!(s.incidents.is_empty());
}

#[test]
fn a_group_whose_quoted_member_leaves_quotes_one_still_in_it() {
    let mut s = State::default();
    let infos = six();
    let p = policy(&infos, Duration::from_secs(3600));
    let gone = |name: &str| {
        let mut r = failed(name, Cause::Connect);
        r.detail = Some(format!("socket missing: /run/{name}/rpc.sock"));
        r
    };
    let e = advance(&mut s, &report(0, vec![gone("a"), gone("b")]), &p);
    assert_eq!(e[0].detail, "socket missing: /run/a/rpc.sock");
    let e = advance(&mut s, &report(1, vec![ok("a"), gone("b")]), &p);
    assert_eq!(
        all(&e),
        [(EventKind::Affected, "group:connect-socket-missing".into())]
    );
    assert_eq!(e[0].covers.members, ["b"]);
    assert_eq!(e[0].detail, "socket missing: /run/b/rpc.sock");
}

#[test]
fn wrong_answers_and_one_target_are_never_grouped() {
    let mut s = State::default();
    let mut infos = six();
    infos.get_mut("b").unwrap().target = "a/rpc".into();
    let p = policy(&infos, Duration::from_secs(3600));
    let e = advance(
        &mut s,
        &report(
            0,
            vec![
                bad_gateway("a"),
                bad_gateway("b"),
                failed("c", Cause::Assertion),
                failed("d", Cause::Assertion),
            ],
        ),
        &p,
    );
    let opened: Vec<String> = all(&e).into_iter().map(|(_, p)| p).collect();
    assert_eq!(opened, ["a", "b", "c", "d"]);
}

#[test]
fn a_root_lists_what_it_causes_and_tells_when_that_changes() {
    let mut s = State::default();
    let infos = six();
    let p = policy(&infos, Duration::from_secs(3600));
    let child = |name: &str| {
        let mut r = failed(name, Cause::Dns);
        r.caused_by = Some("a".into());
        r
    };
    let e = advance(
        &mut s,
        &report(0, vec![failed("a", Cause::Dns), child("b"), child("c")]),
        &p,
    );
    assert_eq!(all(&e), [(EventKind::Opened, "a".into())]);
    assert_eq!(e[0].covers.affected, ["b", "c"]);
    assert!(
        e[0].summary().ends_with("; 2 probes affected: b, c"),
        "{}",
        e[0].summary()
    );
    let e = advance(
        &mut s,
        &report(1, vec![failed("a", Cause::Dns), child("b"), ok("c")]),
        &p,
    );
    assert_eq!(all(&e), [(EventKind::Affected, "a".into())]);
    assert_eq!(e[0].covers.affected, ["b"]);
    // A re-check of some probes leaves the list as it was.
    let some = Policy {
        seen: Seen::Some,
        ..p
    };
    let e = advance(&mut s, &report(2, vec![failed("a", Cause::Dns)]), &some);
    assert!(all(&e).is_empty());
    assert_eq!(s.incidents["a"].covers.affected, ["b"]);
}

#[test]
fn an_incident_open_before_its_ancestor_failed_stays_as_it_is() {
    let mut s = State::default();
    let infos = six();
    let p = policy(&infos, Duration::from_secs(3600));
    advance(
        &mut s,
        &report(0, vec![ok("a"), failed("b", Cause::Rpc)]),
        &p,
    );
    let mut b = failed("b", Cause::Rpc);
    b.caused_by = Some("a".into());
    let e = advance(&mut s, &report(1, vec![failed("a", Cause::Dns), b]), &p);
    assert_eq!(all(&e), [(EventKind::Opened, "a".into())]);
    assert!(s.incidents.contains_key("b"), "b's incident stays open");
    assert!(
        s.incidents["a"].covers.affected.is_empty(),
        "and b is covered by it alone, not listed on a's too"
    );
}

#[test]
fn a_group_whose_members_all_left_while_others_of_its_signature_fail_opens_anew() {
    let mut s = State::default();
    let infos = six();
    let p = policy(&infos, Duration::from_secs(3600));
    advance(
        &mut s,
        &report(0, vec![bad_gateway("a"), bad_gateway("b")]),
        &p,
    );
    let first = s.incidents["group:http-502"].id.clone();
    let e = advance(
        &mut s,
        &report(
            1,
            vec![ok("a"), ok("b"), bad_gateway("c"), bad_gateway("d")],
        ),
        &p,
    );
    assert_eq!(
        all(&e),
        [
            (EventKind::Resolved, "group:http-502".into()),
            (EventKind::Opened, "group:http-502".into())
        ]
    );
    assert_ne!(e[1].incident, first, "a new incident, told as one");
    assert_eq!(e[1].covers.members, ["c", "d"]);
}

#[test]
fn a_member_leaving_while_none_fails_this_tick_still_updates_the_list() {
    let mut s = State::default();
    let mut infos = six();
    infos.get_mut("b").unwrap().settings.success_threshold = 2;
    let p = policy(&infos, Duration::from_secs(3600));
    advance(
        &mut s,
        &report(0, vec![bad_gateway("a"), bad_gateway("b")]),
        &p,
    );
    // a passes and leaves; b passes once, below its threshold: no member fails.
    let e = advance(&mut s, &report(1, vec![ok("a"), ok("b")]), &p);
    assert_eq!(all(&e), [(EventKind::Affected, "group:http-502".into())]);
    assert_eq!(e[0].covers.members, ["b"]);
    assert_eq!(e[0].headline(), "1 probe fails with HTTP 502 Bad Gateway");
}

#[test]
fn an_unproven_failure_opens_nothing_and_its_symptoms_open_their_own() {
    let mut s = State::default();
    let infos = probes(1);
    let p = policy(&infos, Duration::from_secs(3600));
    let mut root = failed("ui", Cause::Http);
    root.proven = false;
    let e = advance(&mut s, &report(0, vec![root.clone()]), &p);
    assert!(e.is_empty(), "{e:?}");
    assert!(s.incidents.is_empty());
    // Its symptom is not silenced by a probe that may be wrong.
    let mut child = failed("biz", Cause::Http);
    child.caused_by = Some("ui".into());
    let e = advance(&mut s, &report(1, vec![root, child]), &p);
    assert_eq!(kinds(&e), [EventKind::Opened]);
    assert_eq!(e[0].probe, "biz");
    // Proven (it passed since), the same failure opens its incident.
    advance(&mut s, &report(2, vec![ok("ui"), ok("biz")]), &p);
    let e = advance(&mut s, &report(3, vec![failed("ui", Cause::Http)]), &p);
    assert_eq!(kinds(&e), [EventKind::Opened]);
    assert_eq!(e[0].probe, "ui");
}
