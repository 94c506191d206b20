//! What happens to an incident, whatever tells of it: it opens, it carries on (a reminder, a
//! new cause), it resolves. Each transition changes the state as it must (the incident with its
//! id and times, the log of resolved ones) and makes the event the sinks are told, so an
//! incident opened by a tick and one opened by a relayed alert are the same incident told the
//! same way.
//!
//! An input of incidents decides only *when*: [`advance`](super::advance) by a tick's
//! thresholds and which probes are members, the relay by an alert's `startsAt`, the resolutions
//! it remembers and its caps. What it saw besides (a tick's status, conditions and timings) it
//! adds to the events these return.

use super::super::event::{Event, EventKind};
use super::super::state::{incident_id, Incident, State};
use crate::outcome::{Cause, Severity};
use std::collections::btree_map::Entry;
use std::time::Duration;

/// Where and when transitions happen: the side whose incidents they are, and the time the
/// sinks are told of them.
#[derive(Debug, Clone, Copy)]
pub struct Transitions<'a> {
    /// The panel's name.
    pub panel: &'a str,
    /// The side: `internal` or `external`.
    pub mode: &'a str,
    /// When they happen: a tick's start, a notification's arrival.
    pub now: jiff::Timestamp,
}

/// What a new incident opens with.
#[derive(Debug, Clone)]
pub struct Opening {
    /// What it is about: a probe's name, or `group:<signature>`.
    pub key: String,
    /// When it began, which names it: the tick that opened it, or the start of the alert that
    /// told of it (the same id whichever relay hears it).
    pub opened_at: jiff::Timestamp,
    /// How loud it is.
    pub severity: Severity,
    /// The probes it covers, sorted.
    pub members: Vec<String>,
    /// A group's signature ("HTTP 502 Bad Gateway"), for a group's incident.
    pub group: Option<String>,
    /// Its cause, when known.
    pub cause: Option<Cause>,
    /// The failure in one line.
    pub detail: String,
}

impl Transitions<'_> {
    /// Opens an incident (in place of any under its key), told now. Its `opened` event is made
    /// by [`event`](Self::event) once the input knows all it covers.
    pub fn open<'s>(&self, state: &'s mut State, opening: Opening) -> &'s mut Incident {
        let id = incident_id(self.panel, self.mode, &opening.key, opening.opened_at);
        let mut incident = Incident::new(id, opening.opened_at, opening.severity, opening.members);
        incident.last_told = self.now;
        incident.covers.group = opening.group;
        incident.cause = opening.cause;
        incident.detail = opening.detail;
        match state.incidents.entry(opening.key) {
            Entry::Occupied(mut slot) => {
                slot.insert(incident);
                slot.into_mut()
            }
            Entry::Vacant(slot) => slot.insert(incident),
        }
    }

    /// An event about the open incident of `key`, with what the incident itself knows.
    pub fn event(&self, kind: EventKind, key: &str, incident: &Incident) -> Event {
        Event::about(kind, (self.panel, self.mode), key, incident, self.now)
    }

    /// The reminder of an incident whose last word is `remind_every` old, if it is: told now,
    /// saying `detail` from now on when one is given.
    pub fn remind(
        &self,
        key: &str,
        incident: &mut Incident,
        remind_every: Duration,
        detail: Option<String>,
    ) -> Option<Event> {
        if !incident.reminder_due(self.now, remind_every) {
            return None;
        }
        if let Some(detail) = detail {
            incident.detail = detail;
        }
        incident.last_told = self.now;
        Some(self.event(EventKind::Reminder, key, incident))
    }

    /// The incident fails for another reason, `cause`, said in `detail`: told now, with the
    /// cause it had.
    pub fn change_cause(
        &self,
        key: &str,
        incident: &mut Incident,
        cause: Option<Cause>,
        detail: String,
    ) -> Event {
        let previous = incident.cause.map(|c| c.as_str().to_string());
        incident.cause = cause;
        incident.detail = detail;
        incident.last_told = self.now;
        let mut event = self.event(EventKind::CauseChanged, key, incident);
        event.previous_cause = previous;
        event
    }

    /// Resolves the incident of `key`: no longer open, kept in the state's log, and its
    /// `resolved` event saying `detail` (why it resolved). None when none is open.
    pub fn resolve(&self, state: &mut State, key: &str, detail: String) -> Option<Event> {
        let (key, incident) = state.incidents.remove_entry(key)?;
        let mut event = self.event(EventKind::Resolved, &key, &incident);
        event.detail = detail;
        state.log_resolved(key, &incident, self.now);
        Some(event)
    }
}
