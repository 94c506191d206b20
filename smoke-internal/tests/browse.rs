//! A browse probe inside the VM: headless Chromium opens the simulated hero_os app through
//! smoke's loopback relay to the sockets, and each fault only a browser sees fails it with the
//! thing a person would have seen named.

use smoke_core::engine::{load_str, run_panel, LoadOptions, Panel};
use smoke_core::prelude::{human, Cause, Outcome, RunReport};
use smoke_sim::{Deployment, Fault, Layout};
use std::path::Path;

/// The app's page, judged as drawn: the nav, every photo an image, no script error, no failed
/// request, and a dashboard that counts someone.
const PANEL: &str = r##"
[panel]
name = "browse"

[[probe]]
name = "os-ui-rendered"
target = "hero_os/ui"
browse = "/"
wait_for = "#hero-dashboard"
expect = [
  "element(nav a) >= 3",
  "element(#hero-photos img) >= 1",
  "images.broken == 0",
  "console.errors == 0",
  "requests.failed == 0",
  "text(#hero-dashboard) matches \"^[1-9][0-9]* persons$\"",
  "timings.load < 10s",
]
"##;

async fn deployment(layout: Layout) -> Deployment {
    Deployment::start_as(layout)
        .await
        .expect("the simulated deployment starts")
}

fn panel(sim: &Deployment, text: &str, timeout: &str) -> Panel {
    load_str(
        text,
        Path::new("browse.toml"),
        &LoadOptions {
            sets: vec![
                format!("internal.socket_dir={}", sim.socket_dir().display()),
                format!("panel.timeout={timeout}"),
                "defaults.retries=0".to_string(),
            ],
            ..Default::default()
        },
    )
    .expect("the panel loads")
}

async fn tick(sim: &Deployment, text: &str, timeout: &str) -> (RunReport, String) {
    let panel = panel(sim, text, timeout);
    let report = run_panel(&panel, smoke_internal::side(&panel).as_ref(), &[], 4).await;
    let said = human(&report, Default::default());
    (report, said)
}

fn only(report: &RunReport) -> &smoke_core::prelude::ProbeReport {
    &report.probes()[0]
}

/// A failing page comes with a PNG of the window, within the cap.
fn photographed(probe: &smoke_core::prelude::ProbeReport) {
    let shot = probe
        .screenshot()
        .unwrap_or_else(|| panic!("{} failed without a screenshot", probe.name()));
    let png = shot.bytes();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(png.len() > 1000 && png.len() <= smoke_core::prelude::MAX_SCREENSHOT);
    // The IHDR chunk: the window's width and height, big-endian.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 800), "the whole window");
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drawn_app_passes_and_each_fault_a_browser_sees_fails_naming_it() {
    for layout in [Layout::Herodemo, Layout::Hero] {
        let sim = deployment(layout).await;
        let (report, said) = tick(&sim, PANEL, "20s").await;
        assert_eq!(only(&report).outcome(), Outcome::Ok, "{layout}: {said}");
        assert!(
            only(&report).screenshot().is_none(),
            "a passing page is not photographed"
        );

        sim.set(Fault::UiImagesWrongUrl);
        let (report, said) = tick(&sim, PANEL, "20s").await;
        assert_eq!(only(&report).cause(), Some(Cause::Assertion), "{said}");
        assert!(said.contains("images.broken == 0"), "{said}");
        assert!(
            said.contains("/hero_foundry/rpc/api/file/root/Photos/"),
            "the broken image's address is named: {said}"
        );
        photographed(only(&report));
        sim.clear(&Fault::UiImagesWrongUrl);

        sim.set(Fault::BizAnswerReshaped);
        let (report, said) = tick(&sim, PANEL, "20s").await;
        assert_eq!(only(&report).cause(), Some(Cause::Assertion), "{said}");
        assert!(said.contains("\"0 persons\""), "{said}");
        sim.clear(&Fault::BizAnswerReshaped);

        sim.set(Fault::UiBootError);
        let (report, said) = tick(&sim, PANEL, "5s").await;
        let probe = only(&report);
        assert_eq!(probe.cause(), Some(Cause::Timeout), "{said}");
        let detail = probe.detail().unwrap_or_default();
        assert!(
            detail.contains("`#hero-dashboard` did not appear"),
            "the selector is named: {detail}"
        );
        assert!(
            detail.contains("cannot read the desktop settings"),
            "the script's error is named: {detail}"
        );
        // The page that never drew its dashboard is the one most worth seeing.
        photographed(probe);
        sim.clear(&Fault::UiBootError);
    }
}

/// Whatever the page does, its sub-requests that fail are listed with their status.
#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sub_request_is_named_with_its_status() {
    let sim = deployment(Layout::Herodemo).await;
    sim.set(Fault::UiImagesWrongUrl);
    let text = PANEL.replace("  \"images.broken == 0\",\n", "");
    assert_ne!(text, PANEL);
    let (report, said) = tick(&sim, &text, "20s").await;
    assert_eq!(only(&report).outcome(), Outcome::Fail, "{said}");
    assert!(said.contains("requests.failed == 0"), "{said}");
    assert!(
        said.contains("/hero_foundry/rpc/api/file/root/Photos/") && said.contains(" 404"),
        "{said}"
    );
}

/// No browser is one line naming the package, at once, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_browser_is_one_clear_line() {
    let sim = deployment(Layout::Herodemo).await;
    let text = format!("{PANEL}\n[browser]\npath = \"/nonexistent/chromium\"\n");
    let started = std::time::Instant::now();
    let (report, said) = tick(&sim, &text, "20s").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{said}"
    );
    let probe = only(&report);
    assert_eq!(probe.cause(), Some(Cause::Service), "{said}");
    let detail = probe.detail().unwrap_or_default();
    assert!(!detail.contains('\n'), "{detail}");
    assert!(detail.contains("/nonexistent/chromium"), "{detail}");
    assert!(detail.contains("apt-get install chromium"), "{detail}");
}

/// A page the relay cannot reach fails as the gateway's answer would: `http`, with its status.
#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_ui_socket_is_the_page_answering_502() {
    let sim = deployment(Layout::Herodemo).await;
    sim.set(Fault::UiSocketMissing);
    let (report, said) = tick(&sim, PANEL, "20s").await;
    let probe = only(&report);
    assert_eq!(probe.cause(), Some(Cause::Http), "{said}");
    assert_eq!(probe.status(), Some(502), "{said}");
}
