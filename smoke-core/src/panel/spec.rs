//! One `[[probe]]` table to a [`ProbeSpec`]: the checks serde can't make, each error placed
//! at the probe and, where it can be, at the value.

use super::load::Locator;
use super::raw::{RawProbe, RawRequest, RawTarget};
use super::*;
use crate::text::Escaped;
use std::ops::Range;
use toml::Spanned;

/// Builds errors that name this probe.
pub(crate) struct At<'a> {
    pub(super) at: &'a Locator<'a>,
    pub(super) span: Range<usize>,
    pub(super) name: &'a str,
}

impl At<'_> {
    pub(crate) fn err(&self, span: Range<usize>, message: impl Into<String>) -> PanelError {
        PanelError {
            probe: Some(self.name.to_string()),
            ..self.at.error(span, message)
        }
    }

    /// An error about the probe as a whole, placed at its header.
    pub(crate) fn here(&self, message: impl Into<String>) -> PanelError {
        self.err(self.span.clone(), message)
    }
}

pub(super) fn build_probe(
    mut p: RawProbe,
    span: Range<usize>,
    d: &ProbeDefaults,
    locator: &Locator<'_>,
) -> Result<ProbeSpec, PanelError> {
    let name = p
        .name
        .take()
        .ok_or_else(|| locator.error(span.clone(), "a probe needs a `name`"))?;
    let name_span = name.span();
    let name = name.into_inner();
    super::checks::name("probe name", &name).map_err(|m| locator.error(name_span.clone(), m))?;
    let at = At {
        at: locator,
        span: span.clone(),
        name: &name,
    };

    let for_each_service = match &p.for_each {
        None => false,
        Some(f) if f.get_ref() == "service" => true,
        Some(f) => {
            return Err(at.err(
                f.span(),
                format!("for_each = \"{}\": only \"service\" is known", f.get_ref()),
            ))
        }
    };
    if for_each_service && !name.contains(SERVICE_PLACEHOLDER) {
        return Err(at.err(
            name_span,
            "a for_each = \"service\" probe needs {service} in its name, so each copy is told apart",
        ));
    }
    if !for_each_service {
        no_placeholder("name", &name, name_span.clone(), &at)?;
    }
    let max_body = match &p.max_body {
        None => d.max_body,
        Some(m) => {
            super::checks::max_body(m.get_ref().0).map_err(|e| at.err(m.span(), e))?;
            m.get_ref().0
        }
    };
    if let Some(r) = &p.retry_delay {
        super::checks::retry_delay(r.get_ref().0).map_err(|e| at.err(r.span(), e))?;
    }
    if let Some(e) = &p.every {
        super::checks::every(e.get_ref().0).map_err(|m| at.err(e.span(), m))?;
    }
    let reading = crate::kind::Reading {
        at: &at,
        max_body,
        for_each_service,
    };
    let (kind, mode) = ProbeKind::read(&mut p, &reading)?;

    let settings = p.said().over(&d.settings);
    let expect = conditions(std::mem::take(&mut p.expect), &at)?;
    let warn = conditions(std::mem::take(&mut p.warn), &at)?;
    if settings.timeout.is_zero() {
        return Err(at.here("timeout must be more than 0"));
    }
    let limits = p.restart_limits();
    let mut settings = settings;
    settings.restart = match kind.has_service() {
        true => restart(p.restart.as_ref(), limits, d.settings.restart.as_deref())
            .map_err(|m| at.here(m))?
            .map(Box::new),
        // The panel-wide restart is for the services; a probe of no service has none to restart.
        false if p.restart.is_some() => {
            return Err(at.here(format!(
                "`restart` goes with a probe of a service (a target), not a {} probe",
                kind.name()
            )))
        }
        false => None,
    };
    Ok(ProbeSpec {
        kind,
        for_each_service,
        mode,
        // Its `depends_on` is filled in once every probe is known (see `deps::resolve`).
        settings,
        expect,
        warn,
        line: locator.lines.line(span.start),
        name,
    })
}

/// What one table (`[defaults]`, a `[[probe]]`) says of the settings every probe shares; what
/// it leaves unsaid is `None`. Laid over the settings below it by [`SettingsSaid::over`], the
/// one place the rule is: a value said replaces, tags add up, thresholds are at least 1.
pub(crate) struct SettingsSaid {
    pub(crate) tags: Vec<String>,
    pub(crate) severity: Option<Severity>,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) retries: Option<u32>,
    pub(crate) retry_delay: Option<std::time::Duration>,
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) success_threshold: Option<u32>,
    pub(crate) proven: Option<bool>,
    pub(crate) every: Option<std::time::Duration>,
    pub(crate) drift: Option<crate::shape::DriftMode>,
}

