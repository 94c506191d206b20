//! Typed values seen at evaluation time and how they compare with what the author wrote.
//!
//! Comparison is typed on purpose: a duration only orders against a duration, a size against a
//! size or a byte count. JSON is the one loose spot, because bodies carry numbers as strings
//! (`"42"`) and durations as text (`"3s"`); a JSON string is read as the literal's type when it
//! parses as one, and otherwise simply does not match.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::ast::Literal;
use crate::units::{format_duration, format_size, parse_duration, parse_size};

/// The most characters a rendered value may take in a report line.
pub(crate) const GOT_LIMIT: usize = 120;

/// A number that keeps integers exact (status codes, counts, big JSON ids) and falls back to
/// floating point only when one side is fractional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    /// Reads a plain decimal number: `200`, `-3`, `1.5`, `2e3`. Rust's float parser would also
    /// take `inf` and `NaN`, which are words here, not numbers.
    pub(crate) fn parse(text: &str) -> Option<Num> {
        let t = text.trim();
        let digits = t.strip_prefix('-').unwrap_or(t);
        let starts_well = digits
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
        let all_numeric = digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        if !starts_well || !all_numeric {
            return None;
        }
        if let Ok(i) = t.parse::<i128>() {
            return Some(Num::Int(i));
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Num::Float)
    }

    pub(crate) fn from_json(n: &serde_json::Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i.into())
        } else if let Some(u) = n.as_u64() {
            Num::Int(u.into())
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    pub(crate) fn compare(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// What a subject yielded for one observation.
#[derive(Debug, Clone)]
pub(crate) enum Actual<'a> {
    /// The thing is absent; the note says why when that would not be obvious.
    Nothing(Option<&'static str>),
    Number(Num),
    Text(Cow<'a, str>),
    Duration(Duration),
    Size(u64),
    Timestamp(jiff::Timestamp),
    Json(Cow<'a, Value>),
    /// Things a page showed (broken images, script errors, failed requests): compared as
    /// their count, shown with their names.
    Counted(&'a crate::observation::Counted),
}

/// Reads a date the way people write one in a condition: a full RFC 3339 timestamp, or a plain
/// `2026-01-01` taken as midnight UTC.
pub(crate) fn parse_timestamp(text: &str) -> Option<jiff::Timestamp> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let date: jiff::civil::Date = t.parse().ok()?;
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn bool_eq(b: bool) -> Option<Ordering> {
    if b {
        Some(Ordering::Equal)
    } else {
        None
    }
}

/// Compares text (a header, a JSON string) with a literal, reading the text as the literal's
/// type. `None` means the two cannot be compared.
fn text_cmp(s: &str, lit: &Literal) -> Option<Ordering> {
    match lit {
        Literal::Text(t) => Some(s.cmp(t.as_str())),
        Literal::Number(n, _) => Num::parse(s)?.compare(*n),
        Literal::Duration(d, _) => parse_duration(s).ok().map(|x| x.cmp(d)),
        Literal::Size(b, _) => parse_size(s).ok().map(|x| x.cmp(b)),
        Literal::Timestamp(ts, _) => parse_timestamp(s).map(|x| x.cmp(ts)),
        Literal::Null => bool_eq(s == "null"),
        Literal::Bool(b) => bool_eq(s == if *b { "true" } else { "false" }),
        Literal::List(_) | Literal::Json(_) => None,
    }
}

/// Compares a JSON value with a literal. Ordering is only defined for numbers and strings;
/// for the rest, `Some(Equal)` means equal and `None` means different.
fn json_cmp(v: &Value, lit: &Literal) -> Option<Ordering> {
    match (v, lit) {
        // JSON keeps its types: the string "true" is not the boolean.
        (Value::String(_), Literal::Null | Literal::Bool(_)) => None,
        (Value::String(s), _) => text_cmp(s, lit),
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (Value::Bool(a), Literal::Bool(b)) => bool_eq(a == b),
        (Value::Number(n), Literal::Number(m, _)) => Num::from_json(n).compare(*m),
        (Value::Number(n), Literal::Size(b, _)) => Num::from_json(n).compare(Num::Int((*b).into())),
        (Value::Array(items), Literal::List(lits)) => {
            bool_eq(items.len() == lits.len() && items.iter().zip(lits).all(|(v, l)| json_eq(v, l)))
        }
        (_, Literal::Json(j)) => bool_eq(json_values_eq(v, j)),
        _ => None,
    }
}

fn json_eq(v: &Value, lit: &Literal) -> bool {
    json_cmp(v, lit) == Some(Ordering::Equal)
}

/// Structural equality where `1` and `1.0` are the same number, as they are in JSON.
fn json_values_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            Num::from_json(x).compare(Num::from_json(y)) == Some(Ordering::Equal)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_values_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_values_eq(a, b)))
        }
        _ => a == b,
    }
}

