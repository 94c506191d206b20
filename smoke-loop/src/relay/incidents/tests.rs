use super::super::fixtures::{group, notification, run, run_at, NOW as NOW_S, Q};
use super::*;
use smoke_core::engine::{Incident, PastIncident, LOG_MAX};
use smoke_core::prelude::Cause;

#[test]
fn one_incident_per_alert_however_often_it_is_said() {
    let mut state = LoopState::default();
    let firing = notification(&[("firing", Q, "home", 1_900_000_000)]);
    let (events, applied) = run(&mut state, &firing);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, EventKind::Opened);
    assert_eq!(
        events[0].incident, "herodemo/external/home/1900000000000",
        "the id is the alert's start: the same whichever node or relay sees it"
    );
    assert_eq!(events[0].detail, "home fails from 3 vantage points");
    assert_eq!(applied.opened, ["home"]);
    // The other node's copy, and the group interval's repeat.
    for _ in 0..2 {
        let (events, applied) = run(&mut state, &firing);
        assert!(events.is_empty());
        assert_eq!(applied.repeated, 1);
    }
    let resolved = notification(&[("resolved", Q, "home", 1_900_000_000)]);
    let (events, _) = run(&mut state, &resolved);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, EventKind::Resolved);
    assert!(state.core.incidents.is_empty());
    assert_eq!(state.core.log.len(), 1);
    // A late firing copy of the same alert reopens nothing; the resolution is not said twice.
    for n in [&firing, &resolved] {
        let (events, applied) = run(&mut state, n);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(applied.repeated, 1);
    }
    // A new alert (a new start) is a new incident.
    let again = notification(&[("firing", Q, "home", 1_900_003_600)]);
    let (events, _) = run(&mut state, &again);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].incident, "herodemo/external/home/1900003600000");
}

#[test]
fn an_older_resolution_does_not_close_a_newer_incident() {
    let mut state = LoopState::default();
    run(
        &mut state,
        &notification(&[("firing", Q, "home", 1_900_003_600)]),
    );
    let (events, applied) = run(
        &mut state,
        &notification(&[("resolved", Q, "home", 1_900_000_000)]),
    );
    assert!(events.is_empty());
    assert_eq!(applied.repeated, 1);
    assert!(state.core.incidents.contains_key("home"));
}

const T1: i64 = 1_900_000_000;
const T2: i64 = 1_900_003_600;

/// What one node sends of one alert: (status, start).
type Said = (&'static str, i64);

fn say(state: &mut LoopState, (status, at): Said) -> Vec<Event> {
    run(state, &notification(&[(status, Q, "home", at)])).0
}

#[test]
fn a_resolution_before_its_firing_copy_opens_nothing() {
    // Issue 20 (a): one node's resolution, then the other node's late firing copy.
    let mut state = LoopState::default();
    assert!(say(&mut state, ("resolved", T1)).is_empty());
    assert!(say(&mut state, ("firing", T1)).is_empty());
    assert!(
        state.core.incidents.is_empty(),
        "{:?}",
        state.core.incidents
    );
}

#[test]
fn a_newer_alert_carries_the_incident_past_the_older_ones_resolution() {
    // Issue 20 (b): T2 fires while T1's incident is open; T1's late resolution closes nothing.
    let mut state = LoopState::default();
    assert_eq!(say(&mut state, ("firing", T1)).len(), 1);
    assert!(
        say(&mut state, ("firing", T2)).is_empty(),
        "the same incident"
    );
    assert!(say(&mut state, ("resolved", T1)).is_empty());
    assert!(state.core.incidents.contains_key("home"), "T2 still fires");
    let events = say(&mut state, ("resolved", T2));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, EventKind::Resolved);
    assert!(state.core.incidents.is_empty());
}

#[test]
fn a_node_that_never_sends_the_older_resolution_leaves_no_orphan() {
    // Alertmanager replaces T1 by T2 when both fall in one group interval: that node sends
    // T1 firing, then T2, and never T1's resolution.
    let mut state = LoopState::default();
    say(&mut state, ("firing", T1));
    say(&mut state, ("firing", T2));
    say(&mut state, ("resolved", T2));
    assert!(state.core.incidents.is_empty());
    // Nor does a resolution of the later alert alone leave the earlier open.
    let mut state = LoopState::default();
    say(&mut state, ("firing", T1));
    say(&mut state, ("resolved", T2));
    assert!(state.core.incidents.is_empty());
}

