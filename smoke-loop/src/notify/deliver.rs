//! The outbox: every event owed to a sink waits in the state until the sink took it. Sinks are
//! served side by side, each in order; a failure is retried within the tick with growing pauses,
//! then kept, and the next tick starts again from it: nothing after it goes first.

use super::log::Log;
use super::{FlushError, NotifierError, OpenIncident, Setup, Sink};
use crate::config::LoopConfig;
use crate::loop_state::{Delivery, LoopState};
use crate::state_dir::{StateDir, StateDirError};
use smoke_core::engine::{Event, EventKind, Mode, Panel};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Tries per delivery within one tick; the pause before retry n is n times this.
const TRIES_PER_TICK: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(300);

/// Kinds of event of which only the latest per incident is worth sending.
const LATEST_ONLY: [EventKind; 2] = [EventKind::Firing, EventKind::Affected];

pub struct Notifier {
    sinks: Vec<Arc<dyn Sink>>,
    /// Called after every tick so a dead loop is noticed; the URL may hold a key.
    heartbeat: Option<(reqwest::Client, String)>,
}

impl Notifier {
    /// The panel's sinks for a host's `run` or `watch` (all but those marked `relay = true`),
    /// the log always first. Secrets are read here, so a missing one is said before any probe
    /// runs.
    pub fn from_config(
        panel: &Panel,
        config: &LoopConfig,
        mode: Mode,
    ) -> Result<Notifier, NotifierError> {
        Notifier::build(panel, config, mode, false)
    }

    /// The sinks marked `relay = true`, for `relay`, the log first; no heartbeat, which is the
    /// loop's.
    pub fn for_relay(
        panel: &Panel,
        config: &LoopConfig,
        mode: Mode,
    ) -> Result<Notifier, NotifierError> {
        Notifier::build(panel, config, mode, true)
    }

    fn build(
        panel: &Panel,
        config: &LoopConfig,
        mode: Mode,
        relay: bool,
    ) -> Result<Notifier, NotifierError> {
        let entries = || config.notify.iter().filter(move |n| n.relay == relay);
        let heartbeat_url = config.heartbeat_url.as_ref().filter(|_| !relay);
        let needs_http = heartbeat_url.is_some() || entries().any(|n| n.config.uses_http());
        let setup = Setup {
            client: if needs_http {
                Some(super::http::client()?)
            } else {
                None
            },
            panel: panel.name.clone(),
            mode,
            every: panel.every,
            vantage: panel.vantage.clone(),
        };
        let heartbeat = match heartbeat_url {
            Some(url) => Some((
                setup.client(),
                url.read().map_err(NotifierError::Heartbeat)?,
            )),
            None => None,
        };
        let mut sinks: Vec<Arc<dyn Sink>> = vec![Arc::new(Log)];
        for n in entries() {
            let sink = n
                .config
                .sink(&n.name, &setup)
                .map_err(|source| NotifierError::Sink {
                    name: n.name.clone(),
                    line: n.line,
                    source,
                })?;
            sinks.push(sink);
        }
        Ok(Notifier { sinks, heartbeat })
    }

    /// Tells the heartbeat service the loop is alive: the URL after a good tick, the URL with
    /// `/fail` after a failed one (the healthchecks.io convention). Its failure is said, never
    /// fatal.
    pub async fn beat(&self, outcome: smoke_core::prelude::Outcome) {
        let Some((client, url)) = &self.heartbeat else {
            return;
        };
        let url = match outcome {
            smoke_core::prelude::Outcome::Fail | smoke_core::prelude::Outcome::Error => {
                format!("{}/fail", url.trim_end_matches('/'))
            }
            _ => url.clone(),
        };
        let body = serde_json::json!({"outcome": outcome.as_str()});
        if let Err(e) = super::http::send("the heartbeat", client.post(&url).json(&body)).await {
            smoke_core::say!("{e}");
        }
    }

    /// Only the log: for `--no-notify`.
    pub fn log_only() -> Notifier {
        Notifier {
            sinks: vec![Arc::new(Log)],
            heartbeat: None,
        }
    }

