//! Asking hero_proc, the supervisor, over whichever connector reaches its socket: which
//! services it runs (for `for_each = "service"`).

use super::{read_rpc, Connector};
use crate::outcome::Failure;
use crate::panel::{defaults, HttpSpec, Request, Target};
use std::time::Duration;

/// Where the supervisor answers JSON-RPC: `hero_proc/rpc.sock` (HERO.md, "The supervisor").
pub(crate) const SUPERVISOR: &str = "hero_proc/rpc";

/// The supervisor's socket as a target.
pub fn supervisor() -> Target {
    Target::parse(SUPERVISOR).expect("a valid target")
}

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

/// Hands each name hero_proc lists (`service.list`: names, or objects with a `name`) to `each`,
/// as it sent them; the caller keeps what its cap allows. The answer is at most the engine's
/// `max_body` (4 MiB), and no name is copied here.
pub async fn supervised_services(
    connector: &dyn Connector,
    timeout: Duration,
    mut each: impl FnMut(&str),
) -> Result<(), Failure> {
    let spec = HttpSpec::rpc(supervisor(), "service.list", None);
    let endpoint = connector.endpoint(&spec)?;
    let read = |result: &serde_json::Value| {
        result
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().or_else(|| s.get("name")?.as_str()))
            .for_each(&mut each)
    };
    read_rpc(connector, &endpoint, &spec, timeout, read)
        .await
        .map_err(|f| Failure {
            detail: format!(
                "asking hero_proc at {} which services run: {}",
                endpoint.display, f.detail
            ),
            ..f
        })
}
