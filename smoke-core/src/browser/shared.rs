//! The browsers of one tick: the first visit that needs one starts it, the visits after it
//! reuse it (each in a fresh incognito context), and it ends with the tick's plan. A visit so
//! pays a browser's start once per tick, not once per page, and no browser idles between
//! ticks.

use super::process::{self, Chromium};
use super::{locate, protocol, Session};
use crate::deadline::Deadline;
use crate::outcome::{Cause, Failure};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// How a browser is started: the visits that ask for the same one share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Launch {
    /// The panel's `[browser] path`; else the first browser on `PATH`.
    pub(crate) binary: Option<PathBuf>,
    /// What this launch adds to the browser's command line.
    pub(crate) flags: Vec<String>,
}

/// A started browser and the DevTools connection to it. The connection goes first, then the
/// browser's whole process group and profile.
pub(crate) struct Running {
    pub(crate) session: Session,
    _chromium: Chromium,
}

impl Running {
    /// Still connected: a browser that crashed or closed its connection is started anew.
    fn alive(&self) -> bool {
        !self.session.pump.is_finished()
    }
}

/// The browsers a tick has started, by launch.
#[derive(Default)]
pub(crate) struct Browsers {
    running: tokio::sync::Mutex<HashMap<Launch, Arc<Running>>>,
}

impl Browsers {
    /// The tick's browser for `launch`, started within `deadline` if there is none yet. Visits
    /// that ask at once wait for the one start.
    pub(crate) async fn get(
        &self,
        launch: &Launch,
        deadline: Deadline,
    ) -> Result<Arc<Running>, Failure> {
        let waited = deadline.remaining();
        let Ok(mut running) = deadline.bound(self.running.lock()).await else {
            return Err(Failure::new(
                Cause::Timeout,
                format!(
                    "another visit's browser did not start within {}",
                    crate::units::format_duration(waited)
                ),
            ));
        };
        if let Some(browser) = running.get(launch).filter(|b| b.alive()) {
            return Ok(browser.clone());
        }
        let binary = locate(launch.binary.as_deref())?;
        let chromium = process::Chromium::start(&binary, &launch.flags, deadline).await?;
        let session = match deadline.bound(Session::connect(&chromium.websocket)).await {
            Ok(session) => session?,
            Err(_) => {
                return Err(protocol(
                    "accept the DevTools connection",
                    "no answer before the deadline",
                ))
            }
        };
        let browser = Arc::new(Running {
            session,
            _chromium: chromium,
        });
        running.insert(launch.clone(), browser.clone());
        Ok(browser)
    }

    /// Starts the next visit of `launch` with a fresh browser: this one let a visit run to its
    /// deadline, and may be why. It ends once the visits still using it let go.
    pub(crate) async fn retire(&self, launch: &Launch, browser: &Arc<Running>) {
        let mut running = self.running.lock().await;
        if running.get(launch).is_some_and(|b| Arc::ptr_eq(b, browser)) {
            running.remove(launch);
        }
    }
}
