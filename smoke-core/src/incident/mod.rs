//! Incidents: a broken path told once when it breaks, again while it lasts, and once when it
//! heals — and never lost or told twice, whatever happens to the loop or the sinks.
//!
//! The state ([`State`]) is what of the incidents must outlive the process, kept by whoever runs
//! the ticks; [`advance`] turns a tick's report into [`Event`]s, which the keeper owes its sinks
//! until each has taken them. An incident opens, carries on and resolves through
//! [`Transitions`], whatever input tells of it: a tick's report, or a relayed quorum alert.

mod causes;
mod event;
mod lifecycle;
mod signature;
mod state;

#[cfg(feature = "http")]
pub(crate) use causes::attribute;
pub use event::{name_list, Event, EventKind};
pub use lifecycle::{advance, Opening, Policy, Resolve, Seen, Transitions};
pub use signature::{group_headline, signature, Signature, GROUP_PREFIX};
pub use state::{
    incident_id, Covers, Incident, PastIncident, ProbeState, State, StateReadError, LOG_MAX,
    STATE_VERSION,
};
