//! `smoke-sim demo`: the herodemo panel against a simulated deployment, from inside (Unix
//! sockets) and outside (TLS gateway, DNS) side by side: healthy, then with each failure that
//! reached users before any tool saw it, then with the failures only the outside can see, and
//! first contact: a wrong expectation that pages no one.

use crate::history::history;
use crate::{Deployment, Fault, Layout, Options};
use anyhow::Context as _;
use smoke_core::engine::{
    advance, format_duration, load_str, run_planned, EventKind, LoadOptions, Panel, Policy,
    ProbeInfo, Resolve, Seen as Saw, Side, State,
};
use smoke_core::prelude::{Outcome, ProbeReport, RunReport};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// The panel the demo runs unless told otherwise: the same file the VM uses.
const HERODEMO: &str = include_str!("../../../probes/herodemo.toml");

#[derive(clap::Args)]
pub struct Args {
    /// A panel file to run instead of the built-in copy of probes/herodemo.toml.
    #[arg(long, env = "SMOKE_PANEL")]
    panel: Option<PathBuf>,
    /// The simulated deployment to run it against: `herodemo` (the seed's) or `hero`.
    #[arg(long, value_name = "herodemo|hero", default_value_t = Layout::Herodemo)]
    layout: Layout,
}

#[derive(Clone, Copy, PartialEq)]
enum Seen {
    /// Both sides catch it; the inside names the service.
    Inside,
    /// Only the outside can catch it.
    Outside,
}

/// One failure: what users saw, the fault that makes it, the probe and side that must catch it.
struct Story {
    seen: &'static str,
    fault: Fault,
    probe: &'static str,
    by: Seen,
}

/// The failures of [`history`], each with the probe and side that must catch it.
fn stories() -> Vec<Story> {
    history()
        .into_iter()
        .filter_map(|h| {
            let (probe, by) = catcher(&h.fault)?;
            Some(Story {
                seen: h.seen,
                fault: h.fault,
                probe,
                by,
            })
        })
        .collect()
}

fn catcher(fault: &Fault) -> Option<(&'static str, Seen)> {
    Some(match fault {
        Fault::ContextFallback => ("contexts-distinct", Seen::Inside),
        Fault::PhotosBroken => ("photos-download", Seen::Inside),
        Fault::Hang(s) if s == "hero_foundry" => ("photos-download", Seen::Inside),
        Fault::BizEmpty => ("biz-persons", Seen::Inside),
        Fault::UiSocketMissing => ("os-ui", Seen::Inside),
        Fault::CertExpired => ("public-tls", Seen::Outside),
        Fault::DnsNxdomain => ("public-dns", Seen::Outside),
        Fault::Gateway502 => ("biz-persons", Seen::Outside),
        _ => return None,
    })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sim = Deployment::start_with(Options {
        external: true,
        layout: args.layout,
        ..Options::default()
    })
    .await
    .context("starting the simulated deployment")?;
    let panel = demo_panel(&args, &sim)?;
    let inside = smoke_internal::side(&panel);
    let outside: Arc<dyn Side> = smoke_external::side(&panel)?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    println!(
        "smoke demo: {} simulated hero services under {}",
        sim.services().len(),
        sim.socket_dir().display()
    );
    if sim.layout() != Layout::default() {
        println!("layout: {}", sim.layout());
    }
    println!(
        "inside: their Unix sockets; outside: {} through a TLS gateway, DNS at {}",
        sim.public_url().unwrap_or_default(),
        sim.dns_addr().map(|a| a.to_string()).unwrap_or_default()
    );
    println!(
        "(timeout {} and no retries, so each fault shows at once)",
        format_duration(crate::coverage::TIMEOUT)
    );

    let ((i, _), (o, _)) = tick(&panel, &inside, &outside).await;
    println!("\n== healthy");
    print!("{}", table(&i, &o, colour));
    let mut missed = Vec::new();
    if i.outcome() != Outcome::Ok || o.outcome() != Outcome::Ok {
        missed.push("the healthy deployment did not pass".to_string());
    }
    let mut caught = Vec::new();
    let mut single = 0;
    for story in stories() {
        sim.set(story.fault.clone());
        let ((i, inside_infos), (o, outside_infos)) = tick(&panel, &inside, &outside).await;
        sim.clear(&story.fault);
        println!("\n== break: \"{}\"  (fault {})", story.seen, story.fault);
        print!("{}", table(&i, &o, colour));
        let (report, infos, side) = match story.by {
            Seen::Inside => (&i, &inside_infos, "inside"),
            Seen::Outside => (&o, &outside_infos, "outside"),
        };
        let opened = incidents(report, infos);
        if opened.len() == 1 {
            single += 1;
        }
        let hit = report
            .probes()
            .iter()
            .find(|p| p.name() == story.probe && p.outcome() == Outcome::Fail);
        match hit {
            Some(p) => caught.push(format!(
                "  {:<50} caught {side:<7} by {} ({}); {}",
                story.seen,
                p.name(),
                p.cause().map_or("", |c| c.as_str()),
                match opened.as_slice() {
                    [one] => format!("1 incident: {one}"),
                    more => format!("{} incidents: {}", more.len(), more.join(", ")),
                }
            )),
            None => missed.push(format!("{} was not caught by {}", story.seen, story.probe)),
        }
        if story.by == Seen::Outside && i.outcome() != Outcome::Ok {
            missed.push(format!("{} showed inside, where it can't be", story.seen));
        }
    }
    // Told with the built-in panel, whose biz-persons it breaks.
    if args.panel.is_none() {
        first_contact(&args, &sim, &mut missed).await?;
    }
    println!("\n== summary: each failure, and the probe that now catches it");
    for line in &caught {
        println!("{line}");
    }
    if missed.is_empty() {
        println!(
            "{} of {} caught; {single} of them opened exactly one incident on that side",
            caught.len(),
            stories().len()
        );
        Ok(())
    } else {
        anyhow::bail!("{}", missed.join("; "))
    }
}

