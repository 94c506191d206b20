//! Slack incoming webhook: a red message when an incident opens or lasts, a green one when it
//! heals.

use super::http::send;
use super::setup::{keys_as, Setup, SinkConfig, SinkType};
use super::{SetupError, Sink, SinkError};
use crate::secret::Secret;
use serde_json::json;
use smoke_core::engine::{inert, Event, EventKind, Markup};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct Slack {
    pub name: String,
    pub client: reqwest::Client,
    /// The webhook URL: a secret, never printed.
    pub webhook: String,
}

/// Text for Slack: controls escaped, `&`, `<`, `>` as Slack asks and no backtick, so a
/// service's words can neither mention `<!channel>`, make a link, nor end the block they are
/// quoted in.
/// Each piece is cut to [`SLACK_PIECE_CHARS`] once escaped (escaping can grow a 1 KiB detail
/// sixfold), so no block passes Slack's limits and the message is never refused.
fn slack_text(text: &str) -> String {
    smoke_core::engine::cut_to(&inert(text, Markup::Slack), SLACK_PIECE_CHARS)
}

/// Slack refuses a section's text over 3,000 chars and a field's over 2,000; the longest
/// block holds two pieces (a restart's title: the probe and the detail) and a few words.
const SLACK_PIECE_CHARS: usize = 1400;

/// A block's text, read as it is: `verbatim` keeps Slack from making links, channel names and
/// mentions of plain words.
fn mrkdwn(text: String) -> serde_json::Value {
    json!({"type": "mrkdwn", "text": text, "verbatim": true})
}

/// The message: a line of text (for notifications) and blocks with the facts.
pub fn message(e: &Event) -> serde_json::Value {
    let probe = slack_text(&e.headline());
    let detail = slack_text(&e.detail);
    // A group's headline says it fails already: "6 probes fail with HTTP 502 Bad Gateway".
    let failing = if e.covers.group.is_some() {
        ""
    } else {
        " is failing"
    };
    let (colour, title) = match e.event {
        EventKind::Resolved => ("#2eb67d", format!(":white_check_mark: *{probe}* recovered")),
        EventKind::Opened => ("#e01e5a", format!(":red_circle: *{probe}*{failing}")),
        EventKind::Restarted => ("#ecb22e", format!(":recycle: *{probe}*: {detail}")),
        _ if e.covers.group.is_some() => ("#e01e5a", format!(":red_circle: still: *{probe}*")),
        _ => (
            "#e01e5a",
            format!(":red_circle: *{probe}* is still failing"),
        ),
    };
    let mut fields = vec![
        mrkdwn(format!("*panel*\n{} ({})", slack_text(&e.panel), e.mode)),
        mrkdwn(format!(
            "*since*\n{}",
            e.opened_at.strftime("%Y-%m-%d %H:%M UTC")
        )),
    ];
    if let Some(cause) = e.cause {
        fields.push(mrkdwn(format!("*cause*\n{}", cause.as_str())));
    }
    if let Some(d) = e.duration_text() {
        fields.push(mrkdwn(format!("*lasted*\n{d}")));
    }
    if e.covers.members.len() + e.covers.affected.len() > 1 {
        let names = smoke_core::engine::name_list(e.all_affected(), 12);
        fields.push(mrkdwn(format!("*affected*\n{}", slack_text(&names))));
    }
    json!({
        "text": format!("smoke: {}", slack_text(&e.summary())),
        "attachments": [{
            "color": colour,
            "blocks": [
                {"type": "section", "text": mrkdwn(title)},
                {"type": "section", "text": mrkdwn(format!("```{detail}```"))},
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

    /// One message per event of an incident: not the per-tick word, nor a change of the probes
    /// it covers (the next message lists them).
    fn wants(&self, kind: EventKind) -> bool {
        !matches!(kind, EventKind::Firing | EventKind::Affected)
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
        let req = self.client.post(&self.webhook).json(&message(event));
        send("the Slack webhook", req).await.map(|_| ())
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "slack",
    keys: &["webhook_env", "webhook_file"],
    read,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    webhook_env: Option<String>,
    webhook_file: Option<String>,
}

/// `type = "slack"`: the incoming webhook's URL is a secret.
#[derive(Debug)]
pub struct Config {
    pub webhook: Secret,
}

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, SetupError> {
    let k: Keys = keys_as(table)?;
    Ok(Box::new(Config {
        webhook: Secret::named(&k.webhook_env, &k.webhook_file, "webhook")?,
    }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, SetupError> {
        Ok(Arc::new(Slack {
            name: name.to_string(),
            client: setup.client(),
            webhook: self.webhook.read()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_cannot_mention_the_channel_or_break_the_line() {
        let e = super::super::opened("<!channel> & <https://evil.test|click>\u{1b}[2J\nforged");
        let m = message(&e);
        let all = m.to_string();
        assert!(
            !all.contains("<!channel>") && !all.contains("<https"),
            "{all}"
        );
        let said = [
            m["text"].as_str().unwrap(),
            m["attachments"][0]["blocks"][1]["text"]["text"]
                .as_str()
                .unwrap(),
        ];
        for text in said {
            assert!(
                text.contains("&lt;!channel&gt; &amp; &lt;https:\u{2060}//evil.test|click&gt;"),
                "{text}"
            );
            assert!(!text.contains(['\u{1b}', '\n']), "{text:?}");
        }
    }

    #[test]
    fn no_block_passes_slacks_limits_however_the_detail_escapes() {
        let mut e = super::super::opened(&"\u{1}".repeat(smoke_core::engine::DETAIL_LIMIT));
        e.event = EventKind::Restarted;
        let m = message(&e);
        let blocks = m["attachments"][0]["blocks"].as_array().unwrap();
        for text in [&blocks[0]["text"]["text"], &blocks[1]["text"]["text"]] {
            assert!(text.as_str().unwrap().chars().count() <= 3000, "{text}");
        }
    }
}
