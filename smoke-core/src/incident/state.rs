//! What of the incidents must survive the process: counters, open incidents, the log of
//! resolved ones. Whoever runs the ticks keeps it (in `state.json`, beside what it keeps of its
//! own); this crate only shapes it and reads its versions.

use crate::outcome::Cause;
use crate::outcome::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format of `state.json`. Version 1 (incidents per probe) is read and carried on; a file of
/// any other version is refused, never guessed at.
pub const STATE_VERSION: u32 = 2;

/// Resolved incidents kept in the state's log, newest last.
pub const LOG_MAX: usize = 200;

/// Probes named per resolved incident in the log: a group of thousands is a count, not a list.
pub(crate) const LOG_PROBES: usize = 100;

/// What of the incidents must survive the process. A keeper may write it flattened among fields
/// of its own: unknown fields are skipped when it is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The layout of this state, so an older file is read as it was written.
    pub version: u32,
    /// Per probe name: its counters.
    #[serde(default)]
    pub probes: BTreeMap<String, ProbeState>,
    /// Open incidents by what they are about: a probe's name, or `group:<signature>`.
    #[serde(default)]
    pub incidents: BTreeMap<String, Incident>,
    /// The last [`LOG_MAX`] resolved incidents, oldest first: what a status page shows of the
    /// past.
    #[serde(default)]
    pub log: Vec<PastIncident>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            probes: BTreeMap::new(),
            incidents: BTreeMap::new(),
            log: Vec::new(),
        }
    }
}

/// Why a state file's text is not a state this smoke reads.
#[derive(Debug, thiserror::Error)]
pub enum StateReadError {
    /// Not JSON, or not the shape of its version.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// A version this smoke does not read (a newer smoke wrote it).
    #[error("version {0}, this smoke reads versions 1 and {STATE_VERSION}")]
    Version(u64),
    /// The file has no `version`.
    #[error("no version")]
    NoVersion,
}

impl State {
    /// Reads `state.json` of this version or of version 1, whose per-probe incidents become
    /// incidents of one member each, open as they were. The one place versions are read: a
    /// keeper reads its own fields from the same text once this accepted it.
    pub fn from_json(text: &str) -> Result<State, StateReadError> {
        /// The version alone: the rest is skipped, not kept.
        #[derive(Deserialize)]
        struct Head {
            #[serde(default)]
            version: serde_json::Value,
        }
        let head: Head = serde_json::from_str(text)?;
        match head.version.as_u64() {
            // Read straight into the state: a tree of JSON values first would take several
            // times the file's size, and a file may be large (see the state folder's limit).
            Some(v) if v == u64::from(STATE_VERSION) => Ok(serde_json::from_str(text)?),
            Some(1) => {
                let mut value: serde_json::Value = serde_json::from_str(text)?;
                from_version_1(&mut value);
                Ok(serde_json::from_value(value)?)
            }
            Some(v) => Err(StateReadError::Version(v)),
            None => Err(StateReadError::NoVersion),
        }
    }

    /// Every probe that is a member of an open incident: one set, so a tick of thousands asks
    /// in constant time.
    pub fn covered(&self) -> std::collections::HashSet<&str> {
        self.incidents
            .values()
            .flat_map(|i| i.covers.members.iter().map(String::as_str))
            .collect()
    }

    /// Keeps a resolved incident in the log, the oldest dropped past [`LOG_MAX`].
    pub fn log_resolved(&mut self, key: String, incident: &Incident, at: jiff::Timestamp) {
        self.log.push(PastIncident {
            id: incident.id.clone(),
            key,
            group: incident.covers.group.clone(),
            cause: incident.cause,
            detail: incident.detail.clone(),
            severity: incident.severity,
            opened_at: incident.opened_at,
            resolved_at: at,
            probes: incident
                .covers
                .members
                .iter()
                .chain(&incident.covers.affected)
                .take(LOG_PROBES)
                .cloned()
                .collect(),
            covered: incident.covers.members.len() + incident.covers.affected.len(),
            url: incident.url.clone(),
        });
        let excess = self.log.len().saturating_sub(LOG_MAX);
        self.log.drain(..excess);
    }

    /// The open incident that `probe` is a member of, with its key.
    pub fn incident_of(&self, probe: &str) -> Option<(&String, &Incident)> {
        self.incidents
            .get_key_value(probe)
            .filter(|(_, i)| i.covers.members.iter().any(|m| m == probe))
            .or_else(|| {
                self.incidents
                    .iter()
                    .find(|(_, i)| i.covers.members.iter().any(|m| m == probe))
            })
    }
}

fn from_version_1(value: &mut serde_json::Value) {
    let mut incidents = serde_json::Map::new();
    if let Some(probes) = value.get_mut("probes").and_then(|p| p.as_object_mut()) {
        for (name, probe) in probes.iter_mut() {
            let Some(incident) = probe.as_object_mut().and_then(|p| p.remove("incident")) else {
                continue;
            };
            if let serde_json::Value::Object(mut incident) = incident {
                incident.insert("members".into(), serde_json::json!([name]));
                incidents.insert(name.clone(), serde_json::Value::Object(incident));
            }
        }
    }
    value["incidents"] = serde_json::Value::Object(incidents);
    value["version"] = serde_json::json!(STATE_VERSION);
}

/// A probe's run of failed or passing ticks, for its thresholds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeState {
    /// Failed ticks in a row.
    pub failures: u32,
    /// Passing ticks in a row.
    pub successes: u32,
}

