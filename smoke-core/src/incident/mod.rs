//! Incidents: a broken path told once when it breaks, again while it lasts, and once when it
//! heals — and never lost or told twice, whatever happens to the loop or the sinks.
//!
//! The state ([`State`]) is one small file in the state folder, written atomically and held
//! under a lock; [`advance`] turns a tick's report into [`Event`]s; each event waits in the
//! state's outbox until every sink has taken it.

mod event;
mod lifecycle;
mod quiet;
mod state;

pub use event::{Event, EventKind};
pub use lifecycle::advance;
pub use quiet::{Mute, Mutes, Quiet};
pub use state::{
    create_folder, default_state_dir, open_in_state, read_in_state, write_atomic, Delivery,
    Incident, ProbeState, State, StateDir, STALE_TEMP_AGE, STATE_VERSION,
};
