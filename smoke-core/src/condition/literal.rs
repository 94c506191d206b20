//! Parsing the value: the rest of the line after the operator.
//!
//! An unquoted value is the whole rest of the line, so `contains image/jpeg` and
//! `contains no results found` need no quotes. Its type is decided by what it parses as, in
//! order: `null`/`true`/`false`, a number, a duration (`5s`), a size with a unit (`1KiB`),
//! and otherwise text. Quotes force text.

use std::time::Duration;

use super::ast::Literal;
use super::lex::{collect, err_at, quoted, scan_balanced, skip_ws, too_deep, trim_end};
use super::value::Num;
use super::ConditionError;
use super::MAX_NESTING;
use crate::units::{parse_duration, parse_size};

/// A parsed value with the position of each top-level list element, so a type error in a list
/// can point at the element.
pub(crate) struct Parsed {
    pub(crate) literal: Literal,
    pub(crate) items_at: Vec<usize>,
}

/// Parses `chars[start..end]` (already trimmed, not empty).
pub(crate) fn parse(chars: &[char], start: usize, end: usize) -> Result<Parsed, ConditionError> {
    let (literal, after, items_at) = match chars[start] {
        '"' | '\'' => {
            let (text, _, after) = quoted(chars, start, end)?;
            (Literal::Text(text), after, Vec::new())
        }
        '[' => {
            let (items, at, after) = list(chars, start, end, 1)?;
            (Literal::List(items), after, at)
        }
        '{' => (object(chars, start, end)?, end, Vec::new()),
        _ => (bare(&collect(chars, start, end)), end, Vec::new()),
    };
    let rest = skip_ws(chars, after);
    if rest < end {
        return Err(err_at(
            rest,
            "unexpected text after the value: quote the whole value if it is one string",
        ));
    }
    Ok(Parsed { literal, items_at })
}

/// Reads an unquoted word as the most specific thing it can be.
pub(crate) fn bare(raw: &str) -> Literal {
    match raw {
        "null" => return Literal::Null,
        "true" => return Literal::Bool(true),
        "false" => return Literal::Bool(false),
        _ => {}
    }
    if let Some(n) = Num::parse(raw) {
        return Literal::Number(n, raw.to_string());
    }
    if let Some(d) = duration(raw) {
        return Literal::Duration(d, raw.to_string());
    }
    // parse_size accepts a bare number as bytes; numbers were taken above, so only values with
    // a unit reach here as sizes.
    let starts_with_digit = raw.chars().next().is_some_and(|c| c.is_ascii_digit());
    if starts_with_digit {
        if let Ok(b) = parse_size(raw) {
            return Literal::Size(b, raw.to_string());
        }
    }
    Literal::Text(raw.to_string())
}

/// `units::parse_duration` panics when the value overflows a `Duration` (`1e30d`), and parsing
/// must not; no real timeout needs more than twelve digits, so longer ones stay text.
fn duration(raw: &str) -> Option<Duration> {
    let digits = raw
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    let magnitude: f64 = raw[..digits].parse().ok()?;
    if magnitude > 1e12 {
        return None;
    }
    parse_duration(raw).ok()
}

/// A `[a, b, c]` list starting at `start`. Elements are values of their own (nested lists and
/// quoted strings included); an unquoted element runs to the next `,` or `]`.
fn list(
    chars: &[char],
    start: usize,
    end: usize,
    depth: usize,
) -> Result<(Vec<Literal>, Vec<usize>, usize), ConditionError> {
    // Each level is a call: the bound keeps `[[[[…` from overflowing the stack.
    if depth > MAX_NESTING {
        return Err(too_deep(start));
    }
    let mut items = Vec::new();
    let mut items_at = Vec::new();
    let mut i = skip_ws(chars, start + 1);
    if i < end && chars[i] == ']' {
        return Ok((items, items_at, i + 1));
    }
    loop {
        if i >= end {
            return Err(err_at(start, "unclosed `[`: add a `]`"));
        }
        let item_at = i;
        let (item, after) = match chars[i] {
            '"' | '\'' => {
                let (text, _, after) = quoted(chars, i, end)?;
                (Literal::Text(text), after)
            }
            '[' => {
                let (inner, _, after) = list(chars, i, end, depth + 1)?;
                (Literal::List(inner), after)
            }
            ',' | ']' => {
                return Err(err_at(
                    i,
                    "empty list element: separate values with single commas",
                ))
            }
            _ => {
                let stop = scan_balanced(chars, i, end, |c| c == ',' || c == ']')?;
                let word_end = trim_end(chars, i, stop);
                (bare(&collect(chars, i, word_end)), stop)
            }
        };
        items.push(item);
        items_at.push(item_at);
        i = skip_ws(chars, after);
        match chars.get(i) {
            Some(',') if i < end => i = skip_ws(chars, i + 1),
            Some(']') if i < end => return Ok((items, items_at, i + 1)),
            _ if i >= end => return Err(err_at(start, "unclosed `[`: add a `]`")),
            Some(c) => {
                return Err(err_at(
                    i,
                    format!("expected `,` or `]` in the list, found `{c}`"),
                ))
            }
            None => return Err(err_at(start, "unclosed `[`: add a `]`")),
        }
    }
}

/// A `{...}` JSON object, for structural comparison with JSON subjects.
fn object(chars: &[char], start: usize, end: usize) -> Result<Literal, ConditionError> {
    let text = collect(chars, start, end);
    serde_json::from_str(&text).map(Literal::Json).map_err(|e| {
        // serde_json counts columns in bytes on the (single) line.
        let byte = e.column().saturating_sub(1).min(text.len());
        let idx = text.char_indices().take_while(|&(b, _)| b < byte).count();
        let full = e.to_string();
        let message = full.split(" at line ").next().unwrap_or(&full);
        err_at(start + idx, format!("bad JSON object: {message}"))
    })
}
