//! What a watch loop serves: `/metrics` (Prometheus), `/status` (a page for people),
//! `/status.json`, `/healthz`. Everything is read from the last tick; nothing is probed on a
//! request. Whoever connects can hold no more than a bounded share of the process: headers
//! within [`HEADER_READ_TIMEOUT`] (also the idle limit between requests), a connection for
//! [`CONNECTION_LIFETIME`] at most, and a fixed number of connections at once, so the ticks
//! always keep file descriptors of their own.

use crate::history::History;
use crate::state_dir::SharedRollup;
use crate::status::{status_html, status_json, Sources};
use axum::extract::State as Shared;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use smoke_core::incident::State;
use smoke_core::outcome::RunReport;
use smoke_core::report::{prometheus, PROMETHEUS_CONTENT_TYPE};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A client must send a request's whole header within this, from the moment the connection
/// (or the previous response) is ready for it: a silent, a half-sent or an idle keep-alive
/// connection is closed after it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Whatever it does, a connection is closed after this (a client that never reads its
/// response included); a scraper just connects again.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// Connections served at once; past it a new one is closed at once. Never more than a quarter
/// of the open-files limit, so the listener cannot starve the ticks of descriptors.
pub const MAX_CONNECTIONS: usize = 64;
/// After a failed accept (out of descriptors), a pause before the next, not a busy loop.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until the process ends, within the limits above.
pub async fn serve(listener: TcpListener, app: Router) {
    let limit = connection_limit();
    let slots = Arc::new(tokio::sync::Semaphore::new(limit));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut last_complaint: Option<Instant> = None;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Said once a minute at most: the loop goes on, and so do the ticks.
                if last_complaint.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    eprintln!("smoke: the status server cannot accept a connection: {e}");
                    last_complaint = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
            drop(slot);
        });
    }
}

/// [`MAX_CONNECTIONS`], or a quarter of the open-files limit when that is lower.
fn connection_limit() -> usize {
    let quarter = open_files_limit().map_or(MAX_CONNECTIONS, |n| (n / 4) as usize);
    quarter.clamp(1, MAX_CONNECTIONS)
}

fn open_files_limit() -> Option<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
}

/// Raises the soft open-files limit to the hard one: a loop keeps sockets to every service,
/// its files and its listener open at once, and the default soft limit (often 1024, or less
/// under a supervisor) is no reason for a tick to fail.
pub fn raise_open_files_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// What the loop knows, shared with the server.
pub struct Live {
    pub report: Option<RunReport>,
    pub state: State,
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
                smoke_core::units::format_duration(t.elapsed())
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
                smoke_core::units::format_duration(live.started.elapsed())
            ),
        )
            .into_response(),
    }
}
