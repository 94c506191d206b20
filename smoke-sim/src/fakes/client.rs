//! The few plain-HTTP requests the harnesses make themselves (readiness checks, reading back
//! state), one connection each: loopback only, so there is nothing worth pooling.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Sends one request to an `http://host:port/...` URL and returns the status and whole body.
pub(crate) async fn request(
    method: Method,
    url: &str,
    json_body: Option<Vec<u8>>,
    timeout: Duration,
) -> io::Result<(StatusCode, Bytes)> {
    tokio::time::timeout(timeout, send(method, url, json_body))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("{url}: no answer")))?
}

async fn send(
    method: Method,
    url: &str,
    json_body: Option<Vec<u8>>,
) -> io::Result<(StatusCode, Bytes)> {
    let uri: Uri = url
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {e}")))?;
    let authority = uri
        .authority()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: no host")))?
        .clone();
    let stream = TcpStream::connect(authority.as_str()).await?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "harness client connection");
        }
    });

    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, authority.as_str());
    let request = match json_body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body))),
        None => builder.body(Full::new(Bytes::new())),
    }
    .map_err(io::Error::other)?;

    let response = sender
        .send_request(request)
        .await
        .map_err(io::Error::other)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    Ok((status, body))
}
