//! What the scenario tests share: the herodemo panel pointed at a simulated deployment.
#![allow(dead_code)]

pub mod world;

use smoke_core::engine::{load, run_panel, LoadOptions, Panel};
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Outcome, RunReport},
};
use smoke_sim::Deployment;
use std::path::{Path, PathBuf};

pub fn herodemo_panel() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../probes/herodemo.toml")
}

/// `smoke-internal run` of `panel`, its state in `state`, on the simulated sockets, with a
/// short timeout and no retries, its probes proven (the scenarios break a deployment they are
/// known to pass on); the caller adds what its test needs and runs it.
pub fn run_on(sim: &Deployment, panel: &Path, state: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.arg("run")
        .arg("--panel")
        .arg(panel)
        .arg("--state-dir")
        .arg(state)
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .args(["--set", "panel.timeout=1s", "--set", "defaults.retries=0"])
        .args(["--set", "defaults.proven=true"])
        .kill_on_drop(true);
    cmd
}

/// The herodemo panel on the simulated sockets, with a short timeout and no retries so a fault
/// shows within a second.
pub fn panel_for(sim: &Deployment, extra: &[&str]) -> Panel {
    let mut sets = vec![
        format!("internal.socket_dir={}", sim.socket_dir().display()),
        "panel.timeout=1s".to_string(),
        "defaults.retries=0".to_string(),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    load(
        &herodemo_panel(),
        &LoadOptions {
            sets,
            extension: smoke_loop::config::EXTENSION,
            ..Default::default()
        },
    )
    .expect("the herodemo panel loads")
}

pub async fn tick(sim: &Deployment) -> RunReport {
    let panel = panel_for(sim, &[]);
    run_panel(&panel, smoke_internal::side(&panel).as_ref(), &[], 32).await
}

/// Asserts that exactly `failing` failed, each with `cause` (and `phase`) and `words` in its
/// detail, and that every other probe passed.
pub fn assert_only_fails(
    report: &RunReport,
    failing: &[&str],
    cause: Cause,
    phase: Option<Phase>,
    words: &[&str],
) {
    let failed: Vec<&str> = report
        .probes()
        .iter()
        .filter(|p| p.outcome() != Outcome::Ok)
        .map(|p| p.name())
        .collect();
    let mut want = failing.to_vec();
    want.sort();
    let mut got = failed.clone();
    got.sort();
    assert_eq!(got, want, "{}", describe(report));
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(report));
    for p in report
        .probes()
        .iter()
        .filter(|p| failing.contains(&p.name()))
    {
        assert_eq!(p.outcome(), Outcome::Fail, "{}", describe(report));
        assert_eq!(p.cause(), Some(cause), "{}", describe(report));
        if phase.is_some() {
            assert_eq!(p.phase(), phase, "{}", describe(report));
        }
        let detail = p.detail().unwrap_or("");
        for w in words {
            assert!(detail.contains(w), "{}: {detail:?} lacks {w:?}", p.name());
        }
    }
}

/// Asserts a tick of the herodemo panel over `sim` passes, every probe `ok`.
pub async fn assert_green(sim: &Deployment) {
    let report = tick(sim).await;
    assert_eq!(
        report.outcome(),
        smoke_core::prelude::Outcome::Ok,
        "{}",
        describe(&report)
    );
}

pub fn describe(report: &RunReport) -> String {
    smoke_core::prelude::human(report, Default::default())
}

/// The `smoke-internal` binary with no panel, state folder or sockets from the environment.
pub fn smoke_command() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.env_remove("SMOKE_PANEL")
        .env_remove("SMOKE_STATE_DIR")
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR");
    cmd
}
