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
    task: JoinHandle<()>,
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
        let upstreams = Arc::new(proxy::Upstreams {
            world,
            socket_dir,
            timeout,
            layout,
        });
        let task = tokio::spawn(accept_loop(listener, acceptor, upstreams, shutdown));
        Ok(Gateway { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
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

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
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
    acceptor: TlsAcceptor,
    upstreams: Arc<proxy::Upstreams>,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::select! {
        () = run(stream, acceptor, upstreams) => {}
        // Fires on `true` and when the deployment (the sender) is dropped.
        _ = shutdown.changed() => {}
    }
}

async fn run(stream: TcpStream, acceptor: TlsAcceptor, upstreams: Arc<proxy::Upstreams>) {
    let tls = match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            // Expected for every certificate fault: the client rejects what we present.
            tracing::debug!(error = %e, "gateway TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    let service = service_fn(move |req| proxy::handle(upstreams.clone(), req));
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(tls), service)
        .await
    {
        tracing::debug!(error = %e, "gateway connection ended with an error");
    }
}
