//! From text to a validated [`Panel`]: overrides, strict parsing, then the checks serde can't
//! make, each error placed at its file, line and column.

use super::error::{line_col, with_hint};
use super::raw::{ProbeOutline, RawFile, RawProbe};
use super::*;
use crate::units::PanelDuration;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// What besides the file decides the panel.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--set key=value` overrides, applied to the file before it is read.
    pub sets: Vec<String>,
    /// `PATH_SOCKET` / `HERO_SOCKET_DIR`, whichever is set first.
    pub socket_dir_env: Option<String>,
    /// For `~` in paths.
    pub home: Option<PathBuf>,
}

impl LoadOptions {
    /// Options read from this process's environment.
    pub fn from_env(sets: Vec<String>) -> Self {
        LoadOptions {
            sets,
            socket_dir_env: defaults::SOCKET_DIR_ENV
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }
}

/// Reads and validates a panel file.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Panel, PanelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| PanelError::whole_file(path, format!("cannot read the panel: {e}")))?;
    load_str(&text, path, opts)
}

/// Validates panel text; `source` names it in errors.
pub fn load_str(text: &str, source: &Path, opts: &LoadOptions) -> Result<Panel, PanelError> {
    let text = apply_sets(text, &opts.sets).map_err(|m| PanelError::whole_file(source, m))?;
    let at = Locator {
        text: &text,
        source,
        outline: toml::from_str::<ProbeOutline>(&text).ok(),
    };
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        at.error(span, with_hint(e.message()))
    })?;
    build(raw, &at, opts)
}

/// `--set a.b=value` on the document, keeping its layout so positions still match the file.
fn apply_sets(text: &str, sets: &[String]) -> Result<String, String> {
    if sets.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    for set in sets {
        let (key, value) = set
            .split_once('=')
            .ok_or_else(|| format!("--set `{set}` must be key=value"))?;
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.len() < 2 || path.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "--set `{set}`: the key must name a table and a field, like external.base_url"
            ));
        }
        let value: toml_edit::Value = value
            .trim()
            .parse()
            .unwrap_or_else(|_| toml_edit::Value::from(value.trim()));
        let (field, tables) = path.split_last().expect("two parts at least");
        let mut table = doc.as_table_mut();
        for name in tables {
            let item = table
                .entry(name)
                .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
            table = item.as_table_mut().ok_or_else(|| {
                format!("--set `{set}`: `{name}` is not a table (a [[probe]] is set in the file)")
            })?;
        }
        table.insert(field, toml_edit::value(value));
    }
    Ok(doc.to_string())
}

struct Locator<'a> {
    text: &'a str,
    source: &'a Path,
    outline: Option<ProbeOutline>,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> PanelError {
        let (line, column) = line_col(self.text, span.start);
        PanelError {
            file: self.source.to_path_buf(),
            line,
            column,
            probe: self.probe_at(span.start),
            message: message.into(),
        }
    }

    /// The name of the probe whose table holds `offset`, if any. A probe's span is its
    /// `[[probe]]` header; its table runs until the next header.
    fn probe_at(&self, offset: usize) -> Option<String> {
        let outline = self.outline.as_ref()?;
        let probe = outline
            .probe
            .iter()
            .rev()
            .find(|p| p.span().start <= offset)?;
        let between = self.text.get(probe.span().end..offset).unwrap_or("");
        let left_it = between
            .lines()
            .skip(1)
            .any(|l| l.trim_start().starts_with('['));
        if left_it {
            return None;
        }
        probe.get_ref().name.clone()
    }
}

