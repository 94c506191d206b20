//! `relay`: where an Alertmanager cluster sends the quorum alert of several vantage points, and
//! the one place that tells the sinks marked `relay = true` (the forge, Slack). Each alert is
//! keyed by (panel, side, probe) and becomes one incident with the marker, reconciliation and
//! outbox of a host's own loop, so the forge still gets one issue however many hosts see the
//! failure and however many Alertmanagers repeat it.
//!
//! A request is answered once what it changed is in the state folder (the events owed
//! included); the sinks are told after, from the outbox, retried every [`FLUSH_EVERY`] while
//! one is down. The state's lock is held only to apply a notification and between calls to the
//! sinks, never while a sink is waited for, so a slow or dead sink never makes Alertmanager
//! send again. A request that cannot be saved gets 503, so Alertmanager sends it again.

mod alerts;
mod error;
#[cfg(test)]
mod fixtures;
mod incidents;

pub use alerts::{
    Alert, AlertStatus, Applied, Notification, Scope, MAX_ALERTS, MAX_MEMBERS, OVERFLOW,
};
pub use error::RelayError;
pub use incidents::{
    NEW_PER_HOUR, NEW_PER_NOTIFICATION, RESOLVED_KEEP, RESOLVED_MAX, UNCONFIRMED_OPEN,
};

use crate::config::LoopConfig;
use crate::loop_state::LoopState;
use crate::notify::Notifier;
use crate::state_dir::{default_state_dir, StateDir};
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use smoke_core::engine::{Mode, Panel};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Mutex;

/// The path Alertmanager posts to (examples/alertmanager/alertmanager.yml points here).
pub const PATH: &str = "/alertmanager";
/// Where `relay` listens unless told: loopback, next to the shipped Alertmanager config.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9201";
/// The largest body taken: a notification of one probe's alert is a few KiB; Alertmanager
/// sends at most `max_alerts` of a group.
pub const MAX_BODY: usize = 1024 * 1024;
/// How often the outbox is tried again while a sink is down, and reminders are looked for.
pub const FLUSH_EVERY: Duration = Duration::from_secs(30);
/// How long a request waits for the state before it is answered 503 (Alertmanager sends
/// again). The lock is held only for moments (a notification applied, a delivery recorded,
/// each with its save), so this is a last guard, not a wait on the sinks.
const STATE_WAIT: Duration = Duration::from_secs(5);
/// Lines about what requests sent (refused, ignored, past a cap) logged per minute; past it
/// they are counted, and the count said once a minute, so a flood cannot fill the journal.
const COMPLAINTS_PER_MINUTE: u32 = 20;

/// What every request shares.
struct Relay {
    scope: Scope,
    token: Option<String>,
    dir: StateDir,
    notifier: Notifier,
    remind_every: Duration,
    state: Mutex<LoopState>,
    /// Rings the flusher when events were enqueued.
    kick: tokio::sync::Notify,
    complaints: std::sync::Mutex<Complaints>,
}

