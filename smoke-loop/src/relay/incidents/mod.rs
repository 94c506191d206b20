//! What the relay's alerts do to its incidents. Alertmanager repeats itself (every node of a
//! cluster sends, every group interval sends again) and orders nothing across its nodes, so
//! each word is taken once, in whatever order it comes:
//!
//! - A key (a probe, or `group:<slug>`) has one alert at a time, named by its `startsAt`:
//!   Alertmanager replaces an alert by a later one of the same labels. The latest start heard
//!   of (firing or resolved) is kept per key; a word about an earlier start is stale.
//! - The incident is open while the latest alert fires: a newer alert firing carries it on, a
//!   resolution of an older one changes nothing, the latest's resolution closes it.
//! - A resolution is remembered [`RESOLVED_KEEP`] (at most [`RESOLVED_MAX`] keys), so the
//!   firing copy another node sends late, before or after it, reopens nothing.
//!
//! New incidents for alerts the panel cannot confirm (a `for_each` probe's name with any
//! service, a group) are capped per notification, per hour and open at once; past a cap the
//! alert is listed in one overflow incident ([`OVERFLOW`]), which resolves when they all do.
//!
//! That is all the relay decides: what an incident opening, carrying on or resolving does (its
//! id, its times, the log, the event) is smoke-core's [`Transitions`], as for a tick's.

use super::alerts::{AlertStatus, Applied, Scope, Word, MAX_MEMBERS, OVERFLOW};
use crate::loop_state::{AlertMark, LoopState};
use smoke_core::engine::{Event, EventKind, Opening, State, Transitions};
use smoke_core::prelude::Severity;
use std::collections::HashSet;
use std::time::Duration;

/// How long a resolution is remembered: longer than Alertmanager keeps what it has notified
/// (`--data.retention`, 5 days by default), past which no node sends a copy.
pub const RESOLVED_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most resolved keys remembered; past it the longest resolved are forgotten first.
pub const RESOLVED_MAX: usize = 10_000;
/// New incidents for alerts the panel cannot confirm, at most, per notification...
pub const NEW_PER_NOTIFICATION: usize = 5;
/// ...per hour...
pub const NEW_PER_HOUR: usize = 30;
/// ...and open at once.
pub const UNCONFIRMED_OPEN: usize = 100;
/// The overflow incident's signature: its title is "N probes fail: <this>".
const OVERFLOW_SIGNATURE: &str = "past the relay's caps of new incidents";

/// Applies a notification's words to the relay's state: the events they make, and whether the
/// state changed (and must be saved).
pub fn apply(
    state: &mut LoopState,
    words: Vec<Word>,
    scope: &Scope,
    now: jiff::Timestamp,
    applied: &mut Applied,
) -> (Vec<Event>, bool) {
    let mut changed = carry_on(state);
    changed |= forget(state, now);
    let unconfirmed_open = state
        .core
        .incidents
        .keys()
        .filter(|k| *k != OVERFLOW && !scope.confirms(k))
        .count();
    let mut pass = Pass {
        state,
        transitions: Transitions {
            panel: &scope.panel,
            mode: scope.mode.as_str(),
            now,
        },
        applied,
        events: Vec::new(),
        changed,
        opened_here: 0,
        unconfirmed_open,
        overflow: Moved::No,
        left: HashSet::new(),
    };
    for word in words {
        match word.status {
            AlertStatus::Firing => pass.fire(word),
            AlertStatus::Resolved => pass.resolve(word),
        }
    }
    pass.tell_overflow();
    (pass.events, pass.changed)
}

/// One notification being applied.
struct Pass<'a> {
    state: &'a mut LoopState,
    transitions: Transitions<'a>,
    applied: &'a mut Applied,
    events: Vec<Event>,
    changed: bool,
    /// New incidents of unconfirmed alerts opened by this notification...
    opened_here: usize,
    /// ...and open now.
    unconfirmed_open: usize,
    overflow: Moved,
    /// Keys whose alerts resolved while listed in the overflow incident, taken off its list
    /// once the notification is applied (its last list is what the resolution tells).
    left: HashSet<String>,
}

/// What this notification did to the overflow incident's list.
#[derive(PartialEq)]
enum Moved {
    No,
    Opened,
    Changed,
}

