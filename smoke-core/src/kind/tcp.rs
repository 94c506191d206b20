//! The TCP kind: `tcp = "host:port"` (either side) or a socket path (inside the VM, relative
//! to `[internal] socket_dir`) must accept a connection. With `send`, those bytes are written
//! first; with `send` or a condition on `banner` or `time.first_byte`, the peer's first line is
//! read (`banner contains "SSH-2.0"`), at most [`MAX_BANNER_BYTES`] of it.

use super::{Kind, Reading};
use crate::panel::raw::RawProbe;
use crate::panel::{Mode, PanelError};
use std::path::PathBuf;

/// The most of a peer's first line a `tcp` probe reads: a greeting is a few dozen bytes, and a
/// peer that sends more without a line break costs no more than this.
pub const MAX_BANNER_BYTES: usize = 4096;

/// A `tcp` probe: where it connects and what it sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSpec {
    /// Where it connects.
    pub target: TcpTarget,
    /// Written as soon as the connection is open (`"PING\r\n"`).
    pub send: Option<String>,
}

/// Where a `tcp` probe connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpTarget {
    /// A host name or address (without brackets) and a port.
    Host {
        /// The host name or address.
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix socket, as written: a relative path is under the socket folder.
    Socket(PathBuf),
}

impl std::fmt::Display for TcpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TcpTarget::Host { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            TcpTarget::Host { host, port } => write!(f, "{host}:{port}"),
            TcpTarget::Socket(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Kind for TcpSpec {
    const KEY: Option<&'static str> = Some("tcp");
    const NAME: &'static str = "tcp";

    fn claims(p: &RawProbe) -> bool {
        p.tcp.is_some()
    }

    fn stray(p: &RawProbe) -> Option<&'static str> {
        p.send.is_some().then_some("send")
    }

    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError> {
        let Some(tcp) = p.tcp.take() else {
            return Err(r.at.here("a tcp probe needs `tcp`"));
        };
        let text = tcp.get_ref();
        let bad = || {
            r.at.err(
                tcp.span(),
                format!(
                    "tcp = \"{text}\" must be host:port or a socket path, like 127.0.0.1:9988 or hero_router/rpc.sock"
                ),
            )
        };
        let (target, mode) = if text.contains('/') {
            if text.chars().any(char::is_control) {
                return Err(bad());
            }
            if p.mode == Some(Mode::External) {
                return Err(r.at.here(
                    "a tcp probe of a socket path runs inside the VM: its mode is internal",
                ));
            }
            (TcpTarget::Socket(PathBuf::from(text)), Some(Mode::Internal))
        } else {
            match super::tls::host_port(text) {
                Some((host, Some(port))) if port != 0 => (TcpTarget::Host { host, port }, p.mode),
                _ => return Err(bad()),
            }
        };
        let send = p.send.take().map(toml::Spanned::into_inner);
        if send.as_deref() == Some("") {
            return Err(r.at.here("send = \"\" sends nothing: leave it out"));
        }
        Ok((TcpSpec { target, send }, mode))
    }

    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut super::Planning<'_>) {
        use crate::condition::{Subject, Timing};
        let reads = self.send.is_some()
            || spec.reads(|s| matches!(s, Subject::Banner | Subject::Time(Timing::FirstByte)));
        let probe = reach::TcpProbe {
            spec: self.clone(),
            reads,
            place: plan.place.clone(),
        };
        let at = plan.place.locate(&self.target);
        plan.push(crate::plan::Planned {
            service: None,
            stand_in: false,
            what: match &self.send {
                Some(_) => "tcp, send".to_string(),
                None => "tcp".to_string(),
            },
            probe: std::sync::Arc::new(crate::plan::check_of(spec, format!("tcp {at}"), probe)),
            // What it sends, which its few words only say it does.
            definition: self
                .send
                .as_ref()
                .map(|send| format!("send\t{send}\n"))
                .unwrap_or_default(),
            place: at,
        });
    }
}

/// The probe and the ways to a port: only with the HTTP engine, whose streams they use.
#[cfg(feature = "http")]
mod reach {
    use super::*;
    use crate::outcome::{Cause, Failure, Phase};

