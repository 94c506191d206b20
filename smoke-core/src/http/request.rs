//! One request of an [`HttpSpec`] to an [`Endpoint`]: built, sent on a fresh connection, and its
//! answer sorted into an observation or a failure (transport, HTTP status, JSON-RPC error).

use super::{exchange, Connector, Endpoint, Limits, CONTEXT_HEADER, USER_AGENT};
use crate::condition::{Condition, Subject};
use crate::deadline::Deadline;
use crate::observation::{JsonError, Observation};
use crate::outcome::{Cause, Failure};
use crate::panel::{Body, HttpSpec, Request};
use bytes::Bytes;
use http_body_util::Full;
use std::time::Duration;
use tokio::time::Instant;

/// How one fetch is bounded and judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fetch<'a> {
    /// When the attempt must be over, every phase included; its budget words the failures.
    pub(crate) deadline: Deadline,
    /// Sent as `X-Hero-Context`.
    pub(crate) context: Option<&'a str>,
    /// The caller judges the status itself; otherwise anything but 2xx fails with `http`.
    pub(crate) any_status: bool,
}

/// Sends the request on a fresh connection and sorts out what came back.
pub(crate) async fn fetch(
    connector: &dyn Connector,
    endpoint: &Endpoint,
    spec: &HttpSpec,
    how: Fetch<'_>,
) -> Result<Observation, Failure> {
    let started = Instant::now();
    let deadline = how.deadline;
    let conn = connector.connect(endpoint, deadline).await?;
    let limits = Limits {
        deadline,
        max_body: spec.max_body,
        started,
    };
    let obs = exchange(conn, build(endpoint, spec, how.context)?, limits).await?;
    let status = obs.status.unwrap_or(0);
    if !how.any_status && !(200..300).contains(&status) {
        return Err(status_failure(status).seen(obs.status, &obs.timings));
    }
    if matches!(spec.request, Request::Rpc { .. }) && (200..300).contains(&status) {
        rpc_failure(&obs).map_err(|f| f.seen(obs.status, &obs.timings))?;
    }
    Ok(obs)
}

/// "HTTP 502 Bad Gateway".
pub(crate) fn status_failure(status: u16) -> Failure {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    Failure::new(
        Cause::Http,
        format!("HTTP {status} {reason}").trim_end().to_string(),
    )
}

/// The failure of an answer whose status is outside 2xx, unless the probe's own `status`
/// conditions (among `expect`) all accept it: a probe may expect a 404. A 2xx they reject is
/// left to them, as an assertion.
pub(super) fn unexpected_status(expect: &[Condition], obs: &Observation) -> Option<Failure> {
    let status = obs.status.unwrap_or(0);
    if (200..300).contains(&status) {
        return None;
    }
    let mut own = expect
        .iter()
        .filter(|c| matches!(c.subject(), Subject::Status))
        .peekable();
    let accepted = own.peek().is_some() && own.all(|c| c.evaluate(obs).passed);
    (!accepted).then(|| status_failure(status).seen(obs.status, &obs.timings))
}

/// Calls a JSON-RPC method and returns its `result` (for the checker's own questions, such as
/// how a restart went).
pub async fn call_rpc(
    connector: &dyn Connector,
    endpoint: &Endpoint,
    spec: &HttpSpec,
    timeout: Duration,
) -> Result<serde_json::Value, Failure> {
    read_rpc(connector, endpoint, spec, timeout, serde_json::Value::clone).await
}

/// Calls a JSON-RPC method and hands its `result` (`null` when there is none) to `read` where it
/// lies, uncopied: a long answer (which services the supervisor runs) is read, not kept.
pub(crate) async fn read_rpc<T>(
    connector: &dyn Connector,
    endpoint: &Endpoint,
    spec: &HttpSpec,
    timeout: Duration,
    read: impl FnOnce(&serde_json::Value) -> T,
) -> Result<T, Failure> {
    let how = Fetch {
        deadline: Deadline::after(timeout),
        context: None,
        any_status: false,
    };
    let obs = fetch(connector, endpoint, spec, how).await?;
    let result = obs.json().and_then(|reply| reply.get("result"));
    Ok(read(result.unwrap_or(&serde_json::Value::Null)))
}

/// The request; one that can't be made (a name or value no HTTP request may carry) is the
/// checker's own failure, never a panic.
fn build(
    endpoint: &Endpoint,
    spec: &HttpSpec,
    context: Option<&str>,
) -> Result<http::Request<Full<Bytes>>, Failure> {
    let (method, body, json) = match &spec.request {
        Request::Get { .. } => (http::Method::GET, Bytes::new(), false),
        Request::Post { body, .. } => match body {
            Body::Empty => (http::Method::POST, Bytes::new(), false),
            Body::Text(t) => (http::Method::POST, Bytes::from(t.clone()), false),
            Body::Json(v) => (http::Method::POST, Bytes::from(v.to_string()), true),
        },
        Request::Rpc { method, params, .. } => {
            let mut call = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method});
            if let Some(p) = params {
                call["params"] = p.clone();
            }
            (http::Method::POST, Bytes::from(call.to_string()), true)
        }
    };
    let mut b = http::Request::builder()
        .method(method)
        .uri(&endpoint.path)
        .header(http::header::HOST, &endpoint.authority)
        .header(http::header::USER_AGENT, USER_AGENT)
        // One exchange per connection: say so, so the peer doesn't wait for a second.
        .header(http::header::CONNECTION, "close");
    if json {
        b = b.header(http::header::CONTENT_TYPE, "application/json");
    }
    for (k, v) in &spec.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    if let Some(ctx) = context {
        b = b.header(CONTEXT_HEADER, ctx);
    }
    b.body(Full::new(body)).map_err(|e| {
        Failure::new(
            Cause::Checker,
            format!("cannot make the request to {}: {e}", endpoint.display),
        )
    })
}

/// A JSON-RPC reply carries its failure in an `error` member, with HTTP 200.
fn rpc_failure(obs: &Observation) -> Result<(), Failure> {
    let reply = match obs.json_doc() {
        Ok(reply) => reply,
        Err(JsonError::NotJson) => {
            let text = obs.text();
            let snippet: String = text.chars().take(80).collect();
            return Err(Failure::new(
                Cause::Protocol,
                format!("reply is not JSON-RPC: {snippet:?}"),
            ));
        }
        Err(too_deep) => {
            return Err(Failure::new(
                Cause::Protocol,
                format!("reply is not JSON-RPC: {too_deep}"),
            ))
        }
    };
    if let Some(err) = reply.get("error").filter(|e| !e.is_null()) {
        let code = err.get("code").map(|c| c.to_string()).unwrap_or_default();
        let message = err
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("(no message)");
        return Err(Failure::new(
            Cause::Rpc,
            format!("JSON-RPC error {code}: {message}"),
        ));
    }
    if reply.get("result").is_none() {
        return Err(Failure::new(
            Cause::Protocol,
            "JSON-RPC reply has neither result nor error",
        ));
    }
    Ok(())
}