fn build(raw: RawFile, at: &Locator<'_>, opts: &LoadOptions) -> Result<Panel, PanelError> {
    let panel_timeout = raw.panel.timeout.map(|d| d.0);
    let d = &raw.defaults;
    let expand = |p: &str| expand_home(p, opts.home.as_deref());
    let socket_dir_set = opts.sets.iter().any(|s| {
        s.split_once('=')
            .is_some_and(|(k, _)| k.trim() == "internal.socket_dir")
    });
    let socket_dir = match (&opts.socket_dir_env, socket_dir_set) {
        (Some(env), false) => expand(env),
        _ => expand(
            raw.internal
                .socket_dir
                .as_deref()
                .unwrap_or(defaults::SOCKET_DIR),
        ),
    };
    let external = External {
        base_url: raw
            .external
            .base_url
            .map(|u| u.trim_end_matches('/').to_string()),
        resolvers: raw
            .external
            .resolvers
            .unwrap_or_else(|| vec!["system".to_string()]),
        ca_file: raw
            .external
            .ca_file
            .filter(|f| !f.is_empty())
            .map(|f| expand(&f)),
        tls_warn_days: raw
            .external
            .tls_warn_days
            .unwrap_or(defaults::TLS_WARN_DAYS),
        tls_fail_days: raw
            .external
            .tls_fail_days
            .unwrap_or(defaults::TLS_FAIL_DAYS),
    };
    let mut probes = Vec::with_capacity(raw.probe.len());
    let mut names = std::collections::HashSet::new();
    for spanned in raw.probe {
        let span = spanned.span();
        let probe = build_probe(spanned.into_inner(), span.clone(), d, panel_timeout, at)?;
        if !names.insert(probe.name.clone()) {
            return Err(at.error(
                span,
                format!(
                    "a second probe is named \"{}\": names must be unique",
                    probe.name
                ),
            ));
        }
        probes.push(probe);
    }
    Ok(Panel {
        name: raw.panel.name,
        source: at.source.to_path_buf(),
        every: raw.panel.every.map_or(defaults::EVERY, |d| d.0),
        internal: Internal { socket_dir },
        external,
        probes,
    })
}

