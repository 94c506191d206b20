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
    /// Prove a panel against every fault the simulation knows: which probes catch each, and
    /// the blind spots. Exit 0 all caught or ignored, 1 blind spots, 3 broken or unhealthy panel.
    Coverage(cmd::coverage::Args),
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
        Command::Coverage(args) => {
            // The code comes back once the deployment is dropped: exiting skips destructors,
            // and its socket folder must not outlive the run.
            let code = cmd::coverage::run(args).await;
            std::process::exit(code)
        }
        Command::Bench(args) => cmd::bench::main(args).await,
        Command::Soak(args) => cmd::soak::main(args).await,
        Command::Proc(args) => cmd::proc::run(args).await,
    }
}
