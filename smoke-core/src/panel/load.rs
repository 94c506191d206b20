//! From text to a validated [`Panel`]: overrides, strict parsing, then the checks serde can't
//! make, each error placed at its file, line and column.

use super::checks;
use super::error::{line_col, with_hint_among, LineStarts};
use super::raw::{ProbeOutline, RawFile};
use super::spec::build_probe;
use super::*;
use crate::files::Unreadable;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// What besides the file decides the panel.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--set key=value` overrides, laid over the parsed file.
    pub sets: Vec<String>,
    /// The first of `HERO_SOCKET_DIR` and `PATH_SOCKET` that is set: its name and value.
    pub socket_dir_env: Option<(&'static str, String)>,
    /// For `~` in paths.
    pub home: Option<PathBuf>,
    /// `SMOKE_VANTAGE`: names the vantage point over the panel, under `--set`.
    pub vantage_env: Option<String>,
    /// The host name: the vantage point when nothing else names it. Left out (`None`), the
    /// label is [`vantage::UNKNOWN_VANTAGE`], so a library test does not depend on the host.
    pub host_name: Option<String>,
    /// The tables and `[panel]` keys the caller reads itself: accepted, left unread.
    pub extension: Extension,
}

impl LoadOptions {
    /// Options read from this process's environment.
    pub fn from_env(sets: Vec<String>) -> Self {
        LoadOptions {
            sets,
            socket_dir_env: defaults::SOCKET_DIR_ENV
                .iter()
                .find_map(|v| Some((*v, std::env::var(v).ok().filter(|s| !s.is_empty())?))),
            home: std::env::var_os("HOME").map(PathBuf::from),
            vantage_env: std::env::var(vantage::VANTAGE_ENV)
                .ok()
                .filter(|s| !s.is_empty()),
            host_name: vantage::host_name(),
            extension: Extension::default(),
        }
    }
}

/// Reads and validates a panel file.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Panel, PanelError> {
    let text = crate::files::read_text(path, limits::MAX_PANEL_BYTES)
        .map_err(|e| PanelError::whole_file(path, unreadable(e)))?;
    load_str(&text, path, opts)
}

/// Why the panel's text could not be had, said of the panel.
fn unreadable(e: Unreadable) -> String {
    match e {
        Unreadable::Io(e) => format!("cannot read the panel: {e}"),
        Unreadable::NotAFile => {
            "the panel is not a regular file (a folder, FIFO or device): give a .toml file".into()
        }
        Unreadable::TooBig(max) => format!(
            "the panel is larger than {}, the most a panel may be",
            crate::units::format_size(max)
        ),
        Unreadable::NotUtf8(offset) => {
            format!("the panel is not UTF-8 text (a bad byte at offset {offset})")
        }
    }
}

/// Why a `--set` could not be laid over the panel.
#[derive(Debug, thiserror::Error)]
enum SetError {
    #[error("--set `{0}` must be key=value")]
    NotKeyValue(String),
    #[error("--set `{0}`: the key must name a table and a field, like external.base_url")]
    NoTable(String),
    #[error("--set `{set}`: `{name}` is not a table (a [[probe]] is set in the file)")]
    NotATable { set: String, name: String },
}

/// Validates panel text; `source` names it in errors.
pub fn load_str(text: &str, source: &Path, opts: &LoadOptions) -> Result<Panel, PanelError> {
    let at = Locator {
        text,
        source,
        sets: &opts.sets,
        extension: opts.extension,
        outline: toml::from_str::<ProbeOutline>(text).ok(),
        lines: LineStarts::new(text),
    };
    let raw: RawFile = at.read()?;
    build(raw, &at, opts)
}

/// A panel's text with its `--set` overrides: what a program built on this crate reads the
/// tables and keys it declared (its [`Extension`]) from, into its own types, with its errors
/// placed at the file, line and column as this crate places its own. This crate never reads
/// them.
#[derive(Debug, Clone)]
pub struct PanelText {
    text: std::sync::Arc<str>,
    source: PathBuf,
    sets: Vec<String>,
}

