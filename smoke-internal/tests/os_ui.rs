//! herodemo's `os-ui` on the Unix sockets, in both layouts of the simulated deployment: the page,
//! its script and its wasm pass when healthy, and each way the UI breaks fails `os-ui` alone, at
//! the step that shows it.

mod common;

use common::{assert_only_fails, describe, tick};
use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::prelude::{Cause, Outcome, ProbeReport};
use smoke_sim::{Deployment, Fault, Layout, Options, LAYOUTS};
use std::path::Path;

/// The page step; a missing or dead UI fails here, before any script is asked for.
const PAGE: &str = "step 1 of 3 (GET /)";
const SCRIPT: &str = "step 2 of 3 (GET /hero_os.js)";
const WASM: &str = "step 3 of 3 (GET /hero_os_bg.wasm)";

/// Each fault of the UI, the cause `os-ui` fails with and the words its detail must hold (the
/// failing step first).
fn cases() -> Vec<(Fault, Cause, Vec<&'static str>)> {
    vec![
        (
            Fault::UiSocketMissing,
            Cause::Connect,
            vec![PAGE, "socket missing", "hero_os/ui.sock"],
        ),
        (
            Fault::UiProcessDead,
            Cause::Connect,
            vec![PAGE, "hero_os/ui.sock"],
        ),
        (Fault::UiBundleMissing, Cause::Http, vec![SCRIPT, "404"]),
        (
            Fault::UiWasmWrongType,
            Cause::Assertion,
            vec![WASM, "application/octet-stream"],
        ),
        (
            Fault::UiWrongPrefix,
            Cause::Assertion,
            vec![PAGE, r#"html(script[src^="/"], link[href^="/"]) == 0"#],
        ),
    ]
}

async fn start(layout: Layout) -> Deployment {
    Deployment::start_with(Options {
        layout,
        ..Options::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_page_its_script_and_its_wasm_pass_in_both_layouts() {
    for layout in LAYOUTS {
        let sim = start(layout).await;
        let report = tick(&sim).await;
        assert_eq!(
            report.outcome(),
            Outcome::Ok,
            "{layout}: {}",
            describe(&report)
        );
        let os_ui = report
            .probes()
            .iter()
            .find(|p| p.name() == "os-ui")
            .unwrap();
        assert_eq!(os_ui.steps().len(), 3, "{layout}: {os_ui:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_way_the_ui_breaks_fails_os_ui_at_its_step_in_both_layouts() {
    for layout in LAYOUTS {
        let sim = start(layout).await;
        for (fault, cause, words) in cases() {
            sim.set(fault.clone());
            let report = tick(&sim).await;
            sim.clear(&fault);
            eprintln!("{layout} {fault}:\n{}", describe(&report));
            assert_only_fails(&report, &["os-ui"], cause, None, &words);
        }
    }
}

/// `body matches` sees a body's first bytes, binary or not: the wasm's `\0asm` magic passes and
/// a script in its place fails, naming what it got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_magic_is_judged_on_the_first_bytes_of_the_body() {
    let sim = start(Layout::Hero).await;
    let probe = |path: &str| {
        format!(
            "[panel]\nname = \"magic\"\n[internal]\nsocket_dir = \"{}\"\n[defaults]\nretries = 0\n\
             [[probe]]\nname = \"magic\"\ntarget = \"hero_os/ui\"\nget = \"{path}\"\n\
             expect = ['body matches ^\\x00asm']\n",
            sim.socket_dir().display()
        )
    };
    let wasm = run_one(&probe("/hero_os_bg.wasm")).await;
    assert_eq!(wasm.outcome(), Outcome::Ok, "{wasm:?}");
    let script = run_one(&probe("/hero_os.js")).await;
    assert_eq!(script.outcome(), Outcome::Fail, "{script:?}");
    let detail = script.detail().unwrap_or_default();
    assert!(
        detail.starts_with(r"expected body matches ^\x00asm, got "),
        "{detail}"
    );
}

/// The one probe of a panel written here, run once from inside.
async fn run_one(text: &str) -> ProbeReport {
    let panel = load_str(text, Path::new("magic.toml"), &LoadOptions::default()).unwrap();
    let side = smoke_internal::side(&panel);
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    report.probes()[0].clone()
}