    /// One connection, opened where the side opens it, and the peer's first line when asked.
    pub(super) struct TcpProbe {
        pub(super) spec: TcpSpec,
        /// Whether to wait for the peer's first line: `send`, or a condition that reads it.
        pub(super) reads: bool,
        pub(super) place: std::sync::Arc<dyn crate::kind::Place>,
    }

    #[async_trait::async_trait]
    impl crate::probe::Probe for TcpProbe {
        async fn attempt(
            &self,
            cx: &crate::probe::Attempt,
        ) -> Result<crate::observation::Observation, Failure> {
            use tokio::io::AsyncWriteExt;
            let deadline = cx.deadline();
            let mut conn = self.place.stream(&self.spec.target, deadline).await?;
            let mut obs = crate::observation::Observation::default();
            obs.timings = conn.timings;
            let seen = |f: Failure, timings: &crate::observation::Timings| {
                let mut timings = timings.clone();
                timings.total = Some(deadline.elapsed());
                f.seen(None, &timings)
            };
            if self.reads {
                if let Some(send) = &self.spec.send {
                    match deadline.bound(conn.stream.write_all(send.as_bytes())).await {
                        Err(_) => {
                            let f = Failure::timeout(Phase::Banner, deadline.budget());
                            return Err(seen(f, &obs.timings));
                        }
                        Ok(Err(e)) => {
                            let f = Failure::at(
                                Cause::Connect,
                                Phase::Connect,
                                format!("the connection closed before `send` was written: {e}"),
                            );
                            return Err(seen(f, &obs.timings));
                        }
                        Ok(Ok(())) => {}
                    }
                }
                let (line, first_byte) = first_line(&mut conn.stream, deadline)
                    .await
                    .map_err(|f| seen(f, &obs.timings))?;
                obs.timings.first_byte = Some(first_byte);
                obs.banner = Some(line);
            }
            obs.timings.total = Some(deadline.elapsed());
            Ok(obs)
        }
    }

