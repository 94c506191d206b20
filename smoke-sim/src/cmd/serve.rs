//! `smoke-sim serve`: start a deployment, apply the requested faults, wait for a signal.

use std::path::PathBuf;

use crate::{Deployment, Fault, Layout, Options, UiSocket, PUBLIC_HOST};
use anyhow::Context as _;

#[derive(clap::Args)]
pub struct Args {
    /// Put the sockets here instead of in a temporary folder (kept on exit).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Add N generic services svc_000.. (health and an `echo` method).
    #[arg(long, value_name = "N", default_value_t = 0)]
    extra_services: usize,
    /// Which hero to stand for: `herodemo` (the seed's) or `hero` (the hero projects as
    /// documented today; see docs/ops/SMOKE_LOOP.md, "Layouts").
    #[arg(long, value_name = "herodemo|hero", default_value_t = Layout::Herodemo)]
    layout: Layout,
    /// The file hero_os's web UI listens on.
    #[arg(long, value_name = "ui|admin", default_value_t = UiSocket::Ui)]
    ui_socket: UiSocket,
    /// Switch a fault on at start, e.g. `hang:hero_foundry` or `context-fallback`
    /// (repeatable).
    #[arg(long = "fault", value_name = "NAME[:SERVICE]")]
    faults: Vec<Fault>,
    /// Also serve the outside view: a TLS gateway for https://herodemo.smoke.test:<port>
    /// and a DNS server for smoke.test, both on loopback.
    #[arg(long)]
    external: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let opts = Options {
        dir: args.dir,
        extra_services: args.extra_services,
        ui_socket: args.ui_socket,
        layout: args.layout,
        external: args.external,
        ..Options::default()
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
    if deployment.layout() != Layout::default() {
        eprintln!("smoke-sim: layout {}", deployment.layout());
    }
    if let (Some(url), Some(gateway), Some(dns), Some(ca)) = (
        deployment.public_url(),
        deployment.gateway_addr(),
        deployment.dns_addr(),
        deployment.ca_file(),
    ) {
        eprintln!("smoke-sim: public URL {url} (gateway on {gateway})");
        if let Some(router) = deployment.router_url() {
            eprintln!("smoke-sim: hero_router's own port {router} (plain HTTP; the UI app at {router}/hero_os/ui/)");
        }
        eprintln!("smoke-sim: DNS for smoke.test on {dns}");
        eprintln!("smoke-sim: trust the test CA in {}", ca.display());
        eprintln!(
            "smoke-sim: try curl --cacert {} --resolve {PUBLIC_HOST}:{port}:127.0.0.1 {url}/hero_foundry/rpc/health",
            ca.display(),
            port = gateway.port(),
        );
    }
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