/// The relay, until SIGTERM or SIGINT: listening on `listen`, its incidents and outbox in
/// `state_dir` (else the panel's relay folder under the state home).
pub async fn relay(
    panel: Panel,
    config: LoopConfig,
    mode: Mode,
    listen: std::net::SocketAddr,
    state_dir: Option<&std::path::Path>,
) -> Result<u8, RelayError> {
    let notifier = Notifier::for_relay(&panel, &config, mode).map_err(RelayError::Sinks)?;
    if !config.notify.iter().any(|n| n.relay) {
        return Err(RelayError::NoRelaySink {
            panel: panel.source.clone(),
        });
    }
    let token = match &config.relay.bearer_token {
        Some(secret) => Some(secret.read().map_err(RelayError::Token)?),
        None => None,
    };
    let path = state_dir.map_or_else(
        || default_state_dir(&panel.name, &format!("{}-relay", mode.as_str())),
        std::path::Path::to_path_buf,
    );
    let dir = StateDir::open(&path)?;
    let state = dir.load()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| RelayError::Listen { listen, source })?;
    eprintln!(
        "smoke: relaying {} and {} alerts of panel \"{}\" ({} side) from http://{}{PATH}{}",
        config.relay.alertname,
        config.relay.group_alertname,
        panel.name,
        mode.as_str(),
        listen,
        if token.is_some() {
            " (bearer token required)"
        } else {
            ""
        }
    );
    let relay = Arc::new(Relay {
        scope: Scope::new(
            &panel,
            mode,
            &config.relay.alertname,
            &config.relay.group_alertname,
        ),
        token,
        dir,
        notifier,
        remind_every: config.remind_every,
        state: Mutex::new(state),
        kick: tokio::sync::Notify::new(),
        complaints: std::sync::Mutex::new(Complaints::default()),
    });
    tokio::spawn(crate::server::serve(listener, router(relay.clone())));
    let on = |kind, name| signal(kind).map_err(|source| RelayError::Signal { name, source });
    let mut term = on(SignalKind::terminate(), "SIGTERM")?;
    let mut int = on(SignalKind::interrupt(), "SIGINT")?;
    loop {
        flush(&relay).await;
        tokio::select! {
            _ = relay.kick.notified() => {}
            _ = tokio::time::sleep(FLUSH_EVERY) => {}
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    eprintln!("smoke: stopped");
    Ok(0)
}

/// Owes the reminders that are due, and tells the sinks what is owed, the state's lock taken
/// only between calls to them.
async fn flush(relay: &Relay) {
    {
        let mut state = relay.state.lock().await;
        let scope = (relay.scope.panel.as_str(), relay.scope.mode.as_str());
        let now = jiff::Timestamp::now();
        let reminders = incidents::reminders(&mut state.core, scope, relay.remind_every, now);
        if !reminders.is_empty() {
            relay.notifier.enqueue(&mut state, &reminders);
            if let Err(e) = relay.dir.save(&state) {
                smoke_core::say!("relay: {e}");
            }
        }
    }
    for e in relay.notifier.flush_shared(&relay.dir, &relay.state).await {
        smoke_core::say!("relay: {e}");
    }
}

fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(relay)
}

/// One notification: authenticated, bounded, parsed, applied and saved, or refused with 4xx
/// and a log line, changing nothing.
async fn receive(Shared(relay): Shared<Arc<Relay>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(refusal) = authorize(relay.token.as_deref(), &parts.headers) {
        return relay.refuse(refusal);
    }
    let notification = match read(body).await {
        Ok(n) => n,
        Err(refusal) => return relay.refuse(refusal),
    };
    // Read whole before the state is touched: a long notification holds up no other.
    let (words, mut applied) = alerts::read(&notification, &relay.scope);
    let Ok(mut state) = tokio::time::timeout(STATE_WAIT, relay.state.lock()).await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the state is busy; send again\n",
        )
            .into_response();
    };
    let now = jiff::Timestamp::now();
    let (events, changed) = incidents::apply(&mut state, words, &relay.scope, now, &mut applied);
    if changed {
        relay.notifier.enqueue(&mut state, &events);
        if let Err(e) = relay.dir.save(&state) {
            // Kept in memory, saved by the next change; Alertmanager's resend finds it taken.
            drop(state);
            smoke_core::say!("relay: {e}");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the state could not be saved; send again\n",
            )
                .into_response();
        }
    }
    drop(state);
    if !events.is_empty() {
        relay.kick.notify_one();
    }
    if !applied.ignored.is_empty() {
        relay.complain(format!(
            "ignored {} alerts not for this relay: {}",
            applied.ignored_count,
            applied.ignored.join("; ")
        ));
    }
    if applied.overflowed > 0 {
        relay.complain(format!(
            "{} new alerts past the caps of new incidents ({NEW_PER_NOTIFICATION} a notification, {NEW_PER_HOUR} an hour, {UNCONFIRMED_OPEN} open) are listed in the incident {OVERFLOW}",
            applied.overflowed
        ));
    }
    axum::Json(applied).into_response()
}

/// Why a request was refused, as its answer and its log line say.
struct Refusal {
    status: StatusCode,
    why: String,
}

impl Relay {
    fn refuse(&self, r: Refusal) -> Response {
        self.complain(format!(
            "refused a request ({}): {}",
            r.status.as_u16(),
            r.why
        ));
        let mut response = (r.status, format!("{}\n", r.why)).into_response();
        if r.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }

    /// Logs `line`, unless [`COMPLAINTS_PER_MINUTE`] lines were logged this minute already.
    fn complain(&self, line: String) {
        let admitted = self
            .complaints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(Instant::now());
        match admitted {
            Some(Admit::Say) => smoke_core::say!("relay: {line}"),
            Some(Admit::SayWithCount(n)) => {
                smoke_core::say!("relay: {line} ({n} more lines in the last minute, not logged)")
            }
            None => {}
        }
    }
}

