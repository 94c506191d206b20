//! From a tick's report to events: thresholds, reminders, cause changes, recoveries, and which
//! incident each failure belongs to (its own, its root's, or its group's).
//!
//! What each of those does to an incident is written once, in [`Transitions`]: [`advance`]
//! (the tick's input) and the relay (quorum alerts) both call it, and each decides only when.

mod transitions;

pub use transitions::{Opening, Transitions};

use super::event::{Event, EventKind};
use super::signature::{signature, Signature};
use super::state::{Incident, State};
use crate::outcome::{Outcome, ProbeReport, RunReport, Severity};
use crate::probe::ProbeInfo;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// What counts as seeing a probe this tick.
    pub seen: Seen,
    /// When an incident of a probe no longer in the panel resolves.
    pub resolve: Resolve,
}

/// Counts the tick into the state and says what happened: incidents resolved (a member left
/// when it passed), then each incident still open or newly opened, in key order. A failure the
/// report marks unproven (`proven: false`: it never passed on this deployment, its caller
/// keeps that) opens no incident.
pub fn advance(state: &mut State, report: &RunReport, policy: &Policy<'_>) -> Vec<Event> {
    let tick = Tick::new(report, policy);
    for p in &report.probes {
        let ps = state.probes.entry(p.name.clone()).or_default();
        if failing(p) {
            ps.failures = ps.failures.saturating_add(1);
            ps.successes = 0;
        } else {
            ps.successes = ps.successes.saturating_add(1);
            ps.failures = 0;
        }
    }
    let before: HashMap<String, (Vec<String>, Vec<String>)> = state
        .incidents
        .iter()
        .map(|(k, i)| {
            (
                k.clone(),
                (i.covers.members.clone(), i.covers.affected.clone()),
            )
        })
        .collect();
    let mut events = tick.leave_and_resolve(state);
    let opened = tick.open_new(state);
    // A probe is covered by one incident: one with its own is not listed on its root's too.
    let covered: HashSet<String> = state.covered().into_iter().map(str::to_string).collect();
    let keys: Vec<String> = state.incidents.keys().cloned().collect();
    for key in keys {
        let incident = state.incidents.get_mut(&key).expect("a key just listed");
        if tick.sees_everything || opened.contains(&key) {
            incident.covers.affected = tick.caused_by(&incident.covers.members, &covered);
        }
        // A key resolved and opened again in one tick (a group whose members all left, and
        // others of its signature failed) is a new incident: it opens.
        match before.get(&key).filter(|_| !opened.contains(&key)) {
            None => events.push(tick.event(EventKind::Opened, &key, incident, None)),
            Some(was) => events.extend(tick.still_open(&key, incident, was)),
        }
    }
    if tick.sees_everything {
        let seen = &tick.by_name;
        state
            .probes
            .retain(|name, _| seen.contains_key(name.as_str()));
    }
    events
}

fn failing(p: &ProbeReport) -> bool {
    matches!(p.outcome, Outcome::Fail | Outcome::Error)
}

/// The failing dependency `p`'s failure is a symptom of, unless that one is unproven: an
/// unproven root opens no incident, so its symptoms open their own rather than be silenced by
/// a probe that may be wrong.
fn root<'r>(p: &'r ProbeReport, by_name: &HashMap<&str, &ProbeReport>) -> Option<&'r str> {
    let root = p.caused_by.as_deref()?;
    by_name.get(root).is_none_or(|r| r.proven).then_some(root)
}

/// One tick's view: the report by name, the settings, the time.
struct Tick<'a> {
    report: &'a RunReport,
    policy: &'a Policy<'a>,
    by_name: HashMap<&'a str, &'a ProbeReport>,
    /// Failing probes by the root they are caused by, in report order.
    children: HashMap<&'a str, Vec<&'a str>>,
    sees_everything: bool,
    transitions: Transitions<'a>,
    unknown: ProbeInfo,
}

impl<'a> Tick<'a> {
    fn new(report: &'a RunReport, policy: &'a Policy<'a>) -> Self {
        let by_name: HashMap<&str, &ProbeReport> =
            report.probes.iter().map(|p| (p.name.as_str(), p)).collect();
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for p in report.probes.iter().filter(|p| failing(p)) {
            if let Some(root) = root(p, &by_name) {
                children.entry(root).or_default().push(&p.name);
            }
        }
        Tick {
            report,
            policy,
            by_name,
            children,
            sees_everything: policy.seen == Seen::Everything,
            transitions: Transitions {
                panel: &report.panel,
                mode: &report.mode,
                now: report.started_at,
            },
            unknown: ProbeInfo::new("", ""),
        }
    }

    /// A probe the policy does not know (it was never planned) counts with the defaults.
    fn info(&self, name: &str) -> &ProbeInfo {
        self.policy.probes.get(name).unwrap_or(&self.unknown)
    }

