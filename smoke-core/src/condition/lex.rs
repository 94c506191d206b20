//! Scanning primitives shared by the subject and value parsers. They work on the condition as a
//! slice of chars with absolute indexes, so every error can name its column in chars, which is
//! what a person counts when looking at the line.

use super::{ConditionError, MAX_NESTING};

/// An error at a char index (0-based) of the condition.
pub(crate) fn err_at(index: usize, message: impl Into<String>) -> ConditionError {
    ConditionError {
        column: index + 1,
        message: message.into(),
    }
}

pub(crate) fn skip_ws(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Where the text in `chars[start..end]` stops once trailing whitespace is dropped.
pub(crate) fn trim_end(chars: &[char], start: usize, mut end: usize) -> usize {
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    end
}

pub(crate) fn collect(chars: &[char], start: usize, end: usize) -> String {
    chars[start..end].iter().collect()
}

fn is_quote(c: char) -> bool {
    c == '"' || c == '\''
}

fn closer(open: char) -> char {
    if open == '(' {
        ')'
    } else {
        ']'
    }
}

/// Scans a balanced run of text from `start`: brackets and parens must nest, quotes must close.
/// It stops at the first char for which `stop` holds while nothing is open, or at `limit`.
/// Returns the index where it stopped.
pub(crate) fn scan_balanced(
    chars: &[char],
    start: usize,
    limit: usize,
    stop: impl Fn(char) -> bool,
) -> Result<usize, ConditionError> {
    scan(chars, start, limit, stop, false)
}

/// The index of the bracket or paren that closes the one at `open`, or an error naming it.
pub(crate) fn matching_close(
    chars: &[char],
    open: usize,
    limit: usize,
) -> Result<usize, ConditionError> {
    scan(chars, open, limit, |_| false, true)
}

fn scan(
    chars: &[char],
    start: usize,
    limit: usize,
    stop: impl Fn(char) -> bool,
    until_closed: bool,
) -> Result<usize, ConditionError> {
    // Each entry: the opening char and where it is, so an unclosed one can be pointed at.
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut i = start;
    while i < limit {
        let c = chars[i];
        match open.last() {
            Some(&(q, _)) if is_quote(q) => {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    open.pop();
                }
            }
            _ => {
                if open.is_empty() && stop(c) {
                    return Ok(i);
                }
                if is_quote(c) || c == '(' || c == '[' {
                    if !is_quote(c) && open.len() >= MAX_NESTING {
                        return Err(too_deep(i));
                    }
                    open.push((c, i));
                } else if c == ')' || c == ']' {
                    match open.pop() {
                        Some((o, _)) if closer(o) == c => {
                            if until_closed && open.is_empty() {
                                return Ok(i);
                            }
                        }
                        Some((o, at)) => {
                            return Err(err_at(
                                i,
                                format!(
                                    "found `{c}` where `{}` was expected, to close the `{o}` at column {}",
                                    closer(o),
                                    at + 1
                                ),
                            ))
                        }
                        None => return Err(err_at(i, format!("`{c}` closes nothing"))),
                    }
                }
            }
        }
        i += 1;
    }
    match open.pop() {
        None => Ok(limit),
        Some((q, at)) if is_quote(q) => Err(unterminated(q, at)),
        Some((o, at)) => Err(err_at(at, format!("unclosed `{o}`: add a `{}`", closer(o)))),
    }
}

/// The error for a bracket or paren opened past [`MAX_NESTING`] levels, at index `at`.
pub(crate) fn too_deep(at: usize) -> ConditionError {
    err_at(
        at,
        format!("brackets and parens nest more than {MAX_NESTING} deep here; the limit is {MAX_NESTING}"),
    )
}

fn unterminated(q: char, at: usize) -> ConditionError {
    err_at(
        at,
        format!("unterminated quote: the {q} opened here is never closed"),
    )
}

/// A quoted string starting at `start` (which holds the quote). `\"`, `\'` and `\\` are escapes;
/// any other backslash is kept, so regexes like `"\d+"` read as written. Returns the content,
/// the index in the condition of each content char, and the index just past the closing quote.
pub(crate) fn quoted(
    chars: &[char],
    start: usize,
    limit: usize,
) -> Result<(String, Vec<usize>, usize), ConditionError> {
    let q = chars[start];
    let mut out = String::new();
    let mut origin = Vec::new();
    let mut i = start + 1;
    while i < limit {
        let c = chars[i];
        if c == q {
            return Ok((out, origin, i + 1));
        }
        if c == '\\' && i + 1 < limit && (is_quote(chars[i + 1]) || chars[i + 1] == '\\') {
            out.push(chars[i + 1]);
            origin.push(i);
            i += 2;
            continue;
        }
        out.push(c);
        origin.push(i);
        i += 1;
    }
    Err(unterminated(q, start))
}
