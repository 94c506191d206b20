//! The sinks' HTTP client: reqwest on the same rustls + ring as the probes, with a deadline.

use super::{NotifierError, SinkError};
use std::sync::Arc;
use std::time::Duration;

/// Each sink call gives up after this.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client() -> Result<reqwest::Client, NotifierError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(NotifierError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(CALL_TIMEOUT)
        .user_agent(concat!("smoke/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(NotifierError::Client)
}

/// A request's failure in words, without its URL (a webhook URL is itself a secret), of the
/// kind that says what to do next: a request that never left, or never connected, did nothing;
/// one that timed out or broke after it was sent to a request that makes something
/// (`repeatable` false) may have acted.
pub fn failed(what: &str, e: reqwest::Error, repeatable: bool) -> SinkError {
    let (connect, builder, timeout) = (e.is_connect(), e.is_builder(), e.is_timeout());
    let e = e.without_url();
    let words = |kind: &str| format!("{what} {kind}: {e}");
    if connect {
        SinkError::Transient(words("cannot connect"))
    } else if builder {
        SinkError::Config(words("failed"))
    } else {
        SinkError::unsure(
            repeatable,
            words(if timeout { "timed out" } else { "failed" }),
        )
    }
}

/// An answer to `what` that came but could not be read: the far side acted if the request
/// makes something (`repeatable` false).
pub fn unreadable(what: &str, e: reqwest::Error, repeatable: bool) -> SinkError {
    SinkError::unsure(repeatable, format!("{what}: {}", e.without_url()))
}

/// Sends and insists on a 2xx, saying the status and a little of the body otherwise.
pub async fn send(
    what: &str,
    req: reqwest::RequestBuilder,
) -> Result<reqwest::Response, SinkError> {
    let (client, request) = req.build_split();
    let request = request.map_err(|e| failed(what, e, true))?;
    // A POST makes something (an issue, a comment, a message); the rest can be repeated.
    let repeatable = request.method() != reqwest::Method::POST;
    let resp = client
        .execute(request)
        .await
        .map_err(|e| failed(what, e, repeatable))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    Err(SinkError::of_status(
        status.as_u16(),
        repeatable,
        format!("{what}: HTTP {status}: {}", body.trim()),
    ))
}
