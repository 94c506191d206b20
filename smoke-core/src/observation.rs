//! What one attempt of a probe saw: the raw material that conditions judge.

use std::sync::OnceLock;
use std::time::Duration;

/// Phase timings of one exchange. A phase that did not happen (no DNS over a Unix socket) is `None`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Resolving the host name.
    #[serde(
        rename = "dns_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub dns: Option<Duration>,
    /// Opening the connection.
    #[serde(
        rename = "connect_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub connect: Option<Duration>,
    /// The TLS handshake.
    #[serde(
        rename = "tls_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<Duration>,
    /// Until the first byte of the answer.
    #[serde(
        rename = "first_byte_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_byte: Option<Duration>,
    /// The whole attempt.
    #[serde(
        rename = "total_ms",
        with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<Duration>,
}

mod opt_ms {
    use std::time::Duration;
    pub(crate) fn serialize<S: serde::Serializer>(
        d: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
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
    /// When it expires.
    pub not_after: jiff::Timestamp,
    /// Whole days until it expires; negative once it has.
    pub days_left: i64,
    /// Who issued it, as its distinguished name.
    pub issuer: String,
    /// Whom it was issued to, as its distinguished name.
    pub subject: String,
}

/// The answer to a DNS question (external mode).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DnsInfo {
    /// `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ...
    pub rcode: String,
    /// The addresses in the answer, as text.
    pub addresses: Vec<String>,
}

/// The most entries of `images.broken`, `console.errors` and `requests.failed` a failure
/// names; the count counts them all.
pub const MAX_LISTED: usize = 20;

/// The most chars of one such entry (a URL, a script's message).
pub const MAX_ENTRY: usize = 300;

/// What a `browse` probe saw on the page besides its DOM (which is the observation's body).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageInfo {
    /// Images that finished loading without decoding (`naturalWidth == 0`), by address.
    pub images_broken: Counted,
    /// `console.error` calls and uncaught exceptions, by their message.
    pub console_errors: Counted,
    /// Sub-requests that failed or answered 400 or more: the address and the status or error.
    pub requests_failed: Counted,
    /// From the start of the navigation to the end of the page's load event.
    pub load: Option<Duration>,
    /// From the start of the navigation to the first paint, where the browser reports it.
    pub first_paint: Option<Duration>,
}

/// Things counted on a page, and the first [`MAX_LISTED`] of them by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    /// How many there were.
    pub count: usize,
    /// The first of them, each at most [`MAX_ENTRY`] chars.
    pub shown: Vec<String>,
}

impl Counted {
    /// Counts `entry`, and keeps it while fewer than [`MAX_LISTED`] are kept.
    pub fn note(&mut self, entry: String) {
        self.count += 1;
        if self.shown.len() < MAX_LISTED {
            self.shown.push(entry);
        }
    }
}

/// One attempt's raw result. Bodies are already cut to the probe's cap.
#[derive(Debug, Default)]
pub struct Observation {
    /// The HTTP status, when an answer arrived.
    pub(crate) status: Option<u16>,
    /// Header names in lower case, in the order received.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, as received (cut to the cap).
    pub(crate) body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub body_truncated: bool,
    /// How long each phase took.
    pub timings: Timings,
    /// The peer certificate, when TLS was spoken.
    pub(crate) cert: Option<CertInfo>,
    /// The DNS answer, for a `dns` probe.
    pub(crate) dns: Option<DnsInfo>,
    /// What a `tcp` probe's peer sent first, up to its first line break, as text.
    pub(crate) banner: Option<String>,
    /// What a `browse` probe saw on the page.
    pub(crate) page: Option<Box<PageInfo>>,
    json: OnceLock<Result<serde_json::Value, JsonError>>,
}

/// How deep a JSON body may nest (arrays and objects). Real APIs stay well under 20; a deeper
/// body costs memory and time out of all proportion to its size (every JSONPath `..` walks
/// every level), so it is refused before it is parsed. Under serde_json's own limit of 128.
pub const MAX_JSON_DEPTH: usize = 64;

/// What a body that should be JSON turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all.
    #[error("{}", NOT_JSON)]
    NotJson,
    /// JSON nested deeper than [`MAX_JSON_DEPTH`].
    #[error("the body is JSON nested deeper than {} levels", MAX_JSON_DEPTH)]
    TooDeep,
}

/// The words for a body that is not JSON at all.
pub(crate) const NOT_JSON: &str = "the body is not JSON";

/// Whether `bytes` opens more than `max` arrays or objects at once, ignoring brackets inside
/// strings. One linear pass, so a hostile body is refused before any parser recurses into it.
fn nests_deeper_than(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
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
        let _ = obs.json.set(Ok(value));
        obs
    }

    /// The HTTP status, when an answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The body as received, cut to the probe's cap.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first header with this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, once, on first use; `None` when it is not JSON or nests
    /// deeper than [`MAX_JSON_DEPTH`].
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json_doc().ok()
    }

    /// The body parsed as JSON, once, on first use, or why it could not be.
    pub(crate) fn json_doc(&self) -> Result<&serde_json::Value, JsonError> {
        self.json
            .get_or_init(|| {
                // Only a body that opens like JSON can be JSON nested too deep; other text
                // with brackets in it is simply not JSON.
                let opens_like_json = self
                    .body
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_some_and(|b| matches!(b, b'[' | b'{'));
                if opens_like_json && nests_deeper_than(&self.body, MAX_JSON_DEPTH) {
                    return Err(JsonError::TooDeep);
                }
                serde_json::from_slice(&self.body).map_err(|_| JsonError::NotJson)
            })
            .as_ref()
            .map_err(|e| *e)
    }

    /// The body as text, lossily.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Observation {
        Observation::http(200, Vec::new(), text.as_bytes().to_vec())
    }

    #[test]
    fn text_with_many_brackets_is_not_json_rather_than_json_too_deep() {
        let text = format!("log: {}", "[".repeat(100));
        assert_eq!(body(&text).json_doc(), Err(JsonError::NotJson));
        assert_eq!(
            body(&format!("  {}", "{".repeat(100))).json_doc(),
            Err(JsonError::TooDeep)
        );
    }

    #[test]
    fn a_body_nested_past_the_limit_is_refused_by_name() {
        let deep = "[".repeat(100_000);
        assert_eq!(body(&deep).json_doc(), Err(JsonError::TooDeep));
        assert!(JsonError::TooDeep
            .to_string()
            .contains(&format!("nested deeper than {MAX_JSON_DEPTH}")));
        let at_limit = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert!(body(&at_limit).json_doc().is_ok());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(500), "{".repeat(500));
        assert!(body(&text).json_doc().is_ok(), "{text}");
        assert_eq!(body("not json").json_doc(), Err(JsonError::NotJson));
    }
}
