//! herodemo's `os-ui` through the gateway, in both layouts of the simulated deployment: the page
//! at `/hero_os/ui/` and the script and wasm it names beside it pass when healthy, and each way
//! the UI breaks fails `os-ui` from outside, at the step that shows it.

mod common;

use common::*;
use smoke_core::prelude::{Cause, Outcome};
use smoke_sim::{Deployment, Fault, Layout, Options, LAYOUTS};

/// The steps as the report names them: by the panel's path (the gateway's prefix is the side's).
const PAGE: &str = "step 1 of 3 (GET /)";
const SCRIPT: &str = "step 2 of 3 (GET /hero_os.js)";
const WASM: &str = "step 3 of 3 (GET /hero_os_bg.wasm)";

async fn start(layout: Layout) -> Deployment {
    Deployment::start_with(Options {
        external: true,
        layout,
        ..Options::default()
    })
    .await
    .expect("the simulated deployment starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herodemo_passes_inside_and_outside_in_both_layouts() {
    for layout in LAYOUTS {
        let sim = start(layout).await;
        let inside = internal(&sim).await;
        assert_eq!(
            inside.outcome(),
            Outcome::Ok,
            "{layout}: {}",
            describe(&inside)
        );
        let outside = external(&sim).await;
        assert_eq!(
            outside.outcome(),
            Outcome::Ok,
            "{layout}: {}",
            describe(&outside)
        );
        assert_eq!(probe(&outside, "os-ui").steps().len(), 3, "{layout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_way_the_ui_breaks_fails_os_ui_from_outside_at_its_step_in_both_layouts() {
    let cases = [
        (Fault::UiSocketMissing, Cause::Http, vec![PAGE, "502"]),
        (Fault::UiProcessDead, Cause::Http, vec![PAGE, "502"]),
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
    ];
    for layout in LAYOUTS {
        let sim = start(layout).await;
        for (fault, cause, words) in &cases {
            sim.set(fault.clone());
            let report = external(&sim).await;
            sim.clear(fault);
            assert_eq!(
                not_ok(&report),
                ["os-ui"],
                "{layout} {fault}: {}",
                describe(&report)
            );
            let os_ui = probe(&report, "os-ui");
            assert_eq!(os_ui.cause(), Some(*cause), "{layout} {fault}: {os_ui:?}");
            let detail = os_ui.detail().unwrap_or("");
            for w in words {
                assert!(
                    detail.contains(w),
                    "{layout} {fault}: {detail:?} lacks {w:?}"
                );
            }
        }
    }
}
