//! The panel: probes written once in a TOML file, validated when loaded.
//!
//! [`load`] turns text into a [`Panel`] or a [`PanelError`] that names file, line, column and
//! probe. After loading nothing is parsed again: conditions are ASTs, durations are durations.

mod checks;
mod coverage;
mod deps;
mod error;
mod extension;
pub(crate) mod flow;
mod load;
pub(crate) mod raw;
pub(crate) mod spec;
mod suffixes;
mod target;
pub mod vantage;

pub use crate::kind::dns::{DnsSpec, RecordType};
pub use crate::kind::tcp::{TcpSpec, TcpTarget};
pub use crate::kind::tls::TlsSpec;
pub use crate::kind::ProbeKind;
pub use coverage::{Coverage, IgnoredFault};
pub use error::{with_hint, PanelError};
pub use extension::Extension;
pub use flow::MAX_STEPS;
#[cfg(feature = "http")]
pub(crate) use flow::{is_capture_name, names_in};
pub use load::{load, load_str, LoadOptions, PanelText};
pub use suffixes::{default_suffixes, serving, Suffix};
pub use target::{is_service_name, Target, TargetError, SERVICE_NAME_RULE, SERVICE_PLACEHOLDER};

use crate::condition::{Capture, Condition};
use std::path::PathBuf;
use std::time::Duration;

/// Defaults, each in one place.
pub mod defaults {
    pub use crate::probe::defaults::*;
    use std::time::Duration;
    pub(crate) const EVERY: Duration = Duration::from_secs(600);
    /// The most of a body read, unless `max_body` says otherwise.
    pub(crate) const MAX_BODY: u64 = 4 * 1024 * 1024;
    pub(crate) const SOCKET_DIR: &str = "~/hero/var/sockets";
    pub(crate) const RESTART_COOLDOWN: Duration = Duration::from_secs(30 * 60);
    pub(crate) const MAX_RESTARTS: u32 = 3;
    pub(crate) const RESTART_SETTLE: Duration = Duration::from_secs(10);
    pub(crate) const RESTART_TIMEOUT: Duration = Duration::from_secs(60);
    pub(crate) const TLS_WARN_DAYS: i64 = 21;
    pub(crate) const TLS_FAIL_DAYS: i64 = 7;
    /// The services a `for_each = "service"` expands over, from each list (`[panel]
    /// max_services`): what a supervisor lists decides no more work than this.
    pub const MAX_SERVICES: usize = 1_000;
    /// The environment variables that override the socket folder, the first set winning:
    /// `HERO_SOCKET_DIR` is what the hero router, mycelium and the hero issues use,
    /// `PATH_SOCKET` one documentation site only (/work/shared/HERO.md, "socket folder").
    pub(crate) const SOCKET_DIR_ENV: [&str; 2] = ["HERO_SOCKET_DIR", "PATH_SOCKET"];
}

/// The bounds a panel is held to when it loads, each in one place (see docs/ops/SMOKE_LOOP.md).
pub mod limits {
    use std::time::Duration;
    /// The largest panel file read; a real one is a few KiB.
    pub(crate) const MAX_PANEL_BYTES: u64 = 1024 * 1024;
    /// The longest probe or panel name: it becomes a folder name and a metric label.
    pub const MAX_NAME_CHARS: usize = 128;
    /// The longest pause between the tries of one probe: retries belong to one tick.
    pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(5 * 60);
    /// The longest `why` of a `[coverage] ignore`: one line of the coverage matrix.
    pub const MAX_IGNORE_WHY_CHARS: usize = 300;
    /// The most `[panel] max_services` may be: each service is a probe of every tick.
    pub const MAX_SERVICES: usize = 10_000;
    /// The most targets one probe may try in turn (`target = [..]`): each one not there
    /// costs a request of the probe's deadline outside.
    pub const MAX_TARGETS: usize = 4;
}

/// How loud a failure of a probe is: part of the model, named here as the panel writes it.
pub use crate::outcome::Severity;
pub use crate::probe::Settings;

/// The outside view's own checks of the public host (smoke-external makes them): a
/// `depends_on` may name them though no `[[probe]]` does.
pub const PUBLIC_DNS: &str = "public-dns";
/// The name of the outside view's certificate check of the public host.
pub const PUBLIC_TLS: &str = "public-tls";

