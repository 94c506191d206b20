//! Evaluating a parsed condition against one observation.
//!
//! Missing things ("nothing") never pass a comparison: `!=`, `!contains` and the ordering
//! operators all need something to compare, and only `!exists` passes on absence. That keeps a
//! vanished field from silently satisfying `json.error != "fatal"`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::ast::{Ast, CertField, DnsField, Literal, Op, Operand, PageField, Subject, Timing};
use super::bounds::{Evaluation, Limit, MAX_QUERY_NODES};
use super::value::{Actual, Num};
use crate::observation::{JsonError, NOT_JSON};

/// The most of the text `text(...)` gathers: a page's headline or count, never its novel.
#[cfg(feature = "html")]
const MAX_TEXT: usize = 64 * 1024;

/// Elements matched against a selector between two looks at the clock.
#[cfg(feature = "html")]
const CLOCK_EVERY: usize = 1024;

/// Whether the condition holds, and the actual value rendered for a person; or the bound that
/// judging it ran into.
pub(crate) fn judge(ast: &Ast, ev: &Evaluation<'_>) -> Result<(bool, String), Limit> {
    ev.in_time()?;
    let actual = subject_value(&ast.subject, ev)?;
    let passed = apply(ast.op, &ast.operand, &actual);
    Ok((passed, actual.render()))
}

/// The value `subject` finds in the observation, as JSON; `None` for nothing.
pub fn capture(subject: &Subject, ev: &Evaluation<'_>) -> Result<Option<Value>, Limit> {
    ev.in_time()?;
    Ok(match subject_value(subject, ev)? {
        Actual::Nothing(_) => None,
        Actual::Number(n) => {
            Some(serde_json::from_str(&n.to_string()).unwrap_or(Value::String(n.to_string())))
        }
        Actual::Text(t) => Some(Value::String(t.into_owned())),
        Actual::Json(v) => Some(v.into_owned()),
        other => other.match_text().map(|t| Value::String(t.into_owned())),
    })
}

fn apply(op: Op, operand: &Operand, actual: &Actual<'_>) -> bool {
    match (op, operand) {
        (Op::Exists, _) => !actual.is_nothing(),
        (Op::NotExists, _) => actual.is_nothing(),
        (Op::Matches, Operand::Regex(re, _)) => {
            actual.match_text().is_some_and(|t| re.is_match(&t))
        }
        (_, Operand::Literal(lit)) => apply_literal(op, lit, actual),
        _ => false,
    }
}

