//! What one attempt of a probe saw: the raw material that conditions judge.

use std::sync::OnceLock;
use std::time::Duration;

/// Phase timings of one exchange. A phase that did not happen (no DNS over a Unix socket) is `None`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    #[serde(
        rename = "dns_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub dns: Option<Duration>,
    #[serde(
        rename = "connect_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub connect: Option<Duration>,
    #[serde(
        rename = "tls_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<Duration>,
    #[serde(
        rename = "first_byte_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_byte: Option<Duration>,
    #[serde(
        rename = "total_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<Duration>,
}

mod opt_ms {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            // Milliseconds with microsecond precision: a Unix-socket exchange is well under 1ms.
            Some(d) => s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3),
            None => s.serialize_none(),
        }
    }
}

/// The peer certificate of a TLS exchange (external mode).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CertInfo {
    pub not_after: jiff::Timestamp,
    pub days_left: i64,
    pub issuer: String,
    pub subject: String,
}

/// The answer to a DNS question (external mode).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DnsInfo {
    /// `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ...
    pub rcode: String,
    pub addresses: Vec<String>,
}

/// One attempt's raw result. Bodies are already cut to the probe's cap.
#[derive(Debug, Default)]
pub struct Observation {
    pub status: Option<u16>,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub body_truncated: bool,
    pub timings: Timings,
    pub cert: Option<CertInfo>,
    pub dns: Option<DnsInfo>,
    json: OnceLock<Option<serde_json::Value>>,
}

impl Observation {
    /// An observation of an HTTP-like answer.
    pub fn http(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Observation {
            status: Some(status),
            headers,
            body,
            ..Default::default()
        }
    }

    /// An observation whose only content is a JSON document, as an in-process probe reports it.
    pub fn from_json(value: serde_json::Value) -> Self {
        let obs = Observation {
            body: value.to_string().into_bytes(),
            ..Default::default()
        };
        let _ = obs.json.set(Some(value));
        obs
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, once, on first use; `None` when it is not JSON.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.body).ok())
            .as_ref()
    }

    /// The body as text, lossily.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}
