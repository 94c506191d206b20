//! The command line both binaries share: `run`, `check`, `list`, `watch`, `mute`, `unmute`,
//! `status`, `init`, `baseline`, `gate`, `relay`. A binary only says which side it is and how to make it.

mod args;
mod error;
mod gate;
mod quiet;
pub(crate) mod serve;
mod status;
mod tick;
mod watch;

pub use args::{
    BaselineArgs, Cli, Command, GateArgs, InitArgs, ListArgs, MuteArgs, PanelArgs, RelayArgs,
    RunArgs, StatusArgs, UnmuteArgs, WatchArgs,
};
pub use error::CliError;
pub use tick::{tick_with_state, TickError, TickFault, TickOptions};

use crate::config::LoopConfig;
use crate::notify::Notifier;
use crate::state_dir::{default_state_dir, StateDir};
use smoke_core::engine::{Mode, Panel, Side};
use smoke_core::prelude::{Outcome, RunReport};
use smoke_core::{engine::render, prelude::HumanStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub use smoke_core::engine::MakeSide;

/// The whole program of a smoke binary.
pub fn main(mode: Mode, make: MakeSide) -> ExitCode {
    let cli = match parse(mode) {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    crate::server::raise_open_files_limit();
    ignore_file_size_signal();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(execute(cli.command, mode, make));
    // Hung connections may still be parked in tasks: don't wait for them at exit.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Runs one command and returns its exit status (0/1/2 by outcome, 3 when the panel or the
/// checker is broken).
pub async fn execute(command: Command, mode: Mode, make: MakeSide) -> u8 {
    let Some(panel_args) = command.panel_args() else {
        return match command {
            Command::Init(args) => {
                let asked = crate::init::Request {
                    path: &args.path,
                    name: args.name.as_deref(),
                    base_url: args.base_url.as_deref(),
                    set: &args.set,
                    timeout: args.timeout,
                    force: args.force,
                };
                crate::init::init(&asked, mode, make)
                    .await
                    .unwrap_or_else(broken)
            }
            Command::Status(args) => status::status(&args, mode).unwrap_or_else(broken),
            _ => unreachable!("only init and status need no panel"),
        };
    };
    // `baseline` writes the file the panel may name: it must not need it to be there.
    let with_baseline = !matches!(command, Command::Baseline(_));
    let (panel, config) = match load_as(panel_args, with_baseline.then_some(mode)) {
        Ok(p) => p,
        Err(e) => return broken(e),
    };
    let result = match command {
        Command::Check(args) => check(&panel, &config, mode, &args.only),
        Command::Relay(r) if !r.panel.only.is_empty() => Err(CliError::RelayOnly),
        Command::Relay(r) => {
            crate::relay::relay(panel, config, mode, r.listen, r.state_dir.as_deref())
                .await
                .map_err(CliError::from)
        }
        Command::Unmute(u) => quiet::unmute(&panel, mode, &u),
        command => {
            let side = match make(&panel) {
                Ok(s) => s,
                Err(e) => return broken(e),
            };
            match command {
                Command::List(args) => list(&panel, side.as_ref(), mode, &args).await,
                Command::Mute(m) => quiet::mute(&panel, side.as_ref(), mode, &m),
                Command::Run(run) => match nothing_to_run(&panel, mode, &run.panel.only) {
                    Some(why) => Err(why),
                    None => run_once(&panel, &config, side.as_ref(), mode, &run).await,
                },
                Command::Watch(w) => match nothing_to_run(&panel, mode, &w.run.panel.only) {
                    Some(why) => Err(why),
                    None => watch::watch(panel, config, side, mode, make, w).await,
                },
                Command::Baseline(b) => match nothing_to_run(&panel, mode, &b.panel.only) {
                    Some(why) => Err(why),
                    None => baseline(&panel, side.as_ref(), &b).await,
                },
                Command::Gate(g) => match nothing_to_run(&panel, mode, &g.panel.only) {
                    Some(why) => Err(why),
                    None => gate::gate(&panel, &config, side.as_ref(), mode, &g).await,
                },
                Command::Check(_)
                | Command::Unmute(_)
                | Command::Init(_)
                | Command::Status(_)
                | Command::Relay(_) => {
                    unreachable!()
                }
            }
        }
    };
    result.unwrap_or_else(broken)
}

fn broken(e: impl std::fmt::Display) -> u8 {
    eprintln!("smoke: {e}");
    3
}

/// Why a run of the panel on this side would check nothing, if it would. A run that checks
/// nothing is no pass, so `check`, `run` and `watch` refuse it alike, saying why.
fn nothing_to_run(panel: &Panel, mode: Mode, only: &[String]) -> Option<CliError> {
    let here: Vec<_> = panel.probes.iter().filter(|p| p.runs_in(mode)).collect();
    if here.is_empty() {
        return Some(CliError::NoProbeHere {
            file: panel.source.clone(),
            panel: panel.name.clone(),
            mode: mode.as_str(),
        });
    }
    if !here.iter().any(|p| p.selected_by(only)) {
        return Some(CliError::NoneOnly {
            only: only.to_vec(),
            panel: panel.name.clone(),
            mode: mode.as_str(),
        });
    }
    None
}

fn check(panel: &Panel, config: &LoopConfig, mode: Mode, only: &[String]) -> Result<u8, CliError> {
    if let Some(why) = nothing_to_run(panel, mode, only) {
        return Err(why);
    }
    if let Some(warning) = several_forges(panel, config) {
        eprintln!("smoke: warning: {warning}");
    }
    let n = panel.probes.iter().filter(|p| p.runs_in(mode)).count();
    println!(
        "{}: panel \"{}\" is valid: {} probes ({} in {} mode)",
        panel.source.display(),
        panel.name,
        panel.probes.len(),
        n,
        mode.as_str()
    );
    if let (Some(path), Some(known)) = (&panel.baseline, &config.baseline) {
        match known.side(mode.as_str()) {
            Some(side) => println!(
                "{}: the {} side's baseline of {} probes, taken {} over {} ticks",
                path.display(),
                mode.as_str(),
                side.probes.len(),
                side.taken.strftime("%Y-%m-%d %H:%M UTC"),
                side.ticks
            ),
            // Said, not refused: the other side's part may be all the file was meant to hold.
            None => println!(
                "{}: no baseline of the {} side: its probes are not judged for drift (take one with `baseline`)",
                path.display(),
                mode.as_str()
            ),
        }
    }
    Ok(0)
}

/// Where a panel names its vantage point (a setup of several hosts) and still has each host
/// tell the forge itself: every host would open, close and reopen the same issues.
pub(crate) fn several_forges(panel: &Panel, config: &LoopConfig) -> Option<String> {
    let forge = config
        .notify
        .iter()
        .find(|n| n.kind == "forge" && !n.relay)?;
    panel.vantage_named.then(|| {
        format!(
            "the panel names its vantage point (\"{}\") and [[notify]] {} (line {}) is a forge sink each host would tell: with several vantage points, mark it relay = true and run `relay`, so one issue is opened per incident",
            panel.vantage, forge.name, forge.line
        )
    })
}

/// Says on stderr where the inside looks and which setting chose it (`list`, `init`,
/// `run --verbose`); the outside has no socket folder.
pub(crate) fn say_where(panel: &Panel, mode: Mode) {
    if mode == Mode::Internal {
        smoke_core::say!("{}", panel.internal.chosen());
    }
}

async fn list(panel: &Panel, side: &dyn Side, mode: Mode, args: &ListArgs) -> Result<u8, CliError> {
    say_where(panel, mode);
    let plan = side.plan(panel, &args.panel.only).await;
    for note in plan.notes().iter().chain(plan.unprobed()) {
        smoke_core::say!("{note}");
    }
    // Where the loop has run, what its probes proved there.
    let dir = state_dir(panel, mode, args.state_dir.as_deref());
    let proofs = match dir.join(crate::state_dir::STATE_FILE).is_file() {
        true => Some(crate::state_dir::read_state(&dir)?.proofs),
        false => None,
    };
    let mut out = std::io::stdout().lock();
    for p in plan.probes() {
        let unproven = proofs
            .as_ref()
            .and_then(|proofs| crate::proving::listed(proofs, p))
            .map(|why| format!("\t{why}"))
            .unwrap_or_default();
        // `place` can quote the supervisor's error when the services could not be listed.
        let _ = writeln!(
            out,
            "{}\t{}\t{}{unproven}",
            p.probe().info().name,
            p.what(),
            smoke_core::engine::Escaped(p.place())
        );
    }
    Ok(0)
}

/// The state folder of a run: the flag, else the default for the panel and side.
fn state_dir(panel: &Panel, mode: Mode, flag: Option<&std::path::Path>) -> std::path::PathBuf {
    flag.map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| default_state_dir(&panel.name, mode.as_str()))
}

fn tick_options(run: &RunArgs) -> TickOptions<'_> {
    TickOptions {
        only: &run.panel.only,
        concurrency: run.concurrency,
        hold_remedy: run.no_remedy.then(|| "--no-remedy".to_string()),
    }
}

async fn run_once(
    panel: &Panel,
    config: &LoopConfig,
    side: &dyn Side,
    mode: Mode,
    run: &RunArgs,
) -> Result<u8, CliError> {
    if run.verbose {
        say_where(panel, mode);
    }
    // A tick without the state folder, judged for drift all the same.
    let look = || {
        crate::known::run_panel(
            panel,
            config.baseline.as_ref(),
            side,
            &run.panel.only,
            run.concurrency,
        )
    };
    let (report, state, broken_state) = if run.no_notify {
        // A look only: no incident moves, so the next real run tells what it finds.
        (look().await, None, None)
    } else {
        // A sink that cannot be set up (a missing secret) is a broken panel: 3 before any probe.
        let notifier = Notifier::from_config(panel, config, mode)?;
        match tick_in(panel, config, side, mode, run, &notifier).await {
            Ok((report, state)) => (report, Some(state), None),
            // The probes are run and reported whatever became of the state: a broken state
            // folder or a full disk must not hide what is down.
            Err(TickError {
                report: Some(report),
                error,
            }) => (*report, None, Some(error.into())),
            Err(TickError {
                report: None,
                error,
            }) => (look().await, None, Some(error.into())),
        }
    };
    if report.probes().is_empty() {
        eprintln!(
            "smoke: no probe of panel \"{}\" resolved on the {} side: nothing was checked",
            panel.name,
            mode.as_str()
        );
    }
    let metrics = match &run.metrics_file {
        Some(file) => write_metrics(file, &report, state.as_ref().map(|s| &s.core)),
        None => Ok(()),
    };
    let style = HumanStyle {
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(render(&report, run.format, style).as_bytes());
    let _ = out.flush();
    match broken_state.map_or(metrics, Err) {
        Ok(()) => Ok(report.outcome().exit().code()),
        Err(e) => {
            eprintln!("smoke: {e}");
            // A failed probe is still the news (2); anything else is a broken run (3).
            Ok(if report.outcome() == Outcome::Fail {
                2
            } else {
                3
            })
        }
    }
}

/// A tick with its state folder: incidents, the outbox, the results log.
async fn tick_in(
    panel: &Panel,
    config: &LoopConfig,
    side: &dyn Side,
    mode: Mode,
    run: &RunArgs,
    notifier: &Notifier,
) -> Result<(RunReport, crate::loop_state::LoopState), TickError> {
    let dir = StateDir::open(&state_dir(panel, mode, run.state_dir.as_deref()))?;
    let rollup = crate::rollup::Kept::of(dir.path());
    tick_with_state(
        panel,
        config,
        side,
        &tick_options(run),
        notifier,
        &dir,
        &rollup,
    )
    .await
}

/// The tick's metrics for node_exporter's textfile collector, replaced atomically so it never
/// reads half a file.
fn write_metrics(
    file: &std::path::Path,
    report: &RunReport,
    state: Option<&smoke_core::engine::State>,
) -> Result<(), CliError> {
    let metrics = smoke_core::engine::prometheus(report, state);
    write_file(file, "--metrics-file", metrics.as_bytes(), 0o600)
}

/// Replaces `file`, given by `flag`, whole (a reader never sees half of it), with `mode`: the
/// one way a command writes a file it was told to.
pub(crate) fn write_file(
    file: &std::path::Path,
    flag: &'static str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), CliError> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::NotAFileName {
            flag,
            path: file.to_path_buf(),
        })?;
    Ok(crate::state_dir::write_atomic_mode(dir, name, bytes, mode)?)
}

