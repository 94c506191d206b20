//! Stand-ins for the services smoke alerts through, for tests of its alerting: a Forgejo that
//! holds clients to the published API, a webhook receiver (Slack and generic JSON), and a
//! real Alertmanager started from its Debian package, alone or as a loopback cluster whose
//! members a test can kill. Beside them, for tests of what smoke exposes: a real Prometheus
//! scraping loopback targets (and evaluating rules, sending what fires to Alertmanager), and
//! headless Chromium rendering a loopback page ([`chromium::render`]), both from their Debian
//! packages too.
//!
//! Each server listens on a loopback port of its own and stops when dropped. The packaged
//! programs are found, started, watched and stopped the same way ([`process`]).

mod alertmanager;
pub mod chromium;
pub(crate) mod client;
mod forge;
mod hook;
mod process;
mod prometheus;
mod server;

pub use alertmanager::{amtool, Alertmanager};
pub use forge::{FakeAttachment, FakeForge, FakeIssue};
pub use hook::{FakeHook, HookRequest};
pub use process::free_port;
pub use prometheus::{promtool, Prometheus, PrometheusSetup};

/// Locks a fake's state even after a panic elsewhere poisoned it: the test that panicked has
/// already failed, and what was recorded is still what the report needs.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