impl SettingsSaid {
    pub(super) fn over(self, base: &Settings) -> Settings {
        let mut tags = base.tags.clone();
        tags.extend(self.tags);
        Settings {
            tags,
            severity: self.severity.unwrap_or(base.severity),
            timeout: self.timeout.unwrap_or(base.timeout),
            retries: self.retries.unwrap_or(base.retries),
            retry_delay: self.retry_delay.unwrap_or(base.retry_delay),
            failure_threshold: self
                .failure_threshold
                .map_or(base.failure_threshold, |n| n.max(1)),
            success_threshold: self
                .success_threshold
                .map_or(base.success_threshold, |n| n.max(1)),
            proven: self.proven.unwrap_or(base.proven),
            every: self.every.or(base.every),
            drift: self.drift.unwrap_or(base.drift),
            depends_on: base.depends_on.clone(),
            restart: base.restart.clone(),
        }
    }
}

/// Conditions as written, each error placed at its column in the file.
pub(super) fn conditions(
    list: Vec<Spanned<String>>,
    at: &At<'_>,
) -> Result<Vec<Condition>, PanelError> {
    list.into_iter()
        .map(|c| {
            Condition::parse(c.get_ref()).map_err(|e| {
                // Point into the string: past its opening quote, to the column the parser names.
                let start = c.span().start + e.column;
                at.err(
                    start..start,
                    format!("condition `{}`: {}", c.get_ref(), e.message),
                )
            })
        })
        .collect()
}

/// A probe of one request: its request keys, and the contexts it compares.
pub(crate) fn request_kind(
    p: &mut RawProbe,
    max_body: u64,
    for_each_service: bool,
    at: &At<'_>,
) -> Result<HttpSpec, PanelError> {
    let contexts = contexts(
        p.contexts.take(),
        p.distinct_from.take(),
        p.context.as_ref(),
        at,
    )?;
    let mut request = p.request();
    let spec = http_kind(&mut request, max_body, for_each_service, at)?;
    Ok(HttpSpec { contexts, ..spec })
}

/// `contexts` with `distinct_from`: the same call once per context, each one's answer compared
/// with the reference's.
fn contexts(
    contexts: Option<Spanned<Vec<String>>>,
    distinct_from: Option<Spanned<String>>,
    context: Option<&Spanned<String>>,
    at: &At<'_>,
) -> Result<Option<Contexts>, PanelError> {
    Ok(match (contexts, distinct_from) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(
                at.here("`distinct_from` needs `contexts`, the contexts whose answers must differ")
            )
        }
        (Some(c), _) if c.get_ref().is_empty() => {
            return Err(at.err(c.span(), "`contexts` is empty"))
        }
        (Some(contexts), distinct_from) => {
            if context.is_some() {
                return Err(at.here("give `context` or `contexts`, not both"));
            }
            for c in contexts.get_ref() {
                header_text("context", c, contexts.span(), at)?;
            }
            if let Some(d) = &distinct_from {
                header_text("distinct_from", d.get_ref(), d.span(), at)?;
            }
            Some(Contexts {
                contexts: contexts.into_inner(),
                distinct_from: distinct_from.map(Spanned::into_inner),
            })
        }
    })
}

