//! The `smoke-sim` command line: the one the binary parses, and the one its man page and shell
//! completions are made from.

use crate::cmd;

#[derive(clap::Parser)]
#[command(
    name = "smoke-sim",
    version = smoke_loop::cli::VERSION,
    about = "A simulated hero deployment for smoke"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run the herodemo services on Unix sockets until Ctrl-C or SIGTERM.
    Serve(cmd::serve::Args),
    /// Run the herodemo panel against a simulated deployment, then break each failure that
    /// reached users and show smoke naming it.
    Demo(cmd::demo::Args),
    /// Prove a panel against every fault the simulation knows: which probes catch each, and
    /// the blind spots. Exit 0 all caught or ignored, 1 blind spots, 3 broken or unhealthy panel.
    Coverage(cmd::coverage::Args),
    /// Measure a panel run: wall time, CPU time and peak memory of smoke-internal.
    Bench(cmd::bench::Args),
    /// Measure the status page: render it once (`smoke-internal status --html`) from a
    /// generated state folder of a week of ticks of many probes; its time and peak memory.
    StatusBench(cmd::status_bench::Args),
    /// Measure a browse probe: one `smoke-internal run` of a probe that opens the simulated
    /// hero_os app in a headless Chromium, run after run; its time, and the peak memory of
    /// smoke and of the browser's processes.
    BrowseBench(cmd::browse_bench::Args),
    /// Measure the loop over a long run: its memory and status page, from a prefilled history.
    Soak(cmd::soak::Args),
    /// A stand-in for the hero_proc command: `proc service restart NAME` restarts a simulated
    /// service (clearing its faults unless restarts are set not to help).
    Proc(cmd::proc::Args),
}

/// The command line as clap builds it, named as the binary is installed.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
