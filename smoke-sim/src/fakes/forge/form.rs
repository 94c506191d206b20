//! Reading `multipart/form-data` bodies (RFC 7578) strictly: CRLF line ends, a boundary line
//! first, `Content-Disposition: form-data; name=...` on every part, the closing boundary at
//! the end. A client whose encoding only a lenient server would take is caught here rather
//! than by some proxy or Forgejo version that is less forgiving.
//!
//! No preamble is accepted before the first boundary: RFC 2046 allows one, but no HTTP
//! client writes one, so a body that has one is more likely broken than clever.

/// More parts than any form of the spec has; bounds what a malformed body can make the parser
/// collect.
const MAX_PARTS: usize = 64;
/// A part's header block; a real one is two short lines.
const MAX_HEADER_BYTES: usize = 8 << 10;
/// RFC 2046's longest boundary.
const MAX_BOUNDARY: usize = 70;
/// How much of an unexpected byte run an error quotes.
const QUOTED: usize = 12;

/// One part of a form, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FormPart {
    pub name: String,
    /// `None` for a plain field; a file's name exactly as sent, which may be empty.
    pub filename: Option<String>,
    /// The part's own `Content-Type`, if it has one.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why a body is not a well-formed form, worded for a test failure. Parts count from 1.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(super) enum FormError {
    #[error("its Content-Type has no `boundary` parameter")]
    NoBoundary,
    #[error("the boundary `{0}` is not 1 to 70 of the characters RFC 2046 allows")]
    BadBoundary(String),
    #[error("the parameters of its Content-Type `{0}` are malformed")]
    BadContentType(String),
    #[error("it does not start with the boundary line `--{0}`")]
    NoOpening(String),
    /// `got`: the bytes after the boundary, escaped.
    #[error("a boundary line is followed by `{got}` instead of CRLF (or `--` to close)")]
    AfterBoundary { got: String },
    #[error("part {part}: a header line ends in a bare LF; multipart lines end in CRLF")]
    BareLf { part: usize },
    #[error("part {part}: `{line}` is not a `Name: value` header line")]
    BadHeader { part: usize, line: String },
    #[error("part {part}: its headers run past {MAX_HEADER_BYTES} bytes")]
    HeadersTooLong { part: usize },
    #[error("part {part}: the body ends inside its headers (no blank CRLF line after them)")]
    EndsInHeaders { part: usize },
    #[error("part {part} has no Content-Disposition header")]
    NoDisposition { part: usize },
    #[error("part {part}: `Content-Disposition: {value}` {reason}")]
    BadDisposition {
        part: usize,
        value: String,
        reason: &'static str,
    },
    #[error(
        "part {part} is not closed: the body ends before the closing boundary `--{boundary}--`"
    )]
    Unclosed { part: usize, boundary: String },
    #[error("it has more than {MAX_PARTS} parts")]
    TooManyParts,
}

/// A part's header lines, names lower-cased, in order.
type Headers = Vec<(String, String)>;

/// What a boundary is followed by.
enum Next<'a> {
    /// `--`: the form is over (whatever follows is the epilogue).
    Close,
    /// CRLF: another part, starting here.
    Part(&'a [u8]),
}

/// Splits a form body into its parts; `content_type` is the request's whole header value,
/// already known to be `multipart/form-data`.
pub(super) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<FormPart>, FormError> {
    let boundary = boundary(content_type)?;
    let dash = format!("--{boundary}");
    let delimiter = format!("\r\n{dash}");
    let rest = body
        .strip_prefix(dash.as_bytes())
        .ok_or_else(|| FormError::NoOpening(boundary.clone()))?;
    let mut next =
        after_boundary(rest).ok_or_else(|| FormError::AfterBoundary { got: quote(rest) })?;
    let mut parts = Vec::new();
    while let Next::Part(rest) = next {
        if parts.len() == MAX_PARTS {
            return Err(FormError::TooManyParts);
        }
        let number = parts.len() + 1;
        let (headers, content) = read_headers(rest, number)?;
        let (name, filename) = disposition(&headers, number)?;
        let (bytes, after) =
            split_content(content, delimiter.as_bytes()).ok_or_else(|| FormError::Unclosed {
                part: number,
                boundary: boundary.clone(),
            })?;
        parts.push(FormPart {
            name,
            filename,
            content_type: header(&headers, "content-type").map(str::to_owned),
            bytes: bytes.to_vec(),
        });
        next = after;
    }
    Ok(parts)
}

/// The `boundary` parameter of a `multipart/form-data` content type, checked against RFC 2046.
fn boundary(content_type: &str) -> Result<String, FormError> {
    let cut = content_type.find(';').unwrap_or(content_type.len());
    let params = parameters(&content_type[cut..])
        .ok_or_else(|| FormError::BadContentType(content_type.to_owned()))?;
    let (_, boundary) = params
        .into_iter()
        .find(|(key, _)| key == "boundary")
        .ok_or(FormError::NoBoundary)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if boundary.is_empty()
        || boundary.len() > MAX_BOUNDARY
        || boundary.ends_with(' ')
        || !boundary.chars().all(allowed)
    {
        return Err(FormError::BadBoundary(boundary));
    }
    Ok(boundary)
}

