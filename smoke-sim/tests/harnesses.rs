//! The harnesses around real programs from Debian packages, each against a tiny loopback
//! server: Prometheus scraping its metrics, and headless Chromium rendering its page.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use smoke_sim::fakes::{chromium, Prometheus};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const METRICS: &str = "\
# HELP demo_gauge Whether each demo probe passed.
# TYPE demo_gauge gauge
demo_gauge{probe=\"os-ui\"} 1
demo_gauge{probe=\"rpc\"} 0
# HELP demo_runs_in_flight Probe runs under way.
# TYPE demo_runs_in_flight gauge
demo_runs_in_flight 2
";

const PAGE: &str = r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>demo status</title>
<style>body { font-family: sans-serif; } td, th { padding: 4px 8px; }</style>
</head>
<body>
<h1>demo status</h1>
<table>
<thead><tr><th>probe</th><th>state</th></tr></thead>
<tbody>
<tr data-probe="x" data-state="ok"><td>x</td><td>ok</td></tr>
</tbody>
</table>
<script>document.body.dataset.rendered = "yes";</script>
</body>
</html>
"#;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Serves [`METRICS`] at `/metrics` and [`PAGE`] at `/page` until the handle is aborted
/// (or the test's runtime ends).
async fn serve() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    });
    (addr, task)
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match request.uri().path() {
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            METRICS,
        ),
        "/page" => (StatusCode::OK, "text/html; charset=utf-8", PAGE),
        _ => (StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    };
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap())
}

#[ignore = "needs prometheus (apt-get install prometheus)"]
#[tokio::test]
async fn prometheus_scrapes_the_target() {
    let (addr, server) = serve().await;
    let started = Instant::now();
    let prometheus = Prometheus::start(&addr.to_string(), Duration::from_secs(1))
        .await
        .unwrap();
    let ready = started.elapsed();
    assert!(prometheus.url().starts_with("http://127.0.0.1:"));

    let series = prometheus
        .wait_for("demo_gauge", 2, Duration::from_secs(20))
        .await
        .unwrap();
    eprintln!(
        "Prometheus ready in {ready:?}, both series in {:?}",
        started.elapsed()
    );
    let mut probes: Vec<(String, String)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["metric"]["job"], "smoke", "{s}");
            assert_eq!(s["metric"]["instance"], addr.to_string(), "{s}");
            (
                s["metric"]["probe"].as_str().unwrap().to_owned(),
                s["value"][1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    probes.sort();
    assert_eq!(
        probes,
        [("os-ui".into(), "1".into()), ("rpc".into(), "0".into())]
    );

    // Quotes, braces and operators reach Prometheus intact.
    let failing = prometheus
        .query(r#"demo_gauge{job="smoke"} == 0"#)
        .await
        .unwrap();
    assert_eq!(failing.as_array().unwrap().len(), 1, "{failing}");
    assert_eq!(failing[0]["metric"]["probe"], "rpc");
    let in_flight = prometheus.query("sum(demo_runs_in_flight)").await.unwrap();
    assert_eq!(in_flight[0]["value"][1], "2", "{in_flight}");

    let bad = prometheus.query("demo_gauge{").await.unwrap_err();
    assert_eq!(bad.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
    let scalar = prometheus
        .wait_for("scalar(demo_runs_in_flight)", 1, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(scalar.kind(), std::io::ErrorKind::InvalidInput, "{scalar}");

    let url = prometheus.url();
    drop(prometheus);
    let gone = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await;
    assert!(
        gone.is_err(),
        "Prometheus still listens at {url} after drop"
    );
    server.abort();
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test]
async fn chromium_renders_the_page() {
    let (addr, server) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let screenshot = dir.path().join("page.png");
    let url = format!("http://{addr}/page");

    let started = Instant::now();
    let dom = {
        let (url, screenshot) = (url.clone(), screenshot.clone());
        tokio::task::spawn_blocking(move || chromium::render(&url, &screenshot))
            .await
            .unwrap()
            .unwrap()
    };
    eprintln!("Chromium rendered twice in {:?}", started.elapsed());

    assert!(dom.contains("<table>"), "{dom}");
    assert!(
        dom.contains(r#"<tr data-probe="x" data-state="ok">"#),
        "{dom}"
    );
    // The DOM after scripts ran, not the page as served.
    assert!(dom.contains(r#"data-rendered="yes""#), "{dom}");

    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(PNG_SIGNATURE), "{} bytes", png.len());
    // IHDR, right after the signature: width and height, big-endian.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), chromium::WINDOW_SIZE);

    // A page that does not load is an error, not an empty DOM.
    let refused = {
        let closed = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let url = format!("http://{}/page", closed.local_addr().unwrap());
        drop(closed);
        let screenshot = screenshot.clone();
        tokio::task::spawn_blocking(move || chromium::render(&url, &screenshot))
            .await
            .unwrap()
            .unwrap_err()
    };
    assert!(
        refused.to_string().contains("ERR_CONNECTION_REFUSED"),
        "{refused}"
    );

    let elsewhere = chromium::render("http://example.com/", &screenshot).unwrap_err();
    assert_eq!(elsewhere.kind(), std::io::ErrorKind::InvalidInput);
    server.abort();
}
