//! Parsing the subject: the first word of a condition, naming what to look at.
//!
//! The dotted JSON shorthand (`json.items[0].name`) is translated to an RFC 9535 query and
//! compiled by serde_json_path, so there is one JSONPath implementation; the translation keeps
//! a map back to the original chars so its errors still point at the author's text.

#[cfg(feature = "html")]
use scraper::Selector;
use serde_json_path::JsonPath;

use super::ast::{CertField, DnsField, Kind, PageField, Subject, Timing};
use super::lex::{collect, err_at, matching_close, quoted, skip_ws, trim_end};
use super::{suggest, ConditionError};

/// Parses the subject written in `chars[start..end]`.
pub(crate) fn parse(chars: &[char], start: usize, end: usize) -> Result<Subject, ConditionError> {
    let word = collect(chars, start, end);
    if word.starts_with('$') {
        return compile_path(&word, &(start..end).collect::<Vec<_>>(), end);
    }
    for name in ["len", "html", "element", "text"] {
        if word.starts_with(name) && word[name.len()..].starts_with('(') {
            return function(chars, name, start + name.len(), end);
        }
    }
    if let Some(subject) = plain(&word) {
        return Ok(subject);
    }
    if let Some(name) = word.strip_prefix("header.") {
        return header(chars, name, start + 7);
    }
    for (head, prefix) in [("json", "$"), ("result", "$.result")] {
        if let Some(rest) = word.strip_prefix(head) {
            if rest.starts_with('.') || rest.starts_with('[') {
                let at = start + head.len();
                return dotted(chars, at, end, prefix, start);
            }
        }
    }
    Err(unknown(&word, start))
}

fn plain(word: &str) -> Option<Subject> {
    Some(match word {
        "status" => Subject::Status,
        "body" => Subject::Body,
        "bytes" => Subject::Bytes,
        "time" | "time.total" => Subject::Time(Timing::Total),
        "time.dns" => Subject::Time(Timing::Dns),
        "time.connect" => Subject::Time(Timing::Connect),
        "time.tls" => Subject::Time(Timing::Tls),
        "time.first_byte" => Subject::Time(Timing::FirstByte),
        "cert.days_left" => Subject::Cert(CertField::DaysLeft),
        "cert.issuer" => Subject::Cert(CertField::Issuer),
        "cert.subject" => Subject::Cert(CertField::Subject),
        "cert.not_after" => Subject::Cert(CertField::NotAfter),
        "dns.rcode" => Subject::Dns(DnsField::Rcode),
        "dns.addresses" => Subject::Dns(DnsField::Addresses),
        "banner" => Subject::Banner,
        "images.broken" => Subject::Page(PageField::ImagesBroken),
        "console.errors" => Subject::Page(PageField::ConsoleErrors),
        "requests.failed" => Subject::Page(PageField::RequestsFailed),
        "timings.load" => Subject::Page(PageField::Load),
        "timings.first_paint" => Subject::Page(PageField::FirstPaint),
        "json" => Subject::Json(JsonPath::parse("$").ok()?),
        "result" => Subject::Json(JsonPath::parse("$.result").ok()?),
        _ => return None,
    })
}

fn unknown(word: &str, start: usize) -> ConditionError {
    if super::ast::Op::from_symbol(word).is_some() {
        return err_at(
            start,
            format!("missing subject before `{word}`: write one like `json.id exists`"),
        );
    }
    if word == "header" || word == "headers" {
        return err_at(start, "header needs a name, like header.content-type");
    }
    let hint = match suggest::subject(word) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "use status, body, bytes, time, time.<phase>, header.<name>, json.<path>, \
                 $<jsonpath>, result, len(...), html(...), cert.<field>, dns.<field>, banner, \
                 element(...), text(...), images.broken, console.errors, requests.failed or \
                 timings.<phase>"
            .to_string(),
    };
    err_at(start, format!("unknown subject `{word}`: {hint}"))
}