impl PanelText {
    /// The panel, `--set` laid over it, as `T`: a type that reads the tables it knows and
    /// ignores the rest (this crate has refused unknown keys already). Nothing is set aside.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, PanelError> {
        self.locator().read()
    }

    /// An error at `span` of the panel, with its line and column (a value given by `--set`
    /// has none and is named instead).
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> PanelError {
        PanelError {
            probe: None,
            ..self.locator().error(span, message)
        }
    }

    /// An error about the panel as a whole.
    pub fn whole(&self, message: impl Into<String>) -> PanelError {
        PanelError::whole_file(&self.source, message)
    }

    /// The 1-based line of `offset`.
    pub fn line(&self, offset: usize) -> usize {
        line_col(&self.text, offset).0
    }

    fn locator(&self) -> Locator<'_> {
        Locator {
            text: &self.text,
            source: &self.source,
            sets: &self.sets,
            extension: Extension::default(),
            outline: None,
            lines: LineStarts::new(&self.text),
        }
    }
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

/// Puts `--set a.b=value` on the parsed file, never on its text, so every position in an error
/// still refers to the file on disk. A set value's span lies past the end of the text
/// (`text_len + 1 + index`), which is how [`Locator::error`] tells it came from the command line.
fn overlay_sets<'a>(
    doc: &mut Spanned<toml::de::DeTable<'a>>,
    text_len: usize,
    sets: &'a [String],
) -> Result<(), SetError> {
    use toml::de::{DeTable, DeValue};
    for (index, set) in sets.iter().enumerate() {
        let (key, value) = set
            .split_once('=')
            .ok_or_else(|| SetError::NotKeyValue(set.clone()))?;
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.len() < 2 || path.iter().any(|p| p.is_empty()) {
            return Err(SetError::NoTable(set.clone()));
        }
        let here = text_len + 1 + index;
        let spanned = |v: DeValue<'a>| Spanned::new(here..here, v);
        // A value that is not TOML (`https://x`, `15m`) is meant as text.
        let mut value = match DeValue::parse(value.trim()) {
            Ok(v) => v.into_inner(),
            Err(_) => DeValue::String(value.trim().into()),
        };
        respan(&mut value, here);
        let (field, tables) = path.split_last().expect("two parts at least");
        let mut table = doc.get_mut();
        for name in tables {
            let entry = table
                .entry(Spanned::new(here..here, std::borrow::Cow::Borrowed(*name)))
                .or_insert_with(|| spanned(DeValue::Table(DeTable::new())));
            table = match entry.get_mut() {
                DeValue::Table(t) => t,
                _ => {
                    return Err(SetError::NotATable {
                        set: set.clone(),
                        name: name.to_string(),
                    })
                }
            };
        }
        table.insert(
            Spanned::new(here..here, std::borrow::Cow::Borrowed(*field)),
            spanned(value),
        );
    }
    Ok(())
}

/// Gives every part of a `--set` value the set's own span, so none points into the file.
fn respan(value: &mut toml::de::DeValue<'_>, here: usize) {
    use toml::de::DeValue;
    match value {
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                let placeholder = Spanned::new(here..here, DeValue::Boolean(false));
                let mut v = std::mem::replace(item, placeholder).into_inner();
                respan(&mut v, here);
                *item = Spanned::new(here..here, v);
            }
        }
        DeValue::Table(table) => {
            let entries: Vec<_> = std::mem::take(table).into_iter().collect();
            for (k, mut v) in entries {
                respan(v.get_mut(), here);
                table.insert(
                    Spanned::new(here..here, k.into_inner()),
                    Spanned::new(here..here, v.into_inner()),
                );
            }
        }
        _ => {}
    }
}

pub(super) struct Locator<'a> {
    pub(super) text: &'a str,
    pub(super) source: &'a Path,
    sets: &'a [String],
    /// Taken out of the file before it is read (see [`Extension::set_aside`]).
    extension: Extension,
    outline: Option<ProbeOutline>,
    pub(super) lines: LineStarts,
}

