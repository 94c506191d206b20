//! Just enough HTTP/1 request parsing to decide, before hyper sees a byte, whether a fault
//! takes the connection over.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Past this, the head is not ours to judge: hyper gets it and answers the error itself.
const MAX_HEAD: usize = 64 * 1024;

/// The parts of a request head the faults care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub path: String,
    /// Bytes of the head, including the blank line.
    pub len: usize,
    pub content_length: usize,
}

/// What reading the start of a connection gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// A complete head is in the buffer (perhaps followed by body bytes).
    Head(Head),
    /// Not a head we understand; hyper should see the bytes and answer.
    Unparsed,
    /// The peer closed before sending a complete head.
    Closed,
}

/// Reads into `buf` until a request head is complete.
pub async fn read_start<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut BytesMut,
) -> std::io::Result<Start> {
    loop {
        if let Some(end) = find_blank_line(buf) {
            return Ok(parse(&buf[..end]).map_or(Start::Unparsed, Start::Head));
        }
        if buf.len() > MAX_HEAD {
            return Ok(Start::Unparsed);
        }
        if stream.read_buf(buf).await? == 0 {
            return Ok(Start::Closed);
        }
    }
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn parse(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (_method, target) = (request_line.next()?, request_line.next()?);
    if !request_line.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let path = target.split('?').next().unwrap_or(target).to_string();
    let mut content_length = 0;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().ok()?;
            }
        }
    }
    Some(Head {
        path,
        len: head.len(),
        content_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start(bytes: &[u8]) -> Start {
        let mut reader = bytes;
        read_start(&mut reader, &mut BytesMut::new()).await.unwrap()
    }

    #[tokio::test]
    async fn parses_path_and_length() {
        let raw = b"POST /rpc?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"a\":1}";
        let Start::Head(head) = start(raw).await else {
            panic!("expected a head");
        };
        assert_eq!(head.path, "/rpc");
        assert_eq!(head.content_length, 12);
        assert_eq!(head.len, raw.len() - 7);
    }

    #[tokio::test]
    async fn closed_or_unparsed() {
        assert_eq!(start(b"GET / HTTP/1.1\r\n").await, Start::Closed);
        assert_eq!(start(b"hello there\r\n\r\n").await, Start::Unparsed);
    }
}
