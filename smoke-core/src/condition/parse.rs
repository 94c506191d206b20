//! Parsing a whole condition: split it into subject, operator and value, then check that the
//! three fit together. Type checks happen here, where the subject's type is known, so a panel
//! with `time < 5` is refused when loaded rather than failing on every tick.

use regex::Regex;

use super::ast::{self, Ast, CertField, Kind, Literal, Op, Operand, Subject};
use super::lex::{collect, err_at, quoted, scan_balanced, skip_ws, trim_end};
use super::value::parse_timestamp;
use super::{literal, subject, suggest, ConditionError, MAX_SUBJECT_CHARS};

const OPERATORS: &str = "==, !=, <, <=, >, >=, contains, !contains, matches, exists, !exists or in";

pub(crate) fn parse(text: &str) -> Result<Ast, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let start = skip_ws(&chars, 0);
    let end = trim_end(&chars, start, chars.len());
    if start == end {
        return Err(err_at(0, "empty condition: write one like `status == 200`"));
    }
    let subject_end = scan_balanced(&chars, start, end, char::is_whitespace)?;
    let (subject, subject_text) = subject_in(&chars, start, subject_end)?;

    let op_start = skip_ws(&chars, subject_end);
    if op_start >= end {
        return Err(err_at(
            subject_end,
            format!("missing operator after `{subject_text}`: use {OPERATORS}"),
        ));
    }
    let mut op_end = op_start;
    while op_end < end && !chars[op_end].is_whitespace() {
        op_end += 1;
    }
    let op = operator(&collect(&chars, op_start, op_end), op_start)?;

    let at = Spans {
        op: op_start,
        op_end,
        value: skip_ws(&chars, op_end),
        end,
    };
    let operand = operand(&chars, &subject, &subject_text, op, &at)?;
    // From where the trimmed text starts, which is what `Condition::text` keeps.
    let from_text = |r: std::ops::Range<usize>| r.start - start..r.end - start;
    let spans = ast::Spans {
        subject: from_text(start..subject_end),
        op: from_text(op_start..op_end),
        value: (!matches!(operand, Operand::None)).then(|| from_text(at.value..at.end)),
    };
    Ok(Ast {
        subject,
        subject_text,
        op,
        operand,
        spans,
    })
}

/// The subject in `chars[start..end]`, within the limits of any subject.
fn subject_in(
    chars: &[char],
    start: usize,
    end: usize,
) -> Result<(Subject, String), ConditionError> {
    if end - start > MAX_SUBJECT_CHARS {
        return Err(err_at(
            start,
            format!(
                "the subject is {} chars long; the limit is {MAX_SUBJECT_CHARS}",
                end - start
            ),
        ));
    }
    check_spacing(chars, start, end)?;
    Ok((
        subject::parse(chars, start, end)?,
        collect(chars, start, end),
    ))
}

/// A subject alone (a flow step's capture): all of `text`, nothing after it.
pub(crate) fn parse_subject(text: &str) -> Result<Subject, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let start = skip_ws(&chars, 0);
    let end = trim_end(&chars, start, chars.len());
    if start == end {
        return Err(err_at(
            0,
            "empty subject: write one like `json.items[0].id`",
        ));
    }
    let subject_end = scan_balanced(&chars, start, end, char::is_whitespace)?;
    if subject_end < end {
        return Err(err_at(
            subject_end,
            "a capture is a subject alone, like `json.items[0].id`: no operator or value",
        ));
    }
    Ok(subject_in(&chars, start, end)?.0)
}

/// Where the operator and value sit in the condition.
struct Spans {
    op: usize,
    op_end: usize,
    value: usize,
    end: usize,
}

/// `status==200` reads as one word; say so instead of calling it an unknown subject.
fn check_spacing(chars: &[char], start: usize, end: usize) -> Result<(), ConditionError> {
    let found = scan_balanced(chars, start, end, |c| matches!(c, '=' | '<' | '>'))?;
    if found == end {
        return Ok(());
    }
    let at = if found > start && chars[found - 1] == '!' {
        found - 1
    } else {
        found
    };
    if at == start {
        return Err(err_at(
            start,
            "missing subject before the operator: write one like `status == 200`",
        ));
    }
    Err(err_at(
        at,
        "write spaces around the operator, like `status == 200`",
    ))
}

