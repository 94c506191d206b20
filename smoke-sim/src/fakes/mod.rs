//! Stand-ins for the services smoke alerts through, for tests of its alerting: a Forgejo that
//! holds clients to the published API, a webhook receiver (Slack and generic JSON), and a
//! real Alertmanager started from its Debian package.
//!
//! Each listens on a loopback port of its own and stops when dropped.

mod alertmanager;
mod client;
mod forge;
mod hook;
mod server;

pub use alertmanager::Alertmanager;
pub use forge::{FakeForge, FakeIssue};
pub use hook::{FakeHook, HookRequest};

/// Locks a fake's state even after a panic elsewhere poisoned it: the test that panicked has
/// already failed, and what was recorded is still what the report needs.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
