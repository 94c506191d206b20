//! hero_osis_business: people of each context's business module.

use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::context;
use crate::fault::Fault;
use crate::jsonrpc::{string_param, RpcError};

pub struct OsisBusiness;

/// Application error code for an id that matches no record.
const NOT_FOUND: i64 = -32004;

const PERSONS_PER_CONTEXT: usize = 5;

const METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "business.persons.list",
        summary: "The persons of the request's context",
        params: &[],
        result: "array",
    },
    MethodDoc {
        name: "business.persons.get",
        summary: "One person by id",
        params: &[("id", "string")],
        result: "object",
    },
];

const FIRST: [&str; 9] = [
    "Ada", "Bram", "Chloe", "Dries", "Elena", "Femke", "Gust", "Hanne", "Ilse",
];
const LAST: [&str; 7] = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
];

fn persons(context: &str) -> Vec<Value> {
    let seed = context::seed(context);
    (0..PERSONS_PER_CONTEXT)
        .map(|i| {
            let first = FIRST[(seed * 2 + i) % FIRST.len()];
            let last = LAST[(seed + i * 3) % LAST.len()];
            json!({
                "id": format!("p-{context}-{}", i + 1),
                "name": format!("{first} {last}"),
                "email": format!("{}.{}@{context}.example", first.to_lowercase(), last.to_lowercase()),
                "context": context,
            })
        })
        .collect()
}

impl Service for OsisBusiness {
    fn name(&self) -> &str {
        "hero_osis_business"
    }

    fn version(&self) -> &'static str {
        "1.2.0"
    }

    fn description(&self) -> &'static str {
        "Object storage: business records per context"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        // The historical breakage: the store came up empty, so every lookup finds nothing.
        let all = if ctx.world.has(&Fault::BizEmpty) {
            Vec::new()
        } else {
            persons(ctx.context)
        };
        Some(match method {
            "business.persons.list" => Ok(Value::Array(all)),
            "business.persons.get" => string_param(params, "id", 0).and_then(|id| {
                all.into_iter()
                    .find(|p| p["id"] == id)
                    .ok_or_else(|| RpcError::new(NOT_FOUND, format!("no person {id}")))
            }),
            _ => return None,
        })
    }
}