/// One HTTP request from its keys, in a probe or in a step.
pub(crate) fn http_kind(
    p: &mut RawRequest,
    max_body: u64,
    for_each_service: bool,
    at: &At<'_>,
) -> Result<HttpSpec, PanelError> {
    let raw = p.target.take().ok_or_else(|| {
        at.here("missing `target`: say which socket it probes, like target = \"hero_osis_business/rpc\"")
    })?;
    let in_turn = targets(raw, at)?;
    if in_turn.len() > 1 && for_each_service {
        return Err(at.err(
            in_turn[0].span(),
            "a for_each probe has one target, its {service}'s: a list of targets to try in turn is for a probe of a fixed one",
        ));
    }
    let mut parsed = Vec::with_capacity(in_turn.len());
    for t in &in_turn {
        parsed.push(Target::parse(t.get_ref()).map_err(|m| at.err(t.span(), m.to_string()))?);
        fixed_target(t, at)?;
        if !for_each_service {
            no_placeholder("target", t.get_ref(), t.span(), at)?;
        }
    }
    let mut parsed = parsed.into_iter();
    let target = parsed.next().expect("targets() gives at least one");
    let alternatives: Vec<Target> = parsed.collect();
    if p.params.is_some() && p.rpc.is_none() {
        return Err(at.here("`params` goes with `rpc`"));
    }
    if let Some(params) = &p.params {
        rpc_params(params.get_ref()).map_err(|m| at.err(params.span(), m))?;
    }
    let path = |path: Spanned<String>| {
        let span = path.span();
        let path = check_path(path.get_ref()).map_err(|m| at.err(span.clone(), m))?;
        if !for_each_service {
            no_placeholder("path", &path, span, at)?;
        }
        Ok::<_, PanelError>(path)
    };
    let request = match (p.get.take(), p.post.take(), p.rpc.take()) {
        (Some(get), None, None) => {
            if p.json.is_some() || p.body.is_some() {
                return Err(at.here("`json` and `body` go with `post`, not `get`"));
            }
            Request::Get { path: path(get)? }
        }
        (None, Some(post), None) => Request::Post {
            path: path(post)?,
            body: match (p.json.take(), p.body.take()) {
                (Some(_), Some(_)) => return Err(at.here("give `json` or `body`, not both")),
                (Some(j), None) => Body::Json(to_json(j)),
                (None, Some(b)) => Body::Text(b),
                (None, None) => Body::Empty,
            },
        },
        (None, post, Some(method)) => {
            if p.json.is_some() || p.body.is_some() {
                return Err(at.here(
                    "an `rpc` probe builds its own body: give `params`, not `json` or `body`",
                ));
            }
            Request::Rpc {
                method,
                params: p.params.take().map(|v| to_json(v.into_inner())),
                path: post.map(path).transpose()?,
            }
        }
        (None, None, None) => {
            return Err(at.here(
                "no request: add get = \"/health\", post = \"/path\" or rpc = \"method\" (or make it a dns or tls probe)",
            ))
        }
        _ => {
            return Err(at.here(
                "give one of `get`, `post` or `rpc` (with `rpc`, `post` may set the path)",
            ))
        }
    };
    if let Some(c) = &p.context {
        header_text("context", c.get_ref(), c.span(), at)?;
    }
    let mut headers = Vec::with_capacity(p.headers.len());
    for (k, v) in std::mem::take(&mut p.headers) {
        if k.is_empty()
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        {
            return Err(at.here(format!("header name `{k}` is not a valid HTTP header name")));
        }
        if v.contains(['\r', '\n']) {
            return Err(at.here(format!("header `{k}` has a line break in its value")));
        }
        headers.push((k, v));
    }
    Ok(HttpSpec {
        target,
        alternatives,
        request,
        headers,
        context: p.context.take().map(Spanned::into_inner),
        contexts: None,
        external_path: p.external_path.take().map(path).transpose()?,
        max_body,
        steps: Vec::new(),
    })
}

pub(crate) type RawLimits = (
    Option<crate::units::PanelDuration>,
    Option<u32>,
    Option<crate::units::PanelDuration>,
    Option<crate::units::PanelDuration>,
);

/// The restart of a probe: its own remedy and limits over the panel's `[defaults]`.
pub(super) fn restart(
    raw: Option<&super::raw::RawRemedy>,
    (cooldown, max, settle, timeout): RawLimits,
    base: Option<&Restart>,
) -> Result<Option<Restart>, String> {
    use super::raw::RawRemedy;
    let remedy = match raw {
        None => match base {
            Some(b) => b.remedy.clone(),
            None if cooldown.is_some()
                || max.is_some()
                || settle.is_some()
                || timeout.is_some() =>
            {
                return Err("restart limits without a `restart` to limit".to_string())
            }
            None => return Ok(None),
        },
        Some(RawRemedy::Argv(argv)) => {
            if argv.first().is_none_or(|p| p.is_empty()) {
                return Err("restart = [] has no program: write [\"hero_proc\", \"service\", \"restart\", \"{service}\"]".to_string());
            }
            Remedy::Argv(argv.clone())
        }
        Some(RawRemedy::Rpc(r)) => {
            if let Some(params) = &r.params {
                rpc_params(params).map_err(|m| format!("restart: {m}"))?;
            }
            Remedy::Rpc {
                target: Target::parse(&r.rpc).map_err(|m| format!("restart: {m}"))?,
                method: r.method.clone(),
                params: r.params.clone().map(to_json),
            }
        }
    };
    let pick = |own: Option<crate::units::PanelDuration>,
                base: Option<Duration>,
                default: Duration| { own.map(|d| d.0).or(base).unwrap_or(default) };
    Ok(Some(Restart {
        remedy,
        cooldown: pick(
            cooldown,
            base.map(|b| b.cooldown),
            defaults::RESTART_COOLDOWN,
        ),
        max_per_day: max
            .or(base.map(|b| b.max_per_day))
            .unwrap_or(defaults::MAX_RESTARTS),
        settle: pick(settle, base.map(|b| b.settle), defaults::RESTART_SETTLE),
        timeout: pick(timeout, base.map(|b| b.timeout), defaults::RESTART_TIMEOUT),
    }))
}

