//! Failure signatures: what a transport-level failure says once the parts that name one probe
//! (paths, URLs, socket and quoted names) are taken out. Failures of one tick on several targets
//! with the same signature are one broken thing (a gateway, a host, a shared dependency) and
//! make one incident.

use crate::outcome::{Cause, Outcome, ProbeReport};

/// The start of a group's key in the state and in issue markers; no probe name has it.
pub const GROUP_PREFIX: &str = "group:";

/// The longest signature kept: a service's words may be huge, a title may not.
const MAX_CHARS: usize = 160;

/// A failure's signature: `text` for people, `key` for the state and the forge marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `group:http-502`, `group:connect-socket-missing`: no spaces, stable across versions.
    pub(crate) key: String,
    /// "HTTP 502 Bad Gateway", "connect: socket missing: …".
    pub(crate) text: String,
}

/// The signature of a failure that may be grouped, `None` for one that may not: a wrong answer
/// (`assertion`, `rpc`, an HTTP status under 500) is a bug of its own, however many share it.
pub fn signature(p: &ProbeReport) -> Option<Signature> {
    if p.outcome != Outcome::Fail {
        return None;
    }
    let cause = p.cause?;
    let detail = p.detail.as_deref().unwrap_or("");
    let text = match cause {
        Cause::Http => {
            let status = p.status.filter(|s| *s >= 500)?;
            // The status says it all; the detail may say where first ("context root: HTTP 502
            // Bad Gateway"), which is per probe.
            let code = format!("HTTP {status}");
            match detail.find(&code) {
                Some(at) => normalise(&detail[at..], &p.name),
                None => code,
            }
        }
        Cause::Dns | Cause::Connect | Cause::Tls | Cause::Timeout | Cause::Protocol => {
            format!("{}: {}", cause.as_str(), normalise(detail, &p.name))
        }
        _ => return None,
    };
    let key = match (cause, p.status) {
        (Cause::Http, Some(status)) => format!("{GROUP_PREFIX}http-{status}"),
        _ => format!("{GROUP_PREFIX}{}", slug(&text)),
    };
    Some(Signature { key, text })
}

/// The title of a group's incident: "6 probes fail with HTTP 502 Bad Gateway".
pub fn group_headline(signature: &str, cause: Option<Cause>, probes: usize) -> String {
    let what = match probes {
        1 => "1 probe fails".to_string(),
        n => format!("{n} probes fail"),
    };
    match cause {
        Some(Cause::Http) => format!("{what} with {signature}"),
        _ => format!("{what}: {signature}"),
    }
}

/// The detail without what names one probe: quoted parts, paths and URLs, the probe's name.
fn normalise(detail: &str, probe: &str) -> String {
    let unquoted = without_quotes(detail);
    let mut words: Vec<&str> = Vec::new();
    for word in unquoted.split_whitespace() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric() && !"_.-".contains(c));
        let per_probe =
            word.contains('/') || word.contains('\\') || (!bare.is_empty() && bare == probe);
        let word = if per_probe { "…" } else { word };
        if !(word == "…" && words.last() == Some(&"…")) {
            words.push(word);
        }
    }
    let text = crate::text::escape_controls(&words.join(" ")).into_owned();
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Each quoted part (`'…'`, `"…"` or backticks) as one `…`.
fn without_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => {
                quote = Some(c);
                out.push('…');
            }
            None => out.push(c),
        }
    }
    out
}

/// Lower-case letters and digits, runs of anything else as one `-`, at most 80 characters.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Failure, Phase};

    fn failed(name: &str, cause: Cause, detail: &str, status: Option<u16>) -> ProbeReport {
        let mut r = ProbeReport::new(name);
        r.fail(Failure::at(cause, Phase::Connect, detail));
        r.status = status;
        r
    }

    #[test]
    fn per_probe_parts_are_taken_out_so_two_missing_sockets_share_a_signature() {
        let a = signature(&failed(
            "health-hero_biz",
            Cause::Connect,
            "socket missing: /run/hero/hero_biz/rpc.sock (no folder /run/hero/hero_biz)",
            None,
        ))
        .unwrap();
        let b = signature(&failed(
            "health-hero_os",
            Cause::Connect,
            "socket missing: /run/hero/hero_os/rpc.sock (no folder /run/hero/hero_os)",
            None,
        ))
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.text, "connect: socket missing: … (no folder …");
        assert_eq!(a.key, "group:connect-socket-missing-no-folder");
    }

    #[test]
    fn a_5xx_status_is_its_own_signature_and_wrong_answers_have_none() {
        let bad = failed("photos", Cause::Http, "HTTP 502 Bad Gateway", Some(502));
        let s = signature(&bad).unwrap();
        let placed = failed(
            "ctx",
            Cause::Http,
            "context root: HTTP 502 Bad Gateway",
            Some(502),
        );
        assert_eq!(signature(&placed), Some(s.clone()));
        assert_eq!(
            (s.key.as_str(), s.text.as_str()),
            ("group:http-502", "HTTP 502 Bad Gateway")
        );
        assert_eq!(
            group_headline(&s.text, Some(Cause::Http), 6),
            "6 probes fail with HTTP 502 Bad Gateway"
        );
        for (cause, status) in [
            (Cause::Http, Some(404)),
            (Cause::Assertion, None),
            (Cause::Rpc, Some(200)),
        ] {
            assert_eq!(signature(&failed("x", cause, "wrong", status)), None);
        }
    }

    #[test]
    fn quoted_names_and_the_probe_name_go_and_a_huge_detail_is_cut() {
        let s = signature(&failed(
            "biz",
            Cause::Protocol,
            "biz said 'ctx-geomind\u{1b}[31m' then closed",
            None,
        ))
        .unwrap();
        assert_eq!(s.text, "protocol: … said … then closed");
        let huge = signature(&failed("x", Cause::Tls, &"a".repeat(1 << 20), None)).unwrap();
        assert!(huge.text.chars().count() <= MAX_CHARS + 10);
        assert!(huge.key.len() <= 86);
    }
}
