//! The command line both binaries share: `run`, `check`, `list`. A binary only says which side
//! it is and how to make its connector.

mod args;
mod tick;

pub use args::{Cli, Command, PanelArgs, RunArgs};
pub use tick::{tick_with_state, TickOptions};

use crate::incident::{default_state_dir, StateDir};
use crate::notify::Notifier;
use crate::outcome::{Outcome, RunReport};
use crate::panel::{self, LoadOptions, Mode, Panel};
use crate::plan::Side;
use crate::report::{render, HumanStyle};
use clap::Parser;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// Makes the binary's side for a loaded panel.
pub type MakeSide = fn(&Panel) -> Result<Arc<dyn Side>, String>;

/// The whole program of a smoke binary.
pub fn main(mode: Mode, make: MakeSide) -> ExitCode {
    let cli = Cli::parse();
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
    let args = command.panel_args();
    let panel = match load(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("smoke: {e}");
            return 3;
        }
    };
    let side = match make(&panel) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smoke: {e}");
            return 3;
        }
    };
    let mut out = std::io::stdout().lock();
    match command {
        Command::Check(_) => {
            let n = panel.probes.iter().filter(|p| p.runs_in(mode)).count();
            let _ = writeln!(
                out,
                "{}: panel \"{}\" is valid: {} probes ({} in {} mode)",
                panel.source.display(),
                panel.name,
                panel.probes.len(),
                n,
                mode.as_str()
            );
            0
        }
        Command::List(args) => {
            for p in side.plan(&panel, &args.only).await {
                let _ = writeln!(out, "{}\t{}\t{}", p.probe.info().name, p.what, p.place);
            }
            0
        }
        Command::Run(run) => {
            let report = if run.no_notify {
                // A look only: no incident moves, so the next real run tells what it finds.
                run_panel(&panel, side.as_ref(), &run.panel.only, run.concurrency).await
            } else {
                let notifier = match Notifier::from_panel(&panel, mode) {
                    Ok(n) => n,
                    Err(e) => {
                        eprintln!("smoke: {e}");
                        return 3;
                    }
                };
                let dir = run
                    .state_dir
                    .clone()
                    .unwrap_or_else(|| default_state_dir(&panel.name, mode.as_str()));
                let opts = TickOptions {
                    only: &run.panel.only,
                    concurrency: run.concurrency,
                    hold_remedy: run.no_remedy.then(|| "--no-remedy".to_string()),
                };
                let outcome = match StateDir::open(&dir) {
                    Ok(dir) => tick_with_state(&panel, side.as_ref(), &opts, &notifier, &dir).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok((report, _)) => report,
                    Err(e) => {
                        eprintln!("smoke: {e}");
                        return 3;
                    }
                }
            };
            let style = HumanStyle {
                colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let _ = out.write_all(render(&report, run.format, style).as_bytes());
            let _ = out.flush();
            report.outcome.exit_code() as u8
        }
    }
}

/// One tick of `panel` from this side.
pub async fn run_panel(
    panel: &Panel,
    side: &dyn Side,
    only: &[String],
    concurrency: usize,
) -> RunReport {
    let planned = side.plan(panel, only).await;
    run_planned(panel, side, planned, concurrency).await
}

/// Runs probes already planned.
pub async fn run_planned(
    panel: &Panel,
    side: &dyn Side,
    planned: Vec<crate::plan::Planned>,
    concurrency: usize,
) -> RunReport {
    let mode = side.mode();
    let probes = planned.into_iter().map(|p| p.probe).collect();
    let mut report = crate::runner::run_tick(&panel.name, mode.as_str(), probes, concurrency).await;
    if report.probes.is_empty() {
        // A run that checked nothing is not a pass.
        report.outcome = Outcome::Error;
    }
    report
}

fn load(args: &PanelArgs) -> Result<Panel, String> {
    let path = args.panel.as_ref().ok_or(
        "no panel: give --panel FILE or set SMOKE_PANEL (the herodemo panel is probes/herodemo.toml)",
    )?;
    panel::load(path, &LoadOptions::from_env(args.set.clone())).map_err(|e| e.to_string())
}

fn fatal(message: String) -> ExitCode {
    eprintln!("smoke: {message}");
    ExitCode::from(3)
}