    fn success_threshold(&self, name: &str) -> u32 {
        match self.policy.resolve {
            Resolve::AfterThreshold => self.info(name).settings.success_threshold,
            Resolve::Now => 1,
        }
    }

    /// Whether `member` leaves its incident: it passed long enough, or it is no longer probed.
    fn leaves(&self, state: &State, member: &str) -> bool {
        match self.by_name.get(member) {
            Some(p) if failing(p) => false,
            Some(_) => state
                .probes
                .get(member)
                .is_some_and(|ps| ps.successes >= self.success_threshold(member)),
            None => self.sees_everything,
        }
    }

    /// Members that passed (or are gone) leave; an incident left with none resolves, into the
    /// log.
    fn leave_and_resolve(&self, state: &mut State) -> Vec<Event> {
        let mut events = Vec::new();
        let mut resolved = Vec::new();
        for (key, incident) in &state.incidents {
            let staying = incident
                .covers
                .members
                .iter()
                .filter(|m| !self.leaves(state, m))
                .count();
            if staying == 0 {
                resolved.push(key.clone());
            }
        }
        for key in resolved {
            let incident = &state.incidents[&key];
            let lead = incident
                .covers
                .members
                .iter()
                .find_map(|m| self.by_name.get(m.as_str()).copied());
            let detail = match (lead, &incident.covers.group) {
                (None, _) => {
                    "no longer probed: the probe left the panel or its service is gone".to_string()
                }
                (Some(p), None) => resolved_detail(p),
                (Some(_), Some(_)) => "every probe of the group passes again".to_string(),
            };
            let resolved = self.transitions.resolve(state, &key, detail);
            let mut event = self.saw(resolved.expect("a key just listed"), None);
            // A group's headline is said with its cause ("with HTTP 502"): it keeps the one it
            // opened with, so the resolution names the same group.
            if event.covers.group.is_none() {
                event.cause = lead.and_then(|p| p.cause);
            }
            events.push(event);
        }
        let staying: Vec<(String, Vec<String>)> = state
            .incidents
            .iter()
            .map(|(k, i)| {
                let kept = i
                    .covers
                    .members
                    .iter()
                    .filter(|m| !self.leaves(state, m))
                    .cloned();
                (k.clone(), kept.collect())
            })
            .collect();
        for (key, members) in staying {
            if let Some(incident) = state.incidents.get_mut(&key) {
                incident.covers.members = members;
            }
        }
        events
    }

    /// New failures past their threshold that no incident covers and that no other failure
    /// causes: each joins the open group of its signature, or makes a group with the others of
    /// its signature on two or more targets, or opens an incident of its own. Returns the keys
    /// of the incidents opened.
    fn open_new(&self, state: &mut State) -> HashSet<String> {
        let covered: HashSet<&str> = state
            .incidents
            .values()
            .flat_map(|i| i.covers.members.iter().map(String::as_str))
            .collect();
        let new: Vec<&ProbeReport> = self
            .report
            .probes
            .iter()
            .filter(|p| failing(p) && p.proven && !covered.contains(p.name.as_str()))
            .filter(|p| root(p, &self.by_name).is_none())
            .filter(|p| {
                state.probes.get(&p.name).map_or(0, |ps| ps.failures)
                    >= self.info(&p.name).settings.failure_threshold
            })
            .collect();
        let mut alone: Vec<&ProbeReport> = Vec::new();
        let mut by_signature: BTreeMap<String, (Signature, Vec<&ProbeReport>)> = BTreeMap::new();
        let mut joined = HashSet::new();
        for p in new {
            match signature(p) {
                Some(s)
                    if state
                        .incidents
                        .get(&s.key)
                        .is_some_and(|i| i.covers.group.is_some()) =>
                {
                    let group = state.incidents.get_mut(&s.key).expect("just found");
                    group.covers.members.push(p.name.clone());
                    joined.insert(s.key);
                }
                Some(s) => by_signature
                    .entry(s.key.clone())
                    .or_insert_with(|| (s, Vec::new()))
                    .1
                    .push(p),
                None => alone.push(p),
            }
        }
        for key in joined {
            if let Some(group) = state.incidents.get_mut(&key) {
                group.covers.members.sort();
            }
        }
        let mut opened = HashSet::new();
        for (key, (s, members)) in by_signature {
            let targets: HashSet<&str> = members
                .iter()
                .map(|p| self.info(&p.name).target.as_str())
                .collect();
            if targets.len() < 2 || state.incidents.contains_key(&key) {
                alone.extend(members);
                continue;
            }
            let mut names: Vec<String> = members.iter().map(|p| p.name.clone()).collect();
            names.sort();
            // As loud as its loudest member.
            let severity = members
                .iter()
                .map(|p| self.info(&p.name).settings.severity)
                .find(|s| *s == Severity::Critical)
                .unwrap_or(Severity::Warning);
            // The first member by name speaks for it, in its events too.
            let first = members
                .iter()
                .min_by(|a, b| a.name.cmp(&b.name))
                .expect("a group has members");
            let opening = Opening {
                key: key.clone(),
                opened_at: self.transitions.now,
                severity,
                members: names,
                group: Some(s.text),
                cause: first.cause,
                detail: first.detail.clone().unwrap_or_default(),
            };
            self.transitions.open(state, opening);
            opened.insert(key);
        }
        for p in alone {
            // A probe's own key is its name; the panel refuses names that look like a group's.
            if state.incidents.contains_key(&p.name) {
                continue;
            }
            let opening = Opening {
                key: p.name.clone(),
                opened_at: self.transitions.now,
                severity: self.info(&p.name).settings.severity,
                members: vec![p.name.clone()],
                group: None,
                cause: p.cause,
                detail: p.detail.clone().unwrap_or_default(),
            };
            self.transitions.open(state, opening);
            opened.insert(p.name.clone());
        }
        opened
    }

