//! A command per event: argv with placeholders (`{probe}`, `{cause}`, `{event}` ...), run
//! without a shell, so nothing in an event can become a command.

use super::setup::{keys_as, Setup, SinkConfig, SinkType};
use super::{SetupError, Sink, SinkError};
use smoke_core::engine::{Event, PanelDuration};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub struct Command {
    pub name: String,
    pub argv: Vec<String>,
    pub timeout: Duration,
}

/// The argv with this event's values in place of the placeholders, each on one line: the
/// command may log them, and words from outside (a service's detail, a relayed alert's
/// signature in `{title}`) must not forge lines there.
pub fn fill(argv: &[String], e: &Event) -> Vec<String> {
    let since = e.opened_at.to_string();
    let values = [
        ("{event}", e.event.as_str().to_string()),
        ("{panel}", e.panel.clone()),
        ("{mode}", e.mode.clone()),
        ("{probe}", e.probe.clone()),
        (
            "{cause}",
            e.cause.map(|c| c.as_str().to_string()).unwrap_or_default(),
        ),
        ("{detail}", e.detail.clone()),
        ("{since}", since),
        ("{duration}", e.duration_text().unwrap_or_default()),
        ("{severity}", format!("{:?}", e.severity).to_lowercase()),
        ("{title}", e.headline()),
        // Bounded: one argument may not pass 128 KiB, and a group may hold thousands.
        (
            "{affected}",
            smoke_core::engine::name_list(e.all_affected(), 100),
        ),
    ]
    .map(|(k, v)| (k, smoke_core::engine::escape_controls(&v).into_owned()));
    argv.iter().map(|arg| fill_one(arg, &values)).collect()
}

/// One pass over the argument: a value put in is never read again, so a detail that holds
/// `{probe}` stays as the service wrote it.
fn fill_one(arg: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match values.iter().find(|(k, _)| rest.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                rest = &rest[k.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[async_trait::async_trait]
impl Sink for Command {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
        // The operator's own program: run again at once, as its author expects of a hook.
        crate::process::run(&fill(&self.argv, event), self.timeout)
            .await
            .map(|_| ())
            .map_err(|e| SinkError::Transient(e.to_string()))
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "command",
    keys: &["argv", "timeout"],
    read,
};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    argv: Option<Vec<String>>,
    timeout: Option<PanelDuration>,
}

/// `type = "command"`: argv with placeholders, and how long a run may take.
#[derive(Debug)]
pub struct Config {
    pub argv: Vec<String>,
    pub timeout: Duration,
}

/// No program to run.
#[derive(Debug, thiserror::Error)]
#[error("type = \"command\" needs argv = [\"program\", \"arg\", ...]")]
struct NoArgv;

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, SetupError> {
    let k: Keys = keys_as(table)?;
    let argv = k.argv.unwrap_or_default();
    if argv.first().is_none_or(String::is_empty) {
        return Err(SetupError::sink(NoArgv));
    }
    Ok(Box::new(Config {
        argv,
        timeout: k.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0),
    }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, _: &Setup) -> Result<Arc<dyn Sink>, SetupError> {
        Ok(Arc::new(Command {
            name: name.to_string(),
            argv: self.argv.clone(),
            timeout: self.timeout,
        }))
    }

    fn uses_http(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::engine::{EventKind, Incident};
    use smoke_core::prelude::Severity;

    #[tokio::test]
    async fn a_command_that_prints_70_kb_is_delivered() {
        let at = jiff::Timestamp::now();
        let mut incident = Incident::new("i-1".into(), at, Severity::Critical, vec!["biz".into()]);
        incident.detail = "down".into();
        let event = Event::about(EventKind::Firing, ("p", "internal"), "biz", &incident, at);
        let sink = Command {
            name: "cmd".into(),
            argv: vec!["sh".into(), "-c".into(), "head -c 70000 /dev/zero".into()],
            timeout: std::time::Duration::from_secs(30),
        };
        sink.deliver(&event, &mut BTreeMap::new())
            .await
            .expect("not blocked on a full pipe");
    }

    #[test]
    fn a_detail_is_one_line_and_its_braces_are_never_filled_in() {
        let incident = Incident::new(
            "p/internal/biz/1".into(),
            jiff::Timestamp::UNIX_EPOCH,
            Default::default(),
            vec!["biz".into()],
        );
        let mut e = Event::about(
            EventKind::Opened,
            ("p", "internal"),
            "biz",
            &incident,
            jiff::Timestamp::UNIX_EPOCH,
        );
        e.detail = "boom\n{probe} {severity}\u{1b}[2J".into();
        let argv = ["notify".to_string(), "{probe}: {detail} {x}".to_string()];
        assert_eq!(
            fill(&argv, &e),
            ["notify", "biz: boom\\n{probe} {severity}\\u{1b}[2J {x}"]
        );
    }
}
