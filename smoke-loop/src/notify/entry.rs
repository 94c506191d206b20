//! `[[notify]]`: one entry a sink, read by its `type` into that sink's own configuration. Each
//! sink's file holds its keys, its checks, its delivery and its link; [`SINK_TYPES`] is the one
//! list that names them, so a new sink is a file and a line. What every sink is made with is in
//! `setup`, which names no sink: the sinks and this registry import it, never each other.

use super::setup::{SinkConfig, SinkType};
use super::SetupError;
use super::{alertmanager, command, forge, slack, webhook};
use smoke_core::engine::{PanelError, PanelText};
use toml::Spanned;

/// Every sink smoke has, by its `type =` name.
pub const SINK_TYPES: &[SinkType] = &[
    slack::TYPE,
    forge::TYPE,
    webhook::TYPE,
    command::TYPE,
    alertmanager::TYPE,
];

/// One `[[notify]]` entry, read and checked.
#[derive(Debug)]
pub struct Notify {
    /// Names it in the state and in messages; the type unless given.
    pub name: String,
    /// Its `type`.
    pub kind: &'static str,
    pub config: Box<dyn SinkConfig>,
    /// Its line in the panel file.
    pub line: usize,
    /// `relay = true`: told by `relay` from the quorum alert of several vantage points, never by
    /// a host's own `run` or `watch`.
    pub relay: bool,
}

/// Why a `[[notify]]` entry was refused: the words follow `[[notify]]` at the entry's line.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("`type` is the sink's name, a string")]
    TypeNotString,
    #[error("needs a type: {}", type_names())]
    NoType,
    #[error("`name` is a string")]
    NameNotString,
    #[error("`relay` is true or false")]
    RelayNotBool,
    #[error("type = \"log\": the log is always on, it needs no entry")]
    LogEntry,
    #[error("type = \"alertmanager\" cannot be relay = true: the relay is fed by Alertmanager, it would send each alert back to it")]
    RelayToAlertmanager,
    #[error("unknown type `{kind}`: {}", type_names())]
    UnknownType { kind: String },
    /// A key of another sink's type.
    #[error("`{key}` has no meaning for type = \"{kind}\"")]
    ForeignKey { key: String, kind: String },
    /// The sink's own keys (see [`SetupError`]).
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("the name \"log\" is the built-in log's: choose another")]
    NamedLog,
}

/// Reads the `[[notify]]` entries, each error at its entry's line.
pub(crate) fn read_entries(
    entries: Vec<Spanned<toml::Table>>,
    at: &PanelText,
) -> Result<Vec<Notify>, PanelError> {
    let mut notify: Vec<Notify> = Vec::with_capacity(entries.len());
    for entry in entries {
        let span = entry.span();
        let err = |e: EntryError| at.error(span.clone(), format!("[[notify]] {e}"));
        let n = read_entry(entry.into_inner(), at.line(span.start)).map_err(err)?;
        if notify.iter().any(|o| o.name == n.name) {
            return Err(at.whole(format!(
                "two [[notify]] entries are named \"{}\": give one a `name`",
                n.name
            )));
        }
        notify.push(n);
    }
    Ok(notify)
}

fn read_entry(mut table: toml::Table, line: usize) -> Result<Notify, EntryError> {
    let kind = match table.remove("type") {
        Some(toml::Value::String(s)) => s,
        Some(_) => return Err(EntryError::TypeNotString),
        None => return Err(EntryError::NoType),
    };
    let name = match table.remove("name") {
        Some(toml::Value::String(s)) => Some(s),
        Some(_) => return Err(EntryError::NameNotString),
        None => None,
    };
    let relay = match table.remove("relay") {
        Some(toml::Value::Boolean(b)) => b,
        Some(_) => return Err(EntryError::RelayNotBool),
        None => false,
    };
    if kind == "log" {
        return Err(EntryError::LogEntry);
    }
    if relay && kind == "alertmanager" {
        return Err(EntryError::RelayToAlertmanager);
    }
    let Some(sink) = SINK_TYPES.iter().find(|t| t.name == kind) else {
        return Err(EntryError::UnknownType { kind });
    };
    let foreign = table.keys().find(|k| {
        !sink.keys.contains(&k.as_str()) && SINK_TYPES.iter().any(|t| t.keys.contains(&k.as_str()))
    });
    if let Some(key) = foreign {
        return Err(EntryError::ForeignKey {
            key: key.clone(),
            kind,
        });
    }
    let config = (sink.read)(table)?;
    let name = name.unwrap_or_else(|| kind.clone());
    if name == "log" {
        return Err(EntryError::NamedLog);
    }
    Ok(Notify {
        name,
        kind: sink.name,
        config,
        line,
        relay,
    })
}

fn type_names() -> String {
    let names: Vec<&str> = SINK_TYPES.iter().map(|t| t.name).collect();
    names.join(", ")
}
