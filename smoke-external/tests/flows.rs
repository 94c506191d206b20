//! herodemo's photos flow through the gateway: each step routed by hero_router's rule, a
//! renamed photo's percent-encoded name intact through the proxy, a failed step named.

mod common;

use common::{deployment, describe, external, not_ok, probe, sets};
use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::prelude::{Cause, Outcome};
use smoke_sim::{Fault, RENAMED_PHOTO_NAMES};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photos_flow_passes_through_the_gateway_even_with_every_photo_renamed() {
    let sim = deployment().await;
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    let photos = probe(&report, "photos-download");
    let requests: Vec<&str> = photos.steps().iter().map(|s| s.request()).collect();
    assert_eq!(
        requests,
        [
            "GET /api/files/geomind/Photos/",
            "GET /api/files/geomind/Photos/harbour.jpg"
        ]
    );
    assert!(photos.steps().iter().all(|s| s.status() == Some(200)));

    sim.rename_photos(true);
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    let photos = probe(&report, "photos-download");
    assert_eq!(
        photos.steps()[0].captures()["photo"],
        RENAMED_PHOTO_NAMES[0]
    );
    assert_eq!(photos.steps()[1].status(), Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_photo_that_is_gone_fails_the_download_step_from_outside_too() {
    let sim = deployment().await;
    sim.set(Fault::PhotoMissing);
    let report = external(&sim).await;
    assert_eq!(
        not_ok(&report),
        ["photos-download"],
        "{}",
        describe(&report)
    );
    let photos = probe(&report, "photos-download");
    assert_eq!(photos.cause(), Some(Cause::Http));
    let detail = photos.detail().unwrap();
    assert!(
        detail.starts_with("step 2 of 2 (GET /api/files/geomind/Photos/harbour.jpg): HTTP 404"),
        "{detail}"
    );
}

/// Writes a person named `..`, reads the name back, and puts it into a path of hero_foundry:
/// `/hero_foundry/rpc/api/../../..` would climb out of the service's prefix at the gateway.
const DOTS: &str = r#"[panel]
name = "dots"

[[probe]]
name = "dots"
target = "hero_osis_business/rpc"
context = "geomind"

[[probe.step]]
rpc = "business.persons.set"
params = { name = ".." }
capture = { id = "result" }

[[probe.step]]
rpc = "business.persons.get"
params = { id = "{id}" }
capture = { up = "result.name" }

[[probe.step]]
target = "hero_foundry/rpc"
get = "/api/{up}/{up}/{up}/hero_osis_business/rpc/health"

[[probe.step]]
rpc = "business.persons.delete"
params = { id = "{id}" }
finally = true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_dot_dot_never_leaves_the_services_prefix_through_the_gateway() {
    let sim = deployment().await;
    let options = LoadOptions {
        sets: sets(&sim),
        ..Default::default()
    };
    let panel = load_str(DOTS, std::path::Path::new("dots.toml"), &options).unwrap();
    let side = smoke_external::side(&panel).expect("the external side sets up");
    let before = sim.requests_served();
    let report = run_panel(&panel, side.as_ref(), &[], 8).await;
    let dots = probe(&report, "dots");
    assert_eq!(dots.outcome(), Outcome::Fail, "{}", describe(&report));
    assert_eq!(
        dots.cause(),
        Some(Cause::Assertion),
        "{}",
        describe(&report)
    );
    let detail = dots.detail().unwrap();
    assert!(
        detail.starts_with("step 3 of 4: captured value \"..\" as the segment {up} of /api/{up}/{up}/{up}/hero_osis_business/rpc/health would leave the path"),
        "{detail}"
    );
    let requests: Vec<&str> = dots.steps().iter().map(|s| s.request()).collect();
    assert_eq!(
        requests,
        [
            "rpc business.persons.set",
            "rpc business.persons.get",
            "rpc business.persons.delete"
        ]
    );
    // Through the gateway, only those three reached a service.
    assert_eq!(sim.requests_served() - before, 3, "{}", describe(&report));
    assert_eq!(sim.persons_written("geomind"), 0);
}
