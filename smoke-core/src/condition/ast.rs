//! The parsed shape of a condition. Everything a check needs at evaluation time is resolved here
//! (JSONPaths, selectors and regexes compiled), so evaluating never goes back to the text.
//!
//! Read-only outside this crate: code that needs to know what a condition checks (whether it
//! judges the status, the DNS answer) asks [`Ast::subject`], never the text.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use regex::Regex;
/// A compiled CSS selector, as an `html()` subject holds it.
#[cfg(feature = "html")]
pub use scraper::Selector;
use serde_json_path::JsonPath;

use super::value::Num;

/// Without the `html` feature no CSS selector is ever compiled, so no `html()` subject exists.
#[cfg(not(feature = "html"))]
#[derive(Debug, Clone)]
pub enum Selector {}

/// One parsed condition: `<subject> <op> [<operand>]`.
#[derive(Debug, Clone)]
pub struct Ast {
    pub(crate) subject: Subject,
    /// The subject as written, for messages.
    pub(crate) subject_text: String,
    pub(crate) op: Op,
    pub(crate) operand: Operand,
    pub(crate) spans: Spans,
}

/// Where each part of a condition stands in its text ([`super::Condition::text`]), in chars
/// from 0, end excluded: for pointing at a part in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spans {
    /// The subject.
    pub(crate) subject: Range<usize>,
    /// The operator.
    pub(crate) op: Range<usize>,
    /// The value; `None` for `exists` and `!exists`, which take none.
    pub(crate) value: Option<Range<usize>>,
}

impl Ast {
    /// What the condition looks at.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The subject as written.
    pub fn subject_text(&self) -> &str {
        &self.subject_text
    }

    /// The operator.
    pub fn op(&self) -> Op {
        self.op
    }

    /// Where subject, operator and value stand in the text.
    pub fn spans(&self) -> &Spans {
        &self.spans
    }
}

/// Which timing a `time` subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// `time.dns`: resolving the host name.
    Dns,
    /// `time.connect`: opening the connection.
    Connect,
    /// `time.tls`: the TLS handshake.
    Tls,
    /// `time.first_byte`: until the first byte of the answer.
    FirstByte,
    /// `time`: the whole attempt.
    Total,
}

/// What a condition looks at.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Subject {
    /// `status`: the HTTP status code.
    Status,
    /// `body`: the body as text.
    Body,
    /// `bytes`: the body's length.
    Bytes,
    /// `time` or `time.<phase>`: how long a phase took.
    Time(Timing),
    /// Lower-cased header name.
    Header(String),
    /// `json...`, `result...` and `$...` all end up as one compiled query.
    Json(JsonPath),
    /// `len(...)`: how many items, chars or bytes the inner subject holds.
    Len(Box<Subject>),
    /// `html(<css>)`: the elements the selector finds in the body.
    #[cfg_attr(not(feature = "html"), allow(dead_code))]
    Html(Box<Selector>),
    /// `cert.<field>`: a part of the peer certificate.
    Cert(CertField),
    /// `dns.<field>`: a part of the DNS answer.
    Dns(DnsField),
    /// The first line a `tcp` probe's peer sent (an SSH or SMTP greeting, a reply to `send`).
    Banner,
    /// `text(<css>)`: the text of the elements the selector finds in the body (a browse
    /// probe's rendered page), joined by spaces.
    #[cfg_attr(not(feature = "html"), allow(dead_code))]
    Text(Box<Selector>),
    /// `images.broken`, `console.errors`, `requests.failed`, `timings.<phase>`: what a
    /// `browse` probe saw on the page.
    Page(PageField),
}

/// What a `browse` probe saw that a `page.`-like subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageField {
    /// `images.broken`: images that did not decode, counted, and named in a failure.
    ImagesBroken,
    /// `console.errors`: the page's script errors, counted, and named in a failure.
    ConsoleErrors,
    /// `requests.failed`: sub-requests that failed or answered 400 or more, counted and named.
    RequestsFailed,
    /// `timings.load`: to the end of the load event.
    Load,
    /// `timings.first_paint`: to the first paint.
    FirstPaint,
}

/// Which part of the peer certificate a `cert.` subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertField {
    /// `cert.days_left`: whole days until it expires.
    DaysLeft,
    /// `cert.issuer`.
    Issuer,
    /// `cert.subject`.
    Subject,
    /// `cert.not_after`: when it expires.
    NotAfter,
}

/// Which part of the DNS answer a `dns.` subject reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsField {
    /// `dns.rcode`: `NOERROR`, `NXDOMAIN`, ...
    Rcode,
    /// `dns.addresses`: the addresses in the answer.
    Addresses,
}