/// A probe the deployment does not meet: the probe is wrong, not the deployment.
const WRONG: &str = "\n[[probe]]\nname = \"biz-wrong\"\nmode = \"internal\"\n\
target = \"hero_osis_business/rpc\"\nrpc = \"business.persons.list\"\n\
expect = [\"len(result) > 1000\"]\n";

/// First contact, inside, as the loop keeps it in its state folder: a wrong expectation added to
/// the panel fails unproven, opens no incident and is said once; a probe that passed here, once
/// broken, opens its incident.
async fn first_contact(
    args: &Args,
    sim: &Deployment,
    missed: &mut Vec<String>,
) -> anyhow::Result<()> {
    println!("\n== first contact: biz-wrong expects more than 1000 persons (a wrong expectation)");
    let panel = demo_panel_with(args, sim, WRONG)?;
    let side = smoke_internal::side(&panel);
    let (mut proofs, mut state) = (smoke_loop::proving::Proofs::new(), State::default());
    let (mut first_day, mut said, mut opened) = (Vec::new(), Vec::new(), Vec::new());
    for tick in 1..=4 {
        if tick == 4 {
            println!(
                "then biz-persons, which passed here, breaks (fault {}):",
                Fault::BizEmpty
            );
            sim.set(Fault::BizEmpty);
        }
        let plan = side.plan(&panel, &[]).await;
        let infos: Infos = plan
            .probes()
            .iter()
            .map(|p| (p.probe().info().name.clone(), p.probe().info().clone()))
            .collect();
        let definitions = plan
            .probes()
            .iter()
            .map(|p| {
                let name = p.probe().info().name.clone();
                (name, smoke_loop::proving::Definition::of(p))
            })
            .collect();
        let n = smoke_core::engine::DEFAULT_CONCURRENCY;
        let mut report = run_planned(&panel, side.as_ref(), plan, n).await;
        let lines =
            smoke_loop::proving::prove(&mut proofs, &mut report, &definitions, &infos, true);
        let policy = Policy {
            probes: &infos,
            remind_every: std::time::Duration::from_secs(3600),
            seen: Saw::Everything,
            resolve: Resolve::AfterThreshold,
        };
        let now: Vec<String> = advance(&mut state, &report, &policy)
            .into_iter()
            .filter(|e| e.event == EventKind::Opened)
            .map(|e| e.headline())
            .collect();
        let failing: Vec<String> = report
            .probes()
            .iter()
            .filter(|p| p.outcome() == Outcome::Fail)
            .map(|p| match p.proven() {
                true => format!("FAIL {}", p.name()),
                false => format!("FAIL (unproven) {}", p.name()),
            })
            .collect();
        let incidents = match now.as_slice() {
            [] => "no incident".to_string(),
            [one] => format!("1 incident: {one}"),
            more => format!("{} incidents: {}", more.len(), more.join(", ")),
        };
        println!("  tick {tick}: {}; {incidents}", failing.join(", "));
        for line in &lines {
            println!("    said: {line}");
        }
        match tick {
            4 => opened = now,
            _ => {
                first_day.extend(now);
                said.extend(lines);
            }
        }
    }
    sim.clear(&Fault::BizEmpty);
    if !first_day.is_empty() || said.len() != 1 {
        missed.push(format!(
            "the wrong expectation opened {} incident(s) and was said {} time(s), not 0 and 1",
            first_day.len(),
            said.len()
        ));
    }
    if opened.len() != 1 || !opened[0].contains("biz-persons") {
        missed.push(format!(
            "biz-persons, once proven, then broken, opened {opened:?}"
        ));
    }
    Ok(())
}

