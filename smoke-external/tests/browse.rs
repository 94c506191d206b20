//! A browse probe from outside: headless Chromium opens the simulated hero_os app at the
//! gateway (hero_router's own port, plain HTTP on loopback), and a gateway that refuses the
//! page's own requests fails it with each refused request named with its status. Through the
//! TLS gateway, the public name is resolved by the panel's resolvers (the simulation's DNS
//! server, which the system's resolver does not know) and the certificate is trusted through
//! the panel's `ca_file` (the simulation's CA, which no system store holds).

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

/// The panel pointed at the public URL, with the simulation's resolver and CA.
fn public_panel(sim: &Deployment) -> Panel {
    load_str(
        PANEL,
        Path::new("browse.toml"),
        &LoadOptions {
            sets: vec![
                format!("external.base_url={}", sim.public_url().unwrap()),
                format!("external.resolvers=[\"{}\"]", sim.dns_addr().unwrap()),
                format!("external.ca_file={}", sim.ca_file().unwrap().display()),
                "panel.timeout=20s".to_string(),
                "defaults.retries=0".to_string(),
            ],
            ..Default::default()
        },
    )
    .expect("the panel loads")
}

async fn public_tick(sim: &Deployment) -> (RunReport, String) {
    let panel = public_panel(sim);
    let side = smoke_external::side(&panel).expect("the external side sets up");
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    let said = human(&report, Default::default());
    (report, said)
}

async fn public_deployment() -> Deployment {
    Deployment::start_with(Options {
        external: true,
        ..Options::default()
    })
    .await
    .expect("the simulated deployment starts")
}

/// The browser reaches `https://herodemo.smoke.test:<port>` only through smoke: the name is
/// known to the panel's resolver alone, the certificate's CA to the panel's `ca_file` alone.
#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_page_is_reached_by_the_panels_resolvers_and_trusted_by_its_ca_file() {
    let sim = public_deployment().await;
    let (report, said) = public_tick(&sim).await;
    assert_eq!(report.probes()[0].outcome(), Outcome::Ok, "{said}");

    // Without the panel's CA the browser trusts the system's alone, as smoke's own probes
    // would: the page's certificate is `tls`, in the browser's words.
    let mut panel = public_panel(&sim);
    panel.external.ca_file = None;
    let side = smoke_external::side(&panel).expect("the external side sets up");
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    let said = human(&report, Default::default());
    let probe = &report.probes()[0];
    assert_eq!(probe.cause(), Some(Cause::Tls), "{said}");
    assert!(
        probe
            .detail()
            .is_some_and(|d| d.contains("net::ERR_CERT_AUTHORITY_INVALID")),
        "{said}"
    );
}

/// A name the panel's resolver does not give fails `dns` naming it, before a browser starts,
/// whatever the system's resolver would say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_name_that_does_not_resolve_fails_dns_naming_it() {
    let sim = public_deployment().await;
    for (fault, words) in [
        (
            Fault::DnsNxdomain,
            "NXDOMAIN: herodemo.smoke.test does not exist",
        ),
        (
            Fault::DnsServfail,
            "SERVFAIL: the resolver could not answer for herodemo.smoke.test",
        ),
    ] {
        sim.set(fault.clone());
        let (report, said) = public_tick(&sim).await;
        let probe = &report.probes()[0];
        assert_eq!(probe.cause(), Some(Cause::Dns), "{fault:?}: {said}");
        assert_eq!(probe.detail(), Some(words), "{fault:?}: {said}");
        sim.clear(&fault);
    }
}

/// A certificate the panel's `ca_file` did not sign fails `tls` in smoke's own words, before a
/// browser starts: the browser is never told to accept a key smoke could not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_ca_file_did_not_sign_fails_tls() {
    let sim = public_deployment().await;
    sim.set(Fault::CertUntrusted);
    let (report, said) = public_tick(&sim).await;
    let probe = &report.probes()[0];
    assert_eq!(probe.cause(), Some(Cause::Tls), "{said}");
    let detail = probe.detail().unwrap();
    assert!(
        detail.starts_with("untrusted certificate: its issuer CN=smoke-sim untrusted CA"),
        "{said}"
    );
    assert!(!detail.contains('\n'), "one line: {detail}");
}

/// What the outside tells a browser, without one: the panel's resolver's address that
/// accepted, and the key of the certificate verified against `ca_file`; with the system's
/// resolver and CAs, nothing, and nothing is asked (a name no resolver knows is not looked up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_is_the_panels_answer_and_the_verified_key_or_nothing() {
    use smoke_core::engine::Place;
    use smoke_core::prelude::Deadline;
    use std::time::Duration;

    let sim = public_deployment().await;
    let port = sim.gateway_addr().unwrap().port();
    let deadline = Deadline::after(Duration::from_secs(5));
    let side = smoke_external::ExternalSide::new(&public_panel(&sim)).unwrap();
    let pin = side
        .pin("herodemo.smoke.test", port, true, deadline)
        .await
        .expect("the public host resolves and its certificate verifies");
    assert_eq!(pin.address, Some(std::net::Ipv4Addr::LOCALHOST.into()));
    assert!(pin.key_sha256.is_some());
    let again = side
        .pin("herodemo.smoke.test", port, true, deadline)
        .await
        .unwrap();
    assert_eq!(again, pin, "the same certificate, the same key");

    let plain = side
        .pin("herodemo.smoke.test", port, false, deadline)
        .await
        .unwrap();
    assert_eq!(
        (plain.address.is_some(), plain.key_sha256),
        (true, None),
        "no TLS, no key"
    );

    let mut system = public_panel(&sim);
    system.external.resolvers = vec!["system".to_string()];
    system.external.ca_file = None;
    let side = smoke_external::ExternalSide::new(&system).unwrap();
    let pin = side
        .pin("nowhere.invalid", port, true, deadline)
        .await
        .expect("nothing to pin, nothing asked");
    assert_eq!(pin, Default::default());
}