#[test]
fn an_old_firing_after_many_newer_resolutions_reopens_nothing() {
    // Issue 20 (c): T1 resolved, then 200 newer resolutions push it out of the log.
    let mut state = LoopState::default();
    say(&mut state, ("firing", T1));
    say(&mut state, ("resolved", T1));
    let now = jiff::Timestamp::from_second(T2).unwrap();
    for i in 0..LOG_MAX {
        let key = format!("health-s{i}");
        let incident = Incident::new(format!("x/{key}"), now, Severity::Critical, vec![]);
        state.core.log_resolved(key, &incident, now);
    }
    assert!(!state.core.log.iter().any(|p| p.key() == "home"));
    assert!(say(&mut state, ("firing", T1)).is_empty());
    assert!(state.core.incidents.is_empty());
}

/// The words said so far, and what must hold after each.
#[derive(Default)]
struct Heard {
    said: Vec<Said>,
    open_issues: i32,
    resolved_starts: Vec<i64>,
}

impl Heard {
    fn take(&mut self, state: &mut LoopState, word: Said) {
        for e in say(state, word) {
            match e.event {
                EventKind::Opened => {
                    let start = e.opened_at.as_second();
                    assert!(
                        !self.resolved_starts.contains(&start),
                        "{:?}: reopened {start}",
                        self.said
                    );
                    self.open_issues += 1;
                }
                EventKind::Resolved => self.open_issues -= 1,
                _ => {}
            }
        }
        self.said.push(word);
        if word.0 == "resolved" {
            self.resolved_starts.push(word.1);
        }
        let open = state.core.incidents.contains_key("home");
        assert!(
            (0..=1).contains(&self.open_issues),
            "{:?}: {} open issues",
            self.said,
            self.open_issues
        );
        assert_eq!(open, self.open_issues == 1, "{:?}", self.said);
        // The latest alert heard of decides: it fires and its resolution has not come.
        let latest = self.said.iter().map(|w| w.1).max().expect("one word");
        let fires = self.said.contains(&("firing", latest));
        let resolved = self.said.contains(&("resolved", latest));
        assert_eq!(open, fires && !resolved, "{:?}", self.said);
    }

    fn seen(&self, word: Said) -> bool {
        self.said.contains(&word)
    }
}

/// Each node sends T1's firing and resolution, then T2's: every way two nodes' copies can
/// interleave. After each word the incident is open iff an alert's firing was heard and its
/// resolution not, with one issue at most, never reopened for a start already resolved.
#[test]
fn every_interleaving_of_two_nodes_copies_of_two_alerts() {
    let node: [Said; 4] = [
        ("firing", T1),
        ("resolved", T1),
        ("firing", T2),
        ("resolved", T2),
    ];
    let mut runs = 0;
    for mask in 0u32..256 {
        if mask.count_ones() != 4 {
            continue;
        }
        let (mut a, mut b) = (node.iter(), node.iter());
        let mut state = LoopState::default();
        let mut heard = Heard::default();
        for slot in 0..8 {
            let word = if mask & (1 << slot) != 0 {
                a.next()
            } else {
                b.next()
            };
            heard.take(&mut state, *word.expect("four words a node"));
            let fires = |t| heard.seen(("firing", t)) && !heard.seen(("resolved", t));
            assert_eq!(
                state.core.incidents.contains_key("home"),
                fires(T1) || fires(T2),
                "{:?}",
                heard.said
            );
        }
        assert!(state.core.incidents.is_empty(), "{:?}", heard.said);
        runs += 1;
    }
    assert_eq!(runs, 70);
}

/// Every order of the eight words, a node's own order too (a retry may overtake): the
/// latest alert heard of decides, and all end resolved.
#[test]
fn every_order_of_the_eight_words_ends_resolved() {
    fn orders(left: &mut Vec<(Said, usize)>, so_far: &mut Vec<Said>, out: &mut Vec<Vec<Said>>) {
        if left.iter().all(|(_, n)| *n == 0) {
            out.push(so_far.clone());
            return;
        }
        for i in 0..left.len() {
            if left[i].1 == 0 {
                continue;
            }
            left[i].1 -= 1;
            so_far.push(left[i].0);
            orders(left, so_far, out);
            so_far.pop();
            left[i].1 += 1;
        }
    }
    let mut all = Vec::new();
    let mut words = vec![
        (("firing", T1), 2),
        (("resolved", T1), 2),
        (("firing", T2), 2),
        (("resolved", T2), 2),
    ];
    orders(&mut words, &mut Vec::new(), &mut all);
    assert_eq!(all.len(), 2520);
    for order in all {
        let mut state = LoopState::default();
        let mut heard = Heard::default();
        for word in order {
            heard.take(&mut state, word);
        }
        assert!(state.core.incidents.is_empty(), "{:?}", heard.said);
        assert_eq!(heard.open_issues, 0);
    }
}

