//! hero_foundry: the file store. Serves the Photos folder of every context as real JPEGs, and
//! lists it two ways: the `files.list` RPC and a `GET` of the folder (a JSON array of names).

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::context;
use crate::fault::Fault;
use crate::jsonrpc::{param, RpcError};
use crate::photo::photo_names;
use crate::router::{json_response, not_found, typed, Resp};
use crate::world::World;

pub struct Foundry;

/// Application error code for a folder that does not exist.
const NO_SUCH_FOLDER: i64 = -32004;

const METHODS: &[MethodDoc] = &[MethodDoc {
    name: "files.list",
    summary: "Names in a folder of the request's context (\"/\" or \"Photos\")",
    params: &[("path", "string")],
    result: "array",
}];

/// What a photo answers under the PhotoNotImage fault: the storage's error page, with a 200.
const NOT_AN_IMAGE: &str =
    "<!doctype html><title>Storage</title><p>webdav backend unavailable, try again later</p>";

/// The names in the Photos folder, as the faults and the rename switch leave it.
fn photos(world: &World) -> Vec<&'static str> {
    if world.has(&Fault::PhotosEmpty) {
        Vec::new()
    } else {
        photo_names(world.photos_renamed()).to_vec()
    }
}

/// The names in `path`. A leading context name is accepted, as file URLs carry their
/// context the same way; every context holds the same files.
fn list(world: &World, path: &str) -> Result<Vec<&'static str>, RpcError> {
    let trimmed = path.trim_matches('/');
    let rest = match trimmed.split_once('/') {
        Some((first, rest)) if context::known(first).is_some() => rest,
        _ if context::known(trimmed).is_some() => "",
        _ => trimmed,
    };
    match rest {
        "" => Ok(vec!["Photos"]),
        "Photos" => Ok(photos(world)),
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

    fn call(&self, ctx: &Ctx, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        if method != "files.list" {
            return None;
        }
        let path = param(params, "path", 0)
            .and_then(Value::as_str)
            .unwrap_or("/");
        Some(list(ctx.world, path).map(|names| json!(names)))
    }

    fn get(&self, ctx: &Ctx, path: &str) -> Option<Resp> {
        let rest = path.strip_prefix("/api/files/")?;
        let mut parts = rest.split('/');
        let (Some(c), Some("Photos"), name, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Some(not_found(path));
        };
        if context::known(c).is_none() {
            return Some(not_found(path));
        }
        let name = match name {
            // The folder itself, with or without its trailing slash.
            None | Some("") => {
                return Some(json_response(StatusCode::OK, &json!(photos(ctx.world))))
            }
            Some(name) => name,
        };
        let world = ctx.world;
        let found = percent_encoding::percent_decode_str(name)
            .decode_utf8()
            .ok()
            .filter(|_| !world.has(&Fault::PhotosEmpty) && !world.has(&Fault::PhotoMissing))
            .and_then(|name| world.photos().find(&name, world.photos_renamed()));
        Some(match found {
            Some(_) if world.has(&Fault::PhotoNotImage) => typed(
                StatusCode::OK,
                "text/html; charset=utf-8",
                Bytes::from_static(NOT_AN_IMAGE.as_bytes()),
            ),
            Some(bytes) => typed(StatusCode::OK, "image/jpeg", bytes),
            None => not_found(path),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::photo::{Photos, PHOTO_NAMES, RENAMED_PHOTO_NAMES};

    #[test]
    fn folders() {
        let world = World::new(Vec::new(), Photos::generate().unwrap());
        let list = |path| list(&world, path);
        assert_eq!(list("/").unwrap(), vec!["Photos"]);
        assert_eq!(list("Photos").unwrap(), PHOTO_NAMES.to_vec());
        assert_eq!(list("/geomind/Photos/").unwrap(), PHOTO_NAMES.to_vec());
        assert_eq!(list("geomind").unwrap(), vec!["Photos"]);
        assert_eq!(list("Music").unwrap_err().code, NO_SUCH_FOLDER);
        world.rename_photos(true);
        assert_eq!(list("Photos").unwrap(), RENAMED_PHOTO_NAMES.to_vec());
        world.insert(Fault::PhotosEmpty);
        assert!(list("Photos").unwrap().is_empty());
    }
}
