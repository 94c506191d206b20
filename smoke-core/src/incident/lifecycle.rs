//! From a tick's report to events: thresholds, reminders, cause changes, recoveries.

use super::event::{Event, EventKind};
use super::state::{Incident, State};
use crate::outcome::{Outcome, ProbeReport, RunReport};
use std::collections::HashSet;
use std::time::Duration;

/// Counts the tick into the state and says what happened. Each probe's report carries its
/// thresholds; `remind_every` spaces the reminders of an open incident; `complete`
/// says the report holds every probe of the side (no `--only`), so an incident whose probe is no
/// longer in it can be resolved rather than left open for ever.
pub fn advance(
    state: &mut State,
    report: &RunReport,
    remind_every: Duration,
    complete: bool,
) -> Vec<Event> {
    let now = report.started_at;
    let mut events = Vec::new();
    for p in &report.probes {
        let (failure_threshold, success_threshold) = p.thresholds;
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
            target: p.target.clone(),
            timings: serde_json::to_value(&p.timings).unwrap_or_default(),
            ..Event::about(kind, (&report.panel, &report.mode), &p.name, incident, now)
        };
        match (&mut ps.incident, failing) {
            (None, true) if ps.failures >= failure_threshold => {
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
                    severity: p.severity,
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
    if complete {
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

    #[test]
    fn a_fault_held_for_five_ticks_opens_once_reminds_on_schedule_and_resolves_with_its_duration() {
        let mut s = State::default();
        let remind = Duration::from_secs(1200);
        let mut all = Vec::new();
        for tick in 0..5 {
            all.push(kinds(&advance(
                &mut s,
                &report(tick * 600, vec![failed("biz", Cause::Rpc)]),
                remind,
                true,
            )));
        }
        use EventKind::*;
        assert_eq!(
            all,
            vec![vec![Opened], vec![], vec![Reminder], vec![], vec![Reminder]]
        );
        let healed = advance(&mut s, &report(3000, vec![ok("biz")]), remind, true);
        assert_eq!(kinds(&healed), [Resolved]);
        assert_eq!(healed[0].duration_s, Some(3000));
        assert_eq!(healed[0].duration_text().as_deref(), Some("50m 0s"));
        assert!(s.probes["biz"].incident.is_none());
    }

    #[test]
    fn thresholds_hold_back_opening_and_resolving() {
        let mut s = State::default();
        let two = |mut r: ProbeReport| {
            r.thresholds = (2, 2);
            r
        };
        let d = Duration::from_secs(3600);
        assert!(kinds(&advance(
            &mut s,
            &report(0, vec![two(failed("biz", Cause::Http))]),
            d,
            true
        ))
        .is_empty());
        assert_eq!(
            kinds(&advance(
                &mut s,
                &report(1, vec![two(failed("biz", Cause::Http))]),
                d,
                true
            )),
            [EventKind::Opened]
        );
        assert!(kinds(&advance(&mut s, &report(2, vec![two(ok("biz"))]), d, true)).is_empty());
        assert_eq!(
            kinds(&advance(&mut s, &report(3, vec![two(ok("biz"))]), d, true)),
            [EventKind::Resolved]
        );
    }

    #[test]
    fn a_new_cause_is_told_and_a_vanished_probe_resolves() {
        let mut s = State::default();
        let d = Duration::from_secs(3600);
        advance(
            &mut s,
            &report(0, vec![failed("ui", Cause::Connect)]),
            d,
            true,
        );
        let e = advance(
            &mut s,
            &report(1, vec![failed("ui", Cause::Timeout)]),
            d,
            true,
        );
        assert_eq!(kinds(&e), [EventKind::CauseChanged]);
        assert_eq!(e[0].previous_cause.as_deref(), Some("connect"));
        let partial = advance(&mut s, &report(2, vec![]), d, false);
        assert!(
            partial.is_empty(),
            "--only runs leave other incidents alone"
        );
        let gone = advance(&mut s, &report(3, vec![]), d, true);
        assert_eq!(kinds(&gone), [EventKind::Resolved]);
        assert!(gone[0].detail.contains("no longer probed"));
    }
}
