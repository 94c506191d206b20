//! The deployment seen from outside: the TLS gateway, the DNS server and the CA a client must
//! trust, started together.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tokio::sync::watch;

use crate::certs::{Certs, PUBLIC_HOST};
use crate::dns::Dns;
use crate::gateway::Gateway;
use crate::layout::Layout;
use crate::world::World;

pub struct External {
    gateway: Gateway,
    dns: Dns,
    ca_file: PathBuf,
    // Last: the CA file goes once nothing serves with it any more.
    _tls_dir: TempDir,
}

impl External {
    pub async fn start(
        world: Arc<World>,
        socket_dir: PathBuf,
        gateway: (Duration, Layout),
        shutdown: watch::Receiver<bool>,
    ) -> io::Result<External> {
        let provider = rustls::crypto::ring::default_provider();
        let certs = Arc::new(Certs::generate(&provider)?);
        // A folder of its own rather than next to the sockets: the parent of a temporary
        // socket folder is the shared temp dir, where concurrent deployments would overwrite
        // each other's CA.
        let tls_dir = tempfile::Builder::new()
            .prefix("smoke-sim-tls-")
            .tempdir()?;
        let ca_file = tls_dir.path().join("ca.pem");
        std::fs::write(&ca_file, certs.ca_pem())?;
        let gateway = Gateway::start(world.clone(), certs, socket_dir, gateway, shutdown).await?;
        let dns = Dns::start(world).await?;
        tracing::debug!(gateway = %gateway.addr(), dns = %dns.addr(), "external view started");
        Ok(External {
            gateway,
            dns,
            ca_file,
            _tls_dir: tls_dir,
        })
    }

    pub fn gateway_addr(&self) -> SocketAddr {
        self.gateway.addr()
    }

    /// hero_router's own plain-HTTP port behind the TLS gateway.
    pub fn router_addr(&self) -> SocketAddr {
        self.gateway.router_addr()
    }

    pub fn public_url(&self) -> String {
        format!("https://{PUBLIC_HOST}:{}", self.gateway.addr().port())
    }

    pub fn dns_addr(&self) -> SocketAddr {
        self.dns.addr()
    }

    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
}
