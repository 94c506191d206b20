//! hero_osis_base: per-context configuration. Each context has its own records, which is
//! what lets a probe notice when every context silently answers root's.

use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::context::{self, CONTEXTS};
use crate::fault::Fault;
use crate::jsonrpc::{string_param, RpcError};

pub struct OsisBase;

/// Application error code for an id that matches no record.
const NOT_FOUND: i64 = -32004;

const METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "base.configuration.list",
        summary: "The configuration records of the request's context",
        params: &[],
        result: "array",
    },
    MethodDoc {
        name: "base.configuration.get",
        summary: "One configuration record by id",
        params: &[("id", "string")],
        result: "object",
    },
    MethodDoc {
        name: "base.context.list",
        summary: "The names of all data contexts",
        params: &[],
        result: "array",
    },
];

const THEMES: [&str; 5] = ["system", "light", "forest", "ocean", "dusk"];
const LOCALES: [&str; 5] = ["en-US", "en-GB", "nl-BE", "fr-BE", "de-DE"];

fn records(context: &str) -> Vec<Value> {
    let i = context::seed(context);
    vec![
        json!({"id": format!("cfg-{context}-theme"), "context": context, "key": "theme", "value": THEMES[i]}),
        json!({"id": format!("cfg-{context}-locale"), "context": context, "key": "locale", "value": LOCALES[i]}),
        json!({"id": format!("cfg-{context}-owner"), "context": context, "key": "owner", "value": format!("admin@{context}.example")}),
    ]
}

impl Service for OsisBase {
    fn name(&self) -> &str {
        "hero_osis_base"
    }

    fn version(&self) -> &'static str {
        "1.2.0"
    }

    fn description(&self) -> &'static str {
        "Object storage: base configuration per context"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        let context = if ctx.world.has(&Fault::ContextFallback) {
            "root"
        } else {
            ctx.context
        };
        Some(match method {
            "base.configuration.list" => Ok(Value::Array(records(context))),
            "base.configuration.get" => string_param(params, "id", 0).and_then(|id| {
                records(context)
                    .into_iter()
                    .find(|r| r["id"] == id)
                    .ok_or_else(|| RpcError::new(NOT_FOUND, format!("no configuration {id}")))
            }),
            "base.context.list" => Ok(json!(CONTEXTS)),
            _ => return None,
        })
    }
}
