//! Sinks: where incidents are told. One file per sink behind the [`Sink`] trait; the
//! [`Notifier`] owns the delivery: every event waits in the state's outbox until its sink took
//! it, in order, retried with backoff, so a sink that is down delays nothing else and loses
//! nothing.

mod alertmanager;
mod command;
mod deliver;
mod entry;
mod error;
mod forge;
mod http;
mod issue;
mod log;
mod setup;
mod slack;
mod webhook;

#[cfg(test)]
mod tests;

pub use deliver::Notifier;
pub(crate) use entry::read_entries;
pub use entry::{Notify, SINK_TYPES};
pub use error::{FlushError, NotifierError, SetupError, SinkError};
pub use setup::{Setup, SinkConfig, SinkType};

use smoke_core::engine::{Event, EventKind};
use std::collections::BTreeMap;

/// An open incident as a sink's reconciliation sees it.
#[derive(Debug, Clone)]
pub struct OpenIncident {
    pub probe: String,
    pub id: String,
    /// One line on why it is open, for a reopening comment.
    pub summary: String,
}

/// One place incidents are told.
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// Names it in the state's outbox and in messages.
    fn name(&self) -> &str;

    /// Which events it takes: all but the per-tick `firing` unless it says otherwise.
    fn wants(&self, kind: EventKind) -> bool {
        kind != EventKind::Firing
    }

    /// Brings what the sink holds in line with the state before anything is delivered (the
    /// forge: adopt issues made before a crash, close those left open, reopen those closed by
    /// hand). `pending` are incidents with deliveries still owed to this sink. Nothing is
    /// delivered to a sink whose reconciliation failed.
    async fn reconcile(
        &self,
        _open: &[OpenIncident],
        _pending: &[String],
        _handles: &mut BTreeMap<String, u64>,
    ) -> Result<(), SinkError> {
        Ok(())
    }

    /// Where a person reads this sink's `handle` of an incident (a forge issue's page), kept
    /// in the incident for the status page.
    fn link(&self, _handle: u64) -> Option<String> {
        None
    }

    /// Tells one event. `handles` are this sink's own references per incident (forge issue
    /// numbers), kept in the state. What went wrong says whether it is tried again at once
    /// ([`SinkError::retry_at_once`]): a failure that may have been acted on is not.
    async fn deliver(
        &self,
        event: &Event,
        handles: &mut BTreeMap<String, u64>,
    ) -> Result<(), SinkError>;
}

/// An incident of biz-persons opened with `detail`: what the sinks' tests tell.
#[cfg(test)]
pub(crate) fn opened(detail: &str) -> Event {
    let at = jiff::Timestamp::from_second(1_750_000_000).expect("a valid time");
    let mut incident = smoke_core::engine::Incident::new(
        "herodemo/internal/biz-persons/1".into(),
        at,
        Default::default(),
        vec!["biz-persons".into()],
    );
    incident.detail = detail.into();
    Event::about(
        EventKind::Opened,
        ("herodemo", "internal"),
        "biz-persons",
        &incident,
        at,
    )
}
