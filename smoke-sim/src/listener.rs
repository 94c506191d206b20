//! Listening sockets: binding a path, the accept loop, and stopping it at once.

use std::io;
use std::os::unix::net::UnixListener as StdUnixListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::connection;
use crate::router::Endpoint;
use crate::world::World;

/// A listener whose accept loop is running.
pub struct Running {
    task: JoinHandle<()>,
    path: PathBuf,
}

impl Running {
    /// Stops accepting before returning, so a caller that goes on to connect is refused, and
    /// leaves a dead socket file at the path (a stale socket).
    ///
    /// Aborting the task alone is not enough: the listener is only closed when the runtime next
    /// polls the task, and until then new connections would still queue on it. Binding a fresh
    /// socket at the path and closing it at once re-points the file at a socket nobody listens
    /// on, at once and without touching the old descriptor (shutdown(2) on it would leave tokio
    /// with a listener that is always "ready" and an accept loop that spins).
    pub fn stop(self) -> io::Result<()> {
        self.task.abort();
        drop(bind(&self.path)?);
        Ok(())
    }

    /// Stops accepting, leaving the file as it is (the deployment is going away).
    pub fn abort(self) {
        self.task.abort();
    }
}

/// Binds `path`, first removing whatever file is there (a stale socket from an earlier
/// run, or one of our own dead ones).
pub fn bind(path: &Path) -> io::Result<StdUnixListener> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = StdUnixListener::bind(path)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Starts accepting on `listener`; works from synchronous code via the runtime handle.
pub fn spawn(
    runtime: &Handle,
    listener: StdUnixListener,
    endpoint: Arc<Endpoint>,
    world: Arc<World>,
    shutdown: watch::Receiver<bool>,
) -> io::Result<Running> {
    let _inside = runtime.enter();
    let path = listener
        .local_addr()?
        .as_pathname()
        .map(Path::to_path_buf)
        .ok_or_else(|| io::Error::other("the listener has no path"))?;
    let listener = UnixListener::from_std(listener)?;
    let task = runtime.spawn(accept_loop(listener, endpoint, world, shutdown));
    Ok(Running { task, path })
}

async fn accept_loop(
    listener: UnixListener,
    endpoint: Arc<Endpoint>,
    world: Arc<World>,
    shutdown: watch::Receiver<bool>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let conn =
                    connection::serve(stream, endpoint.clone(), world.clone(), shutdown.clone());
                tokio::spawn(conn);
            }
            Err(e) => {
                if *shutdown.borrow() {
                    return;
                }
                // Usually out of file descriptors under a benchmark: back off, don't spin.
                tracing::debug!(error = %e, service = endpoint.service.name(), "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
