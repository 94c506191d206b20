//! A JSON POST of each event, for anything else (ntfy, a pager, a script behind HTTP). The body
//! is the [`Event`] itself: its serde field names are the documented schema.

use super::http::send;
use super::setup::{base_url, keys_as, Setup, SinkConfig, SinkType};
use super::{SetupError, Sink, SinkError};
use crate::secret::{Secret, Value};
use smoke_core::engine::Event;
use std::collections::BTreeMap;
use std::sync::Arc;

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

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
        send(
            &format!("the webhook {}", self.name),
            self.client.post(&self.url).json(event),
        )
        .await
        .map(|_| ())
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "webhook",
    keys: &["url", "url_env", "url_file"],
    read,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<String>,
}

/// `type = "webhook"`: a URL, written plainly or kept secret (it may carry its own key).
#[derive(Debug)]
pub struct Config {
    pub url: Value,
}

/// Neither or more than one of the webhook's URL keys.
#[derive(Debug, thiserror::Error)]
#[error("give one of url, url_env or url_file")]
struct OneUrl;

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, SetupError> {
    let k: Keys = keys_as(table)?;
    let url = match (k.url, k.url_env.is_some() || k.url_file.is_some()) {
        (Some(u), false) => Value::Plain(base_url(u)?),
        (None, true) => Value::Secret(Secret::named(&k.url_env, &k.url_file, "url")?),
        _ => return Err(SetupError::sink(OneUrl)),
    };
    Ok(Box::new(Config { url }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, SetupError> {
        Ok(Arc::new(Webhook {
            name: name.to_string(),
            client: setup.client(),
            url: self.url.read()?,
        }))
    }
}