#[test]
fn an_incident_of_an_older_state_goes_on_and_closes() {
    let mut state = LoopState::default();
    say(&mut state, ("firing", T1));
    // As the relay before this one wrote it: no record of its alerts.
    state.alerts = Default::default();
    assert!(say(&mut state, ("firing", T1)).is_empty());
    assert!(say(&mut state, ("resolved", T1 - 60)).is_empty());
    let events = say(&mut state, ("resolved", T1));
    assert_eq!(events[0].event, EventKind::Resolved);
    // And a state whose log alone says T1 resolved takes a late copy as stale.
    state.alerts = Default::default();
    assert!(say(&mut state, ("firing", T1)).is_empty());
}

#[test]
fn resolutions_are_remembered_a_week_and_at_most_resolved_max() {
    let mut state = LoopState::default();
    say(&mut state, ("resolved", T1));
    let later = |s: i64| NOW_S + s;
    let n = notification(&[("firing", Q, "home", T1)]);
    // A week less a minute later, the late copy is still stale...
    let (events, _) = run_at(&mut state, &n, later(RESOLVED_KEEP.as_secs() as i64 - 60));
    assert!(events.is_empty());
    // ...and past the week it is forgotten: a copy that late is a new word.
    state.core.log.clear();
    let (events, _) = run_at(&mut state, &n, later(RESOLVED_KEEP.as_secs() as i64 + 60));
    assert_eq!(events.len(), 1);
    // The count: the longest resolved are forgotten first.
    let mut state = LoopState::default();
    for i in 0..RESOLVED_MAX + 10 {
        state.alerts.latest.insert(
            format!("health-s{i:05}"),
            AlertMark {
                starts_at: jiff::Timestamp::from_second(T1).unwrap(),
                resolved_at: Some(jiff::Timestamp::from_second(NOW_S + i as i64).unwrap()),
            },
        );
    }
    run_at(&mut state, &notification(&[]), NOW_S + 20_000);
    assert_eq!(state.alerts.latest.len(), RESOLVED_MAX);
    assert!(!state.alerts.latest.contains_key("health-s00009"));
    assert!(state.alerts.latest.contains_key("health-s00010"));
}

#[test]
fn a_group_is_one_incident_its_list_kept_up_to_date() {
    let mut state = LoopState::default();
    let (events, _) = run(&mut state, &group("firing", "login home nosuch home ", 1));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.event, e.probe.as_str()),
        (EventKind::Opened, "group:http-502")
    );
    assert_eq!(e.incident, "herodemo/external/group:http-502/1000");
    assert_eq!(e.covers.group.as_deref(), Some("HTTP 502 Bad Gateway"));
    assert_eq!(e.covers.members, ["home", "login"]);
    assert_eq!(e.cause, Some(Cause::Http));
    assert_eq!(e.headline(), "2 probes fail with HTTP 502 Bad Gateway");
    // Repeated as it was: nothing; with another probe: the list is told.
    let (events, applied) = run(&mut state, &group("firing", "home login", 1));
    assert!(events.is_empty());
    assert_eq!(applied.repeated, 1);
    let (events, _) = run(&mut state, &group("firing", "home login health-hero_os", 1));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, EventKind::Affected);
    assert_eq!(events[0].covers.members.len(), 3);
    let (events, _) = run(&mut state, &group("resolved", "", 1));
    assert_eq!(events[0].event, EventKind::Resolved);
    assert_eq!(state.core.log[0].key(), "group:http-502");
}

/// `n` firing (or resolved) alerts of services `from..from+n`, in one notification.
fn services(status: &str, from: usize, n: usize) -> crate::relay::Notification {
    let names: Vec<String> = (from..from + n)
        .map(|i| format!("health-s{i:05}"))
        .collect();
    let alerts: Vec<(&str, &str, &str, i64)> =
        names.iter().map(|p| (status, Q, p.as_str(), T1)).collect();
    notification(&alerts)
}

fn opened(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e.event == EventKind::Opened)
        .map(|e| e.probe.as_str())
        .collect()
}