impl Actual<'_> {
    pub(crate) fn is_nothing(&self) -> bool {
        matches!(self, Actual::Nothing(_))
    }

    /// How the actual value orders against the literal; `None` when they cannot be compared
    /// (including when the actual value is missing).
    pub(crate) fn compare(&self, lit: &Literal) -> Option<Ordering> {
        match (self, lit) {
            (Actual::Nothing(_), _) => None,
            (Actual::Number(n), Literal::Number(m, _)) => n.compare(*m),
            (Actual::Text(s), _) => text_cmp(s, lit),
            (Actual::Duration(d), Literal::Duration(e, _)) => Some(d.cmp(e)),
            (Actual::Size(b), Literal::Size(c, _)) => Some(b.cmp(c)),
            (Actual::Size(b), Literal::Number(m, _)) => Num::Int((*b).into()).compare(*m),
            (Actual::Timestamp(t), Literal::Timestamp(u, _)) => Some(t.cmp(u)),
            (Actual::Json(v), _) => json_cmp(v, lit),
            (Actual::Counted(l), Literal::Number(m, _)) => Num::Int(l.count as i128).compare(*m),
            _ => None,
        }
    }

    pub(crate) fn equals(&self, lit: &Literal) -> bool {
        self.compare(lit) == Some(Ordering::Equal)
    }

    /// `contains`: substring for text, element for arrays, key for objects. `None` when the
    /// question does not apply (missing value, a number), so `!contains` fails too.
    pub(crate) fn contains(&self, lit: &Literal) -> Option<bool> {
        match self {
            Actual::Text(s) => Some(s.contains(lit.plain_text()?.as_str())),
            Actual::Timestamp(t) => Some(t.to_string().contains(lit.plain_text()?.as_str())),
            Actual::Json(v) => match v.as_ref() {
                Value::String(s) => Some(s.contains(lit.plain_text()?.as_str())),
                Value::Array(items) => Some(items.iter().any(|item| json_eq(item, lit))),
                Value::Object(map) => Some(map.contains_key(lit.plain_text()?.as_str())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The text a regex is matched against; JSON that is not a string is matched as JSON text.
    pub(crate) fn match_text(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Actual::Nothing(_) => return None,
            Actual::Text(s) => Cow::Borrowed(s.as_ref()),
            Actual::Json(v) => match v.as_ref() {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            },
            Actual::Number(n) => Cow::Owned(n.to_string()),
            Actual::Duration(d) => Cow::Owned(format_duration(*d)),
            Actual::Size(b) => Cow::Owned(format_size(*b)),
            Actual::Timestamp(t) => Cow::Owned(t.to_string()),
            Actual::Counted(l) => Cow::Owned(l.shown.join("\n")),
        })
    }

    /// The value for a person: at most [`GOT_LIMIT`] chars, never the whole of a large body.
    pub(crate) fn render(&self) -> String {
        match self {
            Actual::Nothing(None) => "nothing".into(),
            Actual::Nothing(Some(why)) => cut(&format!("nothing ({why})")),
            Actual::Number(n) => cut(&n.to_string()),
            Actual::Text(s) => quote_cut(s),
            Actual::Duration(d) => format_duration(*d),
            Actual::Size(b) => format_size(*b),
            Actual::Timestamp(t) => quote(&t.to_string()),
            Actual::Json(v) => render_json(v),
            Actual::Counted(l) => render_listed(l),
        }
    }
}

/// The count, then as many names as fit: `2: "/a.png", "/b.png"`. Names are quoted, so what a
/// page put in them stays visible and inert.
fn render_listed(l: &crate::observation::Counted) -> String {
    if l.count == 0 {
        return "0".into();
    }
    let names: Vec<String> = l.shown.iter().map(|s| quote(s)).collect();
    let more = match l.count > l.shown.len() {
        true => format!(" and {} more", l.count - l.shown.len()),
        false => String::new(),
    };
    // The first name is shown whole, the failure's point; the limit applies to the rest.
    let first = names.first().cloned().unwrap_or_default();
    let rest = names.get(1..).unwrap_or_default().join(", ");
    match rest.is_empty() {
        true => format!("{}: {first}{more}", l.count),
        false => format!("{}: {first}, {}{more}", l.count, cut(&rest)),
    }
}

/// A string in double quotes with JSON escaping, so control chars and quotes stay visible.
pub(crate) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Quotes only as much of `s` as can be shown, so a megabyte body costs nothing to render.
fn quote_cut(s: &str) -> String {
    let shown: String = s.chars().take(GOT_LIMIT + 1).collect();
    cut(&quote(&shown))
}

/// Cuts to [`GOT_LIMIT`] chars, ending with "…" when anything was dropped.
pub(crate) fn cut(s: &str) -> String {
    cut_to(s, GOT_LIMIT)
}

/// Cuts to `max` chars (at least 1), ending with "…" when anything was dropped.
pub fn cut_to(s: &str, max: usize) -> String {
    let max = max.max(1);
    if s.chars().nth(max).is_none() {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Serializes compact JSON but stops writing once there is more than enough to show.
fn render_json(v: &Value) -> String {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            // Four bytes a char at most: past this, the text is surely longer than the limit.
            const ENOUGH: usize = GOT_LIMIT * 4 + 8;
            if self.0.len() >= ENOUGH {
                return Err(std::io::Error::other("enough"));
            }
            let room = ENOUGH - self.0.len();
            self.0.extend_from_slice(&buf[..buf.len().min(room)]);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::new());
    // An early stop is expected; what was written so far is what we show.
    let _ = serde_json::to_writer(&mut out, v);
    cut(&String::from_utf8_lossy(&out.0))
}