    /// Failing probes of this tick caused by one of `members`, sorted, but for those that are
    /// members of an incident (`covered`).
    fn caused_by(&self, members: &[String], covered: &HashSet<String>) -> Vec<String> {
        let mut out: Vec<String> = members
            .iter()
            .flat_map(|m| self.children.get(m.as_str()).into_iter().flatten())
            .filter(|c| !covered.contains(**c))
            .map(|c| c.to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The words for an incident still open: a new cause, a reminder, what it covers now, and
    /// the per-tick `firing`.
    fn still_open(
        &self,
        key: &str,
        incident: &mut Incident,
        (members, affected): &(Vec<String>, Vec<String>),
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let changed = &incident.covers.members != members || &incident.covers.affected != affected;
        let lead = incident
            .covers
            .members
            .iter()
            .filter_map(|m| self.by_name.get(m.as_str()).copied())
            .find(|p| failing(p));
        let Some(lead) = lead else {
            // No member failing this tick (passing below its threshold, or not re-checked):
            // nothing to tell but a change of the probes it covers.
            if changed {
                events.push(self.event(EventKind::Affected, key, incident, None));
            }
            return events;
        };
        // A group quotes a member still in it: the one it quoted may just have left.
        if incident.covers.group.is_some() && &incident.covers.members != members {
            incident.detail = lead.detail.clone().unwrap_or_default();
        }
        let said = lead.detail.clone().unwrap_or_default();
        let (t, alone) = (&self.transitions, incident.covers.group.is_none());
        let told = if alone && incident.cause != lead.cause {
            Some(t.change_cause(key, incident, lead.cause, said))
        } else {
            // A group's words change only with its members (above).
            t.remind(
                key,
                incident,
                self.policy.remind_every,
                alone.then_some(said),
            )
        };
        events.extend(told.map(|e| self.saw(e, Some(lead))));
        if changed {
            events.push(self.event(EventKind::Affected, key, incident, Some(lead)));
        }
        events.push(self.event(EventKind::Firing, key, incident, Some(lead)));
        events
    }

    /// An event about `incident`, with what `lead` (the failing member that speaks for it this
    /// tick) saw.
    fn event(
        &self,
        kind: EventKind,
        key: &str,
        incident: &Incident,
        lead: Option<&ProbeReport>,
    ) -> Event {
        self.saw(self.transitions.event(kind, key, incident), lead)
    }

    /// Adds to a transition's event what this tick saw of it: what `lead` saw (a new
    /// incident's first member speaks for it), and one probe's target.
    fn saw(&self, mut event: Event, lead: Option<&ProbeReport>) -> Event {
        let lead = lead.or_else(|| {
            (event.event == EventKind::Opened)
                .then(|| {
                    event
                        .covers
                        .members
                        .iter()
                        .find_map(|m| self.by_name.get(m.as_str()).copied())
                })
                .flatten()
        });
        let alone = event.covers.group.is_none();
        if let Some(p) = lead.filter(|p| failing(p)) {
            event.phase = p.phase;
            event.status = p.status;
            event.conditions = p.conditions.iter().filter(|c| !c.passed).cloned().collect();
            event.timings = serde_json::to_value(&p.timings).unwrap_or_default();
            event.evidence = p.evidence.clone();
            // One probe's incident says what it says this tick; a group keeps the words it
            // was opened with, of a member still in it.
            if alone {
                event.detail = p.detail.clone().unwrap_or_default();
            }
        }
        if alone {
            event.target = self.info(&event.probe).target.clone();
        }
        event
    }
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
mod tests;
