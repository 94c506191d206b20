//! A browse probe from outside: headless Chromium opens the simulated hero_os app at the
//! gateway (hero_router's own port, plain HTTP on loopback), and a gateway that refuses the
//! page's own requests fails it with each refused request named with its status.

use smoke_core::engine::{load_str, run_panel, LoadOptions, Panel};
use smoke_core::prelude::{human, Cause, Outcome, RunReport};
use smoke_sim::{Deployment, Fault, Layout, Options};
use std::path::Path;

const PANEL: &str = r##"
[panel]
name = "browse"

[external]
check_dns = false
check_tls = false

[[probe]]
name = "os-ui-rendered"
target = "hero_os/ui"
browse = "/"
wait_for = "#hero-dashboard"
expect = [
  "element(nav a) >= 3",
  "images.broken == 0",
  "console.errors == 0",
  "requests.failed == 0",
  "text(#hero-dashboard) matches \"^[1-9][0-9]* persons$\"",
]
"##;

fn panel(sim: &Deployment) -> Panel {
    load_str(
        PANEL,
        Path::new("browse.toml"),
        &LoadOptions {
            sets: vec![
                format!("external.base_url={}", sim.router_url().unwrap()),
                "panel.timeout=20s".to_string(),
                "defaults.retries=0".to_string(),
            ],
            ..Default::default()
        },
    )
    .expect("the panel loads")
}

async fn tick(sim: &Deployment) -> (RunReport, String) {
    let panel = panel(sim);
    let side = smoke_external::side(&panel).expect("the external side sets up");
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    let said = human(&report, Default::default());
    (report, said)
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_through_the_gateway_passes_until_the_gateway_refuses_its_requests() {
    for layout in [Layout::Herodemo, Layout::Hero] {
        let sim = Deployment::start_with(Options {
            external: true,
            layout,
            ..Options::default()
        })
        .await
        .expect("the simulated deployment starts");
        let (report, said) = tick(&sim).await;
        assert_eq!(
            report.probes()[0].outcome(),
            Outcome::Ok,
            "{layout}: {said}"
        );

        sim.set(Fault::GatewayBlocksUi);
        let (report, said) = tick(&sim).await;
        assert_eq!(report.probes()[0].cause(), Some(Cause::Assertion), "{said}");
        assert!(said.contains("requests.failed == 0"), "{said}");
        assert!(
            said.contains("/hero_foundry/rpc/api/files/root/Photos/ 403"),
            "the refused request is named with its status: {said}"
        );
    }
}

/// A page the browser cannot reach at all fails `connect`, with the browser's reason.
#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_page_is_connect_with_the_browsers_reason() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let panel = load_str(
        PANEL,
        Path::new("browse.toml"),
        &LoadOptions {
            sets: vec![
                format!("external.base_url={url}"),
                "panel.timeout=20s".to_string(),
                "defaults.retries=0".to_string(),
            ],
            ..Default::default()
        },
    )
    .expect("the panel loads");
    let side = smoke_external::side(&panel).expect("the external side sets up");
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    let probe = &report.probes()[0];
    let said = human(&report, Default::default());
    assert_eq!(probe.cause(), Some(Cause::Connect), "{said}");
    assert!(
        probe
            .detail()
            .is_some_and(|d| d.contains("net::ERR_CONNECTION_REFUSED")),
        "{said}"
    );
}