/// The first of `fields` that the probe's table sets.
pub(crate) fn first_set(p: &RawProbe, fields: &[&'static str]) -> Option<&'static str> {
    fields.iter().copied().find(|field| match *field {
        "target" => p.target.is_some(),
        "get" => p.get.is_some(),
        "post" => p.post.is_some(),
        "rpc" => p.rpc.is_some(),
        "params" => p.params.is_some(),
        "json" => p.json.is_some(),
        "body" => p.body.is_some(),
        "headers" => !p.headers.is_empty(),
        "context" => p.context.is_some(),
        "contexts" => p.contexts.is_some(),
        "distinct_from" => p.distinct_from.is_some(),
        "external_path" => p.external_path.is_some(),
        "for_each" => p.for_each.is_some(),
        "step" => !p.step.is_empty(),
        "expect" => !p.expect.is_empty(),
        "warn" => !p.warn.is_empty(),
        _ => false,
    })
}

/// DNS and TLS questions are asked from outside; inside the VM there is no public name.
pub(crate) fn external_only(
    p: &RawProbe,
    kind: &str,
    at: &At<'_>,
) -> Result<Option<Mode>, PanelError> {
    match p.mode {
        Some(Mode::Internal) => Err(at.here(format!(
            "a {kind} probe runs from outside: its mode is external"
        ))),
        _ => Ok(Some(Mode::External)),
    }
}

fn check_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with /"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "path `{path}` has a space or control character: encode it"
        ));
    }
    Ok(path.to_string())
}

/// `{service}` is filled in only for a `for_each = "service"` probe; anywhere else it would be
/// sent as written. (In `restart` it means the probe's own service, and stays valid there.)
fn no_placeholder(
    field: &str,
    text: &str,
    span: Range<usize>,
    at: &At<'_>,
) -> Result<(), PanelError> {
    if text.contains(SERVICE_PLACEHOLDER) {
        return Err(at.err(
            span,
            format!(
                "{SERVICE_PLACEHOLDER} in the {field} needs for_each = \"service\": without it there is no service to fill in"
            ),
        ));
    }
    Ok(())
}

/// The targets a probe tries in turn, each with the span it was written at (a list's own, since
/// its items have none): one, or at most [`MAX_TARGETS`](super::limits::MAX_TARGETS), never
/// the same twice.
pub(super) fn targets(
    raw: Spanned<RawTarget>,
    at: &At<'_>,
) -> Result<Vec<Spanned<String>>, PanelError> {
    let span = raw.span();
    let list = match raw.into_inner() {
        RawTarget::One(t) => vec![t],
        RawTarget::InTurn(list) => list,
    };
    let max = super::limits::MAX_TARGETS;
    if list.is_empty() {
        return Err(at.err(
            span,
            "target = [] names no socket: give one, or several to try in turn",
        ));
    }
    if list.len() > max {
        return Err(at.err(
            span,
            format!(
                "a probe tries at most {max} targets in turn; this one lists {}",
                list.len()
            ),
        ));
    }
    for (i, t) in list.iter().enumerate() {
        if list[..i].contains(t) {
            return Err(at.err(
                span.clone(),
                format!("target `{}` is listed twice", Escaped(t)),
            ));
        }
    }
    Ok(list
        .into_iter()
        .map(|t| Spanned::new(span.clone(), t))
        .collect())
}

/// A target names its socket when the panel loads, before any step has run: a capture or
/// `{random}` written there would be sent as written, never filled.
pub(super) fn fixed_target(target: &Spanned<String>, at: &At<'_>) -> Result<(), PanelError> {
    match super::flow::names_in(target.get_ref()).find(|name| *name != "service") {
        Some(name) => Err(at.err(
            target.span(),
            format!(
                "a target cannot use a capture ({{{name}}}): it names the socket when the panel loads, before any step runs; put the value in the path, params, headers or body"
            ),
        )),
        None => Ok(()),
    }
}

fn header_text(field: &str, text: &str, span: Range<usize>, at: &At<'_>) -> Result<(), PanelError> {
    super::checks::header_text(field, text).map_err(|m| at.err(span, m))
}

/// JSON-RPC 2.0 params are by position or by name: a list or an object, never a scalar.
fn rpc_params(params: &toml::Value) -> Result<(), String> {
    match params {
        toml::Value::Table(_) | toml::Value::Array(_) => Ok(()),
        other => Err(format!(
            "params must be a table or a list, not a {}: JSON-RPC sends params as an object or an array",
            other.type_str()
        )),
    }
}

fn to_json(v: toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
