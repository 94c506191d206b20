//! `smoke-sim browse-bench`: what a browse probe costs, cold and warm, run after run.

use crate::browse_bench::{bench, render};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The smoke-internal binary (default: beside this one, as `cargo build --release` puts it).
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// Measured runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let exe = super::smoke_internal_exe(args.exe)?;
    println!(
        "smoke browse-bench: `{} run` of {} browse probes of the simulated hero_os app, {} times",
        exe.display(),
        crate::browse_bench::VISITS,
        args.runs
    );
    let figures = bench(&exe, args.runs.max(1)).await?;
    print!("{}", render(&figures));
    Ok(())
}