/// Which side a probe runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// On the VM, straight over the services' Unix sockets.
    Internal,
    /// From another host, through the public URL.
    External,
}

impl Mode {
    /// The name in panels and reports: `internal` or `external`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Internal => "internal",
            Mode::External => "external",
        }
    }
}

/// A validated panel.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The panel's name, from `[panel] name`.
    pub name: String,
    /// The file it came from (for messages).
    pub source: PathBuf,
    /// How often the loop runs a tick.
    pub every: Duration,
    /// The vantage point that runs it: a label on every metric, alert and JSON report.
    pub vantage: String,
    /// Whether `--set`, `SMOKE_VANTAGE` or `[panel] vantage` named it (rather than the host
    /// name): the mark of a setup with more than one vantage point.
    pub vantage_named: bool,
    /// The most services taken from each list a `for_each = "service"` expands over: the
    /// first by name, the rest left out and said to be.
    pub max_services: usize,
    /// `[internal]`: how the inside view reaches the services.
    pub internal: Internal,
    /// `[external]`: how the outside view reaches the public host.
    pub external: External,
    /// What a probe gets for what it leaves unsaid; built-in checks are made with these.
    pub defaults: ProbeDefaults,
    /// Its probes, in file order.
    pub probes: Vec<ProbeSpec>,
    /// `[coverage]`: the faults it knowingly does not catch.
    pub coverage: Coverage,
    /// `[browser] path`: the browser `browse` probes start, else the first of
    /// chromium, chromium-browser and google-chrome on `PATH`.
    pub browser: Option<PathBuf>,
    /// `[panel] baseline`: the known-good baseline its probes are judged against for drift
    /// (relative to the panel's folder), when it names one.
    pub baseline: Option<PathBuf>,
    /// `[panel] latency_drift`: how many times its baseline p95 a probe's latency must be, in
    /// [`crate::shape::SLOW_TICKS`] of the last [`crate::shape::LATENCY_WINDOW`] ticks, to drift.
    pub latency_drift: f64,
    /// The text it was read from, for the tables and `[panel]` keys this crate leaves to the
    /// program that declared them (see [`Extension`]).
    pub text: PanelText,
}

/// `[defaults]` over `[panel]` over smoke's own defaults.
#[derive(Debug, Clone)]
pub struct ProbeDefaults {
    /// What each probe starts from; `depends_on` is left empty here, the panel's own
    /// `[defaults] depends_on` being resolved with every probe's (see `deps`).
    pub settings: Settings,
    /// The most of a body read.
    pub(crate) max_body: u64,
}

/// `[internal]`: the inside view, over the services' Unix sockets.
#[derive(Debug, Clone)]
pub struct Internal {
    /// Already expanded (`~`) and overridden by `HERO_SOCKET_DIR` / `PATH_SOCKET`.
    pub socket_dir: PathBuf,
    /// Which setting chose it.
    pub socket_dir_from: SocketDirFrom,
    /// Which sockets serve a supervised name by its suffix (`_server`: `rpc.sock`), where
    /// hero_proc's list does not say: `[internal] suffixes`, else smoke's table.
    pub suffixes: Vec<Suffix>,
}

/// Which setting chose the socket folder, the first of these that is given: `list`, `init` and
/// `run --verbose` say it, so a folder nobody expected is seen before its probes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketDirFrom {
    /// `--set internal.socket_dir`.
    Set,
    /// One of the socket folder's environment variables (`HERO_SOCKET_DIR`, then `PATH_SOCKET`), by name.
    Env(&'static str),
    /// The panel's `[internal] socket_dir`.
    Panel,
    /// smoke's own default, `~/hero/var/sockets`.
    Default,
}

impl std::fmt::Display for SocketDirFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SocketDirFrom::Set => "--set internal.socket_dir",
            SocketDirFrom::Env(var) => var,
            SocketDirFrom::Panel => "the panel's [internal] socket_dir",
            SocketDirFrom::Default => "the default",
        })
    }
}

