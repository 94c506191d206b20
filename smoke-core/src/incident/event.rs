//! What sinks are told.

use crate::outcome::Severity;
use crate::outcome::{Cause, ConditionResult, Phase};
use serde::{Deserialize, Serialize};

/// What happened to an incident, as a sink is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The probe failed `failure_threshold` ticks in a row.
    Opened,
    /// Still failing, `remind_every` after the last word.
    Reminder,
    /// Still failing, for another reason.
    CauseChanged,
    /// Still failing, this tick (only for sinks that want a word every tick, like Alertmanager).
    Firing,
    /// Passing `success_threshold` ticks in a row.
    Resolved,
    /// Its service was restarted; `detail` says whether that helped.
    Restarted,
    /// Still failing, and the probes it covers changed: a group member joined or left, or a
    /// probe began or ceased to fail because of it (the forge edits the list).
    Affected,
}

impl EventKind {
    /// The name in the JSON body and in messages: `opened`, `cause_changed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Reminder => "reminder",
            EventKind::CauseChanged => "cause_changed",
            EventKind::Firing => "firing",
            EventKind::Resolved => "resolved",
            EventKind::Restarted => "restarted",
            EventKind::Affected => "affected",
        }
    }
}

/// One event, with everything a sink needs to say it without asking back. This is also the
/// documented JSON body of the `webhook` sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub event: EventKind,
    /// The panel's name.
    pub panel: String,
    /// The side the probe runs on: `internal` or `external`.
    pub mode: String,
    /// What the incident is about: the failing probe, or `group:<signature>` for a group.
    pub probe: String,
    /// `<panel>/<mode>/<probe>/<opened at, unix milliseconds>`: one incident, whatever the retries.
    pub incident: String,
    /// How loud it is, from the probe's settings.
    pub severity: Severity,
    /// When the event happened.
    pub at: jiff::Timestamp,
    /// When the incident opened.
    pub opened_at: jiff::Timestamp,
    /// Seconds from opened to resolved (resolved events only).
    pub duration_s: Option<i64>,
    /// The cause of the failure, when the probe gave one.
    pub cause: Option<Cause>,
    /// The phase the failure happened in, when known.
    pub phase: Option<Phase>,
    /// The failure in one line an operator can act on.
    pub detail: String,
    /// The cause before a `cause_changed`.
    pub previous_cause: Option<String>,
    /// The HTTP status, when one arrived.
    pub status: Option<u16>,
    /// The failing conditions with what was seen.
    pub conditions: Vec<ConditionResult>,
    /// Where the probe went.
    pub target: String,
    /// The phase timings of the failing attempt, in milliseconds.
    #[serde(default)]
    pub timings: serde_json::Value,
    /// The screenshot of the failing page (a browse probe's), as a path in the state folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The group and the probes it covers, for a group's incident.
    #[serde(flatten)]
    pub covers: super::Covers,
}

impl Event {
    /// An event about an open incident, with what the incident itself knows; the caller adds
    /// what the tick saw (status, conditions, timings).
    pub fn about(
        kind: EventKind,
        (panel, mode): (&str, &str),
        probe: &str,
        incident: &super::Incident,
        at: jiff::Timestamp,
    ) -> Event {
        Event {
            event: kind,
            panel: panel.to_string(),
            mode: mode.to_string(),
            probe: probe.to_string(),
            incident: incident.id.clone(),
            severity: incident.severity,
            at,
            opened_at: incident.opened_at,
            duration_s: (kind == EventKind::Resolved).then(|| (at - incident.opened_at).as_secs()),
            cause: incident.cause,
            phase: None,
            detail: incident.detail.clone(),
            previous_cause: None,
            status: None,
            conditions: Vec::new(),
            target: String::new(),
            timings: serde_json::Value::Null,
            evidence: None,
            covers: incident.covers.clone(),
        }
    }

    /// Every probe the incident covers, members first.
    pub fn all_affected(&self) -> impl Iterator<Item = &String> {
        self.covers.members.iter().chain(&self.covers.affected)
    }

    /// What the incident is, in a few words: "public-dns" or "6 probes fail with HTTP 502 Bad
    /// Gateway". A title for issues and chats.
    pub fn headline(&self) -> String {
        match &self.covers.group {
            Some(signature) => super::group_headline(
                signature,
                self.cause,
                self.covers.members.len() + self.covers.affected.len(),
            ),
            None => self.probe.clone(),
        }
    }

    /// "; 7 probes affected: a, b, c and 4 more": the probes a root's failure breaks.
    fn affected_text(&self) -> String {
        match self.covers.affected.len() {
            0 => String::new(),
            1 => format!("; 1 probe affected: {}", self.covers.affected[0]),
            n => format!(
                "; {n} probes affected: {}",
                name_list(self.covers.affected.iter(), 8)
            ),
        }
    }

    /// "2h 5m" for a duration in seconds.
    pub fn duration_text(&self) -> Option<String> {
        self.duration_s
            .map(|s| crate::units::format_span(s.max(0).unsigned_abs(), true))
    }

    /// One line for a log or a chat: "biz-persons failing: assertion: expected ...".
    pub fn summary(&self) -> String {
        // "tls: ", or nothing where no cause is known (a relayed quorum alert counts hosts).
        let cause = self
            .cause
            .map(|c| format!("{}: ", c.as_str()))
            .unwrap_or_default();
        let what = self.headline();
        let affected = self.affected_text();
        if self.covers.group.is_some() {
            return match self.event {
                EventKind::Opened | EventKind::Affected => {
                    format!("{what}: {}", name_list(self.covers.members.iter(), 8))
                }
                EventKind::Reminder | EventKind::Firing | EventKind::CauseChanged => {
                    format!(
                        "still: {what}: {}",
                        name_list(self.covers.members.iter(), 8)
                    )
                }
                EventKind::Resolved => format!(
                    "recovered after {}: {what}",
                    self.duration_text().unwrap_or_default()
                ),
                EventKind::Restarted => format!("{what}: {}", self.detail),
            };
        }
        match self.event {
            EventKind::Opened => format!("{what} failing: {cause}{}{affected}", self.detail),
            EventKind::Reminder | EventKind::Firing | EventKind::Affected => {
                format!("{what} still failing: {cause}{}{affected}", self.detail)
            }
            EventKind::CauseChanged => format!(
                "{what} failing for another reason: {cause}{} (was {}){affected}",
                self.detail,
                self.previous_cause.as_deref().unwrap_or("?")
            ),
            EventKind::Resolved => format!(
                "{what} recovered after {}",
                self.duration_text().unwrap_or_default()
            ),
            EventKind::Restarted => format!("{what}: {}", self.detail),
        }
    }
}

/// "a, b, c and 4 more": at most `max` names, so a group of thousands stays one line.
pub fn name_list<'a>(names: impl Iterator<Item = &'a String>, max: usize) -> String {
    let names: Vec<&String> = names.collect();
    let shown: Vec<&str> = names.iter().take(max).map(|s| s.as_str()).collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
