//! From a panel to runnable probes for one side: `for_each` expanded over the services found,
//! each probe given its endpoint.

use super::{Connector, Endpoint, HttpProbe};
use crate::outcome::{Cause, Failure, ProbeReport};
use crate::panel::{Panel, ProbeSpec};
use crate::probe::{Probe, ProbeInfo};
use std::sync::Arc;

/// One probe as it resolves on this side.
pub struct Resolved {
    pub spec: ProbeSpec,
    /// Where it goes, or why it can't go anywhere (no service found for a `for_each`).
    pub endpoint: Result<Endpoint, Failure>,
}

/// The panel's probes for this connector's side, `--only` applied.
pub async fn resolve(panel: &Panel, connector: &dyn Connector, only: &[String]) -> Vec<Resolved> {
    let mode = connector.mode();
    let services = if panel.needs_services(mode) {
        connector.services().await
    } else {
        Ok(Vec::new())
    };
    let mut out = Vec::new();
    for spec in panel
        .probes
        .iter()
        .filter(|p| p.runs_in(mode) && p.for_each_service)
    {
        // A template with nothing to expand over is itself a failure: "health of every service"
        // must not pass because no service was seen.
        let why = match &services {
            Err(e) => Some(format!("no services to probe: {e}")),
            Ok(list) if list.is_empty() => Some("no services found to probe".to_string()),
            Ok(_) => None,
        };
        if let (Some(why), true) = (why, spec.selected_by(only)) {
            out.push(Resolved {
                spec: spec.for_service("*"),
                endpoint: Err(Failure::new(Cause::Connect, why)),
            });
        }
    }
    let services = services.unwrap_or_default();
    for spec in panel.probes_for(mode, only, &services) {
        let endpoint = connector
            .endpoint(&spec)
            .map_err(|e| Failure::new(Cause::Checker, e));
        out.push(Resolved { spec, endpoint });
    }
    out
}

/// The panel's probes, ready for the runner.
pub async fn panel_probes(
    panel: &Panel,
    connector: Arc<dyn Connector>,
    only: &[String],
) -> Vec<Arc<dyn Probe>> {
    resolve(panel, connector.as_ref(), only)
        .await
        .into_iter()
        .map(|r| -> Arc<dyn Probe> {
            match r.endpoint {
                Ok(endpoint) => Arc::new(HttpProbe::new(r.spec, endpoint, connector.clone())),
                Err(failure) => Arc::new(Unresolved::new(&r.spec, failure)),
            }
        })
        .collect()
}

/// A probe that could not be placed; every attempt reports why.
struct Unresolved {
    info: ProbeInfo,
    failure: Failure,
}

impl Unresolved {
    fn new(spec: &ProbeSpec, failure: Failure) -> Self {
        let mut info = ProbeInfo::new(&spec.name, spec.target.to_string());
        info.tags = spec.tags.clone();
        info.severity = spec.severity;
        info.retries = 0;
        Unresolved { info, failure }
    }
}

#[async_trait::async_trait]
impl Probe for Unresolved {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        let mut r = ProbeReport::new(&self.info.name);
        r.fail(self.failure.clone());
        r
    }
}