fn apply_literal(op: Op, lit: &Literal, actual: &Actual<'_>) -> bool {
    if actual.is_nothing() {
        return false;
    }
    match op {
        Op::Eq => actual.equals(lit),
        Op::Ne => !actual.equals(lit),
        Op::Contains => actual.contains(lit) == Some(true),
        Op::NotContains => actual.contains(lit) == Some(false),
        Op::In => match lit {
            Literal::List(items) => items.iter().any(|item| actual.equals(item)),
            _ => false,
        },
        Op::Lt => actual.compare(lit) == Some(Ordering::Less),
        Op::Le => matches!(actual.compare(lit), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => actual.compare(lit) == Some(Ordering::Greater),
        Op::Ge => matches!(
            actual.compare(lit),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Matches | Op::Exists | Op::NotExists => false,
    }
}

fn subject_value<'a>(subject: &Subject, ev: &Evaluation<'a>) -> Result<Actual<'a>, Limit> {
    let obs = ev.obs;
    let nothing = Actual::Nothing(None);
    Ok(match subject {
        Subject::Status => obs
            .status
            .map_or(nothing, |s| Actual::Number(Num::Int(s.into()))),
        Subject::Body => Actual::Text(obs.text()),
        Subject::Bytes => Actual::Size(obs.body.len() as u64),
        Subject::Time(phase) => {
            let t = &obs.timings;
            let d = match phase {
                Timing::Dns => t.dns,
                Timing::Connect => t.connect,
                Timing::Tls => t.tls,
                Timing::FirstByte => t.first_byte,
                Timing::Total => t.total,
            };
            d.map_or(nothing, Actual::Duration)
        }
        Subject::Header(name) => obs
            .header(name)
            .map_or(nothing, |v| Actual::Text(Cow::Borrowed(v))),
        Subject::Json(path) => {
            let doc = match obs.json_doc() {
                Ok(doc) => doc,
                Err(JsonError::NotJson) => return Ok(Actual::Nothing(Some(NOT_JSON))),
                Err(e) => return Err(Limit::Json(e)),
            };
            let nodes = path.query(doc).all();
            ev.in_time()?;
            query_result(nodes)?
        }
        Subject::Len(inner) => length(inner, ev)?,
        #[cfg(not(feature = "html"))]
        Subject::Html(selector) => match **selector {},
        #[cfg(feature = "html")]
        Subject::Html(selector) => {
            let doc = ev.html()?;
            let mut count = 0;
            for (i, node) in doc.tree.nodes().enumerate() {
                if i % CLOCK_EVERY == 0 {
                    ev.in_time()?;
                }
                if scraper::ElementRef::wrap(node).is_some_and(|el| selector.matches(&el)) {
                    count += 1;
                }
            }
            Actual::Number(Num::Int(count))
        }
        Subject::Cert(field) => obs.cert.as_ref().map_or(nothing, |c| match field {
            CertField::DaysLeft => Actual::Number(Num::Int(c.days_left.into())),
            CertField::Issuer => Actual::Text(Cow::Borrowed(c.issuer.as_str())),
            CertField::Subject => Actual::Text(Cow::Borrowed(c.subject.as_str())),
            CertField::NotAfter => Actual::Timestamp(c.not_after),
        }),
        Subject::Dns(DnsField::Rcode) => obs
            .dns
            .as_ref()
            .map_or(nothing, |d| Actual::Text(Cow::Borrowed(d.rcode.as_str()))),
        Subject::Dns(DnsField::Addresses) => obs.dns.as_ref().map_or(nothing, |d| {
            let list = d.addresses.iter().cloned().map(Value::String).collect();
            Actual::Json(Cow::Owned(Value::Array(list)))
        }),
        Subject::Banner => obs
            .banner
            .as_deref()
            .map_or(nothing, |b| Actual::Text(Cow::Borrowed(b))),
        #[cfg(not(feature = "html"))]
        Subject::Text(selector) => match **selector {},
        #[cfg(feature = "html")]
        Subject::Text(selector) => {
            let doc = ev.html()?;
            let mut text = String::new();
            for (i, node) in doc.tree.nodes().enumerate() {
                if i % CLOCK_EVERY == 0 {
                    ev.in_time()?;
                }
                let Some(el) = scraper::ElementRef::wrap(node) else {
                    continue;
                };
                if !selector.matches(&el) {
                    continue;
                }
                for piece in el.text() {
                    let piece = piece.trim();
                    if piece.is_empty() || text.len() >= MAX_TEXT {
                        continue;
                    }
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(piece);
                }
            }
            match text.is_empty() {
                true => Actual::Nothing(Some("no element, or no text in it")),
                false => Actual::Text(Cow::Owned(text)),
            }
        }
        Subject::Page(field) => {
            let Some(page) = obs.page.as_deref() else {
                return Ok(Actual::Nothing(Some("only a browse probe sees a page")));
            };
            match field {
                PageField::ImagesBroken => Actual::Counted(&page.images_broken),
                PageField::ConsoleErrors => Actual::Counted(&page.console_errors),
                PageField::RequestsFailed => Actual::Counted(&page.requests_failed),
                PageField::Load => page.load.map_or(nothing, Actual::Duration),
                PageField::FirstPaint => page.first_paint.map_or(
                    Actual::Nothing(Some("the browser did not report it")),
                    Actual::Duration,
                ),
            }
        }
    })
}

/// What a query yielded, within [`MAX_QUERY_NODES`]: one node as it is, several copied into
/// one list, counting what is nested in each since all of it is copied.
/// The condition is named by the caller, who has its text.
fn query_result(mut nodes: Vec<&Value>) -> Result<Actual<'_>, Limit> {
    let too_many = || Limit::QueryNodes {
        condition: String::new(),
    };
    match nodes.len() {
        0 => Ok(Actual::Nothing(None)),
        1 => Ok(Actual::Json(Cow::Borrowed(nodes.remove(0)))),
        n if n > MAX_QUERY_NODES => Err(too_many()),
        _ => {
            let mut budget = MAX_QUERY_NODES;
            if !nodes.iter().all(|node| within(node, &mut budget)) {
                return Err(too_many());
            }
            Ok(Actual::Json(Cow::Owned(Value::Array(
                nodes.into_iter().cloned().collect(),
            ))))
        }
    }
}

/// Takes the values of `v` (itself and all nested) from `budget`; false once it runs out.
fn within(v: &Value, budget: &mut usize) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        let Some(left) = budget.checked_sub(1) else {
            return false;
        };
        *budget = left;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    true
}

/// `len(...)`: the body counts bytes (what a size limit cares about); other text counts chars.
fn length<'a>(inner: &Subject, ev: &Evaluation<'a>) -> Result<Actual<'a>, Limit> {
    if let Subject::Body = inner {
        return Ok(Actual::Number(Num::Int(ev.obs.body.len() as i128)));
    }
    let not_measurable = Actual::Nothing(Some("not a string, list or object"));
    let count = match subject_value(inner, ev)? {
        Actual::Nothing(why) => return Ok(Actual::Nothing(why)),
        Actual::Text(s) => s.chars().count(),
        Actual::Json(v) => match v.as_ref() {
            Value::String(s) => s.chars().count(),
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            _ => return Ok(not_measurable),
        },
        _ => return Ok(not_measurable),
    };
    Ok(Actual::Number(Num::Int(count as i128)))
}
