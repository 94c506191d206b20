//! `smoke-sim coverage --panel FILE`: the panel against a simulated deployment with each known
//! fault on in turn; the matrix of what caught what, and the blind spots. The work is in
//! [`crate::coverage`].

use crate::coverage::{self, CoverageError};
use crate::{Deployment, Layout, Options};
use smoke_core::engine::{escape_controls, load, LoadOptions};
use std::path::PathBuf;

/// Every fault caught or knowingly ignored.
const EXIT_COVERED: i32 = 0;
/// Some fault no probe catches: a blind spot.
const EXIT_BLIND: i32 = 1;
/// The panel is broken, fails on the healthy deployment, or ignores a fault that does not exist.
const EXIT_BROKEN: i32 = 3;

#[derive(clap::Args)]
pub struct Args {
    /// The panel to prove.
    #[arg(long, value_name = "FILE")]
    panel: PathBuf,
    /// The simulated deployment to prove it against: `herodemo` (the seed's) or `hero`.
    #[arg(long, value_name = "herodemo|hero", default_value_t = Layout::Herodemo)]
    layout: Layout,
    /// `human`: the matrix; `json`: one object for CI.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// The exit code, once the deployment is gone.
pub async fn run(args: Args) -> i32 {
    match prove(&args).await {
        Ok(c) => {
            match args.format {
                Format::Human => print!("{}", coverage::human(&c)),
                Format::Json => println!("{}", coverage::json(&c)),
            }
            if c.complete() {
                EXIT_COVERED
            } else {
                EXIT_BLIND
            }
        }
        Err(e) => {
            let message = escape_controls(&e.to_string()).into_owned();
            eprintln!("smoke-sim coverage: {message}");
            if args.format == Format::Json {
                println!("{}", serde_json::json!({ "error": message }));
            }
            EXIT_BROKEN
        }
    }
}

async fn prove(args: &Args) -> Result<coverage::Coverage, CoverageError> {
    let sim = Deployment::start_with(Options {
        external: true,
        layout: args.layout,
        ..Options::default()
    })
    .await
    .map_err(CoverageError::Start)?;
    let opts = LoadOptions {
        sets: coverage::overrides(&sim),
        extension: smoke_loop::config::EXTENSION,
        ..LoadOptions::default()
    };
    let panel = load(&args.panel, &opts)?;
    coverage::run(&panel, &sim).await
}
