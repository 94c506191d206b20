//! hero_proc: the process supervisor. It knows every service of the deployment but, like
//! the real one, only what a supervisor can see (see `World::process_state`).

use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::jsonrpc::{string_param, RpcError};

pub struct Proc;

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

fn status(ctx: &Ctx, index: usize, name: &str) -> Value {
    json!({
        "name": name,
        "state": ctx.world.process_state(name),
        // Made-up but stable, so two calls agree.
        "pid": 4100 + index,
        "socket": format!("{name}/rpc.sock"),
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
        if method == "service.list" {
            // `service.list`'s shape is not confirmed by the hero projects (HERO.md, "hero_proc
            // methods"): smoke reads a bare name or an object with a `name`, and this list
            // serves both, the names it was told to add bare so 200,000 fit the 4 MiB a
            // client reads.
            let states = ctx
                .world
                .services()
                .iter()
                .map(|name| json!({"name": name, "state": ctx.world.process_state(name)}));
            let added = ctx.world.also_listed().into_iter().map(Value::String);
            return Some(Ok(states.chain(added).collect()));
        }
        // Whatever it lists it also answers for, so a restart of any listed name is recorded.
        let services = ctx.world.listed();
        Some(match method {
            "service.status" => string_param(params, "name", 0).and_then(|name| {
                services
                    .iter()
                    .position(|s| s == name)
                    .map(|i| status(ctx, i, name))
                    .ok_or_else(|| {
                        RpcError::new(UNKNOWN_SERVICE, format!("unknown service {name}"))
                    })
            }),
            "service.restart" => string_param(params, "name", 0).and_then(|name| {
                if !services.iter().any(|s| s == name) {
                    return Err(RpcError::new(
                        UNKNOWN_SERVICE,
                        format!("unknown service {name}"),
                    ));
                }
                ctx.world.restart(name);
                Ok(json!({"name": name, "state": ctx.world.process_state(name), "restarted": true}))
            }),
            _ => return None,
        })
    }
}