/// An open incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `<panel>/<mode>/<probe>/<opened at, unix milliseconds>`, as events name it.
    pub id: String,
    /// When it opened.
    pub opened_at: jiff::Timestamp,
    /// Its cause when it opened or last changed.
    pub cause: Option<Cause>,
    /// The failure in one line, as last told.
    pub detail: String,
    /// How loud it is, from the probe's settings.
    pub severity: Severity,
    /// When the sinks were last told of it (opened, reminder, cause changed).
    pub last_told: jiff::Timestamp,
    /// The group and the probes it covers, for a group's incident.
    #[serde(flatten)]
    pub covers: Covers,
    /// Where a person follows it (its forge issue's page), once a sink has made one. Added in
    /// version 2 without a bump: older files read with none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The probes an incident covers: an incident and each event of it say the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Covers {
    /// A group's signature ("HTTP 502 Bad Gateway"); null for one probe's incident.
    #[serde(default)]
    pub group: Option<String>,
    /// The probes it is about: its one probe, or the group's failing members, sorted.
    #[serde(default)]
    pub members: Vec<String>,
    /// The failing probes caused by a member (`caused_by`), told here rather than on their own,
    /// as the last tick that saw every probe found them.
    #[serde(default)]
    pub affected: Vec<String>,
}

/// `<panel>/<mode>/<key>/<opened at, unix milliseconds>`: an incident's id, the same for every
/// sink and every retry.
pub fn incident_id(panel: &str, mode: &str, key: &str, opened_at: jiff::Timestamp) -> String {
    format!("{panel}/{mode}/{key}/{}", opened_at.as_millisecond())
}

impl Incident {
    /// Whether `remind_every` has passed since the sinks were last told of it, at `now` (a
    /// clock that went back counts as no time).
    pub fn reminder_due(&self, now: jiff::Timestamp, remind_every: std::time::Duration) -> bool {
        let since = std::time::Duration::try_from(now.duration_since(self.last_told))
            .unwrap_or(std::time::Duration::ZERO);
        since >= remind_every
    }

    /// A new incident about `members`, told now.
    pub fn new(id: String, at: jiff::Timestamp, severity: Severity, members: Vec<String>) -> Self {
        Incident {
            id,
            opened_at: at,
            cause: None,
            detail: String::new(),
            severity,
            last_told: at,
            covers: Covers {
                members,
                ..Covers::default()
            },
            url: None,
        }
    }
}

/// A resolved incident, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastIncident {
    /// Its id, as events named it.
    pub(crate) id: String,
    /// What it was about: a probe's name, or `group:<signature>`.
    pub(crate) key: String,
    /// The group's signature ("HTTP 502 Bad Gateway"), for a group's incident.
    pub(crate) group: Option<String>,
    /// Its cause when it resolved.
    pub(crate) cause: Option<Cause>,
    /// The failure in one line, as last told.
    pub(crate) detail: String,
    /// How loud it was.
    pub(crate) severity: Severity,
    /// When it opened.
    pub(crate) opened_at: jiff::Timestamp,
    /// When it resolved.
    pub(crate) resolved_at: jiff::Timestamp,
    /// The probes it covered when it resolved or last before, members first: the first
    /// `LOG_PROBES` of them.
    pub(crate) probes: Vec<String>,
    /// How many probes it covered, all told.
    #[serde(default)]
    pub(crate) covered: usize,
    /// Its link while it was open (its forge issue's page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
}

impl PastIncident {
    /// Its id, as events named it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What it was about: a probe's name, or `group:<signature>`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The group's signature ("HTTP 502 Bad Gateway"), for a group's incident.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// Its cause when it resolved.
    pub fn cause(&self) -> Option<Cause> {
        self.cause
    }

    /// The failure in one line, as last told.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// How loud it was.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// When it opened.
    pub fn opened_at(&self) -> jiff::Timestamp {
        self.opened_at
    }

    /// When it resolved.
    pub fn resolved_at(&self) -> jiff::Timestamp {
        self.resolved_at
    }

    /// The probes it covered when it resolved or last before, members first: the first
    /// `LOG_PROBES` of them.
    pub fn probes(&self) -> &[String] {
        &self.probes
    }

    /// How many probes it covered, all told.
    pub fn covered(&self) -> usize {
        self.covered
    }

    /// Its link while it was open (its forge issue's page).
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_file_is_carried_on_with_its_incidents_open() {
        let v1 = r#"{"version": 1,
            "probes": {
                "biz": {"failures": 3, "successes": 0, "incident": {
                    "id": "p/internal/biz/1", "opened_at": "2026-11-01T00:00:00Z",
                    "cause": "rpc", "detail": "boom", "severity": "critical",
                    "last_told": "2026-11-01T00:10:00Z"}},
                "ui": {"failures": 0, "successes": 4, "incident": null}},
            "outbox": [], "handles": {"forge": {"p/internal/biz/1": 7}}, "restarts": {}}"#;
        let s = State::from_json(v1).unwrap();
        assert_eq!(s.version, STATE_VERSION);
        assert_eq!(s.probes["biz"].failures, 3);
        assert_eq!(s.incidents["biz"].covers.members, ["biz"]);
        assert_eq!(s.incidents["biz"].detail, "boom");
        assert_eq!(s.incident_of("biz").unwrap().0, "biz");
        assert!(s.incident_of("ui").is_none());
        // Saved again, it is a file of this version that reads back the same.
        let again = State::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        assert!(matches!(
            State::from_json(r#"{"version": 9}"#),
            Err(StateReadError::Version(9))
        ));
    }
}
