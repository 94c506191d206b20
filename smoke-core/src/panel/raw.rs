//! The panel file as serde reads it. Unknown keys are refused here, so a typo is an error with
//! its position, never a silently ignored setting; the tables and keys a caller reads itself are
//! set aside before (see [`super::Extension`]).

use crate::units::{PanelDuration, PanelSize};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub panel: RawPanel,
    #[serde(default)]
    pub internal: RawInternal,
    #[serde(default)]
    pub external: RawExternal,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub probe: Vec<Spanned<RawProbe>>,
    #[serde(default)]
    pub coverage: RawCoverage,
    #[serde(default)]
    pub browser: RawBrowser,
}

/// `[browser]`: the browser `browse` probes start.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrowser {
    pub path: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPanel {
    pub name: Spanned<String>,
    pub every: Option<Spanned<PanelDuration>>,
    pub timeout: Option<PanelDuration>,
    pub vantage: Option<Spanned<String>>,
    pub max_services: Option<Spanned<u64>>,
    pub baseline: Option<Spanned<String>>,
    pub latency_drift: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInternal {
    pub socket_dir: Option<String>,
    pub suffixes: Option<Spanned<BTreeMap<String, Vec<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExternal {
    pub base_url: Option<String>,
    pub resolvers: Option<Vec<String>>,
    pub ca_file: Option<String>,
    pub tls_warn_days: Option<i64>,
    pub tls_fail_days: Option<i64>,
    pub check_dns: Option<bool>,
    pub check_tls: Option<bool>,
    #[serde(default)]
    pub expect_addresses: Vec<Spanned<String>>,
}

/// `[coverage]`: what `smoke-sim coverage` is told about this panel.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoverage {
    #[serde(default)]
    pub ignore: Vec<Spanned<RawIgnore>>,
}

/// `{ fault = "rpc-error:hero_os", side = "outside", why = "…" }`: a known gap (on one side, or
/// on both when `side` is absent), and the reason it is one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIgnore {
    pub fault: Spanned<String>,
    pub side: Option<Spanned<String>>,
    pub why: Spanned<String>,
}

/// The keys of the settings every probe shares (see [`crate::probe::Settings`]), written once
/// here for `[defaults]` and `[[probe]]`; then `$next!` is given the table, so a table with
/// request keys too passes on to [`with_request_keys!`]. `said()` reads what the table says of
/// them, for [`super::spec::SettingsSaid::over`].
macro_rules! with_setting_keys {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* } then $next:ident) => {
        $next! {
            $(#[$meta])*
            pub struct $name {
                pub timeout: Option<PanelDuration>,
                pub retries: Option<u32>,
                pub retry_delay: Option<Spanned<PanelDuration>>,
                pub severity: Option<super::Severity>,
                pub failure_threshold: Option<u32>,
                pub success_threshold: Option<u32>,
                pub proven: Option<bool>,
                pub max_body: Option<Spanned<PanelSize>>,
                #[serde(default)]
                pub tags: Vec<String>,
                pub restart: Option<RawRemedy>,
                pub restart_cooldown: Option<PanelDuration>,
                pub max_restarts: Option<u32>,
                pub restart_settle: Option<PanelDuration>,
                pub restart_timeout: Option<PanelDuration>,
                pub every: Option<Spanned<PanelDuration>>,
                pub drift: Option<crate::shape::DriftMode>,
                /// In `[defaults]`, every probe's, before its own; `{service}` is the probe's
                /// own service.
                #[serde(default)]
                pub depends_on: Vec<Spanned<String>>,
                $($body)*
            }
        }

        impl $name {
            /// What the table says of the shared settings; what it leaves unsaid is `None`.
            pub fn said(&self) -> super::spec::SettingsSaid {
                super::spec::SettingsSaid {
                    tags: self.tags.clone(),
                    severity: self.severity,
                    timeout: self.timeout.map(|t| t.0),
                    retries: self.retries,
                    retry_delay: self.retry_delay.as_ref().map(|t| t.get_ref().0),
                    failure_threshold: self.failure_threshold,
                    success_threshold: self.success_threshold,
                    proven: self.proven,
                    every: self.every.as_ref().map(|e| e.get_ref().0),
                    drift: self.drift,
                }
            }

            /// The limits of its `restart`, as written.
            pub fn restart_limits(&self) -> super::spec::RawLimits {
                (
                    self.restart_cooldown,
                    self.max_restarts,
                    self.restart_settle,
                    self.restart_timeout,
                )
            }
        }
    };
}

