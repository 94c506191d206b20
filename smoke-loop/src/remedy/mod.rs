//! Repair, not just report: a service whose probes failed with an open incident is restarted
//! through its supervisor, at most once per cooldown and a few times a day, and the restart is
//! verified by probing again. A restart that hides a failure is worse than none, so each is
//! limited, checked and told.

mod policy;
mod run;

pub use policy::{decide, record, Decision, Verdict};
pub use run::{restart, RestartError};
