//! `[[probe.step]]`: a probe of several requests, as a user makes them (open the folder, then
//! a photo in it). Each step is read like a probe's request, with its own conditions and the
//! values it captures; `{name}` in a later step must name a capture of an earlier one.

use super::raw::{RawProbe, RawRequest, RawTarget};
use super::spec::{conditions, first_set, fixed_target, http_kind, At};
use super::*;
use std::ops::Range;
use toml::Spanned;

/// The most steps in one flow: each is a request within the probe's one deadline.
pub const MAX_STEPS: usize = 16;

pub(crate) fn flow_kind(
    p: &mut RawProbe,
    max_body: u64,
    for_each_service: bool,
    at: &At<'_>,
) -> Result<HttpSpec, PanelError> {
    // What a flow says in its steps, it may not say for the whole probe as well.
    let in_steps = [
        "get",
        "post",
        "rpc",
        "params",
        "json",
        "body",
        "contexts",
        "distinct_from",
        "external_path",
        "expect",
        "warn",
    ];
    if let Some(field) = first_set(p, &in_steps) {
        return Err(at.here(format!(
            "`{field}` goes in the steps of a probe with [[probe.step]], each step its own"
        )));
    }
    if let Some(extra) = p.step.get(MAX_STEPS) {
        return Err(at.err(
            extra.span(),
            format!(
                "a flow has at most {MAX_STEPS} steps; this one has {}",
                p.step.len()
            ),
        ));
    }
    let raw_steps = std::mem::take(&mut p.step);
    let n = raw_steps.len();
    let mut captured: Vec<String> = Vec::new();
    let mut steps = Vec::with_capacity(n);
    for (i, raw) in raw_steps.into_iter().enumerate() {
        let span = raw.span();
        let raw = raw.into_inner();
        let here = At {
            at: at.at,
            span: span.clone(),
            name: at.name,
        };
        let placed = |e: PanelError| PanelError {
            message: format!("step {} of {n}: {}", i + 1, e.message),
            ..e
        };
        let mut raw = raw;
        let mut request = raw.request();
        placeholders(&request, &captured, &here).map_err(placed)?;
        // A step sends the probe's target, headers and context unless it says its own.
        request.target = request.target.or_else(|| p.target.clone());
        if let Some(t) = &request.target {
            one_target(t, &here).map_err(placed)?;
        }
        request.context = request.context.or_else(|| p.context.clone());
        let mut headers = p.headers.clone();
        headers.extend(request.headers);
        request.headers = headers;
        let http = http_kind(&mut request, max_body, for_each_service, &here).map_err(placed)?;
        let mut captures = Vec::with_capacity(raw.capture.len());
        for (name, subject) in raw.capture {
            capture_name(&name, &captured, &captures).map_err(|m| placed(here.here(m)))?;
            let capture = Capture::parse(subject.get_ref()).map_err(|e| {
                let start = subject.span().start + e.column;
                placed(here.err(
                    start..start,
                    format!("capture {name} = `{}`: {}", subject.get_ref(), e.message),
                ))
            })?;
            captures.push((name, capture));
        }
        captured.extend(captures.iter().map(|(name, _)| name.clone()));
        steps.push(StepSpec {
            http,
            expect: conditions(raw.expect, &here).map_err(placed)?,
            warn: conditions(raw.warn, &here).map_err(placed)?,
            captures,
            finally: raw.finally,
        });
    }
    let first = steps[0].http.clone();
    Ok(HttpSpec {
        // The probe's service is its own target's, else the first step's.
        target: match p.target.take() {
            Some(t) => {
                one_target(&t, at)?;
                let t = super::spec::targets(t, at)?.remove(0);
                let target =
                    Target::parse(t.get_ref()).map_err(|m| at.err(t.span(), m.to_string()))?;
                fixed_target(&t, at)?;
                target
            }
            None => first.target.clone(),
        },
        steps,
        ..first
    })
}

/// A flow's steps go where they say, one target each: trying targets in turn is for a probe of
/// one request, whose answer alone says whether its target was there.
fn one_target(t: &Spanned<RawTarget>, at: &At<'_>) -> Result<(), PanelError> {
    match t.get_ref() {
        RawTarget::InTurn(list) if list.len() > 1 => Err(at.err(
            t.span(),
            "a flow's steps have one target each: a list of targets to try in turn is for a probe of one request",
        )),
        _ => Ok(()),
    }
}

fn capture_name(name: &str, earlier: &[String], here: &[(String, Capture)]) -> Result<(), String> {
    if !is_capture_name(name) {
        return Err(format!(
            "capture name `{name}`: use letters, digits and _, starting with a letter or _"
        ));
    }
    if name == "service" || name == "random" {
        return Err(format!(
            "capture name `{name}` is taken: {{service}} is the probe's service, {{random}} a fresh word per try"
        ));
    }
    if earlier.iter().any(|n| n == name) || here.iter().any(|(n, _)| n == name) {
        return Err(format!("capture `{name}` is taken twice in this flow"));
    }
    Ok(())
}

/// A capture's name: letters, digits and `_`, not starting with a digit, at most 64 chars.
pub(crate) fn is_capture_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

/// Every `{name}` written in the step (path, params, headers, body, context) names a capture of
/// an earlier step, or `{service}`.
fn placeholders(step: &RawRequest, captured: &[String], at: &At<'_>) -> Result<(), PanelError> {
    let spanned = |s: &Option<Spanned<String>>| {
        s.as_ref()
            .map(|v| (v.get_ref().clone(), Some(v.span())))
            .into_iter()
            .collect::<Vec<_>>()
    };
    let mut texts: Vec<(String, Option<Range<usize>>)> = Vec::new();
    texts.extend(spanned(&step.get));
    texts.extend(spanned(&step.post));
    texts.extend(spanned(&step.external_path));
    texts.extend(spanned(&step.context));
    texts.extend(step.body.iter().map(|b| (b.clone(), None)));
    texts.extend(step.headers.values().map(|v| (v.clone(), None)));
    if let Some(params) = &step.params {
        strings_in(params.get_ref(), &mut |s| {
            texts.push((s.to_string(), Some(params.span())))
        });
    }
    if let Some(json) = &step.json {
        strings_in(json, &mut |s| texts.push((s.to_string(), None)));
    }
    for (text, span) in texts {
        for name in names_in(&text) {
            if name == "service" || name == "random" || captured.iter().any(|c| c == name) {
                continue;
            }
            let message = format!(
                "`{{{name}}}` is not captured by an earlier step: add capture = {{ {name} = \"json.…\" }} to a step before this one"
            );
            return Err(match span {
                Some(span) => at.err(span, message),
                None => at.here(message),
            });
        }
    }
    Ok(())
}

fn strings_in(v: &toml::Value, each: &mut dyn FnMut(&str)) {
    match v {
        toml::Value::String(s) => each(s),
        toml::Value::Array(items) => items.iter().for_each(|i| strings_in(i, each)),
        toml::Value::Table(t) => t.values().for_each(|i| strings_in(i, each)),
        _ => {}
    }
}

/// The names of the `{name}` placeholders in `text`; braces around anything else (a JSON body)
/// are text.
pub(crate) fn names_in(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| is_capture_name(name))
}
