//! Inside the VM, a browser cannot speak to Unix sockets: for one visit, smoke serves the page
//! on a loopback port of its own with the gateway's routing rule (`/<service>/<socket>/<path>`
//! to `<socket>.sock` of `<service>`, HERO.md, "The gateway"), so the page and every request it
//! makes reach the same sockets, through the same connector, as the side's other probes.

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
    let page = Arc::new(page);
    let task = tokio::spawn(async move {
        // Each connection lives no longer than the visit: dropping the relay aborts this
        // task, and the connections with it, as they are spawned in it.
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let (connector, page) = (connector.clone(), page.clone());
            connections.spawn(async move {
                let serve = hyper::service::service_fn(move |req| {
                    let (connector, page) = (connector.clone(), page.clone());
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            relay(req, connector, &page, deadline).await,
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
        task,
    })
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
    deadline: Deadline,
) -> Answer {
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
    use super::route;

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
