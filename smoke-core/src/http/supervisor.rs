//! Asking hero_proc, the supervisor, over whichever connector reaches its socket: which
//! services it runs (for `for_each = "service"`).

use super::{call_rpc, Connector};
use crate::outcome::Failure;
use crate::panel::{defaults, HttpSpec, Request, Target};
use std::time::Duration;

/// Where the supervisor answers JSON-RPC.
pub const SUPERVISOR: &str = "hero_proc/rpc";

impl HttpSpec {
    /// A JSON-RPC call to `target`, as the checker itself makes it (supervisor questions,
    /// restarts), not as a panel probe.
    pub fn rpc(target: Target, method: &str, params: Option<serde_json::Value>) -> HttpSpec {
        HttpSpec {
            target,
            request: Request::Rpc {
                method: method.to_string(),
                params,
                path: None,
            },
            headers: Vec::new(),
            context: None,
            contexts: None,
            external_path: None,
            max_body: defaults::MAX_BODY,
            steps: Vec::new(),
        }
    }
}

/// The names hero_proc lists (`service.list`), sorted, each once, as it sent them: the plan
/// holds them to the service naming and says which it skipped.
pub async fn supervised_services(
    connector: &dyn Connector,
    timeout: Duration,
) -> Result<Vec<String>, Failure> {
    let target = Target::parse(SUPERVISOR).expect("a valid target");
    let spec = HttpSpec::rpc(target, "service.list", None);
    let endpoint = connector.endpoint(&spec)?;
    let result = call_rpc(connector, &endpoint, &spec, timeout)
        .await
        .map_err(|f| Failure {
            detail: format!(
                "asking hero_proc at {} which services run: {}",
                endpoint.display, f.detail
            ),
            ..f
        })?;
    let mut names: Vec<String> = result
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().or_else(|| s.get("name")?.as_str()))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}