fn demo_panel(args: &Args, sim: &Deployment) -> anyhow::Result<Panel> {
    demo_panel_with(args, sim, "")
}

/// The demo's panel with `more` (TOML tables) added.
fn demo_panel_with(args: &Args, sim: &Deployment, more: &str) -> anyhow::Result<Panel> {
    let (text, source) = match &args.panel {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the panel {}", path.display()))?,
            path.clone(),
        ),
        None => (HERODEMO.to_string(), PathBuf::from("probes/herodemo.toml")),
    };
    let text = text + more;
    let opts = LoadOptions {
        sets: crate::coverage::overrides(sim),
        extension: smoke_loop::config::EXTENSION,
        ..LoadOptions::default()
    };
    Ok(load_str(&text, &source, &opts)?)
}

type Infos = HashMap<String, ProbeInfo>;

/// One tick from each side, at the same time, with the settings of the probes that ran.
async fn tick(
    panel: &Panel,
    inside: &Arc<dyn Side>,
    outside: &Arc<dyn Side>,
) -> ((RunReport, Infos), (RunReport, Infos)) {
    tokio::join!(one_side(panel, inside), one_side(panel, outside))
}

async fn one_side(panel: &Panel, side: &Arc<dyn Side>) -> (RunReport, Infos) {
    let plan = side.plan(panel, &[]).await;
    let infos = plan
        .probes()
        .iter()
        .map(|p| (p.probe().info().name.clone(), p.probe().info().clone()))
        .collect();
    let n = smoke_core::engine::DEFAULT_CONCURRENCY;
    (run_planned(panel, side.as_ref(), plan, n).await, infos)
}

/// The incidents this tick opens from a fresh state, by what they are about: what a forge or a
/// Slack channel would get. The goal is one per fault.
fn incidents(report: &RunReport, infos: &Infos) -> Vec<String> {
    let policy = Policy {
        probes: infos,
        remind_every: std::time::Duration::from_secs(3600),
        seen: Saw::Everything,
        resolve: Resolve::AfterThreshold,
    };
    advance(&mut State::default(), report, &policy)
        .into_iter()
        .filter(|e| e.event == EventKind::Opened)
        .map(|e| e.headline())
        .collect()
}

/// The two reports side by side, a row per probe (outside-only probes first).
fn table(inside: &RunReport, outside: &RunReport, colour: bool) -> String {
    let mut names: Vec<&str> = outside.probes().iter().map(|p| p.name()).collect();
    for p in inside.probes() {
        if !names.contains(&p.name()) {
            names.push(p.name());
        }
    }
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let find = |r: &'_ RunReport, n: &str| r.probes().iter().find(|p| p.name() == n).cloned();
    let mut out = format!("{:<width$}  {:<44}  outside\n", "probe", "inside");
    for name in names {
        let _ = writeln!(
            out,
            "{name:<width$}  {:<44}  {}",
            cell(find(inside, name).as_ref(), colour),
            cell(find(outside, name).as_ref(), colour)
        );
    }
    out
}

/// A probe's result in a table cell: the mark and time, and the cause for anything but ok.
fn cell(p: Option<&ProbeReport>, colour: bool) -> String {
    let Some(p) = p else {
        return "-".to_string();
    };
    let (mark, code) = match p.outcome() {
        Outcome::Ok => ("ok", "32"),
        Outcome::Degraded => ("WARN", "33"),
        Outcome::Fail => ("FAIL", "31"),
        Outcome::Error => ("ERR", "35"),
    };
    let mut text = format!("{mark} {}", format_duration(p.duration_ms()));
    if let (Some(cause), Some(detail)) = (p.cause(), &p.detail()) {
        let _ = write!(text, " {cause}: {detail}");
    }
    if text.chars().count() > 44 {
        text = text.chars().take(43).collect::<String>() + "…";
    }
    if colour {
        // Pad before colouring: escape codes have no width on screen.
        format!("\x1b[{code}m{text:<44}\x1b[0m")
    } else {
        text
    }
}
