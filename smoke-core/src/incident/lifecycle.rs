//! From a tick's report to events: thresholds, reminders, cause changes, recoveries.

use super::event::{Event, EventKind};
use super::state::{Incident, State};
use crate::outcome::{Outcome, ProbeReport, RunReport};
use crate::probe::ProbeInfo;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Which probes of the side a report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Every probe of the side: an incident whose probe is not in it (the probe left the panel,
    /// its service is gone) is resolved rather than left open for ever.
    Everything,
    /// Some (`--only`, services that could not be listed, a re-check after a restart): the
    /// incidents of the others are left as they are.
    Some,
}

/// When a passing probe's incident resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// After the probe's `success_threshold` of passing ticks.
    AfterThreshold,
    /// At once: the probe passed the check that follows a restart of its service.
    Now,
}

/// What incident handling is told besides the results: reports carry what was observed, never
/// the settings of the probes that observed it.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Each probe's settings (thresholds, severity, target), by name.
    pub probes: &'a HashMap<String, ProbeInfo>,
    /// Spaces the reminders of an open incident.
    pub remind_every: Duration,
    pub seen: Seen,
    pub resolve: Resolve,
}

/// Counts the tick into the state and says what happened.
pub fn advance(state: &mut State, report: &RunReport, policy: &Policy<'_>) -> Vec<Event> {
    let remind_every = policy.remind_every;
    let now = report.started_at;
    let mut events = Vec::new();
    let unknown = ProbeInfo::new("", "");
    for p in &report.probes {
        // A probe the policy does not know (it was never planned) counts with the defaults.
        let info = policy.probes.get(&p.name).unwrap_or(&unknown);
        let failure_threshold = info.failure_threshold;
        let success_threshold = match policy.resolve {
            Resolve::AfterThreshold => info.success_threshold,
            Resolve::Now => 1,
        };
        let ps = state.probes.entry(p.name.clone()).or_default();
        let failing = matches!(p.outcome, Outcome::Fail | Outcome::Error);
        if failing {
            ps.failures = ps.failures.saturating_add(1);
            ps.successes = 0;
        } else {
            ps.successes = ps.successes.saturating_add(1);
            ps.failures = 0;
        }
        let event = |kind, incident: &Incident, previous: Option<String>| Event {
            cause: p.cause,
            phase: p.phase,
            detail: p.detail.clone().unwrap_or_default(),
            previous_cause: previous,
            status: p.status,
            conditions: p.conditions.iter().filter(|c| !c.passed).cloned().collect(),
            target: info.target.clone(),
            timings: serde_json::to_value(&p.timings).unwrap_or_default(),
            ..Event::about(kind, (&report.panel, &report.mode), &p.name, incident, now)
        };
        match (&mut ps.incident, failing) {
            // A symptom of a failing dependency opens nothing: its root's incident tells it.
            (None, true) if ps.failures >= failure_threshold && p.caused_by.is_none() => {
                let incident = Incident {
                    id: format!(
                        "{}/{}/{}/{}",
                        report.panel,
                        report.mode,
                        p.name,
                        now.as_millisecond()
                    ),
                    opened_at: now,
                    cause: p.cause,
                    detail: p.detail.clone().unwrap_or_default(),
                    severity: info.severity,
                    last_told: now,
                };
                events.push(event(EventKind::Opened, &incident, None));
                ps.incident = Some(incident);
            }
            (Some(incident), true) => {
                if incident.cause != p.cause {
                    let previous = incident.cause.map(|c| c.as_str().to_string());
                    incident.cause = p.cause;
                    incident.detail = p.detail.clone().unwrap_or_default();
                    incident.last_told = now;
                    events.push(event(EventKind::CauseChanged, incident, previous));
                } else if elapsed(incident.last_told, now) >= remind_every {
                    incident.detail = p.detail.clone().unwrap_or_default();
                    incident.last_told = now;
                    events.push(event(EventKind::Reminder, incident, None));
                }
                events.push(event(EventKind::Firing, incident, None));
            }
            (Some(incident), false) if ps.successes >= success_threshold => {
                let mut resolved = event(EventKind::Resolved, incident, None);
                resolved.detail = resolved_detail(p);
                events.push(resolved);
                ps.incident = None;
            }
            _ => {}
        }
    }
    if policy.seen == Seen::Everything {
        let seen: HashSet<&str> = report.probes.iter().map(|p| p.name.as_str()).collect();
        for (name, ps) in state.probes.iter_mut() {
            if seen.contains(name.as_str()) {
                continue;
            }
            if let Some(incident) = ps.incident.take() {
                events.push(Event {
                    cause: None,
                    detail: "no longer probed: the probe left the panel or its service is gone"
                        .to_string(),
                    ..Event::about(
                        EventKind::Resolved,
                        (&report.panel, &report.mode),
                        name,
                        &incident,
                        now,
                    )
                });
            }
        }
        state
            .probes
            .retain(|name, ps| ps.incident.is_some() || seen.contains(name.as_str()));
    }
    events
}

fn elapsed(from: jiff::Timestamp, to: jiff::Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

fn resolved_detail(p: &ProbeReport) -> String {
    match p.outcome {
        Outcome::Degraded => format!(
            "passing again, degraded: {}",
            p.detail.clone().unwrap_or_default()
        ),
        _ => "passing again".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Cause, Failure, ProbeReport};

    fn report(at: i64, probes: Vec<ProbeReport>) -> RunReport {
        RunReport {
            panel: "p".into(),
            mode: "internal".into(),
            started_at: jiff::Timestamp::from_second(at).unwrap(),
            duration_ms: Duration::ZERO,
            outcome: Outcome::Ok,
            probes,
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
                info.failure_threshold = threshold;
                info.success_threshold = threshold;
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
        assert!(s.probes["biz"].incident.is_none());
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
}
