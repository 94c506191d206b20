//! What the flows of a panel need from the simulated deployment: foundry's folder listing by
//! GET, the photo faults and the rename switch, and hero_osis_business's writes per context.

use serde_json::{json, Value};
use smoke_sim::{Deployment, Fault, PHOTO_NAMES, RENAMED_PHOTO_NAMES};

use crate::client::{get, rpc};

#[tokio::test]
async fn foundry_lists_the_photos_folder_by_get_with_or_without_its_slash() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_foundry");
    for path in ["/api/files/geomind/Photos/", "/api/files/geomind/Photos"] {
        let listing = get(&sock, path).await;
        assert_eq!(listing.status, 200, "{path}");
        assert_eq!(listing.header("content-type"), Some("application/json"));
        assert_eq!(listing.json(), json!(PHOTO_NAMES), "{path}");
    }
    assert_eq!(get(&sock, "/api/files/nowhere/Photos/").await.status, 404);
    assert_eq!(get(&sock, "/api/files/geomind/Music/").await.status, 404);

    // Renamed: the listing and the files follow, the old names are gone; a name arrives
    // percent-encoded and is found decoded.
    d.rename_photos(true);
    assert_eq!(
        get(&sock, "/api/files/geomind/Photos/").await.json(),
        json!(RENAMED_PHOTO_NAMES)
    );
    let renamed = get(
        &sock,
        "/api/files/geomind/Photos/2026-06%20Zonsopgang%20caf%C3%A9.jpg",
    )
    .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(&renamed.body[..3], &[0xFF, 0xD8, 0xFF]);
    assert_eq!(
        get(&sock, "/api/files/geomind/Photos/sunrise.jpg")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn each_photo_fault_breaks_one_step_of_the_photos_flow() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_foundry");
    let photo = "/api/files/geomind/Photos/harbour.jpg";

    d.set(Fault::PhotosEmpty);
    assert_eq!(
        get(&sock, "/api/files/geomind/Photos/").await.json(),
        json!([])
    );
    let listed = rpc(&sock, "files.list", json!({"path": "Photos"}), None).await;
    assert_eq!(listed["result"], json!([]));
    d.clear_all();

    d.set(Fault::PhotoMissing);
    assert_eq!(
        get(&sock, "/api/files/geomind/Photos/").await.json(),
        json!(PHOTO_NAMES)
    );
    assert_eq!(get(&sock, photo).await.status, 404);
    d.clear_all();

    d.set(Fault::PhotoNotImage);
    let page = get(&sock, photo).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().starts_with("<!doctype html>"));
    d.clear_all();
    assert_eq!(
        get(&sock, photo).await.header("content-type"),
        Some("image/jpeg")
    );
    // Each is a fault of the command line too.
    for name in [
        "photos-empty",
        "photo-missing",
        "photo-not-image",
        "biz-get-broken",
    ] {
        let f: Fault = name.parse().unwrap();
        assert_eq!(f.to_string(), name);
    }
}

async fn call(d: &Deployment, method: &str, params: Value, context: &str) -> Value {
    rpc(
        &d.rpc_socket("hero_osis_business"),
        method,
        params,
        Some(context),
    )
    .await
}

#[tokio::test]
async fn business_persons_are_written_read_and_deleted_in_the_requests_context() {
    let d = Deployment::start().await.unwrap();
    let set = call(
        &d,
        "business.persons.set",
        json!({"name": "smoke-probe-1"}),
        "geomind",
    )
    .await;
    let id = set["result"].as_str().unwrap().to_string();
    assert!(id.starts_with("p-geomind-"), "{set}");
    // The same name again is the same person.
    let again = call(
        &d,
        "business.persons.set",
        json!({"name": "smoke-probe-1", "email": "a@b"}),
        "geomind",
    )
    .await;
    assert_eq!(again["result"], id.as_str());
    assert_eq!(d.persons_written("geomind"), 1);
    assert_eq!(d.persons_written("root"), 0);

    let got = call(&d, "business.persons.get", json!({"id": id}), "geomind").await;
    assert_eq!(got["result"]["name"], "smoke-probe-1");
    assert_eq!(got["result"]["email"], "a@b");
    let listed = call(&d, "business.persons.list", json!({}), "geomind").await;
    assert_eq!(listed["result"].as_array().unwrap().len(), 6);
    // Another context does not see it, nor delete it.
    let elsewhere = call(&d, "business.persons.get", json!({"id": id}), "incubaid").await;
    assert!(elsewhere["error"]["code"].is_i64(), "{elsewhere}");
    let wrong = call(&d, "business.persons.delete", json!({"id": id}), "incubaid").await;
    assert!(wrong["error"]["code"].is_i64(), "{wrong}");

    d.set(Fault::BizGetBroken);
    let broken = call(&d, "business.persons.get", json!({"id": id}), "geomind").await;
    assert!(
        broken["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no person"),
        "{broken}"
    );
    d.clear_all();

    let deleted = call(&d, "business.persons.delete", json!({"id": id}), "geomind").await;
    assert_eq!(deleted["result"], true);
    assert_eq!(d.persons_written("geomind"), 0);
    let gone = call(&d, "business.persons.delete", json!({"id": id}), "geomind").await;
    assert!(gone["error"]["code"].is_i64(), "{gone}");
    // Seed data is not writable; a name with a control character is refused.
    let seeded = call(
        &d,
        "business.persons.delete",
        json!({"id": "p-geomind-1"}),
        "geomind",
    )
    .await;
    assert!(seeded["error"]["code"].is_i64(), "{seeded}");
    let bad = call(
        &d,
        "business.persons.set",
        json!({"name": "a\nb"}),
        "geomind",
    )
    .await;
    assert!(bad["error"]["code"].is_i64(), "{bad}");
}
