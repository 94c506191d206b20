//! One accepted connection: faults that break HTTP itself act on the raw stream here;
//! everything else is handed to hyper.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::watch;

use crate::head::{self, Head, Start};
use crate::prefixed::Prefixed;
use crate::router::{self, Endpoint};
use crate::world::World;

/// How long a sabotaged connection waits for the client to finish sending or to hang up.
/// Closing with unread bytes would make the client see ECONNRESET instead of the intended
/// reply, so the body is drained first; the bound keeps a silent client from pinning us.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

const MALFORMED: &[u8] = b"garbage\r\n\r\n";
const TRUNCATED: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"status\":";

/// A fault that takes a whole connection over instead of answering HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sabotage {
    Hang,
    EmptyReply,
    Malformed,
    Truncated,
}

/// The sabotage due for a connection whose first request is for `path`. Decided once per
/// connection, so a hung connection stays hung after the fault is cleared.
fn pick(world: &World, endpoint: &Endpoint, path: &str) -> Option<Sabotage> {
    let service = endpoint.service.name();
    [
        ("hang", Sabotage::Hang),
        ("empty-reply", Sabotage::EmptyReply),
        ("malformed", Sabotage::Malformed),
        ("truncated", Sabotage::Truncated),
    ]
    .into_iter()
    .find(|(name, _)| world.hits(name, service))
    .map(|(_, s)| s)
    .or_else(|| router::photos_broken(world, endpoint, path).then_some(Sabotage::EmptyReply))
}

/// Serves one connection until it ends or the deployment shuts down.
pub async fn serve(
    stream: UnixStream,
    endpoint: Arc<Endpoint>,
    world: Arc<World>,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::select! {
        () = run(stream, endpoint, world) => {}
        // Fires on `true` and when the deployment (the sender) is dropped.
        _ = shutdown.changed() => {}
    }
}

async fn run(mut stream: UnixStream, endpoint: Arc<Endpoint>, world: Arc<World>) {
    let mut buf = BytesMut::with_capacity(2048);
    let start = match head::read_start(&mut stream, &mut buf).await {
        Ok(start) => start,
        Err(e) => {
            tracing::debug!(error = %e, "reading request head");
            return;
        }
    };
    match start {
        Start::Closed => return,
        Start::Head(head) => {
            if let Some(sabotage) = pick(&world, &endpoint, &head.path) {
                world.count_request();
                tracing::debug!(service = endpoint.service.name(), ?sabotage, "sabotaging");
                if let Err(e) = sabotage_connection(sabotage, stream, &buf, &head).await {
                    tracing::debug!(error = %e, "sabotaged connection");
                }
                return;
            }
        }
        Start::Unparsed => {}
    }
    let io = TokioIo::new(Prefixed::new(buf.freeze(), stream));
    let service = service_fn(move |req| router::answer(world.clone(), endpoint.clone(), req));
    if let Err(e) = http1::Builder::new().serve_connection(io, service).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

async fn sabotage_connection(
    sabotage: Sabotage,
    mut stream: UnixStream,
    buf: &[u8],
    head: &Head,
) -> std::io::Result<()> {
    if sabotage == Sabotage::Hang {
        // Keep reading so the task ends when the client gives up; never write.
        return discard_until_eof(&mut stream).await;
    }
    let body_missing = (head.len + head.content_length).saturating_sub(buf.len());
    let mut body = (&mut stream).take(body_missing as u64);
    let _ = tokio::time::timeout(DRAIN_LIMIT, discard_until_eof(&mut body)).await;
    match sabotage {
        Sabotage::Malformed => stream.write_all(MALFORMED).await?,
        Sabotage::Truncated => stream.write_all(TRUNCATED).await?,
        Sabotage::EmptyReply | Sabotage::Hang => {}
    }
    // Half-close: the client reads EOF now, while we still drain what it sends.
    stream.shutdown().await?;
    let _ = tokio::time::timeout(DRAIN_LIMIT, discard_until_eof(&mut stream)).await;
    Ok(())
}

async fn discard_until_eof<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<()> {
    let mut sink = [0u8; 4096];
    while reader.read(&mut sink).await? > 0 {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_reply_is_ten_body_bytes_short_of_its_length() {
        let text = std::str::from_utf8(TRUNCATED).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body.len(), 10);
        assert!(text.contains("content-length: 1000\r\n"));
    }
}
