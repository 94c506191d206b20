//! `[[notify]]`: where incidents are told. One entry a sink; secrets are named (an environment
//! variable or a file), never written in the panel.

use super::error::PanelError;
use super::load::Locator;
use crate::units::PanelDuration;
use serde::Deserialize;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

/// Where a secret comes from. Read when the sink is set up, never printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Env(String),
    File(PathBuf),
}

impl Secret {
    /// The secret's value, or what to do about its absence.
    pub fn read(&self) -> Result<String, String> {
        match self {
            Secret::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(format!("the environment variable {var} is not set")),
            },
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|v| v.trim().to_string())
                .map_err(|e| format!("cannot read the secret file {}: {e}", path.display())),
        }
    }

    /// Where it comes from, for messages (never the value).
    pub fn source(&self) -> String {
        match self {
            Secret::Env(var) => format!("${var}"),
            Secret::File(path) => path.display().to_string(),
        }
    }
}

/// A value that may be written plainly or kept secret (a webhook URL carries its own key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Plain(String),
    Secret(Secret),
}

impl Value {
    pub fn read(&self) -> Result<String, String> {
        match self {
            Value::Plain(v) => Ok(v.clone()),
            Value::Secret(s) => s.read(),
        }
    }
}

/// One sink.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// Names it in the state and in messages; the type unless given.
    pub name: String,
    pub kind: NotifyKind,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NotifyKind {
    /// A Slack incoming webhook.
    Slack { webhook: Secret },
    /// One Gitea/Forgejo issue per incident.
    Forge {
        url: String,
        /// `owner/name`.
        repo: String,
        token: Secret,
        labels: Vec<String>,
        assignees: Vec<String>,
    },
    /// A JSON POST of each event.
    Webhook { url: Value },
    /// A command run with the event in its arguments, never through a shell.
    Command {
        argv: Vec<String>,
        timeout: Duration,
    },
    /// Alertmanager API v2.
    Alertmanager { url: String },
}

impl NotifyKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            NotifyKind::Slack { .. } => "slack",
            NotifyKind::Forge { .. } => "forge",
            NotifyKind::Webhook { .. } => "webhook",
            NotifyKind::Command { .. } => "command",
            NotifyKind::Alertmanager { .. } => "alertmanager",
        }
    }
}

/// The placeholders a `command` sink fills in its arguments.
pub const COMMAND_PLACEHOLDERS: [&str; 9] = [
    "{event}",
    "{panel}",
    "{mode}",
    "{probe}",
    "{cause}",
    "{detail}",
    "{since}",
    "{duration}",
    "{severity}",
];

const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// `[[notify]]` as serde reads it: every key of every type, so a typo is an error with a hint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    #[serde(rename = "type")]
    kind: toml::Spanned<String>,
    name: Option<String>,
    webhook_env: Option<String>,
    webhook_file: Option<String>,
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<String>,
    repo: Option<String>,
    token_env: Option<String>,
    token_file: Option<String>,
    labels: Option<Vec<String>>,
    assignees: Option<Vec<String>>,
    argv: Option<Vec<String>>,
    timeout: Option<PanelDuration>,
}

