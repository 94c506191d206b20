//! `smoke-sim`: run the simulated hero deployment from the command line.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "smoke-sim",
    version,
    about = "A simulated hero deployment for smoke"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the herodemo services on Unix sockets until Ctrl-C or SIGTERM.
    Serve(cmd::serve::Args),
    /// Run the herodemo panel against a simulated deployment, then break each failure that
    /// reached users and show smoke naming it.
    Demo(cmd::demo::Args),
    /// Measure a panel run: wall time, CPU time and peak memory of smoke-internal.
    Bench(cmd::bench::Args),
    /// Measure the loop over a long run: its memory and status page, from a prefilled history.
    Soak(cmd::soak::Args),
    /// A stand-in for the hero_proc command: `proc service restart NAME` restarts a simulated
    /// service (clearing its faults unless restarts are set not to help).
    Proc(cmd::proc::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => cmd::serve::run(args).await,
        Command::Demo(args) => cmd::demo::run(args).await,
        Command::Bench(args) => cmd::bench::main(args).await,
        Command::Soak(args) => cmd::soak::main(args).await,
        Command::Proc(args) => cmd::proc::run(args).await,
    }
}
