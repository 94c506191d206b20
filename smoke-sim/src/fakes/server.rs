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
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The fakes only ever see small JSON documents; the cap keeps a runaway client in a test
/// from eating the machine's memory.
const BODY_LIMIT: usize = 4 << 20;

pub(crate) type Reply = Response<Full<Bytes>>;

/// What a fake does with one request whose body has been read in full.
pub(crate) trait Handler: Send + Sync + 'static {
    fn handle(&self, parts: Parts, body: Bytes) -> impl Future<Output = Reply> + Send;
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
    let (parts, body) = req.into_parts();
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => handler.handle(parts, collected.to_bytes()).await,
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
        }
        Err(e) => text(StatusCode::BAD_REQUEST, &format!("reading the body: {e}")),
    }
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
