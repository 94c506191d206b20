//! The herodemo panel pointed at a simulated deployment's gateway, DNS server and test CA.
#![allow(dead_code)]

pub mod relay;

use smoke_core::engine::{load, run_panel, LoadOptions, Panel};
use smoke_core::prelude::{Outcome, ProbeReport, RunReport};
use smoke_sim::{Deployment, Options};
use std::path::{Path, PathBuf};

pub fn herodemo_panel() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../probes/herodemo.toml")
}

pub async fn deployment() -> Deployment {
    deployment_as(smoke_sim::Layout::Herodemo).await
}

/// [`deployment`] in `layout`.
pub async fn deployment_as(layout: smoke_sim::Layout) -> Deployment {
    Deployment::start_with(Options {
        external: true,
        layout,
        ..Options::default()
    })
    .await
    .expect("the simulated deployment starts")
}

/// `--set` values that point the panel at the simulation, from inside and from outside.
pub fn sets(sim: &Deployment) -> Vec<String> {
    vec![
        format!("internal.socket_dir={}", sim.socket_dir().display()),
        format!("external.base_url={}", sim.public_url().unwrap()),
        format!("external.resolvers=[\"{}\"]", sim.dns_addr().unwrap()),
        format!("external.ca_file={}", sim.ca_file().unwrap().display()),
        "panel.timeout=1s".to_string(),
        "defaults.retries=0".to_string(),
    ]
}

pub fn panel_for(sim: &Deployment) -> Panel {
    load(
        &herodemo_panel(),
        &LoadOptions {
            sets: sets(sim),
            extension: smoke_loop::config::EXTENSION,
            ..Default::default()
        },
    )
    .expect("the herodemo panel loads")
}

pub async fn external(sim: &Deployment) -> RunReport {
    let panel = panel_for(sim);
    let side = smoke_external::side(&panel).expect("the external side sets up");
    run_panel(&panel, side.as_ref(), &[], 32).await
}

pub async fn internal(sim: &Deployment) -> RunReport {
    let panel = panel_for(sim);
    run_panel(&panel, smoke_internal::side(&panel).as_ref(), &[], 32).await
}

pub fn probe<'a>(report: &'a RunReport, name: &str) -> &'a ProbeReport {
    report
        .probes()
        .iter()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| panic!("no probe {name} in\n{}", describe(report)))
}

pub fn not_ok(report: &RunReport) -> Vec<&str> {
    report
        .probes()
        .iter()
        .filter(|p| p.outcome() != Outcome::Ok)
        .map(|p| p.name())
        .collect()
}

pub fn describe(report: &RunReport) -> String {
    smoke_core::prelude::human(report, Default::default())
}
