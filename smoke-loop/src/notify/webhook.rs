//! A JSON POST of each event, for anything else (ntfy, a pager, a script behind HTTP). The body
//! is the [`Event`] itself: its serde field names are the documented schema.

use super::http::send;
use super::Sink;
use smoke_core::incident::Event;
use std::collections::BTreeMap;

pub struct Webhook {
    pub name: String,
    pub client: reqwest::Client,
    /// May carry its own key: never printed.
    pub url: String,
}

#[async_trait::async_trait]
impl Sink for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), String> {
        send(
            &format!("the webhook {}", self.name),
            self.client.post(&self.url).json(event),
        )
        .await
        .map(|_| ())
    }
}