/// The table as the macros before it made it.
macro_rules! as_written {
    ($($table:tt)*) => { $($table)* };
}

with_setting_keys! {
    /// Panel-wide values for the per-probe settings.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawDefaults {}
    then as_written
}

/// `restart = ["hero_proc", "service", "restart", "{service}"]` or
/// `restart = { rpc = "hero_proc/rpc", method = "service.restart", params = { name = "{service}" } }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRemedy {
    Argv(Vec<String>),
    Rpc(RawRpcRemedy),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRpcRemedy {
    pub rpc: String,
    pub method: String,
    pub params: Option<toml::Value>,
}

/// `target`: one socket, or a list of them tried in turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "a target like \"hero_osis/rpc\", or a list of targets to try in turn"
)]
pub enum RawTarget {
    One(String),
    InTurn(Vec<String>),
}

/// A `[[probe]]` or `[[probe.step]]` table: the keys of one HTTP request, written once here and
/// put in each table that makes a request (serde's `flatten` would lose the keys' positions and
/// the refusal of unknown keys), and `request()` to take them out as a [`RawRequest`].
macro_rules! with_request_keys {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            pub target: Option<Spanned<RawTarget>>,
            pub get: Option<Spanned<String>>,
            pub post: Option<Spanned<String>>,
            pub rpc: Option<String>,
            pub params: Option<Spanned<toml::Value>>,
            pub json: Option<toml::Value>,
            pub body: Option<String>,
            #[serde(default)]
            pub headers: BTreeMap<String, String>,
            pub context: Option<Spanned<String>>,
            pub external_path: Option<Spanned<String>>,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        // RawRequest, made by this macro too, never takes its keys out of itself.
        #[allow(dead_code)]
        impl $name {
            /// The request keys, taken out of the table.
            pub fn request(&mut self) -> RawRequest {
                RawRequest {
                    target: self.target.take(),
                    get: self.get.take(),
                    post: self.post.take(),
                    rpc: self.rpc.take(),
                    params: self.params.take(),
                    json: self.json.take(),
                    body: self.body.take(),
                    headers: std::mem::take(&mut self.headers),
                    context: self.context.take(),
                    external_path: self.external_path.take(),
                }
            }
        }
    };
}

with_request_keys! {
    /// The keys of one HTTP request, as a probe or a step writes them.
    #[derive(Debug, Default, Clone, Deserialize)]
    pub struct RawRequest {}
}

with_setting_keys! {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawProbe {
        pub name: Option<Spanned<String>>,
        pub contexts: Option<Spanned<Vec<String>>>,
        pub distinct_from: Option<Spanned<String>>,
        pub for_each: Option<Spanned<String>>,
        pub mode: Option<super::Mode>,
        #[serde(default)]
        pub expect: Vec<Spanned<String>>,
        #[serde(default)]
        pub warn: Vec<Spanned<String>>,
        pub dns: Option<Spanned<String>>,
        pub record: Option<super::RecordType>,
        pub tls: Option<Spanned<String>>,
        pub tcp: Option<Spanned<String>>,
        pub send: Option<Spanned<String>>,
        pub browse: Option<Spanned<String>>,
        pub wait_for: Option<Spanned<String>>,
        /// `[[probe.step]]`: a flow of requests instead of one.
        #[serde(default)]
        pub step: Vec<Spanned<RawStep>>,
    }
    then with_request_keys
}

with_request_keys! {
    /// One `[[probe.step]]`: the request keys of a probe, its own conditions, what it captures.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawStep {
        #[serde(default)]
        pub expect: Vec<Spanned<String>>,
        #[serde(default)]
        pub warn: Vec<Spanned<String>>,
        #[serde(default)]
        pub capture: BTreeMap<String, Spanned<String>>,
        #[serde(default)]
        pub finally: bool,
    }
}

/// Only the probe names and where each probe stands: readable even when the strict shape is not,
/// so an error can say which probe it is in.
#[derive(Debug, Deserialize)]
pub struct ProbeOutline {
    #[serde(default)]
    pub probe: Vec<Spanned<NameOnly>>,
}

#[derive(Debug, Deserialize)]
pub struct NameOnly {
    pub name: Option<String>,
}
