//! hero_osis as the hero projects describe it today: one RPC that routes each method by its
//! prefix (`base.` to the configuration store, `business.` to the business records), in place
//! of a socket per domain (HERO.md, "OSIS": hero_rpc#42 calls the per-domain paths legacy).
//! The domains are the same ones the seed's layout serves on their own sockets, so a fault of
//! either shows here exactly as it does there.

use std::sync::LazyLock;

use serde_json::Value;

use super::osis_base::OsisBase;
use super::osis_business::OsisBusiness;
use super::{Ctx, MethodDoc, Service};
use crate::jsonrpc::RpcError;

pub struct Osis;

/// Each domain's methods, in the order the OpenRPC document lists them.
static METHODS: LazyLock<Vec<MethodDoc>> = LazyLock::new(|| {
    [OsisBase.methods(), OsisBusiness.methods()]
        .into_iter()
        .flatten()
        .map(|m| MethodDoc { ..*m })
        .collect()
});

impl Service for Osis {
    fn name(&self) -> &str {
        "hero_osis"
    }

    fn version(&self) -> &'static str {
        "2.0.0"
    }

    fn description(&self) -> &'static str {
        "Object storage: every domain behind one RPC, by method prefix"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        &METHODS
    }

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        match method.split_once('.')?.0 {
            "base" => OsisBase.call(ctx, method, params),
            "business" => OsisBusiness.call(ctx, method, params),
            _ => None,
        }
    }
}
