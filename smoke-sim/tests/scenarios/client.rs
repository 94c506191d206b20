//! A tiny HTTP/1.1 client over Unix sockets that shows exactly what came back, including
//! nothing at all.

use std::io;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::time::Instant;

/// Long enough for any healthy answer on a loaded CI machine.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// What a connection gave back.
#[derive(Debug)]
pub struct Received {
    pub bytes: Vec<u8>,
    /// Whether the server closed the connection before the wait ran out.
    pub closed: bool,
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The bytes of a request that asks the server to close after answering.
pub fn request(method: &str, target: &str, context: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: sim\r\nconnection: close\r\n");
    if let Some(ctx) = context {
        head.push_str(&format!("x-hero-context: {ctx}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Connects and sends `bytes`, leaving the connection open.
pub async fn open(socket: &Path, bytes: &[u8]) -> io::Result<UnixStream> {
    let mut stream = UnixStream::connect(socket).await?;
    stream.write_all(bytes).await?;
    Ok(stream)
}

/// Reads until the server closes or `wait` passes.
pub async fn read_for(stream: &mut UnixStream, wait: Duration) -> io::Result<Received> {
    let deadline = Instant::now() + wait;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                return Ok(Received {
                    bytes,
                    closed: false,
                })
            }
            Ok(Ok(0)) => {
                return Ok(Received {
                    bytes,
                    closed: true,
                })
            }
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
}

/// Sends `bytes` on a new connection and reads what comes back within `wait`.
pub async fn exchange(socket: &Path, bytes: &[u8], wait: Duration) -> io::Result<Received> {
    let mut stream = open(socket, bytes).await?;
    read_for(&mut stream, wait).await
}

pub fn parse(bytes: &[u8]) -> Option<Reply> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    })
}

/// One complete request and its parsed reply; panics on anything but a whole response.
pub async fn call(socket: &Path, bytes: &[u8]) -> Reply {
    let got = exchange(socket, bytes, PATIENCE)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    assert!(got.closed, "{}: no complete answer", socket.display());
    let reply = parse(&got.bytes)
        .unwrap_or_else(|| panic!("not HTTP: {:?}", String::from_utf8_lossy(&got.bytes)));
    if let Some(len) = reply.header("content-length") {
        assert_eq!(
            len.parse::<usize>().unwrap(),
            reply.body.len(),
            "whole body"
        );
    }
    reply
}

pub async fn get(socket: &Path, target: &str) -> Reply {
    call(socket, &request("GET", target, None, b"")).await
}

pub async fn get_in(socket: &Path, target: &str, context: &str) -> Reply {
    call(socket, &request("GET", target, Some(context), b"")).await
}

pub async fn post(socket: &Path, target: &str, body: &[u8]) -> Reply {
    call(socket, &request("POST", target, None, body)).await
}

/// A JSON-RPC call; the whole response object (with `result` or `error`).
pub async fn rpc(socket: &Path, method: &str, params: Value, context: Option<&str>) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let bytes = request("POST", "/rpc", context, body.to_string().as_bytes());
    let reply = call(socket, &bytes).await;
    assert_eq!(reply.status, 200, "JSON-RPC answers (even errors) are 200");
    reply.json()
}

/// The `result` of a JSON-RPC call that must succeed.
pub async fn result(socket: &Path, method: &str, params: Value, context: Option<&str>) -> Value {
    let answer = rpc(socket, method, params, context).await;
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}
