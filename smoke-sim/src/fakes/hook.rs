//! A webhook receiver standing in for Slack incoming webhooks and generic JSON webhooks.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::request::Parts;
use http::{Method, StatusCode};
use serde_json::Value;

use super::lock;
use super::server::{self, Handler, Reply, Server};

/// One delivery the receiver accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct HookRequest {
    /// The request path, e.g. `/services/T000/B000/XXXX`.
    pub path: String,
    /// Header names (lower case) and values, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// A loopback webhook receiver: POST on any path with a JSON body is recorded and answered
/// `200 ok`, the way Slack answers an incoming webhook.
pub struct FakeHook {
    state: Arc<State>,
    url: String,
    _server: Server,
}

#[derive(Default)]
struct State {
    down: AtomicBool,
    attempts: AtomicUsize,
    delivered: Mutex<Vec<HookRequest>>,
}

impl FakeHook {
    /// Starts a receiver on a free loopback port.
    pub async fn start() -> io::Result<FakeHook> {
        let (listener, addr) = server::listen().await?;
        let state = Arc::new(State::default());
        let server = server::spawn(listener, state.clone());
        Ok(FakeHook {
            state,
            url: format!("http://{addr}"),
            _server: server,
        })
    }

    /// `http://127.0.0.1:<port>`; any path below it is a webhook URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// While down, every request gets 503 and nothing is recorded.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// The JSON bodies accepted so far, oldest first.
    pub fn received(&self) -> Vec<Value> {
        self.requests().into_iter().map(|r| r.body).collect()
    }

    /// The deliveries accepted so far with their paths and headers, oldest first.
    pub fn requests(&self) -> Vec<HookRequest> {
        lock(&self.state.delivered).clone()
    }

    /// Every request that reached the receiver, accepted or not (down, bad JSON, wrong
    /// method): what a test of retries counts.
    pub fn attempts(&self) -> usize {
        self.state.attempts.load(Ordering::SeqCst)
    }
}

impl Handler for State {
    async fn handle(&self, parts: Parts, body: Bytes) -> Reply {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return server::text(StatusCode::SERVICE_UNAVAILABLE, "service unavailable");
        }
        if parts.method != Method::POST {
            return server::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            // Slack's answer to a payload it cannot parse.
            return server::text(StatusCode::BAD_REQUEST, "invalid_payload");
        };
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        lock(&self.delivered).push(HookRequest {
            path: parts.uri.path().to_owned(),
            headers,
            body,
        });
        server::text(StatusCode::OK, "ok")
    }
}