fn operator(word: &str, at: usize) -> Result<Op, ConditionError> {
    if let Some(op) = Op::from_symbol(word) {
        return Ok(op);
    }
    if let Some(meant) = suggest::operator(word) {
        return Err(err_at(
            at,
            format!("unknown operator `{word}`: did you mean `{meant}`?"),
        ));
    }
    for sym in ["<=", ">=", "==", "!=", "<", ">"] {
        if word.len() > sym.len() && word.starts_with(sym) {
            return Err(err_at(
                at + sym.len(),
                format!("write a space between `{sym}` and the value"),
            ));
        }
    }
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '"' || c == '\'' || c == '[') {
        return Err(err_at(
            at,
            format!("missing operator before `{word}`: use {OPERATORS}"),
        ));
    }
    Err(err_at(
        at,
        format!("unknown operator `{word}`: use {OPERATORS}"),
    ))
}

fn operand(
    chars: &[char],
    subject: &Subject,
    name: &str,
    op: Op,
    at: &Spans,
) -> Result<Operand, ConditionError> {
    let kind = subject.kind();
    if matches!(op, Op::Exists | Op::NotExists) {
        if at.value < at.end {
            return Err(err_at(at.value, format!("`{op}` takes no value")));
        }
        if !subject.can_be_missing() {
            return Err(err_at(
                at.op,
                format!(
                    "{name} always has a value, so `{op}` can't fail; {}",
                    exists_hint(subject)
                ),
            ));
        }
        return Ok(Operand::None);
    }
    if at.value >= at.end {
        let hint = match op {
            Op::In => ": give a list, like [200, 204]",
            Op::Matches => ": give a regex, like ^ok$",
            _ => "",
        };
        return Err(err_at(
            at.op_end,
            format!("missing value after `{op}`{hint}"),
        ));
    }
    if op == Op::Matches {
        if matches!(kind, Kind::Duration | Kind::Size) {
            return Err(err_at(
                at.op,
                format!("`matches` works on text, but {name} is {}", kind.noun()),
            ));
        }
        return regex(chars, at);
    }
    if matches!(op, Op::Contains | Op::NotContains)
        && matches!(kind, Kind::Number | Kind::Duration | Kind::Size)
    {
        return Err(err_at(
            at.op,
            format!(
                "`{op}` works on text, lists and objects, but {name} is {}",
                kind.noun()
            ),
        ));
    }
    let parsed = literal::parse(chars, at.value, at.end)?;
    let check = Check { subject, name };
    let lit = match op {
        Op::In => {
            let Literal::List(items) = parsed.literal else {
                return Err(err_at(at.value, "`in` needs a list, like [200, 204]"));
            };
            if kind == Kind::List {
                return Err(err_at(
                    at.op,
                    format!("{name} is a list: use contains to look for one value in it"),
                ));
            }
            let mut checked = Vec::with_capacity(items.len());
            for (item, &item_at) in items.into_iter().zip(&parsed.items_at) {
                checked.push(check.equality(item, item_at)?);
            }
            Literal::List(checked)
        }
        Op::Contains | Op::NotContains => check.contains(parsed.literal, at.value)?,
        Op::Eq | Op::Ne => check.equality(parsed.literal, at.value)?,
        _ => check.ordering(parsed.literal, op, at)?,
    };
    Ok(Operand::Literal(lit))
}

fn exists_hint(subject: &Subject) -> &'static str {
    match subject {
        Subject::Html(_) => "to require a match, write html(...) >= 1",
        Subject::Body => "to require content, write bytes > 0",
        _ => "compare its value instead",
    }
}

/// The type checks for one subject.
struct Check<'a> {
    subject: &'a Subject,
    name: &'a str,
}

