//! The sinks' HTTP client: reqwest on the same rustls + ring as the probes, with a deadline.

use std::sync::Arc;
use std::time::Duration;

/// Each sink call gives up after this.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client() -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up for the sinks: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(CALL_TIMEOUT)
        .user_agent(concat!("smoke/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up the sinks' HTTP client: {e}"))
}

/// A request's failure in words, without its URL: a webhook URL is itself a secret.
pub fn failed(what: &str, e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    format!("{what} {kind}: {}", e.without_url())
}

/// Sends and insists on a 2xx, saying the status and a little of the body otherwise.
pub async fn send(what: &str, req: reqwest::RequestBuilder) -> Result<reqwest::Response, String> {
    let resp = req.send().await.map_err(|e| failed(what, e))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    Err(format!("{what}: HTTP {status}: {}", body.trim()))
}
