//! `smoke-sim soak`: the loop's memory and status page over a long run, from a prefilled history.

use crate::soak::{render, run, SoakOptions};
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The smoke-internal binary (default: beside this one, as `cargo build --release` puts it).
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// The herodemo panel.
    #[arg(long, default_value = "probes/herodemo.toml")]
    panel: PathBuf,
    /// One-second ticks of history written before the loop starts (3600: an hour).
    #[arg(long, default_value_t = 3600)]
    prefill: usize,
    /// Seconds the loop runs, ticking every second.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 5)]
    sample_every: u64,
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let exe = super::smoke_internal_exe(args.exe)?;
    let opts = SoakOptions {
        exe,
        panel: args.panel,
        prefill: args.prefill,
        run_for: Duration::from_secs(args.seconds.max(1)),
        sample_every: Duration::from_secs(args.sample_every.max(1)),
    };
    println!(
        "smoke soak: `{} watch` ticking every second for {}s over {} ticks of history",
        opts.exe.display(),
        args.seconds,
        opts.prefill
    );
    let samples = run(&opts).await.context("running the soak")?;
    print!("{}", render(&samples));
    Ok(())
}