/// `header.<name>`; the name must be an HTTP token, which also catches a forgotten space
/// before the operator.
fn header(chars: &[char], name: &str, at: usize) -> Result<Subject, ConditionError> {
    if name.is_empty() {
        return Err(err_at(at, "header needs a name, like header.content-type"));
    }
    for (i, c) in name.chars().enumerate() {
        let token = c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !token {
            return Err(err_at(
                at + i,
                format!("`{}` can't appear in a header name", chars[at + i]),
            ));
        }
    }
    Ok(Subject::Header(name.to_ascii_lowercase()))
}

/// `len(<subject>)`, or `html(<selector>)`, `element(<selector>)` (the same count, named for a
/// browse probe's page) and `text(<selector>)`; `open` is the index of the paren.
fn function(
    chars: &[char],
    name: &str,
    open: usize,
    end: usize,
) -> Result<Subject, ConditionError> {
    let close = matching_close(chars, open, end)?;
    if close + 1 < end {
        return Err(err_at(
            close + 1,
            format!("unexpected `{}` after `{name}(...)`", chars[close + 1]),
        ));
    }
    let inner_start = skip_ws(chars, open + 1);
    let inner_end = trim_end(chars, inner_start, close);
    let selects = name != "len";
    #[cfg(not(feature = "html"))]
    if selects {
        return Err(err_at(open - name.len(), HTML_OFF));
    }
    #[cfg(feature = "html")]
    if selects {
        if inner_start == inner_end {
            return Err(err_at(
                close,
                format!("{name}() needs a CSS selector, like {name}(nav a)"),
            ));
        }
        let css = collect(chars, inner_start, inner_end);
        return match Selector::parse(&css) {
            Ok(sel) if name == "text" => Ok(Subject::Text(Box::new(sel))),
            Ok(sel) => Ok(Subject::Html(Box::new(sel))),
            Err(e) => Err(err_at(
                inner_start,
                format!("bad CSS selector `{css}`: {}", selector_error(&e)),
            )),
        };
    }
    if inner_start == inner_end {
        return Err(err_at(close, "len() needs a subject, like len(result)"));
    }
    let inner = parse(chars, inner_start, inner_end)?;
    match inner.kind() {
        Kind::Number | Kind::Duration | Kind::Size | Kind::Timestamp => Err(err_at(
            inner_start,
            format!(
                "len() measures text, lists and objects, but {} is {}",
                collect(chars, inner_start, inner_end),
                inner.kind().noun()
            ),
        )),
        _ => Ok(Subject::Len(Box::new(inner))),
    }
}

/// Why an `html()` condition cannot be used by a smoke built without HTML.
#[cfg(not(feature = "html"))]
pub(crate) const HTML_OFF: &str =
    "html(), element() and text() conditions need smoke-core's `html` feature, which this build was made without";

/// scraper's message for errors it did not expect asks the reader to report a bug and spans
/// lines; the kind alone says enough.
#[cfg(feature = "html")]
fn selector_error(e: &scraper::error::SelectorErrorKind) -> String {
    match e {
        scraper::error::SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            format!("invalid selector ({kind:?})")
        }
        other => other.to_string().replace('\n', " "),
    }
}

/// RFC 9535 `member-name-shorthand`: names that can follow a dot without quoting.
fn is_shorthand(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii());
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

