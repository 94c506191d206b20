//! The flags, declared once for both binaries.

use smoke_core::engine::Format;

/// Where `watch --listen` serves when given no address: loopback, Prometheus's port range.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    version,
    about = "Runs a panel of probes and says which user path is broken"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the panel once, print the report, exit 0 ok / 1 degraded / 2 failed / 3 broken panel.
    Run(RunArgs),
    /// Validate the panel without probing.
    Check(PanelArgs),
    /// Print the probes as they resolve on this side.
    List(ListArgs),
    /// The loop: a tick now, then every panel.every (with jitter); SIGHUP reloads the panel,
    /// SIGTERM stops after saving.
    Watch(WatchArgs),
    /// Quiet a probe (or every probe with a tag) for a while: it runs and shows, tells no one.
    Mute(MuteArgs),
    /// End a mute.
    Unmute(UnmuteArgs),
    /// Print the status page's summary from a state folder (uptime, latency, incidents), or
    /// write the page once with --html; reads alongside a running watch, never takes its lock.
    Status(StatusArgs),
    /// Write a starting panel at PATH from what the running deployment shows (its services,
    /// their health, their list calls); never over a file unless --force.
    Init(InitArgs),
    /// Take the known-good baseline: run the panel N times on a deployment known to be good and
    /// write what its answers look like (shapes and counts, never values) into the panel's
    /// baseline file; refused (exit 3) when any probe does not pass.
    Baseline(BaselineArgs),
    /// Say whether this state of the deployment is good, before a snapshot or at the end of a
    /// deploy: N ticks back to back (or the running loop's over --for DURATION), each with no
    /// failure and no drift from the baseline, and no incident open. Exit 0 good, 2 not good
    /// (a line per reason), 3 cannot tell.
    Gate(GateArgs),
    /// Serve Alertmanager's webhook: the quorum alert of several vantage points becomes one
    /// incident, told to the sinks marked relay = true (the forge issue, Slack).
    Relay(RelayArgs),
}

