//! The loop's own tables of the panel: `[[notify]]`, `[[maintenance]]`, `[relay]`, and
//! `remind_every` and `heartbeat_url` in `[panel]`. They are declared to smoke-core's loader in
//! [`EXTENSION`] (so it accepts them, and a typo of one is still an unknown key with its hint),
//! which hands the text over; they are read and checked here, each error at its file, line and
//! column.

use crate::maintenance::{self, Maintenance, RawMaintenance};
use crate::notify::{self, Notify};
use crate::secret::{Secret, SecretError, Value};
use serde::Deserialize;
use smoke_core::engine::{
    escape_controls, Extension, LoadOptions, Panel, PanelDuration, PanelError,
};
use std::time::Duration;
use toml::Spanned;

/// The tables and `[panel]` keys of [`RawLoop`]: every load of a panel for the loop passes
/// them (see [`load_options`]), and a table the loop adds is named here.
pub const EXTENSION: Extension = Extension {
    tables: &["notify", "maintenance", "relay"],
    panel_keys: &["remind_every", "heartbeat_url", "heartbeat_url_env"],
};

/// The options a command loads its panel with: this process's environment, `sets` laid over
/// the file, and the loop's [`EXTENSION`].
pub fn load_options(sets: Vec<String>) -> LoadOptions {
    LoadOptions {
        extension: EXTENSION,
        ..LoadOptions::from_env(sets)
    }
}

/// How often an open incident is told again, unless the panel says.
pub const REMIND_EVERY: Duration = Duration::from_secs(6 * 3600);

/// What the loop reads of a panel besides its probes.
#[derive(Debug)]
pub struct LoopConfig {
    /// How often an open incident is told again.
    pub remind_every: Duration,
    /// Called after every tick, so a dead loop is noticed (healthchecks-style).
    pub heartbeat_url: Option<Value>,
    pub maintenance: Vec<Maintenance>,
    pub notify: Vec<Notify>,
    /// `[relay]`: what `relay` accepts.
    pub relay: RelayConfig,
    /// The known-good baseline `[panel] baseline` names, once read ([`crate::known::read`]):
    /// what each tick is judged against for drift.
    pub baseline: Option<std::sync::Arc<smoke_core::engine::shape::KnownGood>>,
}

/// The alert that `relay` turns into incidents unless `[relay] alertname` says otherwise: the
/// quorum alert of examples/prometheus/smoke-rules.yml.
pub const QUORUM_ALERTNAME: &str = "SmokeProbeFailingQuorum";
/// Likewise for a group of probes failing with one signature (`[relay] group_alertname`).
pub const GROUP_QUORUM_ALERTNAME: &str = "SmokeGroupFailingQuorum";

/// `[relay]`: who may post to the relay, and which alert it listens to.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayConfig {
    /// The bearer token Alertmanager must send (`http_config.authorization`), if any.
    pub bearer_token: Option<Secret>,
    pub alertname: String,
    pub group_alertname: String,
}

