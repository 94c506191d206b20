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
            alternatives: Vec::new(),
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

/// The most sockets of one entry of hero_proc's list read: a name serves a handful.
const SOCKETS_READ: usize = 8;

/// The most sockets named in a line that says where a name is served.
const SOCKETS_SAID: usize = 3;

/// One name of hero_proc's list, with the sockets it serves when the list says so
/// (`{"name": "hero_os_ui", "sockets": ["hero_os/ui.sock"]}`): supervised names are not always
/// socket folders (HERO.md, "hero_proc names"), and where the list names a name's sockets,
/// those are its sockets, an empty list none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<'a> {
    name: &'a str,
    sockets: Option<Vec<&'a str>>,
}

impl<'a> Listed<'a> {
    /// The name, as hero_proc sent it.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The sockets it serves (`<folder>/<file>`), when the list says; the first
    /// 8, the ones that are not text skipped.
    pub fn sockets(&self) -> Option<&[&'a str]> {
        self.sockets.as_deref()
    }

    /// Reads one entry: a bare name, or an object with a `name` and maybe `sockets`.
    fn read(entry: &'a serde_json::Value) -> Option<Listed<'a>> {
        if let Some(name) = entry.as_str() {
            return Some(Listed {
                name,
                sockets: None,
            });
        }
        let sockets = entry.get("sockets").and_then(|s| s.as_array()).map(|all| {
            all.iter()
                .take(SOCKETS_READ)
                .filter_map(|s| s.as_str())
                .collect()
        });
        Some(Listed {
            name: entry.get("name")?.as_str()?,
            sockets,
        })
    }

    /// The services it is known to run: the folders whose `rpc.sock` it serves
    /// (`hero_os/rpc.sock`: `hero_os`), or, when the list does not say, its own name.
    pub fn services(&self) -> Vec<&'a str> {
        match &self.sockets {
            None => vec![self.name],
            Some(sockets) => sockets
                .iter()
                .filter_map(|s| s.strip_suffix("/rpc.sock"))
                .filter(|folder| crate::panel::is_service_name(folder))
                .collect(),
        }
    }

    /// What `list` says of it when it is no service of its own name: where it is served, or
    /// that it serves no socket. `None` when it is one, or when the list does not say.
    pub fn not_probed(&self) -> Option<String> {
        let sockets = self.sockets.as_ref()?;
        if self.services().contains(&self.name) {
            return None;
        }
        let name = crate::text::Escaped(self.name);
        if sockets.is_empty() {
            return Some(format!(
                "{name}: supervised by hero_proc, serves no socket: no probe of its own"
            ));
        }
        let mut shown: Vec<String> = sockets
            .iter()
            .take(SOCKETS_SAID)
            .map(|s| crate::text::Escaped(s).to_string())
            .collect();
        if sockets.len() > SOCKETS_SAID {
            shown.push("...".to_string());
        }
        Some(format!(
            "{name}: supervised by hero_proc, served by {}: no probe of its own",
            shown.join(", ")
        ))
    }
}

/// Hands each entry hero_proc lists (`service.list`: names, or objects with a `name` and maybe
/// the `sockets` it serves) to `each`, as it sent them; the caller keeps what its cap allows.
/// The answer is at most the engine's `max_body` (4 MiB), and no name is copied here.
pub async fn supervised_services(
    connector: &dyn Connector,
    timeout: Duration,
    mut each: impl FnMut(Listed<'_>),
) -> Result<(), Failure> {
    let spec = HttpSpec::rpc(supervisor(), "service.list", None);
    let endpoint = connector.endpoint(&spec)?;
    let read = |result: &serde_json::Value| {
        result
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Listed::read)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listed(entry: &serde_json::Value) -> (Vec<&str>, Option<String>) {
        let l = Listed::read(entry).unwrap();
        (l.services(), l.not_probed())
    }

    #[test]
    fn a_name_is_its_own_service_unless_the_list_names_its_sockets() {
        assert_eq!(listed(&json!("hero_os")), (vec!["hero_os"], None));
        assert_eq!(
            listed(&json!({"name": "hero_os", "state": "running"})).0,
            ["hero_os"]
        );
        let server = json!({"name": "hero_os_server", "sockets": ["hero_os/rpc.sock"]});
        assert_eq!(
            listed(&server),
            (
                vec!["hero_os"],
                Some("hero_os_server: supervised by hero_proc, served by hero_os/rpc.sock: no probe of its own".into())
            )
        );
        let ui = json!({"name": "hero_os_ui", "sockets": ["hero_os/ui.sock"]});
        assert_eq!(listed(&ui).0, Vec::<&str>::new());
        let none = json!({"name": "hero_proc_ui", "sockets": []});
        assert_eq!(
            listed(&none),
            (
                vec![],
                Some(
                    "hero_proc_ui: supervised by hero_proc, serves no socket: no probe of its own"
                        .into()
                )
            )
        );
        let own = json!({"name": "hero_foundry", "sockets": ["hero_foundry/rpc.sock", "hero_foundry/ui.sock"]});
        assert_eq!(listed(&own), (vec!["hero_foundry"], None));
    }

    #[test]
    fn a_hostile_list_of_sockets_is_read_bounded_and_said_escaped() {
        let many: Vec<String> = (0..1000).map(|i| format!("s{i}/rpc.sock")).collect();
        let l = json!({"name": "x", "sockets": many});
        let read = Listed::read(&l).unwrap();
        assert_eq!(read.services().len(), SOCKETS_READ);
        let odd = json!({"name": "x\u{1b}[2J", "sockets": [1, null, "../etc/rpc.sock", "a\u{1b}/ui.sock", "b/c/rpc.sock"]});
        let (services, said) = listed(&odd);
        assert!(services.is_empty(), "{services:?}");
        let said = said.unwrap();
        assert!(!said.contains('\u{1b}'), "{said}");
        assert!(said.starts_with("x\\u{1b}[2J: supervised by hero_proc, served by ../etc/rpc.sock, a\\u{1b}/ui.sock, b/c/rpc.sock"), "{said}");
        assert_eq!(Listed::read(&json!({"sockets": []})), None);
        assert_eq!(Listed::read(&json!(7)), None);
    }
}
