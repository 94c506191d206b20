//! From text to a validated [`Panel`]: overrides, strict parsing, then the checks serde can't
//! make, each error placed at its file, line and column.

use super::error::{line_col, with_hint};
use super::raw::{ProbeOutline, RawFile};
use super::spec::build_probe;
use super::*;
use std::ops::Range;
use std::path::Path;

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
        let message = with_key(with_hint(e.message()), &text, &span);
        at.error(span, message)
    })?;
    build(raw, &at, opts)
}

/// The TOML parser says "duplicate key" and points at it; the message names it too, so it
/// reads on its own (a log line, a one-line summary).
fn with_key(message: String, text: &str, span: &Range<usize>) -> String {
    const SHOWN: usize = 60;
    let key = text.get(span.clone()).unwrap_or_default().trim();
    if message != "duplicate key" || key.is_empty() || key.contains(char::is_control) {
        return message;
    }
    let mut shown: String = key.chars().take(SHOWN).collect();
    if key.chars().nth(SHOWN).is_some() {
        shown.push('…');
    }
    format!("duplicate key `{shown}`")
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

pub(super) struct Locator<'a> {
    pub(super) text: &'a str,
    pub(super) source: &'a Path,
    outline: Option<ProbeOutline>,
}

impl Locator<'_> {
    pub(super) fn error(&self, span: Range<usize>, message: impl Into<String>) -> PanelError {
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
    let d = &raw.defaults;
    let defaults = ProbeDefaults {
        timeout: d
            .timeout
            .or(raw.panel.timeout)
            .map_or(defaults::TIMEOUT, |t| t.0),
        retries: d.retries.unwrap_or(defaults::RETRIES),
        retry_delay: d.retry_delay.map_or(defaults::RETRY_DELAY, |t| t.0),
        severity: d.severity.unwrap_or_default(),
        tags: d.tags.clone(),
        failure_threshold: d
            .failure_threshold
            .unwrap_or(defaults::FAILURE_THRESHOLD)
            .max(1),
        success_threshold: d
            .success_threshold
            .unwrap_or(defaults::SUCCESS_THRESHOLD)
            .max(1),
        max_body: d.max_body.map_or(defaults::MAX_BODY, |s| s.0),
        restart: None,
    };
    let defaults = ProbeDefaults {
        restart: super::spec::restart(
            d.restart.as_ref(),
            (
                d.restart_cooldown,
                d.max_restarts,
                d.restart_settle,
                d.restart_timeout,
            ),
            None,
        )
        .map_err(|m| PanelError::whole_file(at.source, format!("[defaults] {m}")))?,
        ..defaults
    };
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
        check_dns: raw.external.check_dns.unwrap_or(true),
        check_tls: raw.external.check_tls.unwrap_or(true),
        expect_addresses: raw.external.expect_addresses,
    };
    let mut probes = Vec::with_capacity(raw.probe.len());
    let mut names = std::collections::HashSet::new();
    for spanned in raw.probe {
        let span = spanned.span();
        let probe = build_probe(spanned.into_inner(), span.clone(), &defaults, at)?;
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
    let heartbeat_url = match (raw.panel.heartbeat_url, raw.panel.heartbeat_url_env) {
        (Some(u), None) if !u.is_empty() => Some(Value::Plain(u)),
        (None, Some(v)) if !v.is_empty() => Some(Value::Secret(Secret::Env(v))),
        (None, None) => None,
        _ => {
            return Err(PanelError::whole_file(
                at.source,
                "[panel] give heartbeat_url or heartbeat_url_env, not both",
            ))
        }
    };
    let maintenance = raw
        .maintenance
        .into_iter()
        .map(|m| super::quiet::build(m, at))
        .collect::<Result<Vec<_>, _>>()?;
    let mut notify = Vec::with_capacity(raw.notify.len());
    for n in raw.notify {
        let n = super::notify::build(n, at)?;
        if notify.iter().any(|o: &Notify| o.name == n.name) {
            return Err(PanelError::whole_file(
                at.source,
                format!(
                    "two [[notify]] entries are named \"{}\": give one a `name`",
                    n.name
                ),
            ));
        }
        notify.push(n);
    }
    if raw.panel.name.is_empty() || raw.panel.name.contains(char::is_whitespace) {
        return Err(PanelError::whole_file(
            at.source,
            "[panel] name must be one word: it names the state folder, issue markers and metrics",
        ));
    }
    let every = raw.panel.every.map_or(defaults::EVERY, |d| d.0);
    if every < std::time::Duration::from_secs(1) {
        return Err(PanelError::whole_file(
            at.source,
            "[panel] every must be at least 1s",
        ));
    }
    Ok(Panel {
        name: raw.panel.name,
        source: at.source.to_path_buf(),
        every,
        remind_every: raw
            .panel
            .remind_every
            .map_or(defaults::REMIND_EVERY, |d| d.0),
        heartbeat_url,
        maintenance,
        internal: Internal { socket_dir },
        external,
        defaults,
        probes,
        notify,
    })
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home.map_or_else(|| PathBuf::from(path), Path::to_path_buf),
        _ => PathBuf::from(path),
    }
}