impl Locator<'_> {
    /// Parses the text, lays `--set` over it, sets the declared tables and keys aside, and
    /// reads the rest as `T`, every error placed.
    fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, PanelError> {
        let syntax = |e: toml::de::Error, also: &[&str]| {
            let span = e.span().unwrap_or(0..0);
            let message = with_key(with_hint_among(e.message(), also), self.text, &span);
            self.error(span, message)
        };
        let mut doc = toml::de::DeTable::parse(self.text).map_err(|e| syntax(e, &[]))?;
        overlay_sets(&mut doc, self.text.len(), self.sets)
            .map_err(|e| PanelError::whole_file(self.source, e.to_string()))?;
        let aside = self.extension.set_aside(doc.get_mut());
        T::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| {
            let also = aside.beside(e.span());
            syntax(e, also)
        })
    }

    pub(super) fn error(&self, span: Range<usize>, message: impl Into<String>) -> PanelError {
        if span.start > self.text.len() {
            // Past the text: a value from `--set` (see `overlay_sets`), which has no line.
            let index = span.start - self.text.len() - 1;
            let set = self.sets.get(index).or(self.sets.last());
            let message = message.into();
            return PanelError::whole_file(
                self.source,
                match set {
                    Some(set) => format!("--set `{set}`: {message}"),
                    None => message,
                },
            );
        }
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
    let placed = |span: Range<usize>, table: &'static str| {
        move |m: String| PanelError {
            probe: None,
            ..at.error(span.clone(), format!("[{table}] {m}"))
        }
    };
    if let Some(r) = &d.retry_delay {
        checks::retry_delay(r.get_ref().0).map_err(placed(r.span(), "defaults"))?;
    }
    if let Some(e) = &d.every {
        checks::every(e.get_ref().0).map_err(placed(e.span(), "defaults"))?;
    }
    if let Some(m) = &d.max_body {
        checks::max_body(m.get_ref().0).map_err(placed(m.span(), "defaults"))?;
    }
    // smoke's own, then `[panel] timeout`, then `[defaults]`: each probe starts from these.
    let base = Settings {
        timeout: raw.panel.timeout.map_or(defaults::TIMEOUT, |t| t.0),
        ..Settings::default()
    };
    let said = d.said();
    let defaults = ProbeDefaults {
        settings: said.over(&base),
        max_body: d
            .max_body
            .as_ref()
            .map_or(defaults::MAX_BODY, |s| s.get_ref().0),
    };
    let mut defaults = defaults;
    defaults.settings.restart = super::spec::restart(d.restart.as_ref(), d.restart_limits(), None)
        .map_err(|m| PanelError::whole_file(at.source, format!("[defaults] {m}")))?
        .map(Box::new);
    let expand = |p: &str| expand_home(p, opts.home.as_deref());
    let socket_dir_set = opts.sets.iter().any(|s| {
        s.split_once('=')
            .is_some_and(|(k, _)| k.trim() == "internal.socket_dir")
    });
    // `--set`, then the environment, then the file, then the default.
    let (socket_dir, socket_dir_from) = match (&opts.socket_dir_env, &raw.internal.socket_dir) {
        (_, Some(dir)) if socket_dir_set => (expand(dir), SocketDirFrom::Set),
        (Some((var, dir)), _) => (expand(dir), SocketDirFrom::Env(var)),
        (None, Some(dir)) => (expand(dir), SocketDirFrom::Panel),
        (None, None) => (expand(defaults::SOCKET_DIR), SocketDirFrom::Default),
    };
    let suffixes = super::suffixes::suffixes(raw.internal.suffixes, at)?;
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
        expect_addresses: address_checks(raw.external.expect_addresses, at)?,
    };
    let mut probes = Vec::with_capacity(raw.probe.len());
    let mut names = std::collections::HashSet::new();
    let mut declared = Vec::with_capacity(raw.probe.len());
    for mut spanned in raw.probe {
        let span = spanned.span();
        let own = std::mem::take(&mut spanned.get_mut().depends_on);
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
        declared.push(super::deps::Declared { header: span, own });
    }
    super::deps::resolve(&mut probes, &d.depends_on, declared, at)?;
    let coverage = super::coverage::build(raw.coverage, at)?;
    let name = &raw.panel.name;
    checks::name("name", name.get_ref()).map_err(placed(name.span(), "panel"))?;
    let every = raw
        .panel
        .every
        .as_ref()
        .map_or(defaults::EVERY, |d| d.get_ref().0);
    if every < std::time::Duration::from_secs(1) {
        let span = raw.panel.every.as_ref().map_or(0..0, Spanned::span);
        return Err(placed(span, "panel")(
            "every must be at least 1s".to_string(),
        ));
    }
    let (vantage, vantage_named) = resolve_vantage(raw.panel.vantage.as_ref(), at, opts)?;
    let browser = match raw.browser.path {
        Some(path) if path.get_ref().is_empty() || path.get_ref().chars().any(char::is_control) => {
            return Err(placed(path.span(), "browser")(
                "path must name the browser's program, like /usr/bin/chromium".to_string(),
            ))
        }
        Some(path) => Some(PathBuf::from(path.into_inner())),
        None => None,
    };
    let baseline = match &raw.panel.baseline {
        Some(b) if b.get_ref().is_empty() || b.get_ref().chars().any(char::is_control) => {
            return Err(placed(b.span(), "panel")(
                "baseline must name a file, like herodemo.baseline.json".to_string(),
            ))
        }
        Some(b) => {
            let file = expand(b.get_ref());
            // Beside the panel, as `baseline` writes it, wherever the loop was started.
            let folder = at.source.parent().unwrap_or(Path::new(""));
            Some(folder.join(file))
        }
        None => None,
    };
    let latency_drift = match &raw.panel.latency_drift {
        Some(k) => checks::latency_drift(*k.get_ref()).map_err(placed(k.span(), "panel"))?,
        None => crate::shape::LATENCY_DRIFT,
    };
    let max_services = match &raw.panel.max_services {
        Some(m) => checks::max_services(*m.get_ref()).map_err(placed(m.span(), "panel"))?,
        None => defaults::MAX_SERVICES,
    };
    Ok(Panel {
        name: raw.panel.name.into_inner(),
        source: at.source.to_path_buf(),
        every,
        vantage,
        vantage_named,
        max_services,
        internal: Internal {
            socket_dir,
            socket_dir_from,
            suffixes,
        },
        external,
        defaults,
        probes,
        coverage,
        browser,
        baseline,
        latency_drift,
        text: PanelText {
            text: at.text.into(),
            source: at.source.to_path_buf(),
            sets: at.sets.to_vec(),
        },
    })
}