/// The panel and the loop's tables of it, each error at its file, line and column, with the
/// part of the known-good baseline it names that the side `mode` judges by.
fn load(args: &PanelArgs, mode: Mode) -> Result<(Panel, LoopConfig), CliError> {
    load_as(args, Some(mode))
}

/// [`load`], with the baseline of side `baseline`, or none read.
fn load_as(args: &PanelArgs, baseline: Option<Mode>) -> Result<(Panel, LoopConfig), CliError> {
    let path = args.panel.as_ref().ok_or(CliError::NoPanel)?;
    let panel = smoke_core::engine::load(path, &crate::config::load_options(args.set.clone()))?;
    let mut config = LoopConfig::read(&panel)?;
    if let Some(mode) = baseline {
        config.baseline = crate::known::read(&panel, mode)?;
    }
    Ok((panel, config))
}

/// `baseline`: the panel's known-good baseline taken on this side and written; 3 with the one
/// line that says which probe did not pass.
async fn baseline(panel: &Panel, side: &dyn Side, args: &BaselineArgs) -> Result<u8, CliError> {
    use crate::known::{take, Taken};
    let out = args
        .out
        .clone()
        .or_else(|| panel.baseline.clone())
        .unwrap_or_else(|| crate::known::default_path(panel));
    let only = &args.panel.only;
    match take(
        panel,
        side,
        only,
        args.concurrency,
        args.ticks as usize,
        &out,
    )
    .await
    {
        Taken::Good { side, file } => {
            // Reviewed and committed beside the panel: readable by all, like the panel.
            write_file(&out, "--out", file.to_json().as_bytes(), 0o644)?;
            println!(
                "baseline of {} probes over {} ticks written to {}",
                side.probes.len(),
                side.ticks,
                out.display()
            );
            Ok(0)
        }
        Taken::Refused(why) => {
            eprintln!(
                "smoke: no baseline written: {}",
                smoke_core::engine::Escaped(&why.to_string())
            );
            Ok(3)
        }
    }
}

