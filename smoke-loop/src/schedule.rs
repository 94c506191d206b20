//! Probes that run less often than their panel (`every = "30m"` on a probe, for a browser's
//! cost): a tick runs such a probe when its period has passed since its last run, kept in
//! `state.json`, and leaves it out otherwise. A probe that is failing runs every tick, so its
//! healing is seen at the panel's pace; `--only` naming it runs it at once.

use jiff::{SignedDuration, Timestamp};
use smoke_core::engine::{later, Plan, Planned};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Why a probe waits, and until when.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub probe: String,
    pub every: Duration,
    pub next: Timestamp,
}

/// The probes of `plan` not due at `now`: each with an `every` of its own, run less than that
/// ago (`last_run`), and not failing. A probe is due half a panel period early, so the loop's
/// jitter never pushes a 30-minute probe on a 5-minute loop to 35 minutes.
pub fn waiting(
    plan: &Plan,
    last_run: &BTreeMap<String, Timestamp>,
    failing: impl Fn(&str) -> bool,
    panel_every: Duration,
    now: Timestamp,
) -> Vec<Waiting> {
    let slack = panel_every / 2;
    plan.probes()
        .iter()
        .filter_map(|p| {
            let info = p.probe().info();
            let every = info.settings.every?;
            let last = *last_run.get(&info.name)?;
            if failing(&info.name) {
                return None;
            }
            let due_at = later(last, every.saturating_sub(slack))?;
            (now < due_at).then(|| Waiting {
                probe: info.name.clone(),
                every,
                next: later(last, every).unwrap_or(due_at),
            })
        })
        .collect()
}

/// Leaves the waiting probes out of `plan`, with one line in the tick's report naming them.
pub fn leave_out(plan: &mut Plan, waiting: &[Waiting], now: Timestamp) {
    if waiting.is_empty() {
        return;
    }
    let names: HashSet<&str> = waiting.iter().map(|w| w.probe.as_str()).collect();
    let mut listed: Vec<String> = waiting
        .iter()
        .take(LISTED)
        .map(|w| {
            let left = now.duration_until(w.next).max(SignedDuration::ZERO);
            format!(
                "{} (every {}, next in {})",
                w.probe,
                smoke_core::engine::format_duration(w.every),
                roughly(left.unsigned_abs())
            )
        })
        .collect();
    if waiting.len() > LISTED {
        listed.push(format!("and {} more", waiting.len() - LISTED));
    }
    plan.leave_out(
        |p: &Planned| !names.contains(p.probe().info().name.as_str()),
        format!("not due this tick: {}", listed.join(", ")),
    );
}

/// A wait as a person reads it: to the minute once it is a minute or more.
fn roughly(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        _ if s % 3600 < 60 => format!("{}h", s / 3600),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// The most waiting probes a tick's note names.
const LISTED: usize = 10;

/// Notes the run of every probe of `ran` at `at`, and forgets the probes no longer planned
/// (`planned`, when the tick planned every probe): the file holds the panel's probes only.
pub fn ran<'a>(
    last_run: &mut BTreeMap<String, Timestamp>,
    ran: impl Iterator<Item = &'a str>,
    with_every: &HashSet<String>,
    planned: Option<&HashSet<String>>,
    at: Timestamp,
) {
    for name in ran.filter(|n| with_every.contains(*n)) {
        last_run.insert(name.to_string(), at);
    }
    if let Some(planned) = planned {
        last_run.retain(|name, _| planned.contains(name) && with_every.contains(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_reads_to_the_minute() {
        let at = |s| roughly(Duration::from_secs(s));
        assert_eq!(at(42), "42s");
        assert_eq!(at(3599), "59m");
        assert_eq!(at(3600), "1h");
        assert_eq!(at(5400), "1h30m");
    }

    #[test]
    fn runs_are_kept_for_probes_with_a_period_and_forgotten_when_they_leave_the_panel() {
        let mut last = BTreeMap::new();
        let at: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let with_every: HashSet<String> = ["slow".to_string()].into();
        ran(
            &mut last,
            ["slow", "fast"].into_iter(),
            &with_every,
            None,
            at,
        );
        assert_eq!(last.keys().collect::<Vec<_>>(), ["slow"]);
        // A tick of some probes (--only) forgets nothing; a whole one forgets the gone.
        ran(&mut last, std::iter::empty(), &HashSet::new(), None, at);
        assert_eq!(last.len(), 1);
        let planned: HashSet<String> = ["fast".to_string()].into();
        ran(
            &mut last,
            std::iter::empty(),
            &HashSet::new(),
            Some(&planned),
            at,
        );
        assert!(last.is_empty());
    }
}
