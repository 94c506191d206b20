//! Whether to restart: only services with a failing probe whose incident is open, one restart
//! per service however many of its probes fail, never inside the cooldown, never past the daily
//! limit.

use crate::loop_state::LoopState;
use smoke_core::engine::{format_duration, Restart};
use smoke_core::prelude::{Outcome, RunReport};
use std::collections::BTreeMap;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Go,
    /// Not restarted, and why, in words.
    Skip(String),
}

/// One service's restart question and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub service: String,
    /// Its failing probes with open incidents.
    pub probes: Vec<String>,
    pub restart: Restart,
    pub verdict: Verdict,
}

/// What to restart after this tick. `remedies` maps probe names to their service and restart;
/// `hold` is why no restart may happen now at all (`--no-remedy`, a maintenance window).
pub fn decide(
    report: &RunReport,
    state: &LoopState,
    remedies: &BTreeMap<String, (String, Restart)>,
    hold: Option<&str>,
) -> Vec<Decision> {
    let mut by_service: BTreeMap<&str, (Vec<String>, &Restart)> = BTreeMap::new();
    let covered = state.core.covered();
    for p in report.probes() {
        // A symptom restarts nothing: its root is what is broken.
        let failing =
            matches!(p.outcome(), Outcome::Fail | Outcome::Error) && p.caused_by().is_none();
        let open = covered.contains(p.name());
        if let (true, true, Some((service, restart))) = (failing, open, remedies.get(p.name())) {
            by_service
                .entry(service)
                .or_insert_with(|| (Vec::new(), restart))
                .0
                .push(p.name().to_string());
        }
    }
    let now = report.started_at();
    by_service
        .into_iter()
        .map(|(service, (probes, restart))| {
            let verdict = match hold {
                Some(why) => Verdict::Skip(why.to_string()),
                None => limit(state.restarts.get(service), restart, now),
            };
            Decision {
                service: service.to_string(),
                probes,
                restart: restart.clone(),
                verdict,
            }
        })
        .collect()
}

fn limit(history: Option<&Vec<jiff::Timestamp>>, r: &Restart, now: jiff::Timestamp) -> Verdict {
    let ago = |t: &jiff::Timestamp| Duration::try_from(now.duration_since(*t)).unwrap_or_default();
    let today: Vec<&jiff::Timestamp> = history
        .into_iter()
        .flatten()
        .filter(|t| ago(t) < DAY)
        .collect();
    if let Some(last) = today.iter().max() {
        if ago(last) < r.cooldown {
            return Verdict::Skip(format!(
                "the last restart was {} ago, inside the {} cooldown",
                format_duration(ago(last)),
                format_duration(r.cooldown)
            ));
        }
    }
    if today.len() as u32 >= r.max_per_day {
        return Verdict::Skip(format!(
            "refused: {} restarts in the last 24 h already (max_restarts = {})",
            today.len(),
            r.max_per_day
        ));
    }
    Verdict::Go
}

/// Keeps the restarts of the last 24 hours, the rest is history nobody limits on.
pub fn record(state: &mut LoopState, service: &str, at: jiff::Timestamp) {
    let list = state.restarts.entry(service.to_string()).or_default();
    list.push(at);
    list.retain(|t| Duration::try_from(at.duration_since(*t)).unwrap_or_default() < DAY);
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::engine::Remedy;
    use smoke_core::engine::{Incident, ProbeState};
    use smoke_core::prelude::Severity;
    use smoke_core::prelude::{Cause, Failure, ProbeReport};

    fn restart() -> Restart {
        Restart {
            remedy: Remedy::Argv(vec!["hero_proc".into()]),
            cooldown: Duration::from_secs(1800),
            max_per_day: 3,
            settle: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }

    fn at(s: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_000_000 + s).unwrap()
    }

    fn setup(failing: &[&str]) -> (RunReport, LoopState, BTreeMap<String, (String, Restart)>) {
        let mut state = LoopState::default();
        let mut probes = Vec::new();
        for name in failing {
            let mut r = ProbeReport::new(*name);
            r.fail(Failure::new(Cause::Timeout, "hung"));
            probes.push(r);
            state.core.probes.insert(
                name.to_string(),
                ProbeState {
                    failures: 1,
                    successes: 0,
                },
            );
            let mut incident = Incident::new(
                format!("i-{name}"),
                at(0),
                Severity::Critical,
                vec![name.to_string()],
            );
            incident.cause = Some(Cause::Timeout);
            state.core.incidents.insert(name.to_string(), incident);
        }
        let report = RunReport::made("p", "internal", at(0), probes);
        let remedies = failing
            .iter()
            .map(|n| (n.to_string(), ("hero_foundry".to_string(), restart())))
            .collect();
        (report, state, remedies)
    }

    #[test]
    fn two_failing_probes_of_one_service_make_one_restart() {
        let (report, state, remedies) = setup(&["photos", "health-hero_foundry"]);
        let d = decide(&report, &state, &remedies, None);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].service, "hero_foundry");
        assert_eq!(d[0].probes.len(), 2);
        assert_eq!(d[0].verdict, Verdict::Go);
    }

    #[test]
    fn the_cooldown_and_the_daily_limit_hold_restarts_back_and_say_so() {
        let (mut report, mut state, remedies) = setup(&["photos"]);
        record(&mut state, "hero_foundry", at(-600));
        match &decide(&report, &state, &remedies, None)[0].verdict {
            Verdict::Skip(why) => {
                assert!(why.contains("10m ago, inside the 30m cooldown"), "{why}")
            }
            v => panic!("{v:?}"),
        }
        state.restarts.clear();
        for h in [20, 15, 10] {
            record(&mut state, "hero_foundry", at(-h * 3600));
        }
        report.set_started_at(at(0));
        match &decide(&report, &state, &remedies, None)[0].verdict {
            Verdict::Skip(why) => assert!(
                why.starts_with("refused: 3 restarts in the last 24 h"),
                "{why}"
            ),
            v => panic!("{v:?}"),
        }
        let held = decide(
            &report,
            &LoopState {
                restarts: Default::default(),
                ..state
            },
            &remedies,
            Some("--no-remedy"),
        );
        assert_eq!(held[0].verdict, Verdict::Skip("--no-remedy".into()));
    }

    #[test]
    fn no_restart_without_an_open_incident() {
        let (report, mut state, remedies) = setup(&["photos"]);
        state.core.incidents.remove("photos");
        assert!(decide(&report, &state, &remedies, None).is_empty());
    }
}
