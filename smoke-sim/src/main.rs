//! `smoke-sim`: run the simulated hero deployment from the command line.

use clap::Parser;
use smoke_sim::cli::{Cli, Command};
use smoke_sim::cmd;

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
        Command::StatusBench(args) => cmd::status_bench::main(args).await,
        Command::BrowseBench(args) => cmd::browse_bench::main(args).await,
        Command::Proc(args) => cmd::proc::run(args).await,
    }
}