pub(super) fn build(raw: toml::Spanned<RawNotify>, at: &Locator<'_>) -> Result<Notify, PanelError> {
    let span = raw.span();
    let line = super::error::line_col(at.text, span.start).0;
    let raw = raw.into_inner();
    let kind_span = raw.kind.span();
    let err = |s: Range<usize>, m: String| PanelError {
        probe: None,
        ..at.error(s, format!("[[notify]] {m}"))
    };
    let secret = |env: &Option<String>,
                  file: &Option<String>,
                  what: &str|
     -> Result<Secret, PanelError> {
        match (env, file) {
            (Some(e), None) if !e.is_empty() => Ok(Secret::Env(e.clone())),
            (None, Some(f)) if !f.is_empty() => Ok(Secret::File(PathBuf::from(f))),
            (Some(_), Some(_)) => Err(err(span.clone(), format!("give {what}_env or {what}_file, not both"))),
            _ => Err(err(
                span.clone(),
                format!("needs {what}_env = \"VARIABLE\" (or {what}_file): secrets never go in the panel"),
            )),
        }
    };
    let used: Vec<(&str, bool)> = vec![
        ("webhook_env", raw.webhook_env.is_some()),
        ("webhook_file", raw.webhook_file.is_some()),
        ("url", raw.url.is_some()),
        ("url_env", raw.url_env.is_some()),
        ("url_file", raw.url_file.is_some()),
        ("repo", raw.repo.is_some()),
        ("token_env", raw.token_env.is_some()),
        ("token_file", raw.token_file.is_some()),
        ("labels", raw.labels.is_some()),
        ("assignees", raw.assignees.is_some()),
        ("argv", raw.argv.is_some()),
        ("timeout", raw.timeout.is_some()),
    ];
    let allowed: &[&str] = match raw.kind.get_ref().as_str() {
        "slack" => &["webhook_env", "webhook_file"],
        "forge" => &[
            "url",
            "repo",
            "token_env",
            "token_file",
            "labels",
            "assignees",
        ],
        "webhook" => &["url", "url_env", "url_file"],
        "command" => &["argv", "timeout"],
        "alertmanager" => &["url"],
        "log" => {
            return Err(err(
                kind_span,
                "type = \"log\": the log is always on, it needs no entry".into(),
            ))
        }
        other => {
            return Err(err(
                kind_span,
                format!("unknown type `{other}`: slack, forge, webhook, command or alertmanager"),
            ))
        }
    };
    let type_name = raw.kind.get_ref().clone();
    if let Some((key, _)) = used.iter().find(|(k, on)| *on && !allowed.contains(k)) {
        return Err(err(
            span,
            format!("`{key}` has no meaning for type = \"{type_name}\""),
        ));
    }
    let need = |v: &Option<String>, key: &str| -> Result<String, PanelError> {
        v.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            err(
                span.clone(),
                format!("type = \"{type_name}\" needs `{key}`"),
            )
        })
    };
    let http_url = |u: String| -> Result<String, PanelError> {
        if u.starts_with("http://") || u.starts_with("https://") {
            Ok(u.trim_end_matches('/').to_string())
        } else {
            Err(err(
                span.clone(),
                format!("url `{u}` must start with http:// or https://"),
            ))
        }
    };
    let kind = match type_name.as_str() {
        "slack" => NotifyKind::Slack {
            webhook: secret(&raw.webhook_env, &raw.webhook_file, "webhook")?,
        },
        "forge" => {
            let repo = need(&raw.repo, "repo")?;
            let ok = repo
                .split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
            if !ok {
                return Err(err(span, format!("repo `{repo}` must be owner/name")));
            }
            NotifyKind::Forge {
                url: http_url(need(&raw.url, "url")?)?,
                repo,
                token: secret(&raw.token_env, &raw.token_file, "token")?,
                labels: raw.labels.unwrap_or_else(|| vec!["smoke".to_string()]),
                assignees: raw.assignees.unwrap_or_default(),
            }
        }
        "webhook" => {
            let url = match (
                raw.url.clone(),
                raw.url_env.is_some() || raw.url_file.is_some(),
            ) {
                (Some(u), false) => Value::Plain(http_url(u)?),
                (None, true) => Value::Secret(secret(&raw.url_env, &raw.url_file, "url")?),
                _ => return Err(err(span, "give one of url, url_env or url_file".into())),
            };
            NotifyKind::Webhook { url }
        }
        "command" => {
            let argv = raw.argv.unwrap_or_default();
            if argv.is_empty() || argv[0].is_empty() {
                return Err(err(
                    span,
                    "type = \"command\" needs argv = [\"program\", \"arg\", ...]".into(),
                ));
            }
            NotifyKind::Command {
                argv,
                timeout: raw.timeout.map_or(DEFAULT_COMMAND_TIMEOUT, |t| t.0),
            }
        }
        "alertmanager" => NotifyKind::Alertmanager {
            url: http_url(need(&raw.url, "url")?)?,
        },
        _ => unreachable!("checked above"),
    };
    let name = raw.name.unwrap_or(type_name);
    if name == "log" {
        return Err(err(
            span,
            "the name \"log\" is the built-in log's: choose another".into(),
        ));
    }
    Ok(Notify { name, kind, line })
}