/// RFC 2046 lets a boundary line carry trailing spaces or tabs before its CRLF.
fn after_boundary(rest: &[u8]) -> Option<Next<'_>> {
    let padded = |bytes: &[u8]| -> usize {
        bytes
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count()
    };
    if let Some(after) = rest.strip_prefix(b"--") {
        let after = &after[padded(after)..];
        return (after.is_empty() || after.starts_with(b"\r\n")).then_some(Next::Close);
    }
    rest[padded(rest)..].strip_prefix(b"\r\n").map(Next::Part)
}

/// The part's content up to the next boundary, and what follows that boundary. The boundary
/// text followed by anything but `--` or a line end is content, as Go's reader (Forgejo's)
/// takes it, though a client should never pick a boundary that occurs in its data.
fn split_content<'a>(content: &'a [u8], delimiter: &[u8]) -> Option<(&'a [u8], Next<'a>)> {
    let mut from = 0;
    loop {
        let at = from + find(&content[from..], delimiter)?;
        if let Some(next) = after_boundary(&content[at + delimiter.len()..]) {
            return Some((&content[..at], next));
        }
        from = at + 1;
    }
}

/// The header lines of one part, and the rest after the blank line.
fn read_headers(mut rest: &[u8], part: usize) -> Result<(Headers, &[u8]), FormError> {
    let mut headers = Vec::new();
    let mut used = 0;
    loop {
        let window = &rest[..rest.len().min(MAX_HEADER_BYTES - used)];
        let Some(end) = find(window, b"\r\n") else {
            return Err(if window.contains(&b'\n') {
                FormError::BareLf { part }
            } else if window.len() < rest.len() {
                FormError::HeadersTooLong { part }
            } else {
                FormError::EndsInHeaders { part }
            });
        };
        let line = &rest[..end];
        used += end + 2;
        rest = &rest[end + 2..];
        if line.is_empty() {
            return Ok((headers, rest));
        }
        if line.contains(&b'\n') {
            return Err(FormError::BareLf { part });
        }
        headers.push(header_line(line, part)?);
    }
}

fn header_line(line: &[u8], part: usize) -> Result<(String, String), FormError> {
    let bad = || FormError::BadHeader {
        part,
        line: String::from_utf8_lossy(line).into_owned(),
    };
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    // A name with spaces, or a line starting with one (obsolete folding), is refused.
    if !is_token(name) {
        return Err(bad());
    }
    Ok((
        name.to_ascii_lowercase(),
        value.trim_matches([' ', '\t']).to_owned(),
    ))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data`.
fn disposition(
    headers: &[(String, String)],
    part: usize,
) -> Result<(String, Option<String>), FormError> {
    let value = header(headers, "content-disposition").ok_or(FormError::NoDisposition { part })?;
    let bad = |reason| FormError::BadDisposition {
        part,
        value: value.to_owned(),
        reason,
    };
    let cut = value.find(';').unwrap_or(value.len());
    if !value[..cut].trim().eq_ignore_ascii_case("form-data") {
        return Err(bad("must be `form-data`"));
    }
    let params = parameters(&value[cut..]).ok_or_else(|| bad("has malformed parameters"))?;
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let name = get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("has no `name`"))?;
    Ok((name, get("filename")))
}

/// The `; key=value` parameters after a media or disposition type, keys lower-cased; a value
/// is a token or a quoted string with backslash escapes, as reqwest and browsers write them.
/// `None` if they don't parse.
fn parameters(text: &str) -> Option<Vec<(String, String)>> {
    let space = [' ', '\t'];
    let mut params = Vec::new();
    let mut rest = text.trim_start_matches(space);
    while !rest.is_empty() {
        rest = rest.strip_prefix(';')?.trim_start_matches(space);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        if !is_token(key) {
            return None;
        }
        let value;
        (value, rest) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let end = after.find([';', ' ', '\t']).unwrap_or(after.len());
                let token = &after[..end];
                (is_token(token).then(|| token.to_owned())?, &after[end..])
            }
        };
        params.push((key.to_ascii_lowercase(), value));
        rest = rest.trim_start_matches(space);
    }
    Some(params)
}

/// A quoted string's value (the opening quote already taken) and what follows its close.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    loop {
        match chars.next()? {
            (end, '"') => return Some((value, &text[end + 1..])),
            (_, '\\') => value.push(chars.next()?.1),
            (_, c) => value.push(c),
        }
    }
}

/// RFC 9110's `token`: what a header name or an unquoted parameter may be.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Where `needle` first occurs in `hay`. Scanning for its first byte keeps this linear on the
/// bodies a client sends.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if hay[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn quote(bytes: &[u8]) -> String {
    bytes[..bytes.len().min(QUOTED)].escape_ascii().to_string()
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
