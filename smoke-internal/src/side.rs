//! The inside's [`Place`]: HTTP over the services' Unix sockets, TCP to a socket path (under the
//! socket folder when relative) or to a port of the VM (the gateway's own).

use crate::UnixConnector;
use smoke_core::engine::{
    http::{Connection, Connector, Endpoint},
    Mode, Panel, Place, TcpTarget,
};
use smoke_core::prelude::Deadline;
use smoke_core::prelude::Failure;
use std::path::PathBuf;
use std::sync::Arc;

/// The inside view: everything goes straight to the VM's sockets and ports.
#[derive(Clone)]
pub struct InternalSide {
    connector: Arc<UnixConnector>,
    socket_dir: PathBuf,
}

impl InternalSide {
    pub fn new(panel: &Panel) -> Self {
        InternalSide {
            connector: Arc::new(
                UnixConnector::new(&panel.internal.socket_dir, panel.max_services)
                    .with_suffixes(panel.internal.suffixes.clone()),
            ),
            socket_dir: panel.internal.socket_dir.clone(),
        }
    }
}

#[async_trait::async_trait]
impl Place for InternalSide {
    fn mode(&self) -> Mode {
        Mode::Internal
    }

    fn connector(&self) -> Option<Arc<dyn Connector>> {
        Some(self.connector.clone())
    }

    /// A socket path under the socket folder, when written relative to it.
    fn locate(&self, target: &TcpTarget) -> String {
        match target {
            TcpTarget::Socket(path) => self.socket_dir.join(path).to_string_lossy().into_owned(),
            host => host.to_string(),
        }
    }

    async fn stream(&self, target: &TcpTarget, deadline: Deadline) -> Result<Connection, Failure> {
        match target {
            TcpTarget::Host { host, port } => {
                smoke_core::engine::tcp::dial_host(host, *port, deadline).await
            }
            TcpTarget::Socket(_) => {
                // The connector's own way to a socket: every way one is broken told apart.
                let path = self.locate(target);
                let endpoint = Endpoint {
                    address: path.clone(),
                    authority: "localhost".to_string(),
                    path: "/".to_string(),
                    display: path,
                };
                self.connector.connect(&endpoint, deadline).await
            }
        }
    }
}
