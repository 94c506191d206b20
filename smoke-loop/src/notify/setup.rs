//! What every sink is made with and checked by: its entry's type, its configuration, the set-up
//! it is built with, and the helpers that read its keys. It names no sink, so the sinks and the
//! registry (`entry`) both import it and neither imports the other.

use super::{SetupError, Sink};
use smoke_core::engine::{with_hint, Mode};
use std::sync::Arc;
use std::time::Duration;

/// What a sink gives the registry.
pub struct SinkType {
    /// Its `type = "..."`.
    pub name: &'static str,
    /// The keys its entry takes besides `type` and `name`: a key of another sink is then said
    /// to mean nothing here, rather than to be unknown.
    pub keys: &'static [&'static str],
    /// Reads and checks an entry's keys (secrets are named, not read yet).
    pub read: fn(toml::Table) -> Result<Box<dyn SinkConfig>, SetupError>,
}

/// A sink's checked configuration.
pub trait SinkConfig: std::fmt::Debug + Send + Sync {
    /// The sink, its secrets read now: a missing one is said before any probe runs.
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, SetupError>;

    /// Whether it needs the shared HTTP client.
    fn uses_http(&self) -> bool {
        true
    }

    /// Where a person finds this sink's handle of an incident (a forge issue), if anywhere.
    fn link(&self, _handle: u64) -> Option<String> {
        None
    }
}

/// What a sink is made with besides its configuration.
pub struct Setup {
    /// The sinks' HTTP client, made when some sink or the heartbeat needs it.
    pub client: Option<reqwest::Client>,
    pub panel: String,
    pub mode: Mode,
    /// The loop period.
    pub every: Duration,
    /// The vantage point that runs the panel.
    pub vantage: String,
}

impl Setup {
    pub fn client(&self) -> reqwest::Client {
        self.client
            .clone()
            .expect("made whenever a sink uses HTTP (SinkConfig::uses_http)")
    }
}

/// An entry's keys as a sink's own config type: unknown keys are refused with a hint.
pub(crate) fn keys_as<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, SetupError> {
    table
        .try_into()
        .map_err(|e| SetupError::Keys(with_hint(e.message())))
}

/// A sink's base URL: http(s), without a trailing slash.
pub(crate) fn base_url(u: String) -> Result<String, SetupError> {
    if u.starts_with("http://") || u.starts_with("https://") {
        Ok(u.trim_end_matches('/').to_string())
    } else {
        Err(SetupError::NotHttp { url: u })
    }
}

/// A required key.
pub(crate) fn need(
    v: Option<String>,
    kind: &'static str,
    key: &'static str,
) -> Result<String, SetupError> {
    v.filter(|s| !s.is_empty())
        .ok_or(SetupError::Needs { kind, key })
}
