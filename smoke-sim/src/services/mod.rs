//! The simulated services. Each one only supplies its own methods, data and extra routes;
//! the endpoints every hero service shares (`/health`, OpenRPC, manifest, `rpc.*`) are
//! built here and in [`crate::router`] so they cannot drift apart between services.

mod embedder;
mod foundry;
mod generic;
mod os;
mod osis;
mod osis_base;
mod osis_business;
mod proc;

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::context::CONTEXTS;
use crate::jsonrpc::RpcError;
use crate::layout::Layout;
use crate::router::Resp;
use crate::world::World;

/// What a service sees of one request.
pub struct Ctx<'a> {
    pub world: &'a World,
    /// The resolved data context (never unknown: unknown names are already `root`).
    pub context: &'static str,
}

/// One method as listed in the OpenRPC document.
pub struct MethodDoc {
    pub name: &'static str,
    pub summary: &'static str,
    /// `(name, JSON Schema type)` of each parameter, all required.
    pub params: &'static [(&'static str, &'static str)],
    /// JSON Schema type of the result.
    pub result: &'static str,
}

pub trait Service: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn version(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn methods(&self) -> &'static [MethodDoc];

    /// Answers a service-specific method; `None` when the method is unknown.
    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>>;

    /// Adds service-specific fields to a healthy `/health` answer.
    fn health_extra(&self, _ctx: &Ctx, _health: &mut Map<String, Value>) {}

    /// Extra GET routes on `rpc.sock`.
    fn get(&self, _ctx: &Ctx, _path: &str) -> Option<Resp> {
        None
    }

    /// Whether the service has a web UI socket; `ui` is only called when it does.
    fn ui_socket(&self) -> Option<&str> {
        None
    }

    /// GET routes on the UI socket.
    fn ui(&self, _ctx: &Ctx, _path: &str) -> Option<Resp> {
        None
    }
}

/// The herodemo services as `layout` shapes them; `ui_file` names hero_os's UI socket
/// (`ui.sock` or `admin.sock`).
pub fn herodemo(layout: Layout, ui_file: &'static str) -> Vec<Arc<dyn Service>> {
    let mut all: Vec<Arc<dyn Service>> = vec![
        Arc::new(embedder::Embedder),
        Arc::new(foundry::Foundry),
        Arc::new(os::Os { ui_file, layout }),
        Arc::new(proc::Proc { layout, ui_file }),
    ];
    // The seed's OSIS has a socket per domain; the hero projects' one RPC for all (HERO.md).
    match layout {
        Layout::Herodemo => {
            all.push(Arc::new(osis_base::OsisBase));
            all.push(Arc::new(osis_business::OsisBusiness));
        }
        Layout::Hero => all.push(Arc::new(osis::Osis)),
    }
    all
}

/// A generic benchmark service with only `/health` and `echo`.
pub fn generic(index: usize, total: usize) -> Arc<dyn Service> {
    Arc::new(generic::Generic::new(index, total))
}

/// Methods every hero service answers, listed first in every OpenRPC document.
const COMMON_METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "rpc.discover",
        summary: "This service's OpenRPC document",
        params: &[],
        result: "object",
    },
    MethodDoc {
        name: "rpc.health",
        summary: "The same report as GET /health",
        params: &[],
        result: "object",
    },
];

/// The body of `/health` and of `rpc.health`: the status and whether it is an error.
pub fn health(service: &dyn Service, ctx: &Ctx) -> (Value, bool) {
    if ctx.world.hits("health-500", service.name()) {
        let body = json!({
            "status": "error",
            "service": service.name(),
            "error": "health check failed: storage unavailable",
        });
        return (body, true);
    }
    let mut map = Map::new();
    map.insert("status".into(), "ok".into());
    map.insert("service".into(), service.name().into());
    map.insert("version".into(), service.version().into());
    service.health_extra(ctx, &mut map);
    (Value::Object(map), false)
}

/// The OpenRPC document (`GET /openrpc.json`, `rpc.discover`).
pub fn openrpc(service: &dyn Service) -> Value {
    let methods: Vec<Value> = COMMON_METHODS
        .iter()
        .chain(service.methods())
        .map(|m| {
            let params: Vec<Value> = m
                .params
                .iter()
                .map(|(name, ty)| json!({"name": name, "required": true, "schema": {"type": ty}}))
                .collect();
            json!({
                "name": m.name,
                "summary": m.summary,
                "params": params,
                "result": {"name": "result", "schema": {"type": m.result}},
            })
        })
        .collect();
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": service.name(),
            "description": service.description(),
            "version": service.version(),
        },
        "methods": methods,
    })
}

/// The discovery manifest (`GET /.well-known/heroservice.json`).
pub fn manifest(service: &dyn Service) -> Value {
    let mut sockets = vec!["rpc.sock"];
    sockets.extend(service.ui_socket());
    json!({
        "name": service.name(),
        "version": service.version(),
        "description": service.description(),
        "protocol": "jsonrpc-2.0",
        "rpc": "/rpc",
        "health": "/health",
        "openrpc": "/openrpc.json",
        "sockets": sockets,
        "contexts": CONTEXTS,
        "context_header": "X-Hero-Context",
    })
}

/// Answers a method every service shares, or the service's own; `None` when unknown.
pub fn call(
    service: &dyn Service,
    ctx: &Ctx,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    match method {
        "rpc.discover" => Some(Ok(openrpc(service))),
        "rpc.health" => Some(Ok(health(service, ctx).0)),
        _ => service.call(ctx, method, params),
    }
}
