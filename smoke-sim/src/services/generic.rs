//! `svc_NNN`: a bare service for benchmarks, with `/health` and an `echo` method only.

use serde_json::Value;

use super::{Ctx, MethodDoc, Service};
use crate::jsonrpc::RpcError;

pub struct Generic {
    name: String,
}

/// The name of the `index`-th of `total` generic services: zero-padded to at least three
/// digits so the names sort in number order.
pub fn generic_name(index: usize, total: usize) -> String {
    let width = total.saturating_sub(1).to_string().len().max(3);
    format!("svc_{index:0width$}")
}

impl Generic {
    pub fn new(index: usize, total: usize) -> Generic {
        Generic {
            name: generic_name(index, total),
        }
    }
}

const METHODS: &[MethodDoc] = &[MethodDoc {
    name: "echo",
    summary: "Answers its params unchanged",
    params: &[],
    result: "object",
}];

impl Service for Generic {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> &'static str {
        "1.0.0"
    }

    fn description(&self) -> &'static str {
        "Generic benchmark service"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, _ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        (method == "echo").then(|| Ok(params.clone()))
    }
}
