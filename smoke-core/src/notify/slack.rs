//! Slack incoming webhook: a red message when an incident opens or lasts, a green one when it
//! heals.

use super::http::send;
use super::Sink;
use crate::incident::{Event, EventKind};
use serde_json::json;
use std::collections::BTreeMap;

pub struct Slack {
    pub name: String,
    pub client: reqwest::Client,
    /// The webhook URL: a secret, never printed.
    pub webhook: String,
}

/// The message: a line of text (for notifications) and blocks with the facts.
pub fn message(e: &Event) -> serde_json::Value {
    let (colour, title) = match e.event {
        EventKind::Resolved => (
            "#2eb67d",
            format!(":white_check_mark: *{}* recovered", e.probe),
        ),
        EventKind::Opened => ("#e01e5a", format!(":red_circle: *{}* is failing", e.probe)),
        EventKind::Restarted => ("#ecb22e", format!(":recycle: *{}*: {}", e.probe, e.detail)),
        _ => (
            "#e01e5a",
            format!(":red_circle: *{}* is still failing", e.probe),
        ),
    };
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*panel*\n{} ({})", e.panel, e.mode)}),
        json!({"type": "mrkdwn", "text": format!("*since*\n{}", e.opened_at.strftime("%Y-%m-%d %H:%M UTC"))}),
    ];
    if let Some(cause) = e.cause {
        fields.push(json!({"type": "mrkdwn", "text": format!("*cause*\n{}", cause.as_str())}));
    }
    if let Some(d) = e.duration_text() {
        fields.push(json!({"type": "mrkdwn", "text": format!("*lasted*\n{d}")}));
    }
    json!({
        "text": format!("smoke: {}", e.summary()),
        "attachments": [{
            "color": colour,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": title}},
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("```{}```", e.detail)}},
                {"type": "section", "fields": fields},
            ]
        }]
    })
}

#[async_trait::async_trait]
impl Sink for Slack {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), String> {
        let req = self.client.post(&self.webhook).json(&message(event));
        send("the Slack webhook", req).await.map(|_| ())
    }
}
