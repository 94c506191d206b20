//! herodemo's photos flow through the gateway: each step routed by hero_router's rule, a
//! renamed photo's percent-encoded name intact through the proxy, a failed step named.

mod common;

use common::{deployment, describe, external, not_ok, probe};
use smoke_core::outcome::{Cause, Outcome};
use smoke_sim::{Fault, RENAMED_PHOTO_NAMES};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photos_flow_passes_through_the_gateway_even_with_every_photo_renamed() {
    let sim = deployment().await;
    let report = external(&sim).await;
    assert_eq!(report.outcome, Outcome::Ok, "{}", describe(&report));
    let photos = probe(&report, "photos-download");
    let requests: Vec<&str> = photos.steps.iter().map(|s| s.request.as_str()).collect();
    assert_eq!(
        requests,
        [
            "GET /api/files/geomind/Photos/",
            "GET /api/files/geomind/Photos/harbour.jpg"
        ]
    );
    assert!(photos.steps.iter().all(|s| s.status == Some(200)));

    sim.rename_photos(true);
    let report = external(&sim).await;
    assert_eq!(report.outcome, Outcome::Ok, "{}", describe(&report));
    let photos = probe(&report, "photos-download");
    assert_eq!(photos.steps[0].captures["photo"], RENAMED_PHOTO_NAMES[0]);
    assert_eq!(photos.steps[1].status, Some(200));
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
    assert_eq!(photos.cause, Some(Cause::Http));
    let detail = photos.detail.as_deref().unwrap();
    assert!(
        detail.starts_with("step 2 of 2 (GET /api/files/geomind/Photos/harbour.jpg): HTTP 404"),
        "{detail}"
    );
}
