//! Inside the VM, a browser cannot speak to Unix sockets: for one visit, smoke serves the page
//! on a loopback port of its own with the gateway's routing rule (`/<service>/<socket>/<path>`
//! to `<socket>.sock` of `<service>`, HERO.md, "The gateway"), so the page and every request it
//! makes reach the same sockets, through the same connector, as the side's other probes.
//!
//! Only the visit's browser is served: each request must carry the relay's secret in
//! [`TOKEN_HEADER`] (the browser adds it to every request it makes), so another process on the
//! VM cannot reach the sockets through smoke's port while a visit lasts.

use crate::deadline::Deadline;
use crate::http::Connector;
use crate::outcome::{Cause, Failure};
use crate::panel::{HttpSpec, Request, Target};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::sync::Arc;

type Answer = hyper::Response<BoxBody<Bytes, hyper::Error>>;

/// A loopback listener relaying to the sockets, for as long as it is kept.
pub(crate) struct Relay {
    /// `http://127.0.0.1:<port>`: where the page is opened.
    pub(crate) origin: String,
    /// What [`TOKEN_HEADER`] must say.
    pub(crate) token: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a relay through `connector`, each request made like `page` (its context and
/// headers), each connection given up at `deadline`.
pub(crate) async fn start(
    connector: Arc<dyn Connector>,
    page: HttpSpec,
    deadline: Deadline,
) -> Result<Relay, Failure> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| {
            Failure::new(
                Cause::Checker,
                format!("cannot listen on loopback for the browser: {e}"),
            )
        })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let token = secret()?;
    let page = Arc::new(page);
    let expected: Arc<str> = token.clone().into();
    let task = tokio::spawn(async move {
        // Each connection lives no longer than the visit: dropping the relay aborts this
        // task, and the connections with it, as they are spawned in it.
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let (connector, page, expected) = (connector.clone(), page.clone(), expected.clone());
            connections.spawn(async move {
                let serve = hyper::service::service_fn(move |req| {
                    let (connector, page, expected) =
                        (connector.clone(), page.clone(), expected.clone());
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            relay(req, connector, &page, &expected, deadline).await,
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), serve)
                    .await;
            });
        }
    });
    Ok(Relay {
        origin: format!("http://127.0.0.1:{port}"),
        token,
        task,
    })
}

/// The header that carries the relay's secret.
pub(crate) const TOKEN_HEADER: &str = "x-smoke-relay";

