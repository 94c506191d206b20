//! State shared by every socket of one deployment: the active faults, the request counter,
//! the service roster and the generated photos.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::fault::Fault;
use crate::layout::Layout;
use crate::photo::Photos;

pub struct World {
    // A Vec, not a set: `active()` then lists faults in the order they were switched on,
    // which reads naturally in a demo, and there are never more than a handful.
    faults: Mutex<Vec<Fault>>,
    /// Which deployment it is: the service a fault breaks depends on it.
    layout: Layout,
    served: AtomicU64,
    /// Requests the gateway received, whatever became of them.
    through_gateway: AtomicU64,
    /// Whether a restart through hero_proc clears the service's faults (a restart that helps).
    restart_helps: AtomicBool,
    /// The services restarted through hero_proc, in order.
    restarts: Mutex<Vec<String>>,
    services: Vec<String>,
    /// Names hero_proc lists beside the deployment's services, with no socket of their own:
    /// what a confused or hostile supervisor may say.
    also_listed: Mutex<Vec<String>>,
    photos: Photos,
    /// Whether every photo has been renamed (see [`crate::Deployment::rename_photos`]).
    photos_renamed: AtomicBool,
    /// The persons written through `business.persons.set`, each with its `context`.
    persons: Mutex<Vec<serde_json::Value>>,
    /// The last number given to a written person's id.
    person_ids: AtomicU64,
}

impl World {
    /// The world of a deployment in `layout`, which decides which service a fault breaks.
    pub fn in_layout(self, layout: Layout) -> World {
        World { layout, ..self }
    }

    pub fn new(mut services: Vec<String>, photos: Photos) -> World {
        services.sort();
        World {
            faults: Mutex::new(Vec::new()),
            served: AtomicU64::new(0),
            through_gateway: AtomicU64::new(0),
            restart_helps: AtomicBool::new(true),
            restarts: Mutex::new(Vec::new()),
            services,
            layout: Layout::default(),
            also_listed: Mutex::new(Vec::new()),
            photos,
            photos_renamed: AtomicBool::new(false),
            persons: Mutex::new(Vec::new()),
            person_ids: AtomicU64::new(0),
        }
    }

    fn faults(&self) -> MutexGuard<'_, Vec<Fault>> {
        // A panic while holding this lock cannot leave the Vec half-written, so a poisoned
        // lock is still good data.
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn has(&self, fault: &Fault) -> bool {
        self.faults().contains(fault)
    }

    /// Whether any active fault of kind `name` (e.g. `"hang"`) targets `service`.
    pub fn hits(&self, name: &str, service: &str) -> bool {
        self.faults()
            .iter()
            .any(|f| f.name() == name && f.service() == service)
    }

    pub fn insert(&self, fault: Fault) {
        let mut faults = self.faults();
        if !faults.contains(&fault) {
            faults.push(fault);
        }
    }

    pub fn remove(&self, fault: &Fault) {
        self.faults().retain(|f| f != fault);
    }

    /// What hero_proc's `service.restart` does to the simulation: it is logged, and unless told
    /// not to help, the service's behaviour and data faults go away with the old process.
    /// Socket faults (a missing or stale socket file) stay until cleared: a listener can't be
    /// brought back from inside a request.
    /// A restart asked by `name` (a service, or one of its actions), of `service`.
    pub fn restart(&self, name: &str, service: &str) {
        self.restarts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_string());
        if self.restart_helps.load(Ordering::SeqCst) {
            let layout = self.layout;
            self.faults().retain(|f| {
                f.service_in(layout) != service
                    || matches!(
                        f,
                        Fault::SocketMissing(_)
                            | Fault::StaleSocket(_)
                            | Fault::UiSocketMissing
                            | Fault::UiProcessDead
                    )
            });
        }
    }

    pub fn set_restart_helps(&self, helps: bool) {
        self.restart_helps.store(helps, Ordering::SeqCst);
    }

    pub fn restarts(&self) -> Vec<String> {
        self.restarts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn take_all(&self) -> Vec<Fault> {
        std::mem::take(&mut *self.faults())
    }

    pub fn active(&self) -> Vec<Fault> {
        self.faults().clone()
    }

    pub fn count_request(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_gateway_request(&self) {
        self.through_gateway.fetch_add(1, Ordering::Relaxed);
    }

    pub fn gateway_requests(&self) -> u64 {
        self.through_gateway.load(Ordering::Relaxed)
    }

    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// What hero_proc's `service.list` names: the services, then whatever it was told to add.
    pub fn listed(&self) -> Vec<String> {
        let mut names = self.services.clone();
        names.extend(self.also_listed());
        names
    }

    /// The names hero_proc was told to list beside the services.
    pub fn also_listed(&self) -> Vec<String> {
        self.also_listed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn also_list(&self, names: &[&str]) {
        self.also_listed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(names.iter().map(|n| n.to_string()));
    }

    pub fn photos(&self) -> &Photos {
        &self.photos
    }

    pub fn photos_renamed(&self) -> bool {
        self.photos_renamed.load(Ordering::SeqCst)
    }

    pub fn rename_photos(&self, renamed: bool) {
        self.photos_renamed.store(renamed, Ordering::SeqCst);
    }

    /// The persons written through hero_osis_business, in every context.
    pub fn persons(&self) -> MutexGuard<'_, Vec<serde_json::Value>> {
        // Each change is one push, one field update or one removal: never half-done.
        self.persons.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A number no written person had before.
    pub fn next_person_id(&self) -> u64 {
        self.person_ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// What hero_proc reports for a service: it sees a process whose socket is gone as
    /// failed and a failing health check as degraded, but (like the real one) cannot tell
    /// that a running process hangs or serves wrong data.
    pub fn process_state(&self, service: &str) -> &'static str {
        if self.hits("socket-missing", service) || self.hits("stale-socket", service) {
            "failed"
        } else if self.hits("health-500", service) {
            "degraded"
        } else {
            "running"
        }
    }
}
