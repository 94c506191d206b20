//! The outside view's built-in dependencies: nothing reaches the services if the public name
//! does not resolve or its certificate is refused, so every probe through `base_url` depends on
//! the public checks, with no configuration.

mod common;

use common::{deployment, panel_for, sets};
use smoke_core::engine::{load, LoadOptions, Panel, Planned};
use smoke_sim::Fault;

async fn plan(panel: &Panel) -> Vec<Planned> {
    let side = smoke_external::side(panel).expect("the external side sets up");
    side.plan(panel, &[]).await.into_probes()
}

#[track_caller]
fn deps<'a>(planned: &'a [Planned], name: &str) -> &'a [String] {
    let p = planned.iter().find(|p| p.probe().info().name == name);
    &p.unwrap_or_else(|| panic!("{name} is not planned"))
        .probe()
        .info()
        .settings
        .depends_on
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_through_the_gateway_depends_on_the_public_checks() {
    let sim = deployment().await;
    let planned = plan(&panel_for(&sim)).await;
    assert!(deps(&planned, "public-dns").is_empty());
    assert_eq!(deps(&planned, "public-tls"), ["public-dns"]);
    let through_gateway: Vec<&Planned> = planned
        .iter()
        .filter(|p| !p.probe().info().name.starts_with("public-"))
        .collect();
    assert!(through_gateway.len() >= 6, "{}", through_gateway.len());
    for p in through_gateway {
        let info = p.probe().info();
        assert_eq!(
            info.settings.depends_on.first().map(String::as_str),
            Some("public-tls"),
            "{}",
            info.name
        );
    }
    // herodemo's `[defaults]` line, `{service}` filled in; a health probe not on itself.
    assert_eq!(
        deps(&planned, "biz-persons"),
        ["public-tls", "health-hero_osis_business"]
    );
    assert_eq!(deps(&planned, "health-hero_osis_business"), ["public-tls"]);

    // The certificate not checked: the name is what everything waits on.
    let mut no_tls = sets(&sim);
    no_tls.push("external.check_tls=false".to_string());
    let panel = load(
        &common::herodemo_panel(),
        &LoadOptions {
            sets: no_tls,
            extension: smoke_loop::config::EXTENSION,
            ..Default::default()
        },
    )
    .expect("the herodemo panel loads");
    let planned = plan(&panel).await;
    assert!(planned
        .iter()
        .all(|p| p.probe().info().name != "public-tls"));
    assert_eq!(deps(&planned, "os-ui"), ["public-dns", "health-hero_os"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_for_unlisted_services_depends_on_the_certificate_too() {
    let sim = deployment().await;
    sim.set(Fault::Gateway502);
    let planned = plan(&panel_for(&sim)).await;
    let stand_in: Vec<&Planned> = planned.iter().filter(|p| p.stand_in()).collect();
    assert_eq!(stand_in.len(), 1, "one stand-in, for health-{{service}}");
    assert_eq!(stand_in[0].probe().info().name, "health-*");
    assert_eq!(
        stand_in[0].probe().info().settings.depends_on,
        ["public-tls"]
    );
}
