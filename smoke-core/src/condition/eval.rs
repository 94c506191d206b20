//! Evaluating a parsed condition against one observation.
//!
//! Missing things ("nothing") never pass a comparison: `!=`, `!contains` and the ordering
//! operators all need something to compare, and only `!exists` passes on absence. That keeps a
//! vanished field from silently satisfying `json.error != "fatal"`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::ast::{Ast, CertField, DnsField, Literal, Op, Operand, Phase, Subject};
use super::value::{Actual, Num};
use crate::observation::Observation;

/// Whether the condition holds, and the actual value rendered for a person.
pub(crate) fn judge(ast: &Ast, obs: &Observation) -> (bool, String) {
    let actual = subject_value(&ast.subject, obs);
    let passed = apply(ast.op, &ast.operand, &actual);
    (passed, actual.render())
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

const NOT_JSON: &str = "the body is not JSON";

fn subject_value<'a>(subject: &Subject, obs: &'a Observation) -> Actual<'a> {
    let nothing = Actual::Nothing(None);
    match subject {
        Subject::Status => obs
            .status
            .map_or(nothing, |s| Actual::Number(Num::Int(s.into()))),
        Subject::Body => Actual::Text(obs.text()),
        Subject::Bytes => Actual::Size(obs.body.len() as u64),
        Subject::Time(phase) => {
            let t = &obs.timings;
            let d = match phase {
                Phase::Dns => t.dns,
                Phase::Connect => t.connect,
                Phase::Tls => t.tls,
                Phase::FirstByte => t.first_byte,
                Phase::Total => t.total,
            };
            d.map_or(nothing, Actual::Duration)
        }
        Subject::Header(name) => obs
            .header(name)
            .map_or(nothing, |v| Actual::Text(Cow::Borrowed(v))),
        Subject::Json(path) => {
            let Some(doc) = obs.json() else {
                return Actual::Nothing(Some(NOT_JSON));
            };
            let mut nodes = path.query(doc).all();
            match nodes.len() {
                0 => nothing,
                1 => Actual::Json(Cow::Borrowed(nodes.remove(0))),
                _ => Actual::Json(Cow::Owned(Value::Array(
                    nodes.into_iter().cloned().collect(),
                ))),
            }
        }
        Subject::Len(inner) => length(inner, obs),
        Subject::Html(selector) => {
            let doc = scraper::Html::parse_document(&obs.text());
            let count = doc.select(selector).count();
            Actual::Number(Num::Int(count as i128))
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
    }
}

/// `len(...)`: the body counts bytes (what a size limit cares about); other text counts chars.
fn length<'a>(inner: &Subject, obs: &'a Observation) -> Actual<'a> {
    if let Subject::Body = inner {
        return Actual::Number(Num::Int(obs.body.len() as i128));
    }
    let count = match subject_value(inner, obs) {
        Actual::Nothing(why) => return Actual::Nothing(why),
        Actual::Text(s) => s.chars().count(),
        Actual::Json(v) => match v.as_ref() {
            Value::String(s) => s.chars().count(),
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            _ => return Actual::Nothing(Some("not a string, list or object")),
        },
        _ => return Actual::Nothing(Some("not a string, list or object")),
    };
    Actual::Number(Num::Int(count as i128))
}