    /// Owes each event to every sink that wants it. A `firing` word, or an `affected` list,
    /// replaces one of its kind not yet sent for the same incident: only the latest matters, so
    /// a sink that is down for days owes one of each, not one a tick. One pass over the outbox,
    /// however many events: a tick of thousands of failing probes stays linear.
    pub fn enqueue(&self, state: &mut LoopState, events: &[Event]) {
        // The last word of each such kind per incident in this batch is the one kept.
        let last: HashMap<(EventKind, &str), usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| LATEST_ONLY.contains(&e.event))
            .map(|(i, e)| ((e.event, e.incident.as_str()), i))
            .collect();
        if !last.is_empty() {
            let replaces: HashSet<(EventKind, &str)> = self
                .sinks
                .iter()
                .flat_map(|s| {
                    LATEST_ONLY
                        .iter()
                        .filter(|k| s.wants(**k))
                        .map(|k| (*k, s.name()))
                })
                .collect();
            state.outbox.retain(|d| {
                let kind = d.event.event;
                !(replaces.contains(&(kind, d.sink.as_str()))
                    && last.contains_key(&(kind, d.event.incident.as_str())))
            });
        }
        for (i, event) in events.iter().enumerate() {
            if LATEST_ONLY.contains(&event.event)
                && last.get(&(event.event, event.incident.as_str())) != Some(&i)
            {
                continue;
            }
            for sink in self.sinks.iter().filter(|s| s.wants(event.event)) {
                state.outbox.push(Delivery {
                    sink: sink.name().to_string(),
                    event: event.clone(),
                    attempts: 0,
                    last_error: None,
                });
            }
        }
    }

    /// Delivers what is owed, each sink on its own, saving the state after every change.
    /// Returns the failures (what they concern stays owed).
    pub async fn flush(&self, dir: &StateDir, state: &mut LoopState) -> Vec<FlushError> {
        let shared = Mutex::new(std::mem::take(state));
        let errors = self.flush_shared(dir, &shared).await;
        *state = shared.into_inner();
        errors
    }

    /// [`Notifier::flush`] with the state behind a lock that is taken only between calls to
    /// the sinks, so others (the relay's intake) may enqueue while a slow sink is told.
    pub async fn flush_shared(&self, dir: &StateDir, shared: &Mutex<LoopState>) -> Vec<FlushError> {
        // Deliveries for sinks no longer in the panel can never be made: say so once, drop them.
        let mut errors = Vec::new();
        let known: Vec<&str> = self.sinks.iter().map(|s| s.name()).collect();
        {
            let mut state = shared.lock().await;
            let before = state.outbox.len();
            state.outbox.retain(|d| known.contains(&d.sink.as_str()));
            if state.outbox.len() < before {
                errors.push(FlushError::Dropped(before - state.outbox.len()));
            }
        }
        let results = futures_util::future::join_all(
            self.sinks
                .iter()
                .map(|sink| serve(sink.as_ref(), dir, shared)),
        )
        .await;
        errors.extend(results.into_iter().flatten());
        errors
    }
}

async fn serve(sink: &dyn Sink, dir: &StateDir, shared: &Mutex<LoopState>) -> Option<FlushError> {
    let name = sink.name().to_string();
    let (open, pending, mut handles) = {
        let state = shared.lock().await;
        let open: Vec<OpenIncident> = state
            .core
            .incidents
            .iter()
            .map(|(key, i)| OpenIncident {
                probe: key.clone(),
                id: i.id.clone(),
                summary: match i.cause {
                    Some(c) => format!("{}: {}", c.as_str(), i.detail),
                    None => i.detail.clone(),
                },
            })
            .collect();
        let pending: Vec<String> = state
            .outbox
            .iter()
            .filter(|d| d.sink == name)
            .map(|d| d.event.incident.clone())
            .collect();
        (
            open,
            pending,
            state.handles.get(&name).cloned().unwrap_or_default(),
        )
    };
    if let Err(e) = sink.reconcile(&open, &pending, &mut handles).await {
        return Some(FlushError::Reconcile {
            sink: name,
            error: e,
            kept: pending.len(),
        });
    }
    store_handles(shared, dir, sink, &handles).await;
    // This sink's deliveries in order. Others may be enqueued meanwhile (after these) and a
    // newer list may replace one of these: each sent is taken out by what it is.
    let owed: Vec<Delivery> = {
        let state = shared.lock().await;
        state
            .outbox
            .iter()
            .filter(|d| d.sink == name)
            .cloned()
            .collect()
    };
    let mut done = Progress {
        delivered: Vec::new(),
        saved_at: Instant::now(),
    };
    for delivery in owed {
        let before = handles.get(&delivery.event.incident).copied();
        let mut tries = 0;
        // Tried again at once only while what went wrong did nothing on the far side.
        let outcome = loop {
            if tries > 0 {
                tokio::time::sleep(RETRY_PAUSE * tries).await;
            }
            tries += 1;
            match sink.deliver(&delivery.event, &mut handles).await {
                Ok(()) => break Ok(()),
                Err(e) if e.retry_at_once() && tries < TRIES_PER_TICK => continue,
                Err(e) => break Err(e),
            }
        };
        let last = match outcome {
            Ok(()) => {
                let new_handle = handles.get(&delivery.event.incident).copied() != before;
                done.delivered.push(delivery);
                // A new handle (a forge issue made) is saved at once; the rest in groups, so
                // a kill repeats at most SAVE_EVERY of deliveries and never loses one.
                if new_handle || done.saved_at.elapsed() >= SAVE_EVERY {
                    if let Err(e) = done.commit(shared, dir, sink, &handles, None).await {
                        return Some(e.into());
                    }
                }
                continue;
            }
            Err(e) => e,
        };
        let failed = Failed {
            delivery,
            tries,
            error: last.to_string(),
        };
        if let Err(e) = done.commit(shared, dir, sink, &handles, Some(failed)).await {
            return Some(e.into());
        }
        return Some(FlushError::Kept {
            sink: name,
            error: last,
        });
    }
    done.commit(shared, dir, sink, &handles, None)
        .await
        .err()
        .map(FlushError::from)
}

