//! hero_proc: the process supervisor. It knows every service of the deployment but, like
//! the real one, only what a supervisor can see (see `World::process_state`).

use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::jsonrpc::{string_param, RpcError};
use crate::layout::Layout;

pub struct Proc {
    pub layout: Layout,
    /// hero_os's UI socket (`ui.sock` or `admin.sock`), which its `hero_os_ui` action serves.
    pub ui_file: &'static str,
}

/// One name of the list, the service it belongs to, and the sockets it serves.
struct Entry {
    name: String,
    service: String,
    sockets: Vec<String>,
}

impl Proc {
    /// What hero_proc lists. The seed's layout: each service by its folder's name. The hero as
    /// documented: by action where a service has several (`hero_os_server`, `hero_os_ui`:
    /// hero_proc#83), its own UI with no socket (`hero_proc_ui`: hero_proc#86), each naming
    /// the sockets it serves (HERO.md, "hero_proc names"; the `sockets` field is this
    /// simulation's guess at how: the list's shape was not found).
    fn entries(&self, ctx: &Ctx) -> Vec<Entry> {
        let services = ctx.world.services();
        if self.layout == Layout::Herodemo {
            return services
                .iter()
                .map(|s| Entry {
                    name: s.clone(),
                    service: s.clone(),
                    sockets: Vec::new(),
                })
                .collect();
        }
        let mut entries = Vec::new();
        for s in services {
            let rpc = vec![format!("{s}/rpc.sock")];
            if s == "hero_os" {
                let ui = vec![format!("{s}/{}", self.ui_file)];
                for (action, sockets) in [("hero_os_server", rpc), ("hero_os_ui", ui)] {
                    entries.push(Entry {
                        name: action.to_string(),
                        service: s.clone(),
                        sockets,
                    });
                }
            } else {
                entries.push(Entry {
                    name: s.clone(),
                    service: s.clone(),
                    sockets: rpc,
                });
            }
        }
        entries.push(Entry {
            name: "hero_proc_ui".to_string(),
            service: "hero_proc".to_string(),
            sockets: Vec::new(),
        });
        entries
    }
}

/// Application error code for a service hero_proc does not supervise.
const UNKNOWN_SERVICE: i64 = -32004;

const METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "service.list",
        summary: "Every supervised service and its state",
        params: &[],
        result: "array",
    },
    MethodDoc {
        name: "service.status",
        summary: "The state of one service",
        params: &[("name", "string")],
        result: "object",
    },
    MethodDoc {
        name: "service.restart",
        summary: "Restart one service",
        params: &[("name", "string")],
        result: "object",
    },
];

fn status(ctx: &Ctx, index: usize, name: &str, service: &str) -> Value {
    json!({
        "name": name,
        "state": ctx.world.process_state(service),
        // Made-up but stable, so two calls agree.
        "pid": 4100 + index,
        "socket": format!("{service}/rpc.sock"),
    })
}

impl Service for Proc {
    fn name(&self) -> &str {
        "hero_proc"
    }

    fn version(&self) -> &'static str {
        "0.6.0"
    }

    fn description(&self) -> &'static str {
        "Process supervisor for hero services"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        let entries = self.entries(ctx);
        if method == "service.list" {
            // `service.list`'s shape is not confirmed by the hero projects (HERO.md, "hero_proc
            // methods"): smoke reads a bare name or an object with a `name` (and `sockets`),
            // and this list serves both, the names it was told to add bare so 200,000 fit the
            // 4 MiB a client reads.
            let states = entries.iter().map(|e| {
                let mut entry =
                    json!({"name": e.name, "state": ctx.world.process_state(&e.service)});
                if self.layout == Layout::Hero {
                    entry["sockets"] = json!(e.sockets);
                }
                entry
            });
            let added = ctx.world.also_listed().into_iter().map(Value::String);
            return Some(Ok(states.chain(added).collect()));
        }
        // Whatever it lists it also answers for, so a restart of any listed name is recorded
        // (an action's as its service's), and the folder names of the seed's layout as well.
        let mut services: Vec<(String, String)> =
            entries.into_iter().map(|e| (e.name, e.service)).collect();
        services.extend(ctx.world.listed().into_iter().map(|n| (n.clone(), n)));
        Some(match method {
            "service.status" => string_param(params, "name", 0).and_then(|name| {
                services
                    .iter()
                    .position(|(n, _)| n == name)
                    .map(|i| status(ctx, i, name, &services[i].1))
                    .ok_or_else(|| {
                        RpcError::new(UNKNOWN_SERVICE, format!("unknown service {name}"))
                    })
            }),
            "service.restart" => string_param(params, "name", 0).and_then(|name| {
                let Some((_, service)) = services.iter().find(|(n, _)| n == name) else {
                    return Err(RpcError::new(
                        UNKNOWN_SERVICE,
                        format!("unknown service {name}"),
                    ));
                };
                ctx.world.restart(name, service);
                Ok(json!({"name": name, "state": ctx.world.process_state(service), "restarted": true}))
            }),
            _ => return None,
        })
    }
}
