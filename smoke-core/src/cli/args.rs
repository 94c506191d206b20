//! The flags, declared once for both binaries.

use crate::report::Format;
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    version,
    about = "Runs a panel of probes and says which user path is broken"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the panel once, print the report, exit 0 ok / 1 degraded / 2 failed / 3 broken panel.
    Run(RunArgs),
    /// Validate the panel without probing.
    Check(PanelArgs),
    /// Print the probes as they resolve on this side.
    List(PanelArgs),
}

impl Command {
    pub fn panel_args(&self) -> &PanelArgs {
        match self {
            Command::Run(r) => &r.panel,
            Command::Check(p) | Command::List(p) => p,
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct PanelArgs {
    /// The panel file.
    #[arg(long, env = "SMOKE_PANEL")]
    pub panel: Option<PathBuf>,
    /// Override a panel field for this run, like external.base_url=https://staging.example.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Only the probes with this name or tag (repeatable).
    #[arg(long, value_name = "NAME|TAG")]
    pub only: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub panel: PanelArgs,
    /// Output: human or json.
    #[arg(long, default_value = "human", value_parser = parse_format)]
    pub format: Format,
    /// How many probes run at once.
    #[arg(long, default_value_t = crate::runner::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Where incidents, the outbox and results.jsonl live (default: $XDG_STATE_HOME/smoke/<panel>-<mode>).
    #[arg(long, env = "SMOKE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// A look only: no sink is told, no incident moves, nothing is written to the state folder.
    #[arg(long)]
    pub no_notify: bool,
    /// Restart nothing this run, whatever the panel's `restart` says (and say so).
    #[arg(long)]
    pub no_remedy: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}
