//! The loopback HTTP/1.1 server under each fake: whole requests in, whole replies out, and
//! nothing left running once the fake is dropped.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Most fakes only ever see small JSON documents; the cap keeps a runaway client in a test
/// from eating the machine's memory.
const BODY_LIMIT: usize = 4 << 20;

/// How much of an over-long body is read and thrown away before the connection is dropped.
/// Closing on unread data makes the kernel send a reset, which can reach the client before
/// the 413 does; a client that is merely too big gets to finish and read its answer, a
/// runaway one is cut off.
const DRAIN_LIMIT: usize = 64 << 20;

pub(crate) type Reply = Response<Full<Bytes>>;

/// What a fake does with one request whose body has been read in full.
pub(crate) trait Handler: Send + Sync + 'static {
    /// The longest body kept; a longer one is read past and dropped, and gets
    /// [`Handler::too_large`].
    const BODY_LIMIT: usize = BODY_LIMIT;

    fn handle(&self, parts: Parts, body: Bytes) -> impl Future<Output = Reply> + Send;

    /// The answer to a body over [`Handler::BODY_LIMIT`], for a fake whose real service
    /// words that refusal in its own way.
    fn too_large(&self, _parts: &Parts) -> Reply {
        text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    }
}

/// A running server; dropping it stops it.
pub(crate) struct Server {
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // The connections live in a set owned by the accept task, so this ends them too.
        self.task.abort();
    }
}

/// Binds a free loopback port. Separate from [`spawn`] because a fake needs its own URL
/// (for the links it hands out) before it can build its handler.
pub(crate) async fn listen() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Starts answering on `listener`. Must be called inside a tokio runtime.
pub(crate) fn spawn<H: Handler>(listener: TcpListener, handler: Arc<H>) -> Server {
    Server {
        task: tokio::spawn(accept_loop(listener, handler)),
    }
}

async fn accept_loop<H: Handler>(listener: TcpListener, handler: Arc<H>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        // Reap finished connections so a long-lived fake doesn't accumulate them.
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _)) => {
                connections.spawn(serve(stream, handler.clone()));
            }
            Err(e) => {
                // Usually out of descriptors: back off rather than spin.
                tracing::debug!(error = %e, "fake server: accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn serve<H: Handler>(stream: TcpStream, handler: Arc<H>) {
    let service = service_fn(move |req: Request<Incoming>| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(answer(&*handler, req).await) }
    });
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(error = %e, "fake server: connection ended with an error");
    }
}

async fn answer<H: Handler>(handler: &H, req: Request<Incoming>) -> Reply {
    let (parts, mut body) = req.into_parts();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => return text(StatusCode::BAD_REQUEST, &format!("reading the body: {e}")),
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= H::BODY_LIMIT {
                kept.extend_from_slice(&data);
            } else {
                kept = Vec::new();
                if seen > DRAIN_LIMIT {
                    break;
                }
            }
        }
    }
    if seen > H::BODY_LIMIT {
        return handler.too_large(&parts);
    }
    handler.handle(parts, Bytes::from(kept)).await
}

/// A plain-text reply.
pub(crate) fn text(status: StatusCode, body: &str) -> Reply {
    reply(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(body.to_owned()),
    )
}

pub(crate) fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}
