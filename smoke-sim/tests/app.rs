//! The simulated hero_os UI as an app: its script draws the navigation, the context's photos and
//! the business dashboard from the services, through hero_router's own plain-HTTP port; and the
//! faults only a browser sees (a wrong image URL, a script that throws at boot, an answer the app
//! cannot read, the gateway refusing the page's own requests).

use bytes::Bytes;
use http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use smoke_sim::{Deployment, Fault, Layout, Options};
use std::time::Duration;

async fn deployment(layout: Layout) -> Deployment {
    Deployment::start_with(Options {
        external: true,
        layout,
        ..Options::default()
    })
    .await
    .expect("the simulated deployment starts")
}

/// One request to hero_router's plain port: the status and the body as text.
async fn ask(sim: &Deployment, req: Request<Full<Bytes>>) -> (StatusCode, String) {
    let url = sim.router_url().expect("started with its external view");
    let addr = url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> http::request::Builder {
    Request::get(path).header(header::HOST, "localhost")
}

async fn script(sim: &Deployment) -> String {
    let (status, body) = ask(
        sim,
        get("/hero_os/ui/hero_os.js").body(Full::default()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_calls_the_osis_its_layout_has_and_its_faults_show_in_its_script() {
    for (layout, osis) in [
        (Layout::Herodemo, "\"/hero_osis_business/rpc\""),
        (Layout::Hero, "\"/hero_osis/rpc\""),
    ] {
        let sim = deployment(layout).await;
        let healthy = script(&sim).await;
        assert!(healthy.contains(osis), "{layout}: {healthy}");
        assert!(
            healthy.contains("\"/hero_foundry/rpc/api/files/\""),
            "{healthy}"
        );
        assert!(!healthy.contains("throw "), "{healthy}");
        sim.set(Fault::UiImagesWrongUrl);
        sim.set(Fault::UiBootError);
        let broken = script(&sim).await;
        assert!(
            broken.contains("\"/hero_foundry/rpc/api/file/\""),
            "{broken}"
        );
        assert!(broken.contains("throw new Error("), "{broken}");
    }
}

/// The gateway refuses what the page asks (a `Referer` under the UI) and nothing else: every
/// probe that asks without a page behind it still passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_blocks_only_what_the_ui_page_asks() {
    let sim = deployment(Layout::Herodemo).await;
    sim.set(Fault::GatewayBlocksUi);
    let folder = "/hero_foundry/rpc/api/files/root/Photos/";
    let (status, _) = ask(&sim, get(folder).body(Full::default()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let from_page = get(folder)
        .header(
            header::REFERER,
            format!("{}/hero_os/ui/", sim.router_url().unwrap()),
        )
        .body(Full::default())
        .unwrap();
    let (status, body) = ask(&sim, from_page).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("gateway-blocks-ui"), "{body}");
    let own_script = get("/hero_os/ui/hero_os.js")
        .header(
            header::REFERER,
            format!("{}/hero_os/ui/", sim.router_url().unwrap()),
        )
        .body(Full::default())
        .unwrap();
    let (status, _) = ask(&sim, own_script).await;
    assert_eq!(status, StatusCode::OK, "the page's own script still loads");
}

/// A reshaped answer is still a non-empty result: only a reader of a list notices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reshaped_persons_list_is_an_object_of_items() {
    for (layout, path) in [
        (Layout::Herodemo, "/hero_osis_business/rpc"),
        (Layout::Hero, "/hero_osis/rpc"),
    ] {
        let sim = deployment(layout).await;
        sim.set(Fault::BizAnswerReshaped);
        let call = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(
                br#"{"jsonrpc":"2.0","id":1,"method":"business.persons.list"}"#,
            )))
            .unwrap();
        let (status, body) = ask(&sim, call).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let items = answer["result"]["items"].as_array();
        assert!(items.is_some_and(|i| !i.is_empty()), "{layout}: {answer}");
    }
}

/// What a person opening the UI sees, from headless Chromium once the app's fetches have
/// answered: the navigation, a photo per name in the folder, the dashboard's count.
async fn rendered(sim: &Deployment) -> String {
    use smoke_sim::fakes::chromium;
    let url = format!("{}/hero_os/ui/", sim.router_url().unwrap());
    tokio::task::spawn_blocking(move || chromium::settled_dom(&url, Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("Chromium renders the app (apt-get install chromium)")
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_draws_the_nav_the_photos_and_the_dashboard_and_each_fault_shows() {
    for layout in [Layout::Herodemo, Layout::Hero] {
        let sim = deployment(layout).await;
        let dom = rendered(&sim).await;
        assert_eq!(
            dom.matches("class=\"hero-nav-link\"").count(),
            6,
            "{layout}: {dom}"
        );
        let photos = dom
            .matches("<img src=\"/hero_foundry/rpc/api/files/root/Photos/")
            .count();
        assert!(photos > 0, "{layout}: {dom}");
        assert!(
            dom.contains("<p id=\"hero-dashboard\">5 persons</p>"),
            "{layout}: {dom}"
        );

        sim.set(Fault::UiImagesWrongUrl);
        let dom = rendered(&sim).await;
        assert_eq!(
            dom.matches("<img src=\"/hero_foundry/rpc/api/file/root/Photos/")
                .count(),
            photos,
            "{dom}"
        );
        sim.clear(&Fault::UiImagesWrongUrl);

        sim.set(Fault::BizAnswerReshaped);
        let dom = rendered(&sim).await;
        assert!(
            dom.contains("<p id=\"hero-dashboard\">0 persons</p>"),
            "{dom}"
        );
        sim.clear(&Fault::BizAnswerReshaped);

        sim.set(Fault::GatewayBlocksUi);
        let dom = rendered(&sim).await;
        assert!(
            !dom.contains("<img ") && dom.contains(">0 persons<"),
            "{dom}"
        );
        sim.clear(&Fault::GatewayBlocksUi);

        sim.set(Fault::UiBootError);
        let dom = rendered(&sim).await;
        assert!(
            !dom.contains("hero-dashboard") && !dom.contains("hero-nav-link\" href=\"islands"),
            "{dom}"
        );
    }
}
