//! A command per event: argv with placeholders (`{probe}`, `{cause}`, `{event}` ...), run
//! without a shell, so nothing in an event can become a command.

use super::Sink;
use crate::incident::Event;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

pub struct Command {
    pub name: String,
    pub argv: Vec<String>,
    pub timeout: Duration,
}

/// The argv with this event's values in place of the placeholders.
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
    ];
    argv.iter()
        .map(|arg| values.iter().fold(arg.clone(), |a, (k, v)| a.replace(k, v)))
        .collect()
}

#[async_trait::async_trait]
impl Sink for Command {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), String> {
        let argv = fill(&self.argv, event);
        let program = &argv[0];
        let child = tokio::process::Command::new(program)
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let out = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                format!(
                    "{program} did not finish within {}",
                    crate::units::format_duration(self.timeout)
                )
            })?
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .trim()
            .chars()
            .rev()
            .take(200)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(format!("{program} exited with {}: {tail}", out.status))
    }
}