impl Pass<'_> {
    fn fire(&mut self, word: Word) {
        let key = word.subject.key.clone();
        let mark = self.state.alerts.latest.get(&key).copied();
        if self.stale(&key, word.starts_at, mark) {
            self.applied.repeated += 1;
            return;
        }
        let firing = mark.is_some_and(|m| m.resolved_at.is_none());
        let fresh = AlertMark {
            starts_at: word.starts_at,
            resolved_at: None,
        };
        if firing {
            // Another copy, or a newer alert of a key already firing: its incident goes on.
            if mark.is_some_and(|m| m.starts_at != word.starts_at) {
                self.state.alerts.latest.insert(key.clone(), fresh);
                self.changed = true;
            }
            self.carry_on_group(&key, word);
            return;
        }
        if !word.subject.confirmed && !self.may_open() {
            if self.join_overflow(&key, word.subject.severity) {
                self.state.alerts.latest.insert(key, fresh);
                self.applied.overflowed += 1;
            } else {
                self.applied.ignore(format!(
                    "{key}: past the caps of new incidents, and {OVERFLOW} lists {MAX_MEMBERS} alerts already"
                ));
            }
            return;
        }
        let subject = word.subject;
        let (group, cause) = subject.group.map_or((None, None), |(s, c)| (Some(s), c));
        let opening = Opening {
            key: key.clone(),
            opened_at: word.starts_at,
            severity: subject.severity,
            members: subject.members,
            group,
            cause,
            detail: word.detail,
        };
        let t = self.transitions;
        let incident = t.open(&mut self.state.core, opening);
        self.events.push(t.event(EventKind::Opened, &key, incident));
        if !subject.confirmed {
            self.state.alerts.opened.push(t.now);
            self.opened_here += 1;
            self.unconfirmed_open += 1;
        }
        self.state.alerts.latest.insert(key.clone(), fresh);
        self.applied.opened.push(key);
        self.changed = true;
    }

    /// A firing word about an open incident: a group's list follows the rule's; else nothing.
    fn carry_on_group(&mut self, key: &str, word: Word) {
        let Some(open) = self.state.core.incidents.get_mut(key) else {
            // Listed in the overflow incident.
            self.applied.repeated += 1;
            return;
        };
        let moved = word.subject.group.is_some()
            && !word.subject.members.is_empty()
            && open.covers.members != word.subject.members;
        if !moved {
            self.applied.repeated += 1;
            return;
        }
        open.covers.members = word.subject.members;
        self.events
            .push(self.transitions.event(EventKind::Affected, key, open));
        self.changed = true;
    }

    fn resolve(&mut self, word: Word) {
        let key = word.subject.key;
        let mark = self.state.alerts.latest.get(&key).copied();
        if heard_past(mark, word.starts_at) {
            self.applied.repeated += 1;
            return;
        }
        // Remembered even when nothing fires: the firing copy may come after it.
        self.state.alerts.latest.insert(
            key.clone(),
            AlertMark {
                starts_at: word.starts_at,
                resolved_at: Some(self.transitions.now),
            },
        );
        self.changed = true;
        if mark.is_none_or(|m| m.resolved_at.is_some()) {
            self.applied.repeated += 1;
            return;
        }
        if !self.close(&key, "fewer vantage points than the quorum see it fail") {
            self.leave_overflow(&key);
            return;
        }
        if !word.subject.confirmed {
            self.unconfirmed_open = self.unconfirmed_open.saturating_sub(1);
        }
    }

    /// Resolves the incident of `key`, saying `detail`; false when none is open.
    fn close(&mut self, key: &str, detail: &str) -> bool {
        let resolved = self
            .transitions
            .resolve(&mut self.state.core, key, detail.to_string());
        let Some(event) = resolved else {
            return false;
        };
        self.events.push(event);
        self.applied.resolved.push(key.to_string());
        true
    }

    /// Whether a firing word about `starts_at` is older than what was heard of `key`: an
    /// earlier alert, or the latest one already resolved (by the relay's memory, or by the log
    /// of an older state).
    fn stale(&self, key: &str, starts_at: jiff::Timestamp, mark: Option<AlertMark>) -> bool {
        heard_past(mark, starts_at)
            || self
                .state
                .core
                .log
                .iter()
                .any(|p| p.key() == key && starts_at <= p.opened_at())
    }

    /// Whether an unconfirmed alert may open an incident of its own.
    fn may_open(&self) -> bool {
        self.opened_here < NEW_PER_NOTIFICATION
            && self.state.alerts.opened.len() < NEW_PER_HOUR
            && self.unconfirmed_open < UNCONFIRMED_OPEN
    }

    /// Lists `key` in the overflow incident (opening it); false when it lists the most already.
    fn join_overflow(&mut self, key: &str, severity: Severity) -> bool {
        let t = self.transitions;
        if !self.state.core.incidents.contains_key(OVERFLOW) {
            let opening = Opening {
                key: OVERFLOW.to_string(),
                opened_at: t.now,
                severity,
                members: Vec::new(),
                group: Some(OVERFLOW_SIGNATURE.to_string()),
                cause: None,
                detail: format!(
                    "new alerts past the relay's caps ({NEW_PER_NOTIFICATION} new incidents a notification, {NEW_PER_HOUR} an hour, {UNCONFIRMED_OPEN} open) for probes the panel cannot confirm or groups; each is listed here until it resolves"
                ),
            };
            t.open(&mut self.state.core, opening);
            self.overflow = Moved::Opened;
        }
        let overflow = self.state.core.incidents.get_mut(OVERFLOW);
        let members = &mut overflow.expect("just opened").covers.members;
        let Err(at) = members.binary_search_by(|m| m.as_str().cmp(key)) else {
            self.left.remove(key);
            return true;
        };
        if members.len() >= MAX_MEMBERS {
            return false;
        }
        members.insert(at, key.to_string());
        if self.overflow == Moved::No {
            self.overflow = Moved::Changed;
        }
        self.changed = true;
        true
    }

    fn leave_overflow(&mut self, key: &str) {
        let Some(overflow) = self.state.core.incidents.get(OVERFLOW) else {
            return;
        };
        if overflow
            .covers
            .members
            .binary_search_by(|m| m.as_str().cmp(key))
            .is_ok()
        {
            self.left.insert(key.to_string());
            if self.overflow == Moved::No {
                self.overflow = Moved::Changed;
            }
        }
    }

    /// One word on the overflow incident for the whole notification, with its list as it
    /// ends: opened, changed, or resolved once its last alert has.
    fn tell_overflow(&mut self) {
        if self.overflow == Moved::No {
            return;
        }
        let Some(overflow) = self.state.core.incidents.get_mut(OVERFLOW) else {
            return;
        };
        let left = &self.left;
        if overflow.covers.members.iter().all(|m| left.contains(m)) {
            // Opened and emptied by this notification, it was never told: it goes untold.
            if self.overflow == Moved::Opened {
                self.state.core.incidents.remove(OVERFLOW);
            } else {
                self.close(OVERFLOW, "every alert it listed resolved");
            }
            return;
        }
        overflow.covers.members.retain(|m| !left.contains(m));
        let kind = match self.overflow {
            Moved::Opened => EventKind::Opened,
            _ => EventKind::Affected,
        };
        if kind == EventKind::Opened {
            self.applied.opened.push(OVERFLOW.to_string());
        }
        self.events
            .push(self.transitions.event(kind, OVERFLOW, overflow));
    }
}