impl Internal {
    /// `sockets: <folder> (from <setting>)`: the line that says where the inside looks.
    pub fn chosen(&self) -> String {
        format!(
            "sockets: {} (from {})",
            self.socket_dir.display(),
            self.socket_dir_from
        )
    }
}

/// `[external]`: the outside view, through the public host.
#[derive(Debug, Clone)]
pub struct External {
    /// The public URL probes go through; `None` when the panel gives none.
    pub base_url: Option<String>,
    /// DNS servers asked instead of the system's.
    pub resolvers: Vec<String>,
    /// A CA bundle trusted instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// Days before expiry under which a certificate check degrades.
    pub tls_warn_days: i64,
    /// Days before expiry under which a certificate check fails.
    pub tls_fail_days: i64,
    /// The built-in DNS check of the public host on every external run.
    pub check_dns: bool,
    /// The built-in certificate check of the public host on every external run.
    pub check_tls: bool,
    /// `dns.addresses contains "<address>"` for each address the public host must resolve
    /// to, checked by the built-in DNS check.
    pub expect_addresses: Vec<Condition>,
}

/// What a probe sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A plain `GET`.
    Get {
        /// Path and query.
        path: String,
    },
    /// A `POST` with a body.
    Post {
        /// Path and query.
        path: String,
        /// What it sends.
        body: Body,
    },
    /// A JSON-RPC 2.0 call; `path` overrides where it is POSTed.
    Rpc {
        /// The JSON-RPC method.
        method: String,
        /// Its `params`, if any.
        params: Option<serde_json::Value>,
        /// Where it is POSTed, when not the default.
        path: Option<String>,
    },
}

impl Request {
    /// The request in a few words, for `list` and a flow's steps: `GET /health`, `rpc x.list`.
    pub fn describe(&self) -> String {
        match self {
            Request::Get { path } => format!("GET {path}"),
            Request::Post { path, .. } => format!("POST {path}"),
            Request::Rpc { method, .. } => format!("rpc {method}"),
        }
    }
}

/// The body of a `POST`.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// Text, sent as written.
    Text(String),
    /// JSON, sent as `application/json`.
    Json(serde_json::Value),
}

/// `contexts = [...]` with `distinct_from`: the same call once per context, each answer's
/// `result` must differ from the reference context's.
#[derive(Debug, Clone, PartialEq)]
pub struct Contexts {
    /// The contexts the call is made in, once each.
    pub(crate) contexts: Vec<String>,
    /// The context whose answer every other must differ from.
    pub(crate) distinct_from: Option<String>,
}

/// One probe as written (a `for_each` probe is still a template here).
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// Its name, unique in the panel.
    pub name: String,
    /// What it asks, and its kind's keys.
    pub kind: ProbeKind,
    /// `for_each = "service"`: one probe per listed service.
    pub for_each_service: bool,
    /// The side it runs on; `None` for both. DNS and TLS probes are always external.
    pub(crate) mode: Option<Mode>,
    /// What it shares with every probe. Its `depends_on`, `[defaults]` first, is checked when
    /// the panel loads: names of probes of either mode or expansions of a `for_each` probe. In
    /// a template `{service}` is still there, filled in by [`ProbeSpec::for_service`]; never its
    /// own name.
    pub settings: Settings,
    /// Conditions that fail it.
    pub expect: Vec<Condition>,
    /// Conditions that only degrade it.
    pub(crate) warn: Vec<Condition>,
    /// Line of the probe in the panel file.
    pub line: usize,
}

/// A restart of the service behind a probe, and its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// How the service is restarted.
    pub remedy: Remedy,
    /// At most one restart of a service within this.
    pub cooldown: Duration,
    /// At most this many restarts of a service in 24 hours.
    pub max_per_day: u32,
    /// How long after a restart its probes run again.
    pub settle: Duration,
    /// How long the restart itself may take.
    pub timeout: Duration,
}

/// How a service is restarted. `{service}` stands for the probe's service.
#[derive(Debug, Clone, PartialEq)]
pub enum Remedy {
    /// A command, run as argv: no shell ever sees the service name.
    Argv(Vec<String>),
    /// The supervisor's JSON-RPC over its socket.
    Rpc {
        /// The supervisor's socket.
        target: Target,
        /// The JSON-RPC method.
        method: String,
        /// Its `params`, if any.
        params: Option<serde_json::Value>,
    },
}

