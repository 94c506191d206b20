//! `smoke-sim status-bench`: what rendering the status page costs when the rollup holds a week
//! of one-minute ticks of a thousand probes (ten million results summarised).

use crate::state_folder::{bench, render};
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The smoke-internal binary (default: beside this one, as `cargo build --release` puts it).
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// Probes in the generated state folder.
    #[arg(long, default_value_t = 1000)]
    probes: usize,
    /// Days of ticks in its rollup.
    #[arg(long, default_value_t = 7)]
    days: u64,
    /// Seconds between ticks.
    #[arg(long, default_value_t = 60)]
    every: u64,
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let exe = super::smoke_internal_exe(args.exe)?;
    println!(
        "smoke status-bench: `{} status --html` on {} probes, {} days of ticks every {}s",
        exe.display(),
        args.probes,
        args.days,
        args.every
    );
    let every = Duration::from_secs(args.every.max(1));
    let figures = tokio::task::spawn_blocking(move || bench(&exe, args.probes, args.days, every))
        .await?
        .context("running the status benchmark")?;
    print!("{}", render(&figures));
    Ok(())
}