/// `--set panel.vantage`, then `SMOKE_VANTAGE`, then `[panel] vantage`, then the host name; and
/// whether one of the first three named it.
fn resolve_vantage(
    panel: Option<&Spanned<String>>,
    at: &Locator<'_>,
    opts: &LoadOptions,
) -> Result<(String, bool), PanelError> {
    let check = |v: &Spanned<String>| {
        checks::name("vantage", v.get_ref()).map_err(|m| PanelError {
            probe: None,
            ..at.error(v.span(), format!("[panel] {m}"))
        })
    };
    // A value past the text came from `--set` (see `overlay_sets`): it beats the environment.
    if let Some(v) = panel.filter(|v| v.span().start > at.text.len()) {
        check(v)?;
        return Ok((v.get_ref().clone(), true));
    }
    if let Some(env) = &opts.vantage_env {
        checks::name(vantage::VANTAGE_ENV, env)
            .map_err(|m| PanelError::whole_file(at.source, m))?;
        return Ok((env.clone(), true));
    }
    if let Some(v) = panel {
        check(v)?;
        return Ok((v.get_ref().clone(), true));
    }
    let host = opts.host_name.as_deref().map_or_else(
        || vantage::UNKNOWN_VANTAGE.to_string(),
        vantage::from_host_name,
    );
    Ok((host, false))
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home.map_or_else(|| PathBuf::from(path), Path::to_path_buf),
        _ => PathBuf::from(path),
    }
}

/// `[external] expect_addresses`: each an IP address the public name must resolve to, made the
/// condition that says so.
fn address_checks(
    addresses: Vec<Spanned<String>>,
    at: &Locator<'_>,
) -> Result<Vec<Condition>, PanelError> {
    addresses
        .into_iter()
        .map(|a| {
            let refuse =
                |m: String| at.error(a.span(), format!("[external] expect_addresses: {m}"));
            let ip: std::net::IpAddr = a
                .get_ref()
                .parse()
                .map_err(|_| refuse(format!("\"{}\" is not an IP address", a.get_ref())))?;
            Condition::of(
                "dns.addresses",
                crate::condition::Op::Contains,
                &ip.to_string(),
            )
            .map_err(|e| refuse(e.message))
        })
        .collect()
}
