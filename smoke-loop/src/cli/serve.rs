//! What a watch loop serves: `/metrics` (Prometheus), `/status` (a page for people),
//! `/status.json`, `/healthz`. Everything is read from the last tick; nothing is probed on a
//! request. The listener and its bounds are [`crate::server`]'s.

use crate::history::History;
use crate::proving::Proofs;
use crate::rollup::SharedRollup;
use crate::status::{status_html, status_json, Sources};
use axum::extract::State as Shared;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use smoke_core::engine::{prometheus, State, PROMETHEUS_CONTENT_TYPE};
use smoke_core::prelude::RunReport;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What the loop knows, shared with the server.
pub struct Live {
    pub report: Option<RunReport>,
    pub state: State,
    /// What each probe proved here, for the status page.
    pub proofs: Proofs,
    /// What the last whole tick did not probe, and why, for the status page.
    pub unprobed: Vec<String>,
    pub history: History,
    /// The hourly rollup the loop keeps: uptime and latency.
    pub rollup: Option<SharedRollup>,
    /// Incident id -> a link to read it (the forge issue).
    pub links: BTreeMap<String, String>,
    pub last_tick: Option<Instant>,
    /// When the loop started: no tick for longer than `stale_after` since then is a stuck loop.
    pub started: Instant,
    /// A tick older than this means the loop is stuck.
    pub stale_after: Duration,
    /// The state folder, whose kept screenshots the page links.
    pub state_dir: std::path::PathBuf,
    /// Since when each probe has drifted from the known-good baseline.
    pub drifting: BTreeMap<String, jiff::Timestamp>,
    /// When the known-good baseline the last tick was judged against was taken.
    pub baseline: Option<jiff::Timestamp>,
}

pub type SharedLive = Arc<RwLock<Live>>;

pub fn router(live: SharedLive) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/status.json", get(status_data))
        .route("/healthz", get(healthz))
        .route("/evidence/{probe}/{file}", get(screenshot))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/status") }),
        )
        .with_state(live)
}

fn read(live: &SharedLive) -> std::sync::RwLockReadGuard<'_, Live> {
    live.read().unwrap_or_else(|e| e.into_inner())
}

async fn metrics(Shared(live): Shared<SharedLive>) -> Response {
    let live = read(&live);
    let body = match &live.report {
        Some(r) => prometheus(r, Some(&live.state)),
        None => "# no tick yet\n".to_string(),
    };
    ([(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)], body).into_response()
}

/// Renders one view of the page from what the loop knows, the rollup read-locked meanwhile.
fn with_sources<T>(live: &SharedLive, view: fn(&Sources) -> T) -> T {
    let live = read(live);
    let links = |id: &str| live.links.get(id).cloned();
    let rollup = live
        .rollup
        .as_ref()
        .map(|r| r.read().unwrap_or_else(|e| e.into_inner()));
    view(&Sources {
        report: live.report.as_ref(),
        history: &live.history,
        state: Some(&live.state),
        proofs: Some(&live.proofs),
        unprobed: &live.unprobed,
        rollup: rollup.as_deref(),
        links: &links,
        drifting: Some(&live.drifting),
        baseline: live.baseline,
        now: jiff::Timestamp::now(),
    })
}

async fn status(Shared(live): Shared<SharedLive>) -> Html<String> {
    Html(with_sources(&live, status_html))
}

async fn status_data(Shared(live): Shared<SharedLive>) -> axum::Json<serde_json::Value> {
    axum::Json(with_sources(&live, status_json))
}

/// A kept screenshot, by the names the status page links: nothing else of the state folder.
async fn screenshot(
    Shared(live): Shared<SharedLive>,
    axum::extract::Path((probe, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let dir = read(&live).state_dir.clone();
    let found = crate::evidence::find(&dir, &probe, &file);
    let png = match found {
        Some(path) => tokio::task::spawn_blocking(move || crate::evidence::read(&path)).await,
        None => return (StatusCode::NOT_FOUND, "no such screenshot\n").into_response(),
    };
    match png {
        Ok(Ok(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "max-age=86400, immutable"),
            ],
            png,
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such screenshot\n").into_response(),
    }
}

async fn healthz(Shared(live): Shared<SharedLive>) -> Response {
    let live = read(&live);
    match live.last_tick {
        Some(t) if t.elapsed() <= live.stale_after => (StatusCode::OK, "ok\n").into_response(),
        Some(t) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "no tick for {}\n",
                smoke_core::engine::format_duration(t.elapsed())
            ),
        )
            .into_response(),
        None if live.started.elapsed() <= live.stale_after => {
            (StatusCode::OK, "starting\n").into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "no tick since the start, {} ago\n",
                smoke_core::engine::format_duration(live.started.elapsed())
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn live(state_dir: &std::path::Path) -> SharedLive {
        Arc::new(RwLock::new(Live {
            report: None,
            state: State::default(),
            proofs: Proofs::default(),
            unprobed: Vec::new(),
            history: History::new(1),
            rollup: None,
            links: BTreeMap::new(),
            last_tick: None,
            started: Instant::now(),
            stale_after: Duration::from_secs(60),
            state_dir: state_dir.to_path_buf(),
            drifting: BTreeMap::new(),
            baseline: None,
        }))
    }

    async fn get(addr: std::net::SocketAddr, path: &str) -> (String, Vec<u8>) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let ask = format!("GET {path} HTTP/1.1\r\nHost: smoke\r\nConnection: close\r\n\r\n");
        stream.write_all(ask.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        (head, answer[split + 4..].to_vec())
    }

    #[tokio::test]
    async fn a_kept_screenshot_is_served_by_its_link_and_nothing_else_is() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir
            .path()
            .join(crate::evidence::EVIDENCE_DIR)
            .join("ui-drawn");
        std::fs::create_dir_all(&folder).unwrap();
        let png = b"\x89PNG\r\n\x1a\nthe page".to_vec();
        std::fs::write(folder.join("2026-12-07T10-00-00.000Z.png"), &png).unwrap();
        std::fs::write(dir.path().join("state.json"), b"{}").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(crate::server::serve(listener, router(live(dir.path()))));

        let link = crate::evidence::link("ui-drawn", "2026-12-07T10-00-00.000Z.png");
        let (head, body) = get(addr, &format!("/{link}")).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: image/png"),
            "{head}"
        );
        assert!(head
            .to_ascii_lowercase()
            .contains("x-content-type-options: nosniff"));
        assert_eq!(body, png);

        for path in [
            "/evidence/ui-drawn/missing.png",
            "/evidence/ui-drawn/..%2F..%2Fstate.json",
            "/evidence/..%2Fevidence/2026-12-07T10-00-00.000Z.png",
            "/evidence/ui-drawn/.hidden.png",
            "/evidence/%2E%2E/state.json",
        ] {
            let (head, _) = get(addr, path).await;
            assert!(head.starts_with("HTTP/1.1 404"), "{path}: {head}");
        }
    }
}