/// Whether what was heard of a key (`mark`) is past a word about the alert of `starts_at`: a
/// later alert, or this one already resolved. Such a word is stale, firing or resolved.
fn heard_past(mark: Option<AlertMark>, starts_at: jiff::Timestamp) -> bool {
    mark.is_some_and(|m| {
        starts_at < m.starts_at || (starts_at == m.starts_at && m.resolved_at.is_some())
    })
}

/// Marks the incidents of a state written before the relay kept its alerts: each is its
/// opening alert, firing.
fn carry_on(state: &mut LoopState) -> bool {
    let mut changed = false;
    for (key, incident) in &state.core.incidents {
        if key != OVERFLOW && !state.alerts.latest.contains_key(key) {
            state.alerts.latest.insert(
                key.clone(),
                AlertMark {
                    starts_at: incident.opened_at,
                    resolved_at: None,
                },
            );
            changed = true;
        }
    }
    changed
}

/// Forgets resolutions older than [`RESOLVED_KEEP`] and past [`RESOLVED_MAX`] (the longest
/// resolved first), and openings older than an hour.
fn forget(state: &mut LoopState, now: jiff::Timestamp) -> bool {
    let alerts = &mut state.alerts;
    let (latest, opened) = (alerts.latest.len(), alerts.opened.len());
    let hour_ago = now - jiff::SignedDuration::from_secs(3600);
    alerts.opened.retain(|t| *t > hour_ago);
    let keep_from = now - jiff::SignedDuration::try_from(RESOLVED_KEEP).unwrap_or_default();
    alerts
        .latest
        .retain(|_, m| m.resolved_at.is_none_or(|r| r > keep_from));
    let mut resolved: Vec<(jiff::Timestamp, &String)> = alerts
        .latest
        .iter()
        .filter_map(|(k, m)| m.resolved_at.map(|r| (r, k)))
        .collect();
    if resolved.len() > RESOLVED_MAX {
        let excess = resolved.len() - RESOLVED_MAX;
        resolved.select_nth_unstable(excess - 1);
        let gone: Vec<String> = resolved[..excess]
            .iter()
            .map(|(_, k)| (*k).clone())
            .collect();
        for key in gone {
            alerts.latest.remove(&key);
        }
    }
    (latest, opened) != (alerts.latest.len(), alerts.opened.len())
}

/// The events for open incidents whose last word is `remind_every` old.
pub fn reminders(
    state: &mut State,
    (panel, mode): (&str, &str),
    remind_every: std::time::Duration,
    now: jiff::Timestamp,
) -> Vec<Event> {
    let transitions = Transitions { panel, mode, now };
    state
        .incidents
        .iter_mut()
        .filter_map(|(key, incident)| transitions.remind(key, incident, remind_every, None))
        .collect()
}

#[cfg(test)]
mod tests;
