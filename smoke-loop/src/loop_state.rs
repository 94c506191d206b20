//! What the loop keeps between runs in `state.json`: smoke-core's incidents, and beside them what
//! only the loop uses: the outbox, the sinks' handles, the restarts and the relay's alerts. One
//! file of one format: the core's fields are written flattened among the loop's, and its
//! versions are read by the core alone ([`State::from_json`]).

use crate::proving::Proofs;
use serde::{Deserialize, Serialize};
use smoke_core::engine::shape::LatencyHistory;
use smoke_core::engine::{Event, State, StateReadError};
use std::collections::BTreeMap;

/// Everything that must survive the process.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoopState {
    /// Counters, open incidents and the log: smoke-core's.
    #[serde(flatten)]
    pub core: State,
    /// Events not yet taken by every sink, in order.
    pub outbox: Vec<Delivery>,
    /// Per sink, per incident: the sink's own handle (a forge issue number).
    pub handles: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per service, its restarts of the last 24 hours: the limits outlive the process.
    pub restarts: BTreeMap<String, Vec<jiff::Timestamp>>,
    /// The relay's: what Alertmanager said of each alert, so that copies arriving out of order
    /// change nothing. Empty (and not written) elsewhere; added in version 2 without a bump:
    /// older files read with none.
    #[serde(skip_serializing_if = "RelayAlerts::is_empty")]
    pub alerts: RelayAlerts,
    /// What each probe has proved on this deployment ([`crate::proving`]). Added without a
    /// bump, written only when there is some: older files read with none, every probe unproven.
    #[serde(skip_serializing_if = "Proofs::is_empty")]
    pub proofs: Proofs,
    /// What the side saw of the deployment that a later tick must know: inside, the sockets
    /// that were there (`hero_os/rpc.sock`), so one gone since fails its probe instead of
    /// leaving the plan. Added without a bump, written only when there is some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<String>,
    /// What the last tick that saw every probe said it did not probe, and why (a supervised
    /// name served by another folder's socket, a folder without `rpc.sock`): the status page
    /// shows them. At most [`UNPROBED_KEPT`]; written only when there is some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unprobed: Vec<String>,
    /// When each probe with an `every` of its own last ran ([`crate::schedule`]). Added without
    /// a bump, written only when there is some: older files read with none, every probe due.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub last_run: BTreeMap<String, jiff::Timestamp>,
    /// The latest latencies of each probe judged for drift, for the rule of M slow ticks of N
    /// ([`smoke_core::engine::shape::LatencyHistory`]). Added without a bump, written only when
    /// there is some.
    #[serde(skip_serializing_if = "LatencyHistory::is_empty")]
    pub latency: LatencyHistory,
    /// Since when each probe has drifted from the known-good baseline, without a tick between
    /// that did not: what the status page says beside the drift. Added without a bump.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub drifting: BTreeMap<String, jiff::Timestamp>,
    /// When the known-good baseline the last tick was judged against was taken (this side's
    /// part of it): the status page says it. Added without a bump.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_taken: Option<jiff::Timestamp>,
}

/// The most lines of [`LoopState::unprobed`] kept: a deployment of thousands lists a page, not
/// the state file's worth.
pub const UNPROBED_KEPT: usize = 100;

/// The loop's own fields of `state.json`, each absent in older files read as empty; the rest of
/// the file is skipped.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Own {
    outbox: Vec<Delivery>,
    handles: BTreeMap<String, BTreeMap<String, u64>>,
    restarts: BTreeMap<String, Vec<jiff::Timestamp>>,
    alerts: RelayAlerts,
    proofs: Proofs,
    seen: Vec<String>,
    unprobed: Vec<String>,
    last_run: BTreeMap<String, jiff::Timestamp>,
    latency: LatencyHistory,
    drifting: BTreeMap<String, jiff::Timestamp>,
    baseline_taken: Option<jiff::Timestamp>,
}

impl LoopState {
    /// Reads `state.json`: the core's part by the core (which refuses a version it does not
    /// read, and carries version 1 on), then the loop's fields from the same text, unchanged
    /// since version 1. Two passes over the text rather than one through serde's flatten, which
    /// would hold the whole file as a tree first: several times its size, and a file may be
    /// large (see the state folder's limit).
    pub fn from_json(text: &str) -> Result<LoopState, StateReadError> {
        let core = State::from_json(text)?;
        let Own {
            outbox,
            handles,
            restarts,
            alerts,
            proofs,
            seen,
            unprobed,
            last_run,
            latency,
            drifting,
            baseline_taken,
        } = serde_json::from_str(text)?;
        Ok(LoopState {
            core,
            outbox,
            handles,
            restarts,
            alerts,
            proofs,
            seen,
            unprobed,
            last_run,
            latency,
            drifting,
            baseline_taken,
        })
    }
}

/// What the relay heard of Alertmanager's alerts. A key (a probe's name, or `group:<slug>`) has
/// one alert at a time: Alertmanager replaces an alert by a later one of the same labels, so a
/// later `startsAt` means the earlier alert is over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayAlerts {
    /// Per key, the latest alert heard of and whether it resolved: open ones while they fire,
    /// resolved ones for as long as a late copy may come (the relay bounds them).
    #[serde(default)]
    pub latest: BTreeMap<String, AlertMark>,
    /// When incidents of the last hour were opened for alerts the panel cannot confirm (a
    /// `for_each` name, a group), for the relay's hourly cap.
    #[serde(default)]
    pub opened: Vec<jiff::Timestamp>,
}

impl RelayAlerts {
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty() && self.opened.is_empty()
    }
}

/// A key's latest alert.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertMark {
    /// Its `startsAt`: the alert's identity beside the key.
    pub starts_at: jiff::Timestamp,
    /// When its resolution came (the relay's clock); none while it fires.
    #[serde(default)]
    pub resolved_at: Option<jiff::Timestamp>,
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

#[cfg(test)]
mod tests;
