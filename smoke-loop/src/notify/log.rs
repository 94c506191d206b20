//! The log sink, always on: one line per event on stderr (the journal, or cron's mail).

use super::{Sink, SinkError};
use smoke_core::engine::Event;
use std::collections::BTreeMap;

pub struct Log;

#[async_trait::async_trait]
impl Sink for Log {
    fn name(&self) -> &str {
        "log"
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
        smoke_core::say!(
            "{} {} {}: {}",
            event.panel,
            event.mode,
            event.event.as_str(),
            event.summary()
        );
        Ok(())
    }
}