/// Translates the dotted path in `chars[at..end]` (starting with `.` or `[`) into a JSONPath
/// after `prefix`, and compiles it. `origin` records, for each char of the query, the char of
/// the condition it came from.
fn dotted(
    chars: &[char],
    at: usize,
    end: usize,
    prefix: &str,
    start: usize,
) -> Result<Subject, ConditionError> {
    let mut query = String::from(prefix);
    let mut origin: Vec<usize> = prefix.chars().map(|_| start).collect();
    let mut push = |query: &mut String, text: &str, from: usize| {
        query.push_str(text);
        origin.extend(text.chars().map(|_| from));
    };
    let mut i = at;
    while i < end {
        match chars[i] {
            '[' => {
                let close = matching_close(chars, i, end)?;
                for (k, c) in chars[i..=close].iter().enumerate() {
                    push(&mut query, &c.to_string(), i + k);
                }
                i = close + 1;
            }
            '.' => {
                let name_at = i + 1;
                if name_at < end && (chars[name_at] == '"' || chars[name_at] == '\'') {
                    let (name, _, after) = quoted(chars, name_at, end)?;
                    push(&mut query, &bracketed(&name), name_at);
                    i = after;
                } else {
                    let mut j = name_at;
                    while j < end && chars[j] != '.' && chars[j] != '[' {
                        j += 1;
                    }
                    if j == name_at {
                        return Err(err_at(
                            name_at,
                            "empty name in the path: write it like json.items[0].name",
                        ));
                    }
                    let name = collect(chars, name_at, j);
                    if name == "*" || is_shorthand(&name) {
                        push(&mut query, ".", i);
                        for (k, c) in name.chars().enumerate() {
                            push(&mut query, &c.to_string(), name_at + k);
                        }
                    } else {
                        push(&mut query, &bracketed(&name), name_at);
                    }
                    i = j;
                }
            }
            c => {
                return Err(err_at(
                    i,
                    format!("expected `.` or `[` in the path, found `{c}`"),
                ))
            }
        }
    }
    compile_path(&query, &origin, end)
}

/// A member name in the bracket form `['...']`, escaped per RFC 9535.
fn bracketed(name: &str) -> String {
    let mut out = String::from("['");
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("']");
    out
}

/// Compiles a JSONPath query; its errors are reported at the condition char the failing part
/// of the query came from.
fn compile_path(query: &str, origin: &[usize], end: usize) -> Result<Subject, ConditionError> {
    let refused = match costly(query) {
        Some(Costly::SecondDescent(idx)) => Some((
            idx,
            format!(
                "a second `..` in one path: a query may descend at most {MAX_DESCENTS} time, since each `..` multiplies what it yields by the body's depth"
            ),
        )),
        Some(Costly::RootInFilter(idx)) => Some((
            idx,
            "`$` inside a filter: the filter would read the whole body again for every node it tries; use `@` (the node itself)".to_string(),
        )),
        None => None,
    };
    if let Some((idx, message)) = refused {
        let column = origin.get(idx).copied().unwrap_or(end);
        return Err(err_at(column, message));
    }
    JsonPath::parse(query).map(Subject::Json).map_err(|e| {
        // serde_json_path reports a byte offset into the query.
        let byte = e.position().min(query.len());
        let idx = query.char_indices().take_while(|&(b, _)| b < byte).count();
        let column = origin.get(idx).copied().unwrap_or(end);
        err_at(column, format!("bad JSONPath `{query}`: {}", e.message()))
    })
}

/// Descendant segments (`..`) one JSONPath may hold. One yields each node of the body once; two
/// yield each node once per ancestor, which a deep body turns into hundreds of millions of
/// nodes before any cap on the result can apply.
pub(crate) const MAX_DESCENTS: usize = 1;

/// A JSONPath whose cost a body could make quadratic or worse, refused when the panel loads.
enum Costly {
    /// A `..` past [`MAX_DESCENTS`], at this char.
    SecondDescent(usize),
    /// `$` inside a filter: the whole body is read again for every node the filter tries.
    RootInFilter(usize),
}

/// The first costly shape in `query`, outside string literals.
fn costly(query: &str) -> Option<Costly> {
    let chars: Vec<char> = query.chars().collect();
    let mut quote = None;
    let mut descents = 0;
    // One entry per open bracket: whether it is a filter (`[?`).
    let mut brackets: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match (quote, chars[i]) {
            (Some(_), '\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c @ ('\'' | '"')) => quote = Some(c),
            (None, '[') => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                brackets.push(next == Some(&'?'));
            }
            (None, ']') => {
                brackets.pop();
            }
            (None, '$') if brackets.contains(&true) => return Some(Costly::RootInFilter(i)),
            (None, '.') if chars.get(i + 1) == Some(&'.') => {
                descents += 1;
                if descents > MAX_DESCENTS {
                    return Some(Costly::SecondDescent(i));
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}
