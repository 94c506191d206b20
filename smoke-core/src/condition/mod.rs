//! The condition language: one-line assertions on what a probe observed.
//!
//! ```text
//! status == 200
//! len(result) > 0
//! html(nav#hero-nav) >= 1
//! time < 800ms
//! header.content-type contains image/jpeg
//! $.result[?@.name == 'x'] exists
//! ```
//!
//! A condition is `<subject> <operator> [<value>]`. It is parsed and type-checked once, when
//! the panel loads, so that every mistake a parser can see (a typo in a subject, `time < 5`
//! without a unit, a bad regex, JSONPath or CSS selector) stops the panel with a column number
//! instead of failing quietly on every tick. Evaluation then works on the compiled form only:
//! anything odd about the observation shows up as the judged value (`nothing`), except a body
//! past one of its limits ([`MAX_HTML_DEPTH`] and the rest) or a judging past its deadline,
//! which is a [`Limit`].
//!
//! Subjects: `status`, `body`, `bytes`, `time`, `time.dns|connect|tls|first_byte`,
//! `header.<name>`, `json`, `json.<path>`, `$<jsonpath>`, `result`, `result.<path>`,
//! `len(<subject>)`, `html(<css>)`, `cert.days_left|issuer|subject|not_after`,
//! `dns.rcode|addresses`, `banner`.
//!
//! Operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, `!contains`, `matches`, `exists`,
//! `!exists`, `in`.
//!
//! Values: numbers, `"quoted"` or `'quoted'` strings, bare text (the rest of the line),
//! durations (`800ms`), sizes (`1KiB`), `null`, `true`, `false`, `[lists]` and `{JSON objects}`.

mod ast;
mod bounds;
mod eval;
#[cfg(feature = "html")]
mod html;
mod lex;
mod literal;
mod parse;
mod subject;
mod suggest;
mod value;

#[cfg(test)]
mod tests;

pub use value::cut_to;

use std::fmt;

use crate::observation::Observation;

/// The longest subject (a CSS selector or a JSONPath with its wrapper), in chars: real ones are
/// a line, and the selector and JSONPath parsers' cost grows with their input.
pub(crate) const MAX_SUBJECT_CHARS: usize = 512;

/// The deepest nesting of brackets and parens in a condition. The selector and JSONPath parsers
/// recurse once per level (thousands overflow the stack) and nested JSONPath filters double
/// the parse time per level; eight levels is more than any real path needs.
pub const MAX_NESTING: usize = 8;

pub use ast::{Ast, CertField, DnsField, Op, PageField, Selector, Spans, Subject, Timing};
pub use bounds::{Evaluation, Limit, MAX_HTML_DEPTH, MAX_HTML_ELEMENTS, MAX_QUERY_NODES};

/// A parsed, checked condition.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    ast: ast::Ast,
}

/// Why a condition could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ConditionError {
    /// 1-based, in chars, within the text given to [`Condition::parse`].
    pub column: usize,
    /// What is wrong there, in words.
    pub(crate) message: String,
}

/// The verdict on one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Whether the condition holds.
    pub passed: bool,
    /// The actual value rendered for a person, cut to at most 120 chars (with "…" when cut).
    pub got: String,
    /// One line, `expected <condition>, got <value>`, written the same way whether or not the
    /// condition passed so that callers can log it unconditionally.
    pub message: String,
}

impl Condition {
    /// Parses one condition. Errors carry a 1-based column (in chars) within `text`.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let ast = parse::parse(text)?;
        Ok(Condition {
            text: text.trim().to_string(),
            ast,
        })
    }

    /// A condition of a text `value`, made of its parts: what code writes instead of formatting
    /// condition text. The value is quoted by the language's own rules, so any text stays one
    /// value; a subject or operator that does not fit is the parser's error.
    pub(crate) fn of(subject: &str, op: Op, value: &str) -> Result<Condition, ConditionError> {
        let mut text = format!("{} {op} \"", subject.trim());
        for c in value.chars() {
            if matches!(c, '"' | '\\') {
                text.push('\\');
            }
            text.push(c);
        }
        text.push('"');
        Condition::parse(&text)
    }

    /// The condition as written, without surrounding whitespace.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Its parsed form: what it looks at, how, and where each part stands in [`Self::text`].
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    /// What it looks at: asked by code that treats some subjects apart (a probe's own `status`
    /// conditions decide whether a status outside 2xx is a failure).
    pub fn subject(&self) -> &Subject {
        &self.ast.subject
    }

    /// Judges the observation, without a deadline; a bound it runs into fails the condition
    /// and is named in `got`. Never panics.
    pub fn evaluate(&self, obs: &Observation) -> Judgement {
        self.judge(&Evaluation::new(obs)).unwrap_or_else(|limit| {
            let got = value::cut(&format!("nothing ({limit})"));
            self.judgement(false, got)
        })
    }

    /// Judges within the bounds of `ev`, sharing its parsed body with the other conditions
    /// judged in it. Never panics.
    pub fn judge(&self, ev: &Evaluation<'_>) -> Result<Judgement, Limit> {
        let (passed, got) = eval::judge(&self.ast, ev).map_err(|limit| match limit {
            Limit::QueryNodes { .. } => Limit::QueryNodes {
                condition: self.text.clone(),
            },
            other => other,
        })?;
        Ok(self.judgement(passed, got))
    }

    fn judgement(&self, passed: bool, got: String) -> Judgement {
        let message = format!("expected {}, got {got}", self.ast);
        Judgement {
            passed,
            got,
            message,
        }
    }
}

/// A subject alone (`json.items[0].id`, `header.location`, `$.result[0].name`): the value a
/// step of a flow takes from its answer for the steps after it.
#[derive(Debug, Clone)]
pub struct Capture {
    text: String,
    subject: ast::Subject,
}

impl Capture {
    /// Parses a subject, with the limits of a condition's subject. Errors carry a 1-based column.
    pub(crate) fn parse(text: &str) -> Result<Capture, ConditionError> {
        Ok(Capture {
            text: text.trim().to_string(),
            subject: parse::parse_subject(text)?,
        })
    }

    /// The subject as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the subject finds in the observation (a JSON string for text), `None` for nothing.
    pub fn take(&self, ev: &Evaluation<'_>) -> Result<Option<serde_json::Value>, Limit> {
        eval::capture(&self.subject, ev)
    }
}

/// Two conditions are the same when they were written the same: the compiled parts (regexes,
/// selectors) have no equality of their own.
impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Condition {
    type Err = ConditionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Condition::parse(text)
    }
}

/// Conditions are written as strings in panel files; a bad one is a deserialization error, so
/// the file format's own error reporting adds the file position to our column.
impl<'de> serde::Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Condition::parse(&text).map_err(serde::de::Error::custom)
    }
}