/// The token, compared in time that does not depend on where it differs.
fn authorize(token: Option<&str>, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    let Some(given) = given else {
        return Err(Refusal {
            status: StatusCode::UNAUTHORIZED,
            why: "no bearer token (Authorization: Bearer ...)".to_string(),
        });
    };
    let want = token.as_bytes();
    let differ = given.len() != want.len()
        || given
            .iter()
            .zip(want)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0;
    if differ {
        return Err(Refusal {
            status: StatusCode::UNAUTHORIZED,
            why: "wrong bearer token".to_string(),
        });
    }
    Ok(())
}

/// The body, at most [`MAX_BODY`] bytes, as a notification of at most [`MAX_ALERTS`] alerts.
async fn read(body: Body) -> Result<Notification, Refusal> {
    let too_big = || Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        why: format!("the body is larger than the limit of {MAX_BODY} bytes"),
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => return Err(too_big()),
        Err(e) => {
            return Err(Refusal {
                status: StatusCode::BAD_REQUEST,
                why: format!("the body could not be read: {e}"),
            })
        }
    };
    let notification: Notification = serde_json::from_slice(&bytes).map_err(|e| Refusal {
        status: StatusCode::BAD_REQUEST,
        why: format!("not an Alertmanager webhook notification: {e}"),
    })?;
    if notification.alerts.len() > MAX_ALERTS {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            why: format!(
                "{} alerts in one notification; the limit is {MAX_ALERTS} (group the route by probe)",
                notification.alerts.len()
            ),
        });
    }
    Ok(notification)
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// How many lines were logged in the current minute, and how many were not.
#[derive(Default)]
struct Complaints {
    window: Option<Instant>,
    said: u32,
    unsaid: u32,
}

enum Admit {
    Say,
    SayWithCount(u32),
}

impl Complaints {
    fn admit(&mut self, now: Instant) -> Option<Admit> {
        let fresh = self
            .window
            .is_none_or(|w| now.duration_since(w) >= Duration::from_secs(60));
        if fresh {
            let unsaid = std::mem::take(&mut self.unsaid);
            self.window = Some(now);
            self.said = 1;
            return Some(if unsaid > 0 {
                Admit::SayWithCount(unsaid)
            } else {
                Admit::Say
            });
        }
        if self.said < COMPLAINTS_PER_MINUTE {
            self.said += 1;
            return Some(Admit::Say);
        }
        self.unsaid += 1;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panel_with_no_relay_sink_is_refused_before_anything_is_opened() {
        let panel = fixtures::panel();
        let config = LoopConfig::read(&panel).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let listen = "127.0.0.1:0".parse().unwrap();
        let e = relay(panel, config, Mode::External, listen, Some(&state))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, RelayError::NoRelaySink { panel } if panel.ends_with("p.toml")),
            "{e:?}"
        );
        assert!(e
            .to_string()
            .ends_with("(mark the forge and Slack entries relay = true)"));
        assert!(!dir.path().join("state").exists(), "no state folder made");
    }

    #[test]
    fn refusals_past_the_limit_are_counted_not_logged() {
        let mut c = Complaints::default();
        let t0 = Instant::now();
        let said = (0..100).filter(|_| c.admit(t0).is_some()).count();
        assert_eq!(said, COMPLAINTS_PER_MINUTE as usize);
        match c.admit(t0 + Duration::from_secs(61)) {
            Some(Admit::SayWithCount(n)) => assert_eq!(n, 100 - COMPLAINTS_PER_MINUTE),
            _ => panic!("the next minute says how many were not logged"),
        }
    }

    #[test]
    fn the_token_must_match_exactly() {
        let mut h = HeaderMap::new();
        assert!(authorize(None, &h).is_ok());
        assert_eq!(
            authorize(Some("s3cret"), &h).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        for (given, ok) in [
            ("Bearer s3cret", true),
            ("Bearer s3cre", false),
            ("Bearer s3cret2", false),
            ("bearer s3cret", false),
            ("Basic s3cret", false),
        ] {
            h.insert(header::AUTHORIZATION, given.parse().unwrap());
            assert_eq!(authorize(Some("s3cret"), &h).is_ok(), ok, "{given}");
        }
    }
}