fn build_probe(
    p: RawProbe,
    span: Range<usize>,
    d: &super::raw::RawDefaults,
    panel_timeout: Option<Duration>,
    at: &Locator<'_>,
) -> Result<ProbeSpec, PanelError> {
    let err = |s: Range<usize>, m: String| at.error(s, m);
    let name = p
        .name
        .ok_or_else(|| err(span.clone(), "a probe needs a `name`".into()))?;
    let name_span = name.span();
    let name = name.into_inner();
    let in_probe = |e: PanelError| PanelError {
        probe: Some(name.clone()),
        ..e
    };
    let perr = |s: Range<usize>, m: String| in_probe(err(s, m));

    let for_each_service = match &p.for_each {
        None => false,
        Some(f) if f.get_ref() == "service" => true,
        Some(f) => {
            return Err(perr(
                f.span(),
                format!("for_each = \"{}\": only \"service\" is known", f.get_ref()),
            ))
        }
    };
    if for_each_service && !name.contains(SERVICE_PLACEHOLDER) {
        return Err(perr(
            name_span,
            "a for_each = \"service\" probe needs {service} in its name, so each copy is told apart"
                .into(),
        ));
    }
    let target_raw = p.target.ok_or_else(|| {
        perr(
            span.clone(),
            "missing `target`: say which socket it probes, like target = \"hero_osis_business/rpc\""
                .into(),
        )
    })?;
    let target = Target::parse(target_raw.get_ref()).map_err(|m| perr(target_raw.span(), m))?;

    if p.params.is_some() && p.rpc.is_none() {
        return Err(perr(span, "`params` goes with `rpc`".into()));
    }
    let request = match (p.get, p.post, p.rpc) {
        (Some(path), None, None) => {
            if p.json.is_some() || p.body.is_some() {
                return Err(perr(
                    span,
                    "`json` and `body` go with `post`, not `get`".into(),
                ));
            }
            Request::Get {
                path: check_path(&path).map_err(|m| perr(span.clone(), m))?,
            }
        }
        (None, Some(path), None) => Request::Post {
            path: check_path(&path).map_err(|m| perr(span.clone(), m))?,
            body: match (p.json, p.body) {
                (Some(_), Some(_)) => {
                    return Err(perr(span, "give `json` or `body`, not both".into()))
                }
                (Some(j), None) => Body::Json(to_json(j)),
                (None, Some(b)) => Body::Text(b),
                (None, None) => Body::Empty,
            },
        },
        (None, path, Some(method)) => {
            if p.json.is_some() || p.body.is_some() {
                return Err(perr(
                    span,
                    "an `rpc` probe builds its own body: give `params`, not `json` or `body`"
                        .into(),
                ));
            }
            Request::Rpc {
                method,
                params: p.params.map(to_json),
                path: path
                    .map(|p| check_path(&p))
                    .transpose()
                    .map_err(|m| perr(span.clone(), m))?,
            }
        }
        (None, None, None) => {
            return Err(perr(
                span,
                "no request: add get = \"/health\", post = \"/path\" or rpc = \"method\"".into(),
            ))
        }
        _ => {
            return Err(perr(
                span,
                "give one of `get`, `post` or `rpc` (with `rpc`, `post` may set the path)".into(),
            ))
        }
    };

    let contexts = match (p.contexts, p.distinct_from) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(perr(
                span,
                "`distinct_from` needs `contexts`, the contexts whose answers must differ".into(),
            ))
        }
        (Some(c), _) if c.is_empty() => {
            return Err(perr(span, "`contexts` is empty".into()));
        }
        (Some(contexts), distinct_from) => {
            if p.context.is_some() {
                return Err(perr(span, "give `context` or `contexts`, not both".into()));
            }
            Some(Contexts {
                contexts,
                distinct_from,
            })
        }
    };
    let mut headers = Vec::with_capacity(p.headers.len());
    for (k, v) in p.headers {
        if k.is_empty()
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        {
            return Err(perr(
                span,
                format!("header name `{k}` is not a valid HTTP header name"),
            ));
        }
        if v.contains(['\r', '\n']) {
            return Err(perr(
                span,
                format!("header `{k}` has a line break in its value"),
            ));
        }
        headers.push((k, v));
    }
    let conditions = |list: Vec<Spanned<String>>| -> Result<Vec<Condition>, PanelError> {
        list.into_iter()
            .map(|c| {
                Condition::parse(c.get_ref()).map_err(|e| {
                    // Point into the string: past its opening quote, to the column the parser names.
                    let start = c.span().start + e.column;
                    perr(
                        start..start,
                        format!("condition `{}`: {}", c.get_ref(), e.message),
                    )
                })
            })
            .collect()
    };
    let expect = conditions(p.expect)?;
    let warn = conditions(p.warn)?;
    let timeout = pick(p.timeout, d.timeout, panel_timeout, defaults::TIMEOUT);
    if timeout.is_zero() {
        return Err(perr(span, "timeout must be more than 0".into()));
    }
    let mut tags = d.tags.clone();
    tags.extend(p.tags);
    Ok(ProbeSpec {
        target,
        request,
        headers,
        context: p.context,
        contexts,
        for_each_service,
        mode: p.mode,
        tags,
        severity: p.severity.or(d.severity).unwrap_or_default(),
        timeout,
        retries: p.retries.or(d.retries).unwrap_or(defaults::RETRIES),
        retry_delay: pick(p.retry_delay, d.retry_delay, None, defaults::RETRY_DELAY),
        failure_threshold: p
            .failure_threshold
            .or(d.failure_threshold)
            .unwrap_or(defaults::FAILURE_THRESHOLD)
            .max(1),
        success_threshold: p
            .success_threshold
            .or(d.success_threshold)
            .unwrap_or(defaults::SUCCESS_THRESHOLD)
            .max(1),
        max_body: p
            .max_body
            .or(d.max_body)
            .map_or(defaults::MAX_BODY, |s| s.0),
        expect,
        warn,
        external_path: p
            .external_path
            .map(|e| check_path(&e))
            .transpose()
            .map_err(|m| perr(span.clone(), m))?,
        line: line_col(at.text, span.start).0,
        name,
    })
}

fn pick(
    probe: Option<PanelDuration>,
    defaults: Option<PanelDuration>,
    panel: Option<Duration>,
    fallback: Duration,
) -> Duration {
    probe
        .or(defaults)
        .map(|d| d.0)
        .or(panel)
        .unwrap_or(fallback)
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

fn to_json(v: toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home.map_or_else(|| PathBuf::from(path), Path::to_path_buf),
        _ => PathBuf::from(path),
    }
}
