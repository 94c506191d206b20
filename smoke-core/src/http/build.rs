//! From a panel to runnable HTTP probes for one connector: `for_each` expanded over the services
//! found, each probe given its endpoint.

use super::{Connector, FlowProbe, HttpProbe};
use crate::outcome::{Cause, Failure};
use crate::panel::{Panel, ProbeSpec, Request};
use crate::plan::{Plan, Planned, Side, Unplaced};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// How many skipped names a process remembers having said; past it, it forgets them all and may
/// say one again: a supervisor inventing names each tick costs a line each, not memory.
const SKIPPED_REMEMBERED: usize = 1024;

/// The names that are service names ([`crate::panel::is_service_name`]); each other one is said
/// once on stderr, escaped, and never probed, restarted or put in a URL.
fn service_names(found: Vec<String>) -> Vec<String> {
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    found
        .into_iter()
        .filter(|name| {
            if crate::panel::is_service_name(name) {
                return true;
            }
            // Cut before it is kept or said: a supervisor's name can be megabytes.
            let name = crate::condition::cut_to(name, crate::panel::limits::MAX_NAME_CHARS + 1);
            let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
            if said.len() >= SKIPPED_REMEMBERED {
                said.clear();
            }
            if said.insert(name.clone()) {
                crate::say!(
                    "`{name}` skipped: not a service name ({})",
                    crate::panel::SERVICE_NAME_RULE
                );
            }
            false
        })
        .collect()
}

/// The panel's HTTP probes on this connector's side, `--only` applied, and what the cap on
/// the service lists cut.
pub async fn plan_http(panel: &Panel, connector: &Arc<dyn Connector>, only: &[String]) -> Plan {
    let mode = connector.mode();
    let http = |p: &&ProbeSpec| p.runs_in(mode) && p.http().is_some();
    let mut notes = Vec::new();
    let services = if panel.probes.iter().filter(http).any(|p| p.for_each_service) {
        connector
            .services(panel.defaults.settings.timeout)
            .await
            .map(|list| {
                notes = list.cuts;
                service_names(list.names)
            })
    } else {
        Ok(Vec::new())
    };
    let mut out = Vec::new();
    for spec in panel.probes.iter().filter(http) {
        if !spec.for_each_service {
            if spec.selected_by(only) {
                out.push(place(spec.clone(), connector));
            }
            continue;
        }
        match &services {
            // A template with nothing to expand over is itself a failure: "health of every
            // service" must not pass because no service was seen.
            Err(e) if spec.selected_by(only) => out.push(unplaced(
                spec,
                Failure {
                    detail: format!("no services to probe: {}", e.detail),
                    ..e.clone()
                },
            )),
            Ok(list) if list.is_empty() && spec.selected_by(only) => out.push(unplaced(
                spec,
                Failure::new(Cause::Connect, "no services found to probe"),
            )),
            Ok(list) => out.extend(
                list.iter()
                    .map(|s| spec.for_service(s))
                    .filter(|p| spec.selected_by(only) || p.selected_by(only))
                    .map(|p| place(p, connector)),
            ),
            Err(_) => {}
        }
    }
    Plan { probes: out, notes }
}

fn place(spec: ProbeSpec, connector: &Arc<dyn Connector>) -> Planned {
    let http = spec.http().expect("only HTTP probes are placed here");
    let what = describe_http(http);
    let restart = spec
        .restart
        .clone()
        .map(|r| (http.target.service.clone(), r));
    match connector.endpoint(http) {
        Ok(endpoint) if !http.steps.is_empty() => Planned {
            what,
            restart,
            place: endpoint.display.clone(),
            probe: Arc::new(FlowProbe::check(spec, endpoint.display, connector.clone())),
            stand_in: false,
        },
        Ok(endpoint) => Planned {
            what,
            restart,
            place: endpoint.display.clone(),
            probe: Arc::new(HttpProbe::check(spec, endpoint, connector.clone())),
            stand_in: false,
        },
        Err(why) => Planned {
            what,
            restart: None,
            place: format!("(nowhere: {})", why.detail),
            probe: Arc::new(Unplaced::check(&spec, why)),
            stand_in: false,
        },
    }
}

/// Stands for the services of a `for_each` probe when they could not be listed.
pub const UNLISTED: &str = "*";

fn unplaced(spec: &ProbeSpec, why: Failure) -> Planned {
    let spec = spec.for_service(UNLISTED);
    Planned {
        what: spec.http().map(describe_http).unwrap_or_default(),
        place: format!("(nowhere: {})", why.detail),
        restart: None,
        probe: Arc::new(Unplaced::check(&spec, why)),
        stand_in: true,
    }
}

/// A probe's request in a few words, or its steps': `GET /a, then GET /b/{photo}`.
fn describe_http(http: &crate::panel::HttpSpec) -> String {
    if http.steps.is_empty() {
        return describe(&http.request);
    }
    let steps: Vec<String> = http
        .steps
        .iter()
        .map(|s| describe(&s.http.request))
        .collect();
    steps.join(", then ")
}

/// The request in a few words, for `list`.
pub fn describe(request: &Request) -> String {
    match request {
        Request::Get { path } => format!("GET {path}"),
        Request::Post { path, .. } => format!("POST {path}"),
        Request::Rpc { method, .. } => format!("rpc {method}"),
    }
}

/// A side that runs the HTTP probes of the panel through one connector.
pub struct HttpSide {
    connector: Arc<dyn Connector>,
}

impl HttpSide {
    pub fn new(connector: Arc<dyn Connector>) -> Self {
        HttpSide { connector }
    }
}

#[async_trait::async_trait]
impl Side for HttpSide {
    fn mode(&self) -> crate::panel::Mode {
        self.connector.mode()
    }

    async fn plan(&self, panel: &Panel, only: &[String]) -> Plan {
        plan_http(panel, &self.connector, only).await
    }

    fn connector(&self) -> Option<Arc<dyn Connector>> {
        Some(self.connector.clone())
    }
}