    /// The peer's first line, without its line break, read until a line break, the end of the
    /// stream or [`MAX_BANNER_BYTES`]; and how long the first byte took.
    pub(super) async fn first_line(
        stream: &mut Box<dyn crate::http::Stream>,
        deadline: crate::deadline::Deadline,
    ) -> Result<(String, std::time::Duration), Failure> {
        use tokio::io::AsyncReadExt;
        let waiting = tokio::time::Instant::now();
        let limit = deadline.budget();
        let mut line = Vec::new();
        let mut first_byte = None;
        let mut chunk = [0u8; 512];
        loop {
            let room = (MAX_BANNER_BYTES - line.len()).min(chunk.len());
            let n = match deadline.bound(stream.read(&mut chunk[..room])).await {
                Err(_) if line.is_empty() => return Err(Failure::timeout(Phase::Banner, limit)),
                Err(_) => {
                    return Err(Failure::at(
                        Cause::Timeout,
                        Phase::Banner,
                        format!(
                            "the first line was not complete within {}: {} bytes and no line break",
                            crate::units::format_duration(limit),
                            line.len()
                        ),
                    ))
                }
                Ok(Err(e)) => {
                    return Err(Failure::at(
                        Cause::Connect,
                        Phase::Banner,
                        format!("the connection broke before a first line: {e}"),
                    ))
                }
                Ok(Ok(n)) => n,
            };
            first_byte.get_or_insert_with(|| waiting.elapsed());
            if n == 0 && line.is_empty() {
                return Err(Failure::at(
                    Cause::Connect,
                    Phase::Banner,
                    "the peer closed the connection without a word",
                ));
            }
            let chunk = &chunk[..n];
            match chunk.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&chunk[..end]);
                    break;
                }
                None => line.extend_from_slice(chunk),
            }
            if n == 0 || line.len() >= MAX_BANNER_BYTES {
                break;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let first_byte = first_byte.unwrap_or_else(|| waiting.elapsed());
        Ok((String::from_utf8_lossy(&line).into_owned(), first_byte))
    }

    /// A TCP connection to `host:port`, the name resolved by the system: the inside's way to a
    /// port (the gateway's own, 9988), bounded by `deadline` in each phase.
    pub async fn dial_host(
        host: &str,
        port: u16,
        deadline: crate::deadline::Deadline,
    ) -> Result<crate::http::Connection, Failure> {
        use std::net::{IpAddr, SocketAddr};
        let mut timings = crate::observation::Timings::default();
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                let (started, left) = (tokio::time::Instant::now(), deadline.remaining());
                let found = deadline
                    .bound(tokio::net::lookup_host((host, port)))
                    .await
                    .map_err(|_| Failure::timeout(Phase::Dns, left))?
                    .map_err(|e| {
                        Failure::at(
                            Cause::Dns,
                            Phase::Dns,
                            format!("cannot resolve {host}: {e}"),
                        )
                    })?;
                timings.dns = Some(started.elapsed());
                // A name of many addresses is tried on its first few: each costs a connect.
                found.take(8).collect()
            }
        };
        if addrs.is_empty() {
            let f = Failure::at(Cause::Dns, Phase::Dns, format!("{host} has no address"));
            return Err(f.seen(None, &timings));
        }
        let (started, left) = (tokio::time::Instant::now(), deadline.remaining());
        let stream = deadline
            .bound(connect(&addrs))
            .await
            .map_err(|_| Failure::timeout(Phase::Connect, left).seen(None, &timings))?
            .map_err(|f| f.seen(None, &timings))?;
        timings.connect = Some(started.elapsed());
        Ok(crate::http::Connection {
            stream: Box::new(stream),
            timings,
            cert: None,
        })
    }

    /// A socket path asked of a side that is not inside the VM.
    pub fn out_of_reach(target: &TcpTarget) -> Result<crate::http::Connection, Failure> {
        Err(Failure::new(
            Cause::Checker,
            format!("{target} is a socket path: it is reached inside the VM only"),
        ))
    }

    /// Tries each address in turn; the last refusal is the failure.
    pub async fn connect(addrs: &[std::net::SocketAddr]) -> Result<tokio::net::TcpStream, Failure> {
        let mut last = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = Some((addr, e)),
            }
        }
        let detail = match last {
            Some((addr, e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("connection refused by {addr}")
            }
            Some((addr, e)) => format!("cannot connect to {addr}: {e}"),
            None => "no address to connect to".to_string(),
        };
        Err(Failure::at(Cause::Connect, Phase::Connect, detail))
    }
}

#[cfg(feature = "http")]
pub use reach::{connect, dial_host, out_of_reach};

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::reach::*;
    use super::*;
    use crate::deadline::Deadline;
    use crate::outcome::{Cause, Failure};
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    async fn line_of(sent: Vec<u8>, close: bool) -> Result<String, Failure> {
        let (mine, mut theirs) = tokio::io::duplex(64 * 1024);
        let mut stream: Box<dyn crate::http::Stream> = Box::new(mine);
        let writer = tokio::spawn(async move {
            let _ = theirs.write_all(&sent).await;
            if !close {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let got = first_line(&mut stream, Deadline::after(Duration::from_millis(300))).await;
        writer.abort();
        got.map(|(line, _)| line)
    }

    #[tokio::test]
    async fn a_first_line_ends_at_its_break_the_end_or_the_cap() {
        assert_eq!(
            line_of(b"SSH-2.0-x\r\nmore".to_vec(), false).await.unwrap(),
            "SSH-2.0-x"
        );
        assert_eq!(line_of(b"+PONG".to_vec(), true).await.unwrap(), "+PONG");
        let flood = vec![b'a'; 1024 * 1024];
        let cut = line_of(flood, false).await.unwrap();
        assert_eq!(
            cut.len(),
            MAX_BANNER_BYTES,
            "a line without end costs the cap"
        );
        let nothing = line_of(Vec::new(), true).await.unwrap_err();
        assert_eq!(nothing.cause, Cause::Connect);
        let half = line_of(b"220 half".to_vec(), false).await.unwrap_err();
        assert_eq!(half.cause, Cause::Timeout);
        assert!(
            half.detail.contains("8 bytes and no line break"),
            "{}",
            half.detail
        );
    }
}