/// 128 random bits from the kernel, in hex.
fn secret() -> Result<String, Failure> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Failure::new(Cause::Checker, format!("no randomness for the relay: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `/<service>/<socket>/<rest>` and the rest: the target, and the path the socket is asked.
fn route(path_and_query: &str) -> Option<(Target, String)> {
    let trimmed = path_and_query.strip_prefix('/')?;
    let mut parts = trimmed.splitn(3, '/');
    let service = parts.next()?;
    let socket = parts.next()?;
    let socket = socket.split(['?', '#']).next()?;
    let target = Target::parse(&format!("{service}/{socket}")).ok()?;
    let rest = parts.next().unwrap_or("");
    Some((target, format!("/{rest}")))
}

fn plain(status: hyper::StatusCode, text: String) -> Answer {
    let mut answer = hyper::Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed(),
    );
    *answer.status_mut() = status;
    answer
}

async fn relay(
    req: hyper::Request<Incoming>,
    connector: Arc<dyn Connector>,
    page: &HttpSpec,
    expected: &str,
    deadline: Deadline,
) -> Answer {
    let theirs = req.headers().get(TOKEN_HEADER).map(|v| v.as_bytes());
    if theirs != Some(expected.as_bytes()) {
        return plain(
            hyper::StatusCode::FORBIDDEN,
            "smoke's relay serves only the browser of its visit".into(),
        );
    }
    let asked = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let Some((target, path)) = route(&asked) else {
        return plain(
            hyper::StatusCode::NOT_FOUND,
            "smoke's relay: not /<service>/<socket>/<path>".into(),
        );
    };
    let spec = HttpSpec {
        target,
        alternatives: Vec::new(),
        request: Request::Get { path },
        steps: Vec::new(),
        ..page.clone()
    };
    let endpoint = match connector.endpoint(&spec) {
        Ok(endpoint) => endpoint,
        Err(f) => return plain(hyper::StatusCode::BAD_GATEWAY, f.detail),
    };
    let connection = match connector.connect(&endpoint, deadline).await {
        Ok(connection) => connection,
        Err(f) => return plain(hyper::StatusCode::BAD_GATEWAY, f.detail),
    };
    let (mut sender, conn) =
        match hyper::client::conn::http1::handshake(TokioIo::new(connection.stream)).await {
            Ok(pair) => pair,
            Err(e) => return plain(hyper::StatusCode::BAD_GATEWAY, e.to_string()),
        };
    tokio::spawn(conn);
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(TOKEN_HEADER);
    parts.uri = match endpoint.path.parse() {
        Ok(uri) => uri,
        Err(_) => {
            return plain(
                hyper::StatusCode::BAD_REQUEST,
                "a path smoke cannot send".into(),
            )
        }
    };
    if let Ok(host) = endpoint.authority.parse() {
        parts.headers.insert(hyper::header::HOST, host);
    }
    // The context the panel gives the page, as the gateway would send it.
    if let Some(context) = &page.context {
        if let Ok(value) = context.parse() {
            parts.headers.insert("x-hero-context", value);
        }
    }
    for (name, value) in &page.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            value.parse(),
        ) {
            parts.headers.insert(name, value);
        }
    }
    match sender
        .send_request(hyper::Request::from_parts(parts, body))
        .await
    {
        Ok(answer) => answer.map(|body| body.boxed()),
        Err(e) => plain(hyper::StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Connection, Endpoint, ServiceList};
    use crate::panel::Mode;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A side with no socket to reach: what the relay answers is its own.
    struct Nowhere;

    #[async_trait::async_trait]
    impl Connector for Nowhere {
        fn mode(&self) -> Mode {
            Mode::Internal
        }
        fn endpoint(&self, _: &HttpSpec) -> Result<Endpoint, Failure> {
            Err(Failure::new(Cause::Connect, "no sockets here"))
        }
        async fn connect(&self, _: &Endpoint, _: Deadline) -> Result<Connection, Failure> {
            Err(Failure::new(Cause::Connect, "no sockets here"))
        }
        async fn services(&self, _: Duration) -> Result<ServiceList, Failure> {
            Ok(ServiceList::default())
        }
    }

    async fn ask(origin: &str, token: Option<&str>) -> String {
        let addr = origin.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let header = token.map_or(String::new(), |t| format!("{TOKEN_HEADER}: {t}\r\n"));
        let request =
            format!("GET /a/ui/ HTTP/1.1\r\nHost: x\r\n{header}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn only_the_visits_browser_is_served() {
        let panel = crate::panel::load_str(
            "[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"a/ui\"\nget = \"/\"\n",
            std::path::Path::new("t.toml"),
            &Default::default(),
        )
        .unwrap();
        let page = panel.probes[0].http().unwrap().clone();
        let deadline = Deadline::after(Duration::from_secs(5));
        let relay = start(Arc::new(Nowhere), page, deadline).await.unwrap();
        assert_eq!(relay.token.len(), 32);
        let stranger = ask(&relay.origin, None).await;
        assert!(stranger.starts_with("HTTP/1.1 403"), "{stranger}");
        let wrong = ask(&relay.origin, Some("0123")).await;
        assert!(wrong.starts_with("HTTP/1.1 403"), "{wrong}");
        let browser = ask(&relay.origin, Some(&relay.token)).await;
        assert!(browser.starts_with("HTTP/1.1 502"), "{browser}");
        assert!(browser.ends_with("no sockets here"), "{browser}");
    }

    #[test]
    fn the_gateway_rule_picks_the_socket_and_keeps_the_rest() {
        let (target, path) = route("/hero_foundry/rpc/api/files/root/Photos/?x=1").unwrap();
        assert_eq!(target.to_string(), "hero_foundry/rpc");
        assert_eq!(path, "/api/files/root/Photos/?x=1");
        let (target, path) = route("/hero_os/ui").unwrap();
        assert_eq!(target.to_string(), "hero_os/ui");
        assert_eq!(path, "/");
        for bad in ["/", "/hero_os", "/../ui/x", "/hero_os/../x", "no-slash"] {
            assert!(route(bad).is_none(), "{bad}");
        }
    }
}