/// How long deliveries may go unsaved: the most a kill can make a sink hear twice.
const SAVE_EVERY: Duration = Duration::from_millis(250);

/// Deliveries made since the state was last saved.
struct Progress {
    delivered: Vec<Delivery>,
    saved_at: Instant,
}

/// A delivery that did not go through this tick.
struct Failed {
    delivery: Delivery,
    tries: u32,
    error: String,
}

/// Where to look for a delivery among its sink's entries while others are added or replaced
/// around it (the relay's intake enqueues during a flush): its incident, kind and time.
fn word(d: &Delivery) -> (String, EventKind, jiff::Timestamp) {
    (d.event.incident.clone(), d.event.event, d.event.at)
}

impl Progress {
    /// Drops the delivered entries from the outbox, marks the failed one, saves.
    async fn commit(
        &mut self,
        shared: &Mutex<LoopState>,
        dir: &StateDir,
        sink: &dyn Sink,
        handles: &BTreeMap<String, u64>,
        failed: Option<Failed>,
    ) -> Result<(), StateDirError> {
        let name = sink.name();
        let mut state = shared.lock().await;
        state.handles.insert(name.to_string(), handles.clone());
        keep_links(&mut state, sink, handles);
        // Each sent one is taken out by what it says: a newer word enqueued meanwhile (a list
        // that replaced it) is not taken for it.
        let mut sent: HashMap<(String, EventKind, jiff::Timestamp), Vec<&Event>> = HashMap::new();
        for d in &self.delivered {
            sent.entry(word(d)).or_default().push(&d.event);
        }
        state.outbox.retain(|d| {
            if d.sink != name {
                return true;
            }
            let Some(alike) = sent.get_mut(&word(d)) else {
                return true;
            };
            match alike.iter().position(|e| **e == d.event) {
                Some(i) => {
                    alike.swap_remove(i);
                    false
                }
                None => true,
            }
        });
        if let Some(failed) = failed {
            let owed = state
                .outbox
                .iter_mut()
                .find(|d| d.sink == name && d.event == failed.delivery.event);
            if let Some(d) = owed {
                d.attempts += failed.tries;
                d.last_error = Some(failed.error);
            }
        }
        self.delivered.clear();
        self.saved_at = Instant::now();
        dir.save(&state)
    }
}

async fn store_handles(
    shared: &Mutex<LoopState>,
    dir: &StateDir,
    sink: &dyn Sink,
    handles: &BTreeMap<String, u64>,
) {
    let name = sink.name();
    let mut state = shared.lock().await;
    if state.handles.get(name) != Some(handles) {
        state.handles.insert(name.to_string(), handles.clone());
        keep_links(&mut state, sink, handles);
        let _ = dir.save(&state);
    }
}

