//! "Did you mean" hints. A typo in a panel file should cost one glance at the error, so unknown
//! words are matched against what is known, by edit distance and by a few habits carried over
//! from other tools (`=`, `eq`, `=~`, `headers.`).

use super::ast::Op;

/// The known word closest to `word`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for &cand in candidates {
        let d = strsim::osa_distance(word, cand);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    let (d, cand) = best?;
    let longest = word.chars().count().max(cand.chars().count());
    let allowed = ((longest + 2) / 4).clamp(1, 3);
    (d <= allowed).then_some(cand)
}

/// What an unknown operator most likely meant.
pub(crate) fn operator(word: &str) -> Option<&'static str> {
    let alias = match word.to_ascii_lowercase().as_str() {
        "=" | "===" | "eq" | "is" | "equals" => Some("=="),
        "!==" | "<>" | "=!" | "ne" | "neq" | "not" => Some("!="),
        "=<" | "lte" | "le" => Some("<="),
        "=>" | "gte" | "ge" => Some(">="),
        "lt" => Some("<"),
        "gt" => Some(">"),
        "~" | "=~" | "~=" | "match" | "regex" | "like" => Some("matches"),
        "has" | "includes" | "include" | "contain" => Some("contains"),
        "!has" | "!includes" | "!contain" | "not_contains" | "notcontains" => Some("!contains"),
        "exist" | "present" | "defined" => Some("exists"),
        "!exist" | "missing" | "absent" | "undefined" => Some("!exists"),
        "within" | "of" | "one_of" | "oneof" | "any" => Some("in"),
        _ => None,
    };
    if alias.is_some() {
        return alias;
    }
    // Only words get the edit-distance treatment: among one- and two-char symbols everything is
    // one edit from everything else.
    if word.chars().any(|c| c.is_ascii_alphabetic()) {
        let words: Vec<&'static str> = Op::ALL
            .iter()
            .map(|op| op.symbol())
            .filter(|s| s.len() > 2)
            .collect();
        return closest(word, &words);
    }
    None
}

const PLAIN: &[&str] = &[
    "status",
    "body",
    "bytes",
    "time",
    "json",
    "result",
    "time.dns",
    "time.connect",
    "time.tls",
    "time.first_byte",
    "cert.days_left",
    "cert.issuer",
    "cert.subject",
    "cert.not_after",
    "dns.rcode",
    "dns.addresses",
    "banner",
    "images.broken",
    "console.errors",
    "requests.failed",
    "timings.load",
    "timings.first_paint",
];

const PREFIXES: &[&str] = &[
    "header", "json", "result", "time", "cert", "dns", "images", "console", "requests", "timings",
];

fn members(head: &str) -> &'static [&'static str] {
    match head {
        "time" => &["dns", "connect", "tls", "first_byte", "total"],
        "cert" => &["days_left", "issuer", "subject", "not_after"],
        "dns" => &["rcode", "addresses"],
        "images" => &["broken"],
        "console" => &["errors"],
        "requests" => &["failed"],
        "timings" => &["load", "first_paint"],
        _ => &[],
    }
}

/// A replacement for an unknown subject, written out in full (`status`, `header.content-type`).
pub(crate) fn subject(word: &str) -> Option<String> {
    let alias = match word {
        "code" | "status_code" | "statuscode" | "http_status" => Some("status"),
        "latency" | "duration" | "elapsed" | "total" | "response_time" => Some("time"),
        "ttfb" | "time.ttfb" => Some("time.first_byte"),
        "size" | "length" | "body_size" => Some("bytes"),
        "text" | "content" => Some("body"),
        "headers" | "header" => Some("header.<name>"),
        _ => None,
    };
    if let Some(a) = alias {
        return Some(a.to_string());
    }
    if let Some(open) = word.find('(') {
        let name = &word[..open];
        let inner = word[open + 1..]
            .strip_suffix(')')
            .unwrap_or(&word[open + 1..]);
        let func = match name {
            "length" | "size" | "count_of" => Some("len"),
            "count" | "css" | "select" | "selector" => Some("html"),
            _ if name.starts_with("len") => Some("len"),
            _ if name.starts_with("htm") => Some("html"),
            _ => closest(name, &["len", "html"]),
        }?;
        return Some(format!("{func}({inner})"));
    }
    if let Some((head, rest)) = word.split_once('.') {
        let known = members(head);
        if !known.is_empty() {
            return closest(rest, known).map(|m| format!("{head}.{m}"));
        }
        let head = match head {
            "headers" | "hdr" => "header",
            "body" | "data" => "json",
            _ => closest(head, PREFIXES)?,
        };
        let known = members(head);
        if known.is_empty() {
            return Some(format!("{head}.{rest}"));
        }
        return closest(rest, known).map(|m| format!("{head}.{m}"));
    }
    closest(word, PLAIN).map(str::to_string)
}
