//! hero_osis_business: people of each context's business module: five seeded per context, and
//! those written through `business.persons.set` (kept in the [`World`], deleted by id).

use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::context;
use crate::fault::Fault;
use crate::jsonrpc::{param, string_param, RpcError};
use crate::world::World;

pub struct OsisBusiness;

/// Application error code for an id that matches no record.
const NOT_FOUND: i64 = -32004;

/// Application error code for a write refused because [`MAX_WRITTEN`] persons are stored.
const STORE_FULL: i64 = -32005;

const PERSONS_PER_CONTEXT: usize = 5;

/// The field [`Fault::BizFieldGone`] takes from every person.
const GONE_FIELD: &str = "email";

/// The most persons written and not yet deleted, all contexts together: a probe that never
/// cleans up fills the store no further than this.
const MAX_WRITTEN: usize = 1000;

/// The longest name `business.persons.set` takes, in bytes.
const MAX_NAME: usize = 256;

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
    MethodDoc {
        name: "business.persons.set",
        summary: "Writes the person of this name in the request's context; returns its id",
        params: &[("name", "string")],
        result: "string",
    },
    MethodDoc {
        name: "business.persons.delete",
        summary: "Deletes a written person by id; returns true",
        params: &[("id", "string")],
        result: "boolean",
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
        let mut all = if ctx.world.has(&Fault::BizEmpty) {
            Vec::new()
        } else {
            persons(ctx.context)
        };
        // Seed-data drift: the store kept one record of its seed.
        if ctx.world.has(&Fault::BizOnePerson) {
            all.truncate(1);
        }
        let world = ctx.world;
        all.extend(
            world
                .persons()
                .iter()
                .filter(|p| p["context"] == ctx.context)
                .cloned(),
        );
        // Seed-data drift: a field gone from every record, written ones too.
        if world.has(&Fault::BizFieldGone) {
            for p in &mut all {
                if let Some(p) = p.as_object_mut() {
                    p.remove(GONE_FIELD);
                }
            }
        }
        Some(match method {
            // A new version wrapping its lists: still a non-empty result, no longer a list.
            "business.persons.list" if world.has(&Fault::BizAnswerReshaped) => {
                Ok(json!({ "items": all }))
            }
            "business.persons.list" => Ok(Value::Array(all)),
            "business.persons.get" => string_param(params, "id", 0).and_then(|id| {
                all.into_iter()
                    // A write that can't be read back: the index lost every record.
                    .filter(|_| !world.has(&Fault::BizGetBroken))
                    .find(|p| p["id"] == id)
                    .ok_or_else(|| RpcError::new(NOT_FOUND, format!("no person {id}")))
            }),
            "business.persons.set" => string_param(params, "name", 0)
                .and_then(|name| set(world, ctx.context, name, params)),
            "business.persons.delete" => string_param(params, "id", 0).and_then(|id| {
                let mut written = world.persons();
                let before = written.len();
                written.retain(|p| !(p["id"] == id && p["context"] == ctx.context));
                if written.len() < before {
                    Ok(Value::Bool(true))
                } else {
                    Err(RpcError::new(NOT_FOUND, format!("no written person {id}")))
                }
            }),
            _ => return None,
        })
    }
}

/// Writes the person called `name` in `context`: updates the one written before under that
/// name, else adds one. The seed data is read-only.
fn set(world: &World, context: &str, name: &str, params: &Value) -> Result<Value, RpcError> {
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(RpcError::invalid_params(format!(
            "a name is 1 to {MAX_NAME} bytes without control characters"
        )));
    }
    let email = param(params, "email", 1).and_then(Value::as_str);
    let mut written = world.persons();
    if let Some(p) = written
        .iter_mut()
        .find(|p| p["name"] == name && p["context"] == context)
    {
        if let Some(email) = email {
            p["email"] = email.into();
        }
        return Ok(p["id"].clone());
    }
    if written.len() >= MAX_WRITTEN {
        return Err(RpcError::new(
            STORE_FULL,
            format!("the store is full: {MAX_WRITTEN} written persons, delete some"),
        ));
    }
    let id = format!("p-{context}-w{}", world.next_person_id());
    written.push(json!({
        "id": id,
        "name": name,
        "email": email.unwrap_or_default(),
        "context": context,
    }));
    Ok(Value::String(id))
}
