//! The public face of the deployment: hero_router behind a TLS-terminating proxy, on a loopback
//! TCP port. TLS here, the request in [`proxy`], the path rule in [`route`].

mod proxy;
mod route;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::certs::{Certs, Resolver};
use crate::layout::Layout;
use crate::world::World;

pub use proxy::SLOW_DELAY;

/// How long the gateway waits for a service before answering 504, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client that connects and never finishes the handshake is dropped after this.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// A running gateway; dropping it stops accepting (open connections end with the deployment's
/// shutdown signal).
pub struct Gateway {
    addr: SocketAddr,
    /// hero_router's own port, plain HTTP, which the TLS proxy forwards to (HERO.md, "The
    /// gateway": port 9988 on the VM): what a browser on the VM loads the UI from.
    router: SocketAddr,
    tasks: [JoinHandle<()>; 2],
}

impl Gateway {
    /// Listens on an ephemeral loopback port and proxies to the sockets under `socket_dir`.
    pub async fn start(
        world: Arc<World>,
        certs: Arc<Certs>,
        socket_dir: PathBuf,
        (timeout, layout): (Duration, Layout),
        shutdown: watch::Receiver<bool>,
    ) -> io::Result<Gateway> {
        let acceptor = TlsAcceptor::from(tls_config(world.clone(), certs)?);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let plain = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let router = plain.local_addr()?;
        let upstreams = Arc::new(proxy::Upstreams {
            world,
            socket_dir,
            timeout,
            layout,
        });
        let tasks = [
            tokio::spawn(accept_loop(
                listener,
                Some(acceptor),
                upstreams.clone(),
                shutdown.clone(),
            )),
            tokio::spawn(accept_loop(plain, None, upstreams, shutdown)),
        ];
        Ok(Gateway {
            addr,
            router,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// hero_router's own plain-HTTP port, behind the TLS one.
    pub fn router_addr(&self) -> SocketAddr {
        self.router
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn tls_config(world: Arc<World>, certs: Arc<Certs>) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver { certs, world }));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts on `listener`, speaking TLS first when given an `acceptor`.
async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    upstreams: Arc<proxy::Upstreams>,
    shutdown: watch::Receiver<bool>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let conn = serve(
                    stream,
                    acceptor.clone(),
                    upstreams.clone(),
                    shutdown.clone(),
                );
                tokio::spawn(conn);
            }
            Err(e) => {
                if *shutdown.borrow() {
                    return;
                }
                // Usually out of file descriptors: back off rather than spin.
                tracing::debug!(error = %e, "gateway accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn serve(
    stream: TcpStream,
    acceptor: Option<TlsAcceptor>,
    upstreams: Arc<proxy::Upstreams>,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::select! {
        () = run(stream, acceptor, upstreams) => {}
        // Fires on `true` and when the deployment (the sender) is dropped.
        _ = shutdown.changed() => {}
    }
}

async fn run(stream: TcpStream, acceptor: Option<TlsAcceptor>, upstreams: Arc<proxy::Upstreams>) {
    let Some(acceptor) = acceptor else {
        return http(stream, upstreams).await;
    };
    let tls = match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            // Expected for every certificate fault: the client rejects what we present.
            tracing::debug!(error = %e, "gateway TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    http(tls, upstreams).await;
}

/// HTTP/1.1 on `io`, each request proxied.
async fn http<I>(io: I, upstreams: Arc<proxy::Upstreams>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| proxy::handle(upstreams.clone(), req));
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(error = %e, "gateway connection ended with an error");
    }
}