/// A file past the size limit is then a write error, said and survived like a full disk,
/// instead of SIGXFSZ killing the process before it prints its report.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal to be ignored touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// A usage error exits 3 like any broken invocation (2 is "a probe failed", which monitoring
/// reads as CRITICAL); `--help` and `--version` are no error and exit 0.
/// The command line, the program named after its side (`--version`, `--help`, usage errors).
/// What `--version` prints after the binary's name: the version and the commit it was built
/// from ("unknown" when built outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SMOKE_COMMIT"),
    ")"
);

/// The binary of each side, as installed and as named in its help, man page and completions.
pub fn binary_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Internal => "smoke-internal",
        Mode::External => "smoke-external",
    }
}

/// The command line of one side's binary: the one it parses, and the one its man page and
/// shell completions are made from (`init --base-url` only where it means something).
pub fn command(mode: Mode) -> clap::Command {
    use clap::CommandFactory;
    let name = binary_name(mode);
    init_for_side(Cli::command(), mode)
        .name(name)
        .bin_name(name)
        .version(VERSION)
}

/// smoke-external's `init` needs `--base-url`; smoke-internal's has none to show.
fn init_for_side(cli: clap::Command, mode: Mode) -> clap::Command {
    cli.mut_subcommand("init", |init| match mode {
        Mode::External => init.mut_arg("base_url", |a| a.required(true)),
        Mode::Internal => init.mut_arg("base_url", |a| a.hide(true)),
    })
}

fn parse(mode: Mode) -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command(mode).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

fn usage(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(if e.use_stderr() { 3 } else { 0 })
}

fn fatal(message: String) -> ExitCode {
    eprintln!("smoke: {message}");
    ExitCode::from(3)
}