#[test]
fn a_thousand_unconfirmed_alerts_open_a_few_incidents_and_one_overflow() {
    // Issue 20, item 7: one notification of 1,000 `health-<any>` alerts.
    let mut state = LoopState::default();
    let (events, applied) = run(&mut state, &services("firing", 0, 1000));
    let own = opened(&events);
    assert_eq!(own.len(), NEW_PER_NOTIFICATION + 1, "{own:?}");
    assert_eq!(own.last(), Some(&OVERFLOW));
    assert_eq!(applied.overflowed, 1000 - NEW_PER_NOTIFICATION);
    let overflow = &state.core.incidents[OVERFLOW];
    assert_eq!(overflow.covers.members.len(), 1000 - NEW_PER_NOTIFICATION);
    let told = events.last().expect("the overflow's opening");
    assert_eq!(
        told.headline(),
        format!(
            "{} probes fail: past the relay's caps of new incidents",
            1000 - NEW_PER_NOTIFICATION
        )
    );
    // The panel's own probes are never held back, whatever came before.
    let (events, _) = run(
        &mut state,
        &notification(&[("firing", Q, "home", T1), ("firing", Q, "public-dns", T1)]),
    );
    assert_eq!(opened(&events), ["home", "public-dns"]);
    // Half the listed alerts resolve: the list follows, one word for the notification.
    let (events, _) = run(&mut state, &services("resolved", 500, 500));
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event, EventKind::Affected);
    assert_eq!(events[0].covers.members.len(), 500 - NEW_PER_NOTIFICATION);
    // The rest resolve: the overflow incident closes with them, and the own ones each.
    let (events, _) = run(&mut state, &services("resolved", 0, 500));
    let resolved: Vec<&str> = events
        .iter()
        .filter(|e| e.event == EventKind::Resolved)
        .map(|e| e.probe.as_str())
        .collect();
    assert_eq!(resolved.len(), NEW_PER_NOTIFICATION + 1, "{resolved:?}");
    assert!(resolved.contains(&OVERFLOW));
    assert_eq!(state.core.incidents.len(), 2, "home and public-dns");
}

#[test]
fn new_incidents_are_capped_per_hour_and_open_at_once() {
    let mut state = LoopState::default();
    let hour = 3600;
    let mut own = 0;
    // Notifications of one new alert each, as Alertmanager's route sends them.
    for i in 0..NEW_PER_HOUR + 5 {
        let (events, _) = run(&mut state, &services("firing", i, 1));
        own += opened(&events).iter().filter(|p| **p != OVERFLOW).count();
    }
    assert_eq!(own, NEW_PER_HOUR);
    assert_eq!(state.core.incidents[OVERFLOW].covers.members.len(), 5);
    // An hour later the hourly cap is free again; the open ones count until the cap of
    // those open at once.
    let mut next = NEW_PER_HOUR + 5;
    for h in 1..=UNCONFIRMED_OPEN.div_ceil(NEW_PER_HOUR) + 1 {
        for _ in 0..NEW_PER_HOUR {
            run_at(
                &mut state,
                &services("firing", next, 1),
                NOW_S + h as i64 * hour,
            );
            next += 1;
        }
    }
    let open_own = state
        .core
        .incidents
        .keys()
        .filter(|k| *k != OVERFLOW)
        .count();
    assert_eq!(open_own, UNCONFIRMED_OPEN);
    assert_eq!(
        state.core.incidents[OVERFLOW].covers.members.len(),
        next - UNCONFIRMED_OPEN
    );
}

#[test]
fn past_a_full_overflow_list_alerts_are_ignored_with_why() {
    let mut state = LoopState::default();
    run(&mut state, &services("firing", 0, 1000));
    let (events, applied) = run(&mut state, &services("firing", 1000, 1000));
    let listed = state.core.incidents[OVERFLOW].covers.members.len();
    assert_eq!(listed, MAX_MEMBERS);
    let affected = events.iter().filter(|e| e.event == EventKind::Affected);
    assert_eq!(affected.count(), 1, "the list changed, said once");
    assert_eq!(opened(&events).len(), NEW_PER_NOTIFICATION);
    assert_eq!(
        applied.ignored_count,
        2000 - MAX_MEMBERS - 2 * NEW_PER_NOTIFICATION
    );
    assert!(
        applied.ignored[0].contains("past the caps of new incidents"),
        "{:?}",
        applied.ignored
    );
}

#[test]
fn a_reminder_comes_once_per_period() {
    let mut state = LoopState::default();
    run(&mut state, &notification(&[("firing", Q, "home", T1)]));
    let told = jiff::Timestamp::from_second(NOW_S).unwrap();
    let hour = std::time::Duration::from_secs(3600);
    let at = |s: i64| told + jiff::SignedDuration::from_secs(s);
    assert!(reminders(&mut state.core, ("herodemo", "external"), hour, at(3599)).is_empty());
    let events = reminders(&mut state.core, ("herodemo", "external"), hour, at(3600));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, EventKind::Reminder);
    assert!(reminders(&mut state.core, ("herodemo", "external"), hour, at(3601)).is_empty());
}

#[test]
fn the_overflow_is_kept_in_the_log_as_any_incident() {
    let mut state = LoopState::default();
    run(&mut state, &services("firing", 0, NEW_PER_NOTIFICATION + 1));
    run(
        &mut state,
        &services("resolved", 0, NEW_PER_NOTIFICATION + 1),
    );
    let past: Vec<&PastIncident> = state
        .core
        .log
        .iter()
        .filter(|p| p.key() == OVERFLOW)
        .collect();
    assert_eq!(past.len(), 1);
    assert_eq!(
        past[0].probes(),
        [format!("health-s{NEW_PER_NOTIFICATION:05}")]
    );
    assert!(state.core.incidents.is_empty());
}
