//! One request through the gateway: its faults, the route, and the exchange with the
//! service's Unix socket.

use std::convert::Infallible;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use super::route::{self, Route};
use crate::fault::Fault;
use crate::layout::Layout;
use crate::world::World;

pub type Resp = Response<Full<Bytes>>;

/// How long a request waits while [`Fault::GatewaySlow`] is on.
pub const SLOW_DELAY: Duration = Duration::from_secs(10);

/// What every request through one gateway shares.
pub struct Upstreams {
    pub world: Arc<World>,
    pub socket_dir: PathBuf,
    /// The whole exchange with a service (connect, request, whole answer) must fit in this.
    pub timeout: Duration,
    /// Which deployment it fronts: the seed's routes one path off the rule.
    pub layout: Layout,
}

/// Why a service gave no usable answer.
#[derive(Debug)]
enum Failure {
    Missing,
    Refused,
    Broken(String),
}

/// The hyper service of a gateway connection: never fails, every problem is an HTTP status.
pub async fn handle(up: Arc<Upstreams>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    tracing::debug!(method = %req.method(), uri = %req.uri(), "gateway request");
    up.world.count_gateway_request();
    if up.world.has(&Fault::Gateway502) {
        return Ok(text(
            StatusCode::BAD_GATEWAY,
            "502 Bad Gateway (simulated gateway-502 fault)".to_string(),
        ));
    }
    if up.world.has(&Fault::GatewaySlow) {
        tokio::time::sleep(SLOW_DELAY).await;
    }
    if up.world.has(&Fault::GatewayBlocksUi) && from_the_ui(&req) {
        return Ok(text(
            StatusCode::FORBIDDEN,
            "403 Forbidden: cross-origin request refused (simulated gateway-blocks-ui fault)"
                .to_string(),
        ));
    }
    let socket_dir = up.socket_dir.clone();
    let exists = |service: &str, file: &str| socket_dir.join(service).join(file).exists();
    let Some(route) = route::route(req.uri().path(), req.uri().query(), exists, up.layout) else {
        return Ok(text(
            StatusCode::NOT_FOUND,
            format!(
                "no service for {}: expected /<service>/<socket>/...",
                req.uri().path()
            ),
        ));
    };
    Ok(forward(&up, &route, req).await)
}

/// Whether the request is one the UI's page makes to another service: a browser names the page
/// in `Referer`; the page's own script and wasm, under the UI's prefix, still load.
fn from_the_ui(req: &Request<Incoming>) -> bool {
    const UI: &str = "/hero_os/ui/";
    !req.uri().path().starts_with(UI)
        && req
            .headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.parse::<http::Uri>().ok())
            .is_some_and(|r| r.path().starts_with(UI))
}

async fn forward(up: &Upstreams, route: &Route, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {e}"),
            )
        }
    };
    let mut upstream = Request::new(Full::new(body));
    *upstream.method_mut() = parts.method;
    *upstream.version_mut() = Version::HTTP_11;
    *upstream.uri_mut() = match route.target.parse() {
        Ok(uri) => uri,
        Err(_) => return text(StatusCode::BAD_REQUEST, "unusable path".to_string()),
    };
    *upstream.headers_mut() = end_to_end(&parts.headers);
    let forwarded = upstream.headers_mut();
    if let Ok(prefix) = HeaderValue::from_str(&route.prefix) {
        forwarded.insert(HeaderName::from_static("x-forwarded-prefix"), prefix);
    }
    forwarded.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("https"),
    );

    let socket = up.socket_dir.join(&route.service).join(&route.socket);
    let label = route.label();
    match tokio::time::timeout(up.timeout, exchange(&socket, upstream)).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(Failure::Missing)) => {
            text(StatusCode::BAD_GATEWAY, format!("socket {label} not found"))
        }
        Ok(Err(Failure::Refused)) => text(
            StatusCode::BAD_GATEWAY,
            format!("socket {label} refused the connection"),
        ),
        Ok(Err(Failure::Broken(why))) => {
            text(StatusCode::BAD_GATEWAY, format!("{label} failed: {why}"))
        }
        Err(_) => text(
            StatusCode::GATEWAY_TIMEOUT,
            format!("{label} did not answer within {:?}", up.timeout),
        ),
    }
}

/// One request on a fresh connection, answer read whole. Buffering lets a reply that breaks
/// half-way become a 502 instead of a 200 cut short.
async fn exchange(socket: &Path, req: Request<Full<Bytes>>) -> Result<Resp, Failure> {
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Failure::Missing,
            io::ErrorKind::ConnectionRefused => Failure::Refused,
            _ => Failure::Broken(e.to_string()),
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Failure::Broken(e.to_string()))?;
    // The connection is driven beside the request rather than spawned, so a timeout that drops
    // this future also closes the connection to a hung service.
    let ask = async move {
        let resp = sender.send_request(req).await?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok::<_, hyper::Error>((parts, body))
    };
    let (answer, _) = tokio::join!(ask, conn);
    let (parts, body) = answer.map_err(|e| Failure::Broken(e.to_string()))?;
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = parts.status;
    *resp.headers_mut() = end_to_end(&parts.headers);
    Ok(resp)
}

/// The headers a proxy passes on: hop-by-hop ones go, and so does the framing, which hyper
/// recomputes for the buffered body.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let hop = [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::CONTENT_LENGTH,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
        HeaderName::from_static("keep-alive"),
    ];
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !hop.contains(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn text(status: StatusCode, body: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body + "\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