impl Command {
    /// The panel a command reads; `None` for `init`, which writes one.
    pub fn panel_args(&self) -> Option<&PanelArgs> {
        match self {
            Command::Run(r) => Some(&r.panel),
            Command::Watch(w) => Some(&w.run.panel),
            Command::Mute(m) => Some(&m.panel),
            Command::Unmute(u) => Some(&u.panel),
            Command::Relay(r) => Some(&r.panel),
            Command::Baseline(b) => Some(&b.panel),
            Command::Gate(g) => Some(&g.panel),
            Command::Check(p) => Some(p),
            Command::List(l) => Some(&l.panel),
            Command::Init(_) | Command::Status(_) => None,
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Serve /metrics, /status, /status.json and /healthz here; `--listen` alone is
    /// 127.0.0.1:9464 (keep it on loopback, or behind a proxy).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_LISTEN)]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// How many ticks it is taken from, back to back: more widens what counts as healthy.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub ticks: u32,
    /// Where to write it (default: the panel's `[panel] baseline`, else <panel>.baseline.json
    /// beside the panel). The other side's part of a file already there is kept.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How many probes run at once.
    #[arg(long, default_value_t = smoke_core::engine::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// Run the panel this many times back to back (default 3), nothing written, no sink told,
    /// and judge those ticks; latency drift needs 3 or more.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000), conflicts_with = "duration")]
    pub ticks: Option<u32>,
    /// Run nothing: judge the running loop's ticks of the last DURATION (like 1h), read from its
    /// state folder; it must keep a tick older than the window's start.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_positive, conflicts_with = "only")]
    pub duration: Option<std::time::Duration>,
    /// Also write the attestation here (JSON, atomically, whatever the verdict): the panel's
    /// and the baseline's SHA-256, smoke's version and commit, the side, the window, each probe.
    #[arg(long, value_name = "FILE")]
    pub attest: Option<PathBuf>,
    /// Also write a JUnit file here (atomically): a test case per probe, its worst tick.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The loop's state folder, for its open incidents and (--for) its history; read only, its
    /// lock never taken (default: the panel's, as `run` finds it).
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// How many probes run at once.
    #[arg(long, default_value_t = smoke_core::engine::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

/// How many ticks `gate` runs unless told.
pub const GATE_TICKS: u32 = 3;

#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// Where Alertmanager posts (path /alertmanager); keep it on loopback or behind a proxy.
    #[arg(long, value_name = "ADDR", default_value = crate::relay::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Where the relay's incidents and outbox live (default:
    /// $XDG_STATE_HOME/smoke/<panel>-<mode>-relay).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The loop's state folder (default: the panel's, when --panel is given).
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The panel, only to find its default state folder.
    #[arg(long, env = "SMOKE_PANEL")]
    pub panel: Option<PathBuf>,
    /// Write the status page to FILE (atomically, for a web server to publish) instead of
    /// printing the summary.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print the figures of /status.json instead of the summary.
    #[arg(long, conflicts_with = "html")]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct InitArgs {
    /// Where to write the panel, like probes/mine.toml.
    pub path: PathBuf,
    /// The panel's name (default: the file name without .toml).
    #[arg(long)]
    pub name: Option<String>,
    /// The public URL the gateway answers on (smoke-external only).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// How to reach the deployment, like internal.socket_dir=DIR or external.ca_file=FILE.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The bound on each question to the deployment, and the panel's timeout.
    #[arg(long, default_value = "5s", value_parser = parse_positive)]
    pub timeout: std::time::Duration,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MuteArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// A probe name or a tag.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub target: Option<String>,
    /// Every probe of the panel on this side, its own checks too (a deploy's window).
    #[arg(long)]
    pub all: bool,
    /// How long, like 2h or 30m (more than 0, at most ten years).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_mute_for)]
    pub duration: std::time::Duration,
    /// Why, for whoever reads the status later.
    #[arg(long, default_value = "muted by hand")]
    pub reason: String,
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct UnmuteArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// The probe name or tag that was muted.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub target: Option<String>,
    /// End the mute of every probe (`mute --all`); the mutes of one probe or tag stay.
    #[arg(long)]
    pub all: bool,
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Why a duration flag was refused; clap says it after the flag and its value.
#[derive(Debug, thiserror::Error)]
enum DurationFlagError {
    /// Not a duration at all.
    #[error(transparent)]
    Unit(#[from] smoke_core::engine::UnitError),
    #[error("`{0}` mutes for no time: give a duration like 2h")]
    MuteForNothing(String),
    #[error("`{0}` is no time: give a duration like 5s")]
    NoTime(String),
}

/// A mute of no time would quiet nothing and still be written; say so instead.
fn parse_mute_for(s: &str) -> Result<std::time::Duration, DurationFlagError> {
    match smoke_core::engine::parse_duration(s)? {
        d if d.is_zero() => Err(DurationFlagError::MuteForNothing(s.to_string())),
        d => Ok(d),
    }
}

/// A timeout of no time would fail every question before it is asked.
fn parse_positive(s: &str) -> Result<std::time::Duration, DurationFlagError> {
    match smoke_core::engine::parse_duration(s)? {
        d if d.is_zero() => Err(DurationFlagError::NoTime(s.to_string())),
        d => Ok(d),
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct PanelArgs {
    /// The panel file.
    #[arg(long, env = "SMOKE_PANEL")]
    pub panel: Option<PathBuf>,
    /// Override a panel field for this run, like external.base_url=https://staging.example.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Only the probes with this name or tag (repeatable).
    #[arg(long, value_name = "NAME|TAG")]
    pub only: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// The loop's state folder, to say which probes have not yet passed there (default: the
    /// panel's); a folder the loop has not run in says nothing.
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// How the report is printed.
    #[arg(long, default_value = "human", value_parser = format_parser())]
    pub format: Format,
    /// How many probes run at once.
    #[arg(long, default_value_t = smoke_core::engine::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Where incidents, the outbox and results.jsonl live (default: $XDG_STATE_HOME/smoke/<panel>-<mode>).
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// A look only: no sink is told, no incident moves, nothing is written to the state folder.
    #[arg(long)]
    pub no_notify: bool,
    /// Restart nothing this run, whatever the panel's `restart` says (and say so).
    #[arg(long)]
    pub no_remedy: bool,
    /// Also write the tick as Prometheus metrics to this file (atomically), for
    /// node_exporter's textfile collector.
    #[arg(long, value_name = "FILE")]
    pub metrics_file: Option<PathBuf>,
    /// Also say on stderr where the probes look (inside: the socket folder and which setting
    /// chose it).
    #[arg(long, short)]
    pub verbose: bool,
}

/// `--format`, with every name listed in `--help` and in the error for a wrong one.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(|(name, _)| name))
        // Only a listed name gets here.
        .map(|name| name.parse().unwrap_or(Format::Human))
}
