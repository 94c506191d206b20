//! `smoke-sim demo`: the herodemo panel against a simulated deployment, healthy, then with each
//! failure that reached users before any tool saw it, one at a time.

use anyhow::Context as _;
use smoke_core::cli::run_panel;
use smoke_core::outcome::{Outcome, RunReport};
use smoke_core::panel::{load_str, LoadOptions, Panel};
use smoke_core::report::{human, HumanStyle};
use smoke_sim::{Deployment, Fault};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The panel the demo runs unless told otherwise: the same file the VM uses.
const HERODEMO: &str = include_str!("../../../probes/herodemo.toml");

#[derive(clap::Args)]
pub struct Args {
    /// A panel file to run instead of the built-in copy of probes/herodemo.toml.
    #[arg(long, env = "SMOKE_PANEL")]
    panel: Option<PathBuf>,
}

/// One historical failure: what users saw, the fault that makes it, the probe that must catch it.
struct Story {
    seen: &'static str,
    fault: Fault,
    probe: &'static str,
}

fn stories() -> Vec<Story> {
    vec![
        Story {
            seen: "Contexts island shows Root x 5",
            fault: Fault::ContextFallback,
            probe: "contexts-distinct",
        },
        Story {
            seen: "Photos render alt-text only",
            fault: Fault::PhotosBroken,
            probe: "photos-download",
        },
        Story {
            seen: "Biz dashboard shows 0 records",
            fault: Fault::BizEmpty,
            probe: "biz-persons",
        },
        Story {
            seen: "hero_os UI banner: Socket 'ui.sock' not found",
            fault: Fault::UiSocketMissing,
            probe: "os-ui",
        },
        Story {
            seen: "hero_foundry rpc.sock accepts but doesn't respond",
            fault: Fault::Hang("hero_foundry".into()),
            probe: "photos-download",
        },
    ]
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sim = Deployment::start()
        .await
        .context("starting the simulated deployment")?;
    let panel = demo_panel(&args, &sim)?;
    let style = HumanStyle {
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    println!(
        "smoke demo: {} simulated hero services under {}",
        sim.services().len(),
        sim.socket_dir().display()
    );
    println!("(timeout 1s and no retries, so each fault shows at once)\n");

    println!("== healthy");
    let healthy = tick(&panel).await;
    print!("{}", human(&healthy, style));
    let mut missed = Vec::new();
    if healthy.outcome != Outcome::Ok {
        missed.push("the healthy deployment did not pass".to_string());
    }
    let mut caught = Vec::new();
    for story in stories() {
        println!("\n== break: \"{}\"  (fault {})", story.seen, story.fault);
        sim.set(story.fault.clone());
        let report = tick(&panel).await;
        sim.clear(&story.fault);
        print!("{}", human(&report, style));
        match report
            .probes
            .iter()
            .find(|p| p.name == story.probe && p.outcome == Outcome::Fail)
        {
            Some(p) => caught.push(format!(
                "  {:<50} caught by {} ({})",
                story.seen,
                p.name,
                p.cause.map_or("", |c| c.as_str())
            )),
            None => missed.push(format!("{} was not caught by {}", story.seen, story.probe)),
        }
    }
    println!("\n== summary: each failure users found first, and the probe that now catches it");
    for line in &caught {
        println!("{line}");
    }
    if missed.is_empty() {
        println!("{} of {} caught", caught.len(), stories().len());
        Ok(())
    } else {
        anyhow::bail!("{}", missed.join("; "))
    }
}

fn demo_panel(args: &Args, sim: &Deployment) -> anyhow::Result<Panel> {
    let (text, source) = match &args.panel {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the panel {}", path.display()))?,
            path.clone(),
        ),
        None => (HERODEMO.to_string(), PathBuf::from("probes/herodemo.toml")),
    };
    let opts = LoadOptions {
        sets: vec![
            format!("internal.socket_dir={}", sim.socket_dir().display()),
            "panel.timeout=1s".to_string(),
            "defaults.retries=0".to_string(),
        ],
        ..LoadOptions::default()
    };
    Ok(load_str(&text, &source, &opts)?)
}

/// One tick of the panel over the simulated sockets (the panel's socket folder is the sim's).
async fn tick(panel: &Panel) -> RunReport {
    let side = smoke_internal::side(panel);
    run_panel(
        panel,
        side.as_ref(),
        &[],
        smoke_core::runner::DEFAULT_CONCURRENCY,
    )
    .await
}
