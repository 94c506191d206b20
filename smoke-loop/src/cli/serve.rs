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
}

pub type SharedLive = Arc<RwLock<Live>>;

pub fn router(live: SharedLive) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/status.json", get(status_data))
        .route("/healthz", get(healthz))
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
        now: jiff::Timestamp::now(),
    })
}

async fn status(Shared(live): Shared<SharedLive>) -> Html<String> {
    Html(with_sources(&live, status_html))
}

async fn status_data(Shared(live): Shared<SharedLive>) -> axum::Json<serde_json::Value> {
    axum::Json(with_sources(&live, status_json))
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
