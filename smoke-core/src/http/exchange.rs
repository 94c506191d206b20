//! One request, one response, over a stream the connector made.

use super::Connection;
use crate::deadline::Deadline;
use crate::observation::{Observation, Timings};
use crate::outcome::{Cause, Failure, Phase};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

/// The bounds of one exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// When the whole attempt must be over; its budget words a timeout failure.
    pub(crate) deadline: Deadline,
    /// Bytes of body kept; a longer body is cut and the probe fails.
    pub(crate) max_body: u64,
    /// When the attempt started (for `total`).
    pub(crate) started: Instant,
}

/// Aborts the connection driver when the exchange ends, so a hung peer holds nothing.
struct AbortOnDrop(tokio::task::AbortHandle);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends `request` on `conn` and reads the answer within the limits.
pub(crate) async fn exchange(
    conn: Connection,
    request: http::Request<Full<Bytes>>,
    limits: Limits,
) -> Result<Observation, Failure> {
    let Connection {
        stream,
        mut timings,
        cert,
    } = conn;
    let sent = Instant::now();
    // A failure keeps what was observed up to it, its total time included.
    let seen = |f: Failure, status: Option<u16>, timings: &Timings| {
        let mut timings = timings.clone();
        timings.total = Some(limits.started.elapsed());
        f.seen(status, &timings)
    };
    let headers_timeout = || Failure::timeout(Phase::Headers, limits.deadline.budget());
    let handshake = limits
        .deadline
        .bound(hyper::client::conn::http1::handshake(TokioIo::new(stream)))
        .await
        .map_err(|_| headers_timeout())
        .and_then(|r| {
            r.map_err(|e| {
                Failure::at(
                    Cause::Protocol,
                    Phase::Headers,
                    format!("HTTP handshake: {e}"),
                )
            })
        });
    let (mut sender, driver) = handshake.map_err(|f| seen(f, None, &timings))?;
    let _driver = AbortOnDrop(tokio::spawn(driver).abort_handle());

    let response = limits
        .deadline
        .bound(sender.send_request(request))
        .await
        .map_err(|_| headers_timeout())
        .and_then(|r| r.map_err(|e| head_error(&e)))
        .map_err(|f| seen(f, None, &timings))?;
    timings.first_byte = Some(sent.elapsed());

    let (parts, mut body) = response.into_parts();
    let status = Some(parts.status.as_u16());
    let mut data: Vec<u8> = Vec::new();
    let mut truncated = false;
    loop {
        let frame = match limits.deadline.bound(body.frame()).await {
            Err(_) => {
                let f = Failure::timeout(Phase::Body, limits.deadline.budget());
                return Err(seen(f, status, &timings));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                let f = body_error(&e, data.len(), &parts.headers);
                return Err(seen(f, status, &timings));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(chunk) = frame.into_data() {
            let room = (limits.max_body as usize).saturating_sub(data.len());
            if chunk.len() > room {
                data.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            data.extend_from_slice(&chunk);
        }
    }
    timings.total = Some(limits.started.elapsed());
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut obs = Observation::http(parts.status.as_u16(), headers, data);
    obs.body_truncated = truncated;
    obs.timings = timings;
    obs.cert = cert;
    if truncated {
        let f = Failure::at(
            Cause::Protocol,
            Phase::Body,
            format!(
                "body over the cap of {}: cut there (raise max_body if this is expected)",
                crate::units::format_size(limits.max_body)
            ),
        );
        return Err(f.seen(obs.status, &obs.timings));
    }
    Ok(obs)
}

fn head_error(e: &hyper::Error) -> Failure {
    let detail = if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        "empty reply: the connection closed before any answer".to_string()
    } else if e.is_parse() || e.is_parse_status() {
        format!("malformed HTTP reply: {}", root_cause(e))
    } else {
        format!("no HTTP answer: {}", root_cause(e))
    };
    Failure::at(Cause::Protocol, Phase::Headers, detail)
}

fn body_error(e: &hyper::Error, got: usize, headers: &http::HeaderMap) -> Failure {
    let expected = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| format!(" of {v}"))
        .unwrap_or_default();
    let detail = if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        format!("truncated body: the connection closed after {got}{expected} bytes")
    } else {
        format!(
            "truncated body after {got}{expected} bytes: {}",
            root_cause(e)
        )
    };
    Failure::at(Cause::Protocol, Phase::Body, detail)
}

/// hyper's error chain in one line.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
