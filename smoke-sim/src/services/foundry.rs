//! hero_foundry: the file store. Serves the Photos folder of every context as real JPEGs.

use http::StatusCode;
use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::context;
use crate::jsonrpc::{param, RpcError};
use crate::photo::PHOTO_NAMES;
use crate::router::{not_found, typed, Resp};

pub struct Foundry;

/// Application error code for a folder that does not exist.
const NO_SUCH_FOLDER: i64 = -32004;

const METHODS: &[MethodDoc] = &[MethodDoc {
    name: "files.list",
    summary: "Names in a folder of the request's context (\"/\" or \"Photos\")",
    params: &[("path", "string")],
    result: "array",
}];

/// The names in `path`. A leading context name is accepted, as file URLs carry their
/// context the same way; every context holds the same files.
fn list(path: &str) -> Result<Vec<&'static str>, RpcError> {
    let trimmed = path.trim_matches('/');
    let rest = match trimmed.split_once('/') {
        Some((first, rest)) if context::known(first).is_some() => rest,
        _ if context::known(trimmed).is_some() => "",
        _ => trimmed,
    };
    match rest {
        "" => Ok(vec!["Photos"]),
        "Photos" => Ok(PHOTO_NAMES.to_vec()),
        other => Err(RpcError::new(
            NO_SUCH_FOLDER,
            format!("no such folder: {other}"),
        )),
    }
}

impl Service for Foundry {
    fn name(&self) -> &str {
        "hero_foundry"
    }

    fn version(&self) -> &'static str {
        "0.9.3"
    }

    fn description(&self) -> &'static str {
        "File storage for every hero context"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, _ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        if method != "files.list" {
            return None;
        }
        let path = param(params, "path", 0)
            .and_then(Value::as_str)
            .unwrap_or("/");
        Some(list(path).map(|names| json!(names)))
    }

    fn get(&self, ctx: &Ctx, path: &str) -> Option<Resp> {
        let rest = path.strip_prefix("/api/files/")?;
        let mut parts = rest.split('/');
        let found = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(c), Some("Photos"), Some(name), None) if context::known(c).is_some() => {
                ctx.world.photos().get(name)
            }
            _ => None,
        };
        Some(match found {
            Some(bytes) => typed(StatusCode::OK, "image/jpeg", bytes),
            None => not_found(path),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders() {
        assert_eq!(list("/").unwrap(), vec!["Photos"]);
        assert_eq!(list("Photos").unwrap(), PHOTO_NAMES.to_vec());
        assert_eq!(list("/geomind/Photos/").unwrap(), PHOTO_NAMES.to_vec());
        assert_eq!(list("geomind").unwrap(), vec!["Photos"]);
        assert_eq!(list("Music").unwrap_err().code, NO_SUCH_FOLDER);
    }
}
