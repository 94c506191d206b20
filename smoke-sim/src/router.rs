//! HTTP answers for a connection that reached hyper: routing, the shared endpoints and the
//! faults that still speak HTTP (Health500, RpcError) or must act mid-connection.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::context::{self, CONTEXT_HEADER};
use crate::fault::Fault;
use crate::jsonrpc::{self, Reply, RpcError, INTERNAL_ERROR};
use crate::services::{self, Ctx, Service};
use crate::world::World;

pub type Resp = Response<Full<Bytes>>;

/// Which socket of a service a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SocketKind {
    Rpc,
    Ui,
}

/// One listening socket: whose it is and which face of the service it shows.
pub struct Endpoint {
    pub service: Arc<dyn Service>,
    pub kind: SocketKind,
}

/// Returned instead of a response to make hyper close the connection without writing a
/// byte (hyper writes nothing when the service fails).
#[derive(Debug)]
pub struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by a simulated fault")
    }
}

impl std::error::Error for Dropped {}

pub fn json_response(status: StatusCode, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    typed(status, "application/json", Bytes::from(bytes))
}

pub fn typed(status: StatusCode, content_type: &'static str, body: Bytes) -> Resp {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    resp
}

pub fn not_found(path: &str) -> Resp {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": "not found", "path": path}),
    )
}

fn empty(status: StatusCode) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

/// Whether a request on this endpoint must get an empty reply: the hero_foundry photos
/// breakage. Also checked before HTTP (see `connection`), but a keep-alive client may ask
/// for a photo after a healthy `/health` on the same connection.
pub fn photos_broken(world: &World, endpoint: &Endpoint, path: &str) -> bool {
    endpoint.kind == SocketKind::Rpc
        && endpoint.service.name() == Fault::PhotosBroken.service()
        && path.starts_with("/api/files/")
        && world.has(&Fault::PhotosBroken)
}

/// The hyper service: one request in, one response (or a dropped connection) out.
pub async fn answer(
    world: Arc<World>,
    endpoint: Arc<Endpoint>,
    req: Request<Incoming>,
) -> Result<Resp, Dropped> {
    world.count_request();
    if world.hits("slow", endpoint.service.name()) {
        tokio::time::sleep(crate::fault::SLOW_DELAY).await;
    }
    let path = req.uri().path().to_string();
    tracing::debug!(service = endpoint.service.name(), method = %req.method(), %path, "request");
    if photos_broken(&world, &endpoint, &path) {
        return Err(Dropped);
    }
    let header = req
        .headers()
        .get(CONTEXT_HEADER)
        .and_then(|v| v.to_str().ok());
    let ctx = Ctx {
        world: &world,
        context: context::resolve(header),
    };
    let service = endpoint.service.as_ref();
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);

    if endpoint.kind == SocketKind::Ui {
        return Ok(match (is_get, service.ui(&ctx, &path)) {
            (true, Some(resp)) => resp,
            (false, Some(_)) => empty(StatusCode::METHOD_NOT_ALLOWED),
            (_, None) => not_found(&path),
        });
    }

    match (req.method().clone(), path.as_str()) {
        (Method::POST, "/rpc" | "/") => {
            // A body that fails mid-read is as good as a client that went away.
            let body = req.into_body().collect().await.map_err(|_| Dropped)?;
            Ok(rpc(service, &ctx, &body.to_bytes()))
        }
        (_, "/rpc") => Ok(empty(StatusCode::METHOD_NOT_ALLOWED)),
        _ if !is_get => Ok(not_found(&path)),
        (_, "/health") => {
            let (body, failed) = services::health(service, &ctx);
            let status = if failed {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            let mut resp = json_response(status, &body);
            if ctx.world.hits("content-type-changed", service.name()) {
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("text/plain; charset=utf-8"),
                );
            }
            Ok(resp)
        }
        (_, "/openrpc.json") => Ok(json_response(StatusCode::OK, &services::openrpc(service))),
        (_, "/.well-known/heroservice.json") => {
            Ok(json_response(StatusCode::OK, &services::manifest(service)))
        }
        _ => Ok(service.get(&ctx, &path).unwrap_or_else(|| not_found(&path))),
    }
}

fn rpc(service: &dyn Service, ctx: &Ctx, body: &[u8]) -> Resp {
    let broken = ctx.world.hits("rpc-error", service.name());
    let reply = jsonrpc::handle(body, |method, params| {
        if broken {
            return Err(RpcError::new(
                INTERNAL_ERROR,
                "internal error: database locked",
            ));
        }
        services::call(service, ctx, method, params)
            .unwrap_or_else(|| Err(RpcError::method_not_found(method)))
    });
    match reply {
        // JSON-RPC errors travel inside a 200, as the real services send them.
        Reply::Json(value) => json_response(StatusCode::OK, &value),
        Reply::Nothing => empty(StatusCode::NO_CONTENT),
    }
}
