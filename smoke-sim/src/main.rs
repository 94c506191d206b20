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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => cmd::serve::run(args).await,
    }
}
