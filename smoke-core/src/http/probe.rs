//! A panel probe: the request a [`ProbeSpec`] describes, sent through a [`Connector`] and
//! judged by its conditions.

use super::{exchange, Connector, Endpoint, Limits, CONTEXT_HEADER, USER_AGENT};
use crate::observation::Observation;
use crate::outcome::{Cause, Failure, ProbeReport};
use crate::panel::{Body, HttpSpec, ProbeSpec, Request};
use crate::plan::info_of;
use crate::probe::{judge, Probe, ProbeInfo};
use bytes::Bytes;
use http_body_util::Full;
use std::sync::Arc;
use tokio::time::Instant;

pub struct HttpProbe {
    info: ProbeInfo,
    spec: ProbeSpec,
    http: HttpSpec,
    endpoint: Endpoint,
    connector: Arc<dyn Connector>,
    /// Whether the panel checks the status itself; if not, anything but 2xx fails with `http`.
    checks_status: bool,
}

impl HttpProbe {
    pub fn new(spec: ProbeSpec, endpoint: Endpoint, connector: Arc<dyn Connector>) -> Self {
        let info = info_of(&spec, endpoint.display.clone());
        let http = spec
            .http()
            .cloned()
            .expect("an HttpProbe is made of an HTTP probe spec");
        let checks_status = spec
            .expect
            .iter()
            .chain(&spec.warn)
            .any(|c| c.text().trim_start().starts_with("status"));
        HttpProbe {
            info,
            spec,
            http,
            endpoint,
            connector,
            checks_status,
        }
    }

    pub fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    fn request(&self, context: Option<&str>) -> http::Request<Full<Bytes>> {
        let (method, body, json) = match &self.http.request {
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
            .uri(&self.endpoint.path)
            .header(http::header::HOST, &self.endpoint.authority)
            .header(http::header::USER_AGENT, USER_AGENT)
            // One exchange per connection: say so, so the peer doesn't wait for a second.
            .header(http::header::CONNECTION, "close");
        if json {
            b = b.header(http::header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in &self.http.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(ctx) = context {
            b = b.header(CONTEXT_HEADER, ctx);
        }
        b.body(Full::new(body))
            .expect("header names and values are checked when the panel loads")
    }

    /// One exchange, with the transport, HTTP and JSON-RPC failures sorted out.
    async fn observe(&self, context: Option<&str>) -> Result<Observation, Failure> {
        let started = Instant::now();
        let deadline = started + self.spec.timeout;
        let conn = self.connector.connect(&self.endpoint, deadline).await?;
        let limits = Limits {
            deadline,
            timeout: self.spec.timeout,
            max_body: self.http.max_body,
            started,
        };
        let obs = exchange(conn, self.request(context), limits).await?;
        let status = obs.status.unwrap_or(0);
        if !self.checks_status && !(200..300).contains(&status) {
            let reason = http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            return Err(Failure::new(
                Cause::Http,
                format!("HTTP {status} {reason}").trim_end().to_string(),
            ));
        }
        if matches!(self.http.request, Request::Rpc { .. }) {
            rpc_failure(&obs)?;
        }
        Ok(obs)
    }

    fn judged(&self, obs: &Observation) -> ProbeReport {
        let mut report = ProbeReport::new(&self.spec.name);
        judge(&mut report, obs, &self.spec.expect, &self.spec.warn);
        report
    }
}

/// A JSON-RPC reply carries its failure in an `error` member, with HTTP 200.
fn rpc_failure(obs: &Observation) -> Result<(), Failure> {
    let Some(reply) = obs.json() else {
        let text = obs.text();
        let snippet: String = text.chars().take(80).collect();
        return Err(Failure::new(
            Cause::Protocol,
            format!("reply is not JSON-RPC: {snippet:?}"),
        ));
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

/// What two contexts are compared on: the JSON-RPC `result`, else the JSON body, else the bytes.
fn answer(obs: &Observation) -> serde_json::Value {
    match obs.json() {
        Some(v) => v.get("result").cloned().unwrap_or_else(|| v.clone()),
        None => serde_json::Value::String(obs.text().into_owned()),
    }
}

#[async_trait::async_trait]
impl Probe for HttpProbe {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        let Some(contexts) = &self.http.contexts else {
            return match self.observe(self.http.context.as_deref()).await {
                Ok(obs) => self.judged(&obs),
                Err(f) => {
                    let mut r = ProbeReport::new(&self.spec.name);
                    r.fail(f);
                    r
                }
            };
        };
        // The reference first in the list, then each context; all at once, each on its own
        // connection and deadline.
        let names: Vec<&str> = contexts
            .distinct_from
            .as_deref()
            .into_iter()
            .chain(contexts.contexts.iter().map(String::as_str))
            .collect();
        let observed =
            futures_util::future::join_all(names.iter().map(|ctx| self.observe(Some(ctx)))).await;
        let mut report = ProbeReport::new(&self.spec.name);
        let mut reference: Option<serde_json::Value> = None;
        for (i, (ctx, result)) in names.iter().zip(observed).enumerate() {
            let obs = match result {
                Ok(obs) => obs,
                Err(mut f) => {
                    f.detail = format!("context {ctx}: {}", f.detail);
                    report.fail(f);
                    return report;
                }
            };
            let judged = self.judged(&obs);
            if i == 0 || report.outcome < judged.outcome {
                let mut judged = judged;
                if let Some(d) = judged.detail.as_mut() {
                    *d = format!("context {ctx}: {d}");
                }
                report = judged;
            }
            let this = answer(&obs);
            match (&reference, contexts.distinct_from.is_some() && i == 0) {
                (_, true) => reference = Some(this),
                (Some(r), false) if *r == this => {
                    let root = contexts.distinct_from.as_deref().unwrap_or_default();
                    report.fail(Failure::new(
                        Cause::Assertion,
                        format!(
                            "context {ctx} answered the same result as {root}: the context fell back to {root}"
                        ),
                    ));
                    return report;
                }
                _ => {}
            }
        }
        report
    }
}