/// Why a key of the loop's tables was refused: the words follow the table's name at the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A URL of another scheme, or without a host (`text` escaped for a terminal).
    #[error("{what} \"{text}\" must be an http:// or https:// URL")]
    NotHttp { what: &'static str, text: String },
    /// Not a URL at all (the url crate's words).
    #[error("{what} \"{text}\" is not a URL ({source}): write it like https://hc-ping.com/<uuid>")]
    NotUrl {
        what: &'static str,
        text: String,
        #[source]
        source: url::ParseError,
    },
    #[error("remind_every must be more than 0: it spaces the reminders of an open incident")]
    NoRemindEvery,
    /// An alert name that is empty, long or holds control characters (`name` escaped).
    #[error("{key} \"{name}\" must be an alert's name, like {default}")]
    AlertName {
        key: &'static str,
        name: String,
        default: &'static str,
    },
    /// `[relay] bearer_token_env` or `_file` is named wrongly.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// The loop's keys, as serde reads them; the rest of the file is smoke-core's, checked there.
#[derive(Deserialize)]
struct RawLoop {
    panel: RawPanel,
    #[serde(default)]
    notify: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    maintenance: Vec<Spanned<RawMaintenance>>,
    relay: Option<Spanned<RawRelay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelay {
    bearer_token_env: Option<String>,
    bearer_token_file: Option<String>,
    alertname: Option<String>,
    group_alertname: Option<String>,
}

#[derive(Deserialize)]
struct RawPanel {
    remind_every: Option<Spanned<PanelDuration>>,
    heartbeat_url: Option<Spanned<String>>,
    heartbeat_url_env: Option<String>,
}

impl LoopConfig {
    /// Reads the loop's tables of `panel`.
    pub fn read(panel: &Panel) -> Result<LoopConfig, PanelError> {
        let at = &panel.text;
        let raw: RawLoop = at.read()?;
        let placed = |span: std::ops::Range<usize>| {
            move |e: ConfigError| at.error(span.clone(), format!("[panel] {e}"))
        };
        let heartbeat_url = match (raw.panel.heartbeat_url, raw.panel.heartbeat_url_env) {
            (Some(u), None) if !u.get_ref().is_empty() => {
                http_url("heartbeat_url", u.get_ref()).map_err(placed(u.span()))?;
                Some(Value::Plain(u.into_inner()))
            }
            (None, Some(v)) if !v.is_empty() => Some(Value::Secret(Secret::Env(v))),
            (None, None) => None,
            _ => return Err(at.whole("[panel] give heartbeat_url or heartbeat_url_env, not both")),
        };
        let remind_every = match &raw.panel.remind_every {
            None => REMIND_EVERY,
            Some(r) if r.get_ref().0.is_zero() => {
                return Err(placed(r.span())(ConfigError::NoRemindEvery))
            }
            Some(r) => r.get_ref().0,
        };
        let maintenance = raw
            .maintenance
            .into_iter()
            .map(|m| maintenance::build(m, at))
            .collect::<Result<Vec<_>, _>>()?;
        let notify = notify::read_entries(raw.notify, at)?;
        let relay = match raw.relay {
            None => RelayConfig {
                bearer_token: None,
                alertname: QUORUM_ALERTNAME.to_string(),
                group_alertname: GROUP_QUORUM_ALERTNAME.to_string(),
            },
            Some(r) => {
                let span = r.span();
                read_relay(r.into_inner())
                    .map_err(|m| at.error(span.clone(), format!("[relay] {m}")))?
            }
        };
        Ok(LoopConfig {
            remind_every,
            heartbeat_url,
            maintenance,
            notify,
            relay,
            baseline: None,
        })
    }
}

fn read_relay(r: RawRelay) -> Result<RelayConfig, ConfigError> {
    let bearer_token = match (&r.bearer_token_env, &r.bearer_token_file) {
        (None, None) => None,
        _ => Some(Secret::named(
            &r.bearer_token_env,
            &r.bearer_token_file,
            "bearer_token",
        )?),
    };
    let alertname = alert_name("alertname", r.alertname, QUORUM_ALERTNAME)?;
    let group_alertname = alert_name("group_alertname", r.group_alertname, GROUP_QUORUM_ALERTNAME)?;
    Ok(RelayConfig {
        bearer_token,
        alertname,
        group_alertname,
    })
}

/// `key = "Name"` of `[relay]`, or `default`.
fn alert_name(
    key: &'static str,
    given: Option<String>,
    default: &'static str,
) -> Result<String, ConfigError> {
    match given {
        None => Ok(default.to_string()),
        Some(a) if a.is_empty() || a.len() > 200 || a.chars().any(char::is_control) => {
            Err(ConfigError::AlertName {
                key,
                name: escape_controls(&a).into_owned(),
                default,
            })
        }
        Some(a) => Ok(a),
    }
}

/// An `http://` or `https://` URL with a host.
pub(crate) fn http_url(what: &'static str, text: &str) -> Result<(), ConfigError> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err(ConfigError::NotHttp {
            what,
            text: escape_controls(text).into_owned(),
        }),
        Err(source) => Err(ConfigError::NotUrl {
            what,
            text: escape_controls(text).into_owned(),
            source,
        }),
    }
}