/// The static type of a subject: it decides which operators and values make sense, so that
/// mistakes like `time < 5` are caught when the panel loads instead of failing every tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Kind {
    Number,
    Duration,
    Size,
    Text,
    Timestamp,
    List,
    /// Whatever the body holds; checked at evaluation time.
    Json,
}

impl Kind {
    /// How the kind is named in error messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Number => "a number",
            Kind::Duration => "a duration",
            Kind::Size => "a size",
            Kind::Text => "text",
            Kind::Timestamp => "a date",
            Kind::List => "a list",
            Kind::Json => "JSON",
        }
    }
}

impl Subject {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Subject::Status
            | Subject::Cert(CertField::DaysLeft)
            | Subject::Len(_)
            | Subject::Html(_)
            | Subject::Page(PageField::ImagesBroken)
            | Subject::Page(PageField::ConsoleErrors)
            | Subject::Page(PageField::RequestsFailed) => Kind::Number,
            Subject::Page(PageField::Load | PageField::FirstPaint) => Kind::Duration,
            Subject::Time(_) => Kind::Duration,
            Subject::Bytes => Kind::Size,
            Subject::Body
            | Subject::Header(_)
            | Subject::Cert(CertField::Issuer | CertField::Subject)
            | Subject::Dns(DnsField::Rcode)
            | Subject::Banner
            | Subject::Text(_) => Kind::Text,
            Subject::Cert(CertField::NotAfter) => Kind::Timestamp,
            Subject::Dns(DnsField::Addresses) => Kind::List,
            Subject::Json(_) => Kind::Json,
        }
    }

    /// The subject a `len()` counts, or this one: what the condition reads from the answer.
    pub fn read(&self) -> &Subject {
        match self {
            Subject::Len(inner) => inner.read(),
            other => other,
        }
    }

    /// Whether the subject can yield "nothing"; `exists` on one that cannot is always true and
    /// almost certainly a mistake.
    pub(crate) fn can_be_missing(&self) -> bool {
        match self {
            Subject::Body | Subject::Bytes | Subject::Html(_) => false,
            Subject::Len(inner) => inner.can_be_missing(),
            _ => true,
        }
    }
}

/// The operators, in the order they are listed to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `!contains`
    NotContains,
    /// `matches`: a regex.
    Matches,
    /// `exists`: takes no value.
    Exists,
    /// `!exists`: takes no value.
    NotExists,
    /// `in`: one of a list.
    In,
}

impl Op {
    /// Every operator, in the order they are listed to people.
    pub(crate) const ALL: [Op; 12] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Contains,
        Op::NotContains,
        Op::Matches,
        Op::Exists,
        Op::NotExists,
        Op::In,
    ];

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::NotContains => "!contains",
            Op::Matches => "matches",
            Op::Exists => "exists",
            Op::NotExists => "!exists",
            Op::In => "in",
        }
    }

    pub(crate) fn from_symbol(word: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.symbol() == word)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// What the operator is applied with.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// `exists` / `!exists`.
    None,
    Literal(Literal),
    /// `matches`: the compiled regex and the pattern as written (for messages).
    Regex(Box<Regex>, String),
}

/// A value written in a condition. Numbers, durations and sizes keep their text as written so
/// messages echo the author's spelling (`60s` stays `60s`, not `1m`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Number(Num, String),
    Text(String),
    Duration(Duration, String),
    Size(u64, String),
    Timestamp(jiff::Timestamp, String),
    List(Vec<Literal>),
    /// A `{...}` object, compared structurally with JSON.
    Json(serde_json::Value),
}

impl Literal {
    /// The literal as plain text, for operators that work on text (`contains` on a string, an
    /// object key) when the author wrote something that looked like a number or duration.
    pub(crate) fn plain_text(&self) -> Option<String> {
        match self {
            Literal::Null => Some("null".into()),
            Literal::Bool(b) => Some(b.to_string()),
            Literal::Number(_, raw)
            | Literal::Duration(_, raw)
            | Literal::Size(_, raw)
            | Literal::Timestamp(_, raw) => Some(raw.clone()),
            Literal::Text(t) => Some(t.clone()),
            Literal::List(_) | Literal::Json(_) => None,
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(_, raw)
            | Literal::Duration(_, raw)
            | Literal::Size(_, raw)
            | Literal::Timestamp(_, raw) => f.write_str(raw),
            Literal::Text(t) => f.write_str(&super::value::quote(t)),
            Literal::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Literal::Json(v) => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for Ast {
    /// The condition in one normalized line, as used in "expected ..." messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.subject_text, self.op)?;
        match &self.operand {
            Operand::None => Ok(()),
            Operand::Literal(lit) => write!(f, " {lit}"),
            Operand::Regex(_, pattern) => write!(f, " {pattern}"),
        }
    }
}