/// An `http` probe: where it goes and what it sends.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// The service socket it goes to.
    pub target: Target,
    /// The targets tried in turn when `target` is not there on this side (`target = [..]`
    /// after its first): inside, no socket file; outside, the gateway knows no such service.
    /// Empty for a probe of one target.
    pub alternatives: Vec<Target>,
    /// What it sends.
    pub request: Request,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Sent as `X-Hero-Context`.
    pub context: Option<String>,
    /// The same call in several contexts, when asked.
    pub contexts: Option<Contexts>,
    /// Where the probe goes through the gateway when it does not follow the routing rule.
    pub external_path: Option<String>,
    /// The most of the body read; the rest is cut.
    pub max_body: u64,
    /// A flow's requests, in order; empty for a probe of one request (this spec's own). In a
    /// flow, `request` is the first step's, for describing it.
    pub steps: Vec<StepSpec>,
}

/// One request of a flow: its own target, request, conditions, and the values it captures for
/// the steps after it (`{name}` in their path, params, headers and body).
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Its own target and request.
    pub http: HttpSpec,
    /// Conditions that fail it.
    pub expect: Vec<Condition>,
    /// Conditions that only degrade it.
    pub warn: Vec<Condition>,
    /// The values it takes from its answer, by name.
    pub captures: Vec<(String, Capture)>,
    /// Runs even after an earlier step failed or the deadline passed (cleanup), with a grace.
    pub finally: bool,
}

impl ProbeSpec {
    /// A probe with the panel's defaults and no conditions (the built-in checks).
    pub fn with_defaults(name: impl Into<String>, kind: ProbeKind, d: &ProbeDefaults) -> Self {
        ProbeSpec {
            name: name.into(),
            kind,
            for_each_service: false,
            mode: None,
            settings: d.settings.clone(),
            expect: Vec::new(),
            warn: Vec::new(),
            line: 0,
        }
    }

    /// Whether this probe runs in `mode`.
    pub fn runs_in(&self, mode: Mode) -> bool {
        self.mode.is_none_or(|m| m == mode)
    }

    /// Whether `--only` selects it: by name or by tag.
    pub fn selected_by(&self, only: &[String]) -> bool {
        crate::probe::Selector(only).picks(&self.name, &self.settings.tags)
    }

    /// Whether any of its conditions, `expect` or `warn`, reads a subject `picks` accepts (a
    /// `len()` is looked through): then the probe leaves judging that part to them.
    pub fn reads(&self, picks: impl Fn(&crate::condition::Subject) -> bool) -> bool {
        self.expect
            .iter()
            .chain(&self.warn)
            .any(|c| picks(c.subject().read()))
    }

    /// The request, for an HTTP probe.
    pub fn http(&self) -> Option<&HttpSpec> {
        match &self.kind {
            ProbeKind::Http(h) => Some(h),
            _ => None,
        }
    }

    /// The probe for one service of a `for_each = "service"` template.
    pub fn for_service(&self, service: &str) -> ProbeSpec {
        let fill = |s: &str| s.replace(SERVICE_PLACEHOLDER, service);
        let mut p = self.clone();
        p.name = fill(&self.name);
        if let ProbeKind::Http(h) = &mut p.kind {
            h.fill_service(service);
            for step in &mut h.steps {
                step.http.fill_service(service);
            }
        }
        p.settings.depends_on = self
            .settings
            .depends_on
            .iter()
            .map(|d| fill(d))
            .filter(|d| *d != p.name)
            .collect();
        p.for_each_service = false;
        p
    }
}

impl HttpSpec {
    /// Puts `service` where `{service}` is written: target, path, external path.
    fn fill_service(&mut self, service: &str) {
        let fill = |s: &str| s.replace(SERVICE_PLACEHOLDER, service);
        self.target = self.target.for_service(service);
        for t in &mut self.alternatives {
            *t = t.for_service(service);
        }
        self.external_path = self.external_path.as_deref().map(fill);
        match &mut self.request {
            Request::Get { path } | Request::Post { path, .. } => *path = fill(path),
            Request::Rpc { path, .. } => *path = path.as_deref().map(fill),
        }
    }
}