impl Check<'_> {
    fn wants(&self, what: &str, at: usize) -> ConditionError {
        err_at(at, format!("{} compares with {what}", self.name))
    }

    fn number_example(&self) -> &'static str {
        match self.subject {
            Subject::Status => "200",
            Subject::Cert(CertField::DaysLeft) => "14",
            Subject::Html(_) => "1",
            _ => "0",
        }
    }

    /// Checks a value for `==`, `!=` or `in`, turning text into dates where the subject is one.
    fn equality(&self, lit: Literal, at: usize) -> Result<Literal, ConditionError> {
        match (self.subject.kind(), lit) {
            (Kind::Json, lit) => Ok(lit),
            (Kind::Number, lit @ Literal::Number(..)) => Ok(lit),
            (Kind::Number, _) => {
                Err(self.wants(&format!("a number, like {}", self.number_example()), at))
            }
            (Kind::Duration, lit @ Literal::Duration(..)) => Ok(lit),
            (Kind::Duration, _) => Err(self.wants("a duration, like 800ms", at)),
            (Kind::Size, lit @ (Literal::Size(..) | Literal::Number(..))) => Ok(lit),
            (Kind::Size, _) => Err(self.wants("a size, like 512KiB, or a number of bytes", at)),
            (Kind::Timestamp, lit) => {
                let ts = lit
                    .plain_text()
                    .and_then(|raw| Some((parse_timestamp(&raw)?, raw)));
                match ts {
                    Some((ts, raw)) => Ok(Literal::Timestamp(ts, raw)),
                    None => Err(self.wants("a date, like 2026-01-01 or 2026-01-01T00:00:00Z", at)),
                }
            }
            (Kind::Text, Literal::List(_) | Literal::Json(_)) => Err(err_at(
                at,
                format!("{} is text: compare it with one string", self.name),
            )),
            (Kind::Text, lit) => Ok(lit),
            (Kind::List, lit @ Literal::List(_)) => Ok(lit),
            (Kind::List, _) => Err(self.wants("a list, like [10.0.0.1]", at)),
        }
    }

    /// Checks a value for `contains`: text subjects look for the value's text as written.
    fn contains(&self, lit: Literal, at: usize) -> Result<Literal, ConditionError> {
        match self.subject.kind() {
            Kind::Json => Ok(lit),
            _ => match lit.plain_text() {
                Some(text) => Ok(Literal::Text(text)),
                None => Err(err_at(
                    at,
                    format!("{} contains one value at a time, not a list", self.name),
                )),
            },
        }
    }

    fn ordering(&self, lit: Literal, op: Op, at: &Spans) -> Result<Literal, ConditionError> {
        let kind = self.subject.kind();
        if kind == Kind::List {
            return Err(err_at(
                at.op,
                format!(
                    "{} is a list and can't be ordered: use contains, ==, != or exists",
                    self.name
                ),
            ));
        }
        if matches!(kind, Kind::Text | Kind::Json) {
            return match lit {
                Literal::Null | Literal::Bool(_) | Literal::List(_) | Literal::Json(_) => {
                    Err(err_at(
                        at.value,
                        format!(
                            "`{op}` compares numbers, durations, sizes, dates or text, not {lit}"
                        ),
                    ))
                }
                lit => Ok(lit),
            };
        }
        self.equality(lit, at.value)
    }
}

/// Compiles the regex of `matches`. Quotes are optional; errors point into the pattern.
fn regex(chars: &[char], at: &Spans) -> Result<Operand, ConditionError> {
    let (pattern, origin) = if chars[at.value] == '"' || chars[at.value] == '\'' {
        let (text, origin, after) = quoted(chars, at.value, at.end)?;
        let rest = skip_ws(chars, after);
        if rest < at.end {
            return Err(err_at(rest, "unexpected text after the quoted regex"));
        }
        (text, origin)
    } else {
        (
            collect(chars, at.value, at.end),
            (at.value..at.end).collect(),
        )
    };
    let written = collect(chars, at.value, at.end);
    match Regex::new(&pattern) {
        Ok(re) => Ok(Operand::Regex(Box::new(re), written)),
        Err(e) => Err(regex_error(&e, &origin, at.value)),
    }
}

/// regex reports a syntax error as a small drawing: the pattern indented by four spaces, then a
/// line of `^` under the bad part, then `error: ...`. The carets give the position.
fn regex_error(e: &regex::Error, origin: &[usize], fallback: usize) -> ConditionError {
    let full = e.to_string();
    let lines: Vec<&str> = full.lines().collect();
    let message = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(full.as_str());
    let caret = lines
        .get(2)
        .filter(|l| l.starts_with("    ") && l.trim().chars().all(|c| c == '^') && l.contains('^'))
        .map(|l| l.chars().take_while(|&c| c == ' ').count() - 4);
    let column = caret
        .and_then(|c| origin.get(c).copied())
        .unwrap_or(fallback);
    err_at(column, format!("bad regex: {message}"))
}
