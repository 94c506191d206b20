//! What must survive the process: counters, open incidents, the outbox, restarts. The loop
//! (smoke-loop) keeps it in its state folder as `state.json`; this crate only shapes it.

use super::event::Event;
use crate::outcome::Cause;
use crate::outcome::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format of `state.json`; a file of another version is refused, never guessed at.
pub const STATE_VERSION: u32 = 1;

/// Everything that must survive the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Per probe name.
    #[serde(default)]
    pub probes: BTreeMap<String, ProbeState>,
    /// Events not yet taken by every sink, in order.
    #[serde(default)]
    pub outbox: Vec<Delivery>,
    /// Per sink, per incident: the sink's own handle (a forge issue number).
    #[serde(default)]
    pub handles: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per service, its restarts of the last 24 hours: the limits outlive the process.
    #[serde(default)]
    pub restarts: BTreeMap<String, Vec<jiff::Timestamp>>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            probes: BTreeMap::new(),
            outbox: Vec::new(),
            handles: BTreeMap::new(),
            restarts: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeState {
    /// Failed ticks in a row.
    pub failures: u32,
    /// Passing ticks in a row.
    pub successes: u32,
    pub incident: Option<Incident>,
}

/// An open incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub opened_at: jiff::Timestamp,
    pub cause: Option<Cause>,
    pub detail: String,
    pub severity: Severity,
    /// When the sinks were last told of it (opened, reminder, cause changed).
    pub last_told: jiff::Timestamp,
}

/// One event owed to one sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub sink: String,
    pub event: Event,
    /// Failed tries so far.
    #[serde(default)]
    pub attempts: u32,
    /// Why the last try failed (no secrets: sinks say what failed, not with what).
    #[serde(default)]
    pub last_error: Option<String>,
}
