//! Incidents: a broken path told once when it breaks, again while it lasts, and once when it
//! heals — and never lost or told twice, whatever happens to the loop or the sinks.
//!
//! The state ([`State`]) is what must outlive the process (smoke-loop keeps it in its state
//! folder); [`advance`] turns a tick's report into [`Event`]s; each event waits in the state's
//! outbox until every sink has taken it.

mod causes;
mod event;
mod lifecycle;
mod signature;
mod state;

pub(crate) use causes::attribute;
pub use event::{name_list, Event, EventKind};
pub use lifecycle::{advance, Policy, Resolve, Seen};
pub use signature::{group_headline, signature, Signature, GROUP_PREFIX};
pub use state::{
    incident_id, AlertMark, Covers, Delivery, Incident, PastIncident, ProbeState, RelayAlerts,
    State, StateReadError, LOG_MAX,
};
