//! `smoke-sim bench`: prints what one `smoke-internal run` costs, for the herodemo panel and for
//! a generated wide panel, and for a panel whose every probe fails; and how many notifications
//! a second `relay` takes while its forge is slow.

use crate::bench::{render, run, BenchOptions};
use crate::relay_bench::{self, RelayOptions};
use anyhow::Context as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The smoke-internal binary (default: beside this one, as `cargo build --release` puts it).
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// The herodemo panel.
    #[arg(long, default_value = "probes/herodemo.toml")]
    panel: PathBuf,
    /// Measured runs per scenario.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Probes in the generated panel.
    #[arg(long, default_value_t = 1000)]
    probes: usize,
    /// Sockets the generated panel spreads over.
    #[arg(long, default_value_t = 100)]
    sockets: usize,
    /// Stale sockets for the failing scenario (every probe fails, every incident opens), at most
    /// 10,000 (`[panel] max_services`); 0 skips it.
    #[arg(long, default_value_t = 10_000)]
    failing: usize,
    /// Notifications posted to `relay`, each opening or closing an incident, while the forge
    /// answers after --relay-sink-latency; 0 skips it.
    #[arg(long, default_value_t = 2000)]
    relay: usize,
    /// Clients posting to `relay` at once.
    #[arg(long, default_value_t = 8)]
    relay_at_once: usize,
    /// How long the relay's forge takes to answer each call, in seconds.
    #[arg(long, default_value_t = 1.0)]
    relay_sink_latency: f64,
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let exe = super::smoke_internal_exe(args.exe)?;
    let opts = BenchOptions {
        exe,
        herodemo: args.panel,
        runs: args.runs.max(1),
        probes: args.probes,
        sockets: args.sockets,
        failing: args.failing,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "smoke bench: `{} run`, process start to exit, {} runs per scenario after a warm-up, {cores} cores",
        opts.exe.display(),
        opts.runs
    );
    let scenarios = run(&opts).await.context("running the benchmark")?;
    print!("{}", render(&scenarios));
    if args.relay > 0 {
        let relay = RelayOptions {
            exe: opts.exe.clone(),
            notifications: args.relay,
            at_once: args.relay_at_once.max(1),
            sink_latency: std::time::Duration::try_from_secs_f64(args.relay_sink_latency)
                .context("--relay-sink-latency")?,
        };
        let figures = relay_bench::run(&relay)
            .await
            .context("running the relay benchmark")?;
        print!("{}", relay_bench::render(&figures));
    }
    Ok(())
}
