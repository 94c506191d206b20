//! hero_embedder: turns text into vectors; its health reports the work queue's depth.

use serde_json::{json, Map, Value};

use super::{Ctx, MethodDoc, Service};
use crate::fault::Fault;
use crate::jsonrpc::{string_param, RpcError};

pub struct Embedder;

const QUEUE_DEPTH: u64 = 3;
const BACKLOG_DEPTH: u64 = 5000;
const DIMENSIONS: usize = 8;

const METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "embedder.status",
        summary: "Queue depth and model of the embedder",
        params: &[],
        result: "object",
    },
    MethodDoc {
        name: "embedder.embed",
        summary: "A small deterministic embedding of a text",
        params: &[("text", "string")],
        result: "object",
    },
];

fn queue_depth(ctx: &Ctx) -> u64 {
    if ctx.world.has(&Fault::QueueBacklog) {
        BACKLOG_DEPTH
    } else {
        QUEUE_DEPTH
    }
}

/// Same text, same vector: tests can compare answers across calls.
fn embed(text: &str) -> Vec<f64> {
    let mut vector = vec![0.0; DIMENSIONS];
    for (i, byte) in text.bytes().enumerate() {
        vector[i % DIMENSIONS] += f64::from(byte) / 255.0;
    }
    let norm = vector.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|v| *v /= norm);
    }
    vector
}

impl Service for Embedder {
    fn name(&self) -> &str {
        "hero_embedder"
    }

    fn version(&self) -> &'static str {
        "0.3.1"
    }

    fn description(&self) -> &'static str {
        "Text embeddings for hero search"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        Some(match method {
            "embedder.status" => Ok(json!({
                "queue_depth": queue_depth(ctx),
                "model": "mini-embed-8",
            })),
            "embedder.embed" => string_param(params, "text", 0)
                .map(|text| json!({"dimensions": DIMENSIONS, "vector": embed(text)})),
            _ => return None,
        })
    }

    // The backlog is reported with status still "ok": that is what made it easy to miss.
    fn health_extra(&self, ctx: &Ctx, health: &mut Map<String, Value>) {
        health.insert("queue_depth".into(), queue_depth(ctx).into());
    }
}