/// Gives each open incident without a link the page of its handle in this sink (its forge
/// issue), so a status page read from the state folder alone can link it.
fn keep_links(state: &mut LoopState, sink: &dyn Sink, handles: &BTreeMap<String, u64>) {
    for incident in state.core.incidents.values_mut() {
        if incident.url.is_none() {
            if let Some(handle) = handles.get(&incident.id) {
                incident.url = sink.link(*handle);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SinkError;
    use super::*;

    /// A sink that answers from a script, one answer a call, then takes everything.
    struct Scripted {
        answers: std::sync::Mutex<Vec<SinkError>>,
        calls: std::sync::atomic::AtomicU32,
    }

    #[async_trait::async_trait]
    impl Sink for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }

        async fn deliver(&self, _: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match self.answers.lock().unwrap().pop() {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
    }

    #[tokio::test]
    async fn what_went_wrong_decides_whether_a_delivery_is_tried_again_at_once() {
        let x = || "x".to_string();
        for (answers, calls, delivered) in [
            // Nothing reached the far side, twice: the third try in the same tick takes it.
            (
                vec![SinkError::Transient(x()), SinkError::Transient(x())],
                3,
                true,
            ),
            // Three times: kept for a later tick.
            (vec![SinkError::Transient(x()); 3], 3, false),
            // It may have been acted on, or it was refused: once, and kept.
            (vec![SinkError::MaybeDelivered(x())], 1, false),
            (vec![SinkError::Refused(x())], 1, false),
            (vec![SinkError::Config(x())], 1, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let dir = StateDir::open(dir.path()).unwrap();
            let sink = Arc::new(Scripted {
                answers: std::sync::Mutex::new(answers.clone()),
                calls: Default::default(),
            });
            let notifier = Notifier {
                sinks: vec![sink.clone()],
                heartbeat: None,
            };
            let mut state = LoopState::default();
            notifier.enqueue(&mut state, &[word(EventKind::Opened, "i/1", "opened")]);
            let errors = notifier.flush(&dir, &mut state).await;
            let made = sink.calls.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(made, calls, "{answers:?}");
            assert_eq!(state.outbox.is_empty(), delivered, "{answers:?}");
            assert_eq!(errors.is_empty(), delivered, "{answers:?} {errors:?}");
        }
    }

    /// A sink that holds its first delivery until let go, and keeps what it took.
    #[derive(Default)]
    struct Held {
        entered: tokio::sync::Notify,
        gate: tokio::sync::Notify,
        took: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Sink for Held {
        fn name(&self) -> &str {
            "held"
        }

        fn wants(&self, _: EventKind) -> bool {
            true
        }

        async fn deliver(&self, e: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
            if self.took.lock().unwrap().is_empty() {
                self.entered.notify_one();
                self.gate.notified().await;
            }
            self.took.lock().unwrap().push(e.detail.clone());
            Ok(())
        }
    }

    fn word(kind: EventKind, incident: &str, detail: &str) -> Event {
        let mut e = super::super::opened(detail);
        e.event = kind;
        e.incident = incident.to_string();
        e
    }

    #[tokio::test]
    async fn words_enqueued_while_a_sink_is_told_are_kept_and_none_is_sent_twice() {
        let dir = tempfile::tempdir().unwrap();
        let dir = StateDir::open(dir.path()).unwrap();
        let held = Arc::new(Held::default());
        let notifier = Notifier {
            sinks: vec![held.clone()],
            heartbeat: None,
        };
        let mut state = LoopState::default();
        notifier.enqueue(
            &mut state,
            &[
                word(EventKind::Affected, "i/1", "list 1"),
                word(EventKind::Opened, "i/2", "two opened"),
            ],
        );
        let shared = Mutex::new(state);
        let meanwhile = async {
            held.entered.notified().await;
            // The relay's intake, while the sink is being told: a newer list replaces the one
            // in flight, and a new word comes after.
            let mut state = shared.lock().await;
            notifier.enqueue(
                &mut state,
                &[
                    word(EventKind::Affected, "i/1", "list 2"),
                    word(EventKind::Opened, "i/3", "three opened"),
                ],
            );
            drop(state);
            held.gate.notify_one();
        };
        let both = async { tokio::join!(notifier.flush_shared(&dir, &shared), meanwhile) };
        let (errors, ()) = tokio::time::timeout(Duration::from_secs(10), both)
            .await
            .expect("the state's lock is free while a sink is told");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(*held.took.lock().unwrap(), ["list 1", "two opened"]);
        let owed: Vec<String> = shared
            .lock()
            .await
            .outbox
            .iter()
            .map(|d| d.event.detail.clone())
            .collect();
        assert_eq!(owed, ["list 2", "three opened"], "kept, in order");
        assert_eq!(dir.load().unwrap().outbox.len(), 2, "and saved so");
        notifier.flush_shared(&dir, &shared).await;
        assert_eq!(
            *held.took.lock().unwrap(),
            ["list 1", "two opened", "list 2", "three opened"]
        );
        assert!(shared.lock().await.outbox.is_empty());
    }
}
