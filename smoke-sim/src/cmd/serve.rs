//! `smoke-sim serve`: start a deployment, apply the requested faults, wait for a signal.

use std::path::PathBuf;

use anyhow::Context as _;
use smoke_sim::{Deployment, Fault, Options, UiSocket};

#[derive(clap::Args)]
pub struct Args {
    /// Put the sockets here instead of in a temporary folder (kept on exit).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Add N generic services svc_000.. (health and an `echo` method).
    #[arg(long, value_name = "N", default_value_t = 0)]
    extra_services: usize,
    /// The file hero_os's web UI listens on.
    #[arg(long, value_name = "ui|admin", default_value_t = UiSocket::Ui)]
    ui_socket: UiSocket,
    /// Switch a fault on at start, e.g. `hang:hero_foundry` or `context-fallback`
    /// (repeatable).
    #[arg(long = "fault", value_name = "NAME[:SERVICE]")]
    faults: Vec<Fault>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let opts = Options {
        dir: args.dir,
        extra_services: args.extra_services,
        ui_socket: args.ui_socket,
    };
    let deployment = Deployment::start_with(opts)
        .await
        .context("starting the simulated deployment")?;
    for fault in args.faults {
        deployment.set(fault);
    }
    // The folder alone on stdout, so scripts can capture it; the rest is for people.
    println!("{}", deployment.socket_dir().display());
    eprintln!(
        "smoke-sim: {} services listening under {}",
        deployment.services().len(),
        deployment.socket_dir().display()
    );
    let active = deployment.active();
    if !active.is_empty() {
        let names: Vec<String> = active.iter().map(Fault::to_string).collect();
        eprintln!("smoke-sim: faults on: {}", names.join(", "));
    }
    eprintln!("smoke-sim: press Ctrl-C to stop");
    wait_for_signal().await?;
    eprintln!(
        "smoke-sim: stopping after {} requests",
        deployment.requests_served()
    );
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        res = tokio::signal::ctrl_c() => res.context("listening for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}
