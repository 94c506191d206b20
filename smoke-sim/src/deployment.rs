//! A running simulated deployment: its socket folder, its listeners and its faults.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tempfile::TempDir;
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::external::External;
use crate::fault::Fault;
use crate::gateway;
use crate::layout::Layout;
use crate::listener::{self, Running};
use crate::photo::Photos;
use crate::router::{Endpoint, SocketKind};
use crate::services;
use crate::world::World;

/// Which file hero_os's web UI listens on (deployments differ).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiSocket {
    #[default]
    Ui,
    Admin,
}

impl UiSocket {
    pub fn file_name(self) -> &'static str {
        match self {
            UiSocket::Ui => "ui.sock",
            UiSocket::Admin => "admin.sock",
        }
    }
}

impl fmt::Display for UiSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UiSocket::Ui => "ui",
            UiSocket::Admin => "admin",
        })
    }
}

impl FromStr for UiSocket {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().trim_end_matches(".sock") {
            "ui" => Ok(UiSocket::Ui),
            "admin" => Ok(UiSocket::Admin),
            other => Err(format!(
                "unknown UI socket {other:?} (expected ui or admin)"
            )),
        }
    }
}

/// How to start a [`Deployment`].
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Use this folder instead of a temporary one (created if missing, kept on drop; only
    /// the socket files are removed).
    pub dir: Option<PathBuf>,
    /// Add this many generic services `svc_000`, `svc_001`, ... (health and `echo` only).
    pub extra_services: usize,
    /// Which file hero_os's web UI listens on.
    pub ui_socket: UiSocket,
    /// Which hero the deployment stands for: the seed's herodemo (default) or the hero
    /// projects as documented today.
    pub layout: Layout,
    /// Also start the external view: the TLS gateway and the DNS server on loopback ports.
    pub external: bool,
    /// How long the gateway waits for a service before answering 504
    /// (default [`crate::DEFAULT_GATEWAY_TIMEOUT`], 30 s).
    pub gateway_timeout: Option<Duration>,
}

/// Where a socket stands; socket faults move it between these.
enum State {
    Up(Running),
    /// The file is there but nobody listens.
    Stale,
    Missing,
}

struct Slot {
    endpoint: Arc<Endpoint>,
    path: PathBuf,
    state: State,
}

/// The herodemo services listening on Unix sockets under one folder.
///
/// Dropping it stops every listener and connection, and removes its temporary folder.
pub struct Deployment {
    world: Arc<World>,
    layout: Layout,
    dir: PathBuf,
    slots: Mutex<Vec<Slot>>,
    runtime: Handle,
    shutdown: watch::Sender<bool>,
    external: Option<External>,
    // Last field on purpose: dropped after everything that lives inside it.
    temp: Option<TempDir>,
}

impl Deployment {
    /// The herodemo services in a fresh temporary folder.
    pub async fn start() -> io::Result<Deployment> {
        Deployment::start_with(Options::default()).await
    }

    /// The herodemo services in `layout`, in a fresh temporary folder.
    pub async fn start_as(layout: Layout) -> io::Result<Deployment> {
        Deployment::start_with(Options {
            layout,
            ..Options::default()
        })
        .await
    }

    /// The herodemo services (plus any extra ones) as `opts` says.
    pub async fn start_with(opts: Options) -> io::Result<Deployment> {
        let (temp, dir) = match opts.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (None, dir)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("smoke-sim-").tempdir()?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let mut all = services::herodemo(opts.layout, opts.ui_socket.file_name());
        all.extend((0..opts.extra_services).map(|i| services::generic(i, opts.extra_services)));
        let names = all.iter().map(|s| s.name().to_string()).collect();
        let world = Arc::new(World::new(names, Photos::generate()?).in_layout(opts.layout));
        let (shutdown, _) = watch::channel(false);
        let mut deployment = Deployment {
            world,
            layout: opts.layout,
            dir,
            slots: Mutex::new(Vec::new()),
            runtime: Handle::current(),
            shutdown,
            external: None,
            temp,
        };
        {
            let mut slots = deployment.slots();
            for service in all {
                let folder = deployment.dir.join(service.name());
                std::fs::create_dir_all(&folder)?;
                let mut files = vec![(SocketKind::Rpc, "rpc.sock".to_string())];
                if let Some(ui) = service.ui_socket() {
                    files.push((SocketKind::Ui, ui.to_string()));
                }
                for (kind, file) in files {
                    let endpoint = Arc::new(Endpoint {
                        service: service.clone(),
                        kind,
                    });
                    let path = folder.join(file);
                    let running = deployment.listen(&path, endpoint.clone())?;
                    slots.push(Slot {
                        endpoint,
                        path,
                        state: State::Up(running),
                    });
                }
            }
        }
        if opts.external {
            let timeout = opts.gateway_timeout.unwrap_or(gateway::DEFAULT_TIMEOUT);
            let external = External::start(
                deployment.world.clone(),
                deployment.dir.clone(),
                (timeout, opts.layout),
                deployment.shutdown.subscribe(),
            )
            .await?;
            deployment.external = Some(external);
        }
        tracing::debug!(dir = %deployment.dir.display(), "deployment started");
        Ok(deployment)
    }

    /// The TLS gateway's address, `127.0.0.1:<port>` (started with [`Options::external`]).
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.external.as_ref().map(External::gateway_addr)
    }

    /// `http://127.0.0.1:<port>`: hero_router's own plain-HTTP port, which the TLS gateway
    /// fronts (started with [`Options::external`]): the same routes, faults and services, for a
    /// browser on the VM that cannot trust the test CA.
    pub fn router_url(&self) -> Option<String> {
        self.external
            .as_ref()
            .map(|e| format!("http://{}", e.router_addr()))
    }

    /// `https://herodemo.smoke.test:<port>`: the public URL, once the name resolves through
    /// [`Deployment::dns_addr`] (started with [`Options::external`]).
    pub fn public_url(&self) -> Option<String> {
        self.external.as_ref().map(External::public_url)
    }

    /// The DNS server authoritative for `smoke.test.`, `127.0.0.1:<port>`, UDP and (when the
    /// port was free) TCP (started with [`Options::external`]).
    pub fn dns_addr(&self) -> Option<SocketAddr> {
        self.external.as_ref().map(External::dns_addr)
    }

    /// The test CA that signed the gateway's certificates, PEM: the one root a client should
    /// trust (started with [`Options::external`]).
    pub fn ca_file(&self) -> Option<&Path> {
        self.external.as_ref().map(External::ca_file)
    }

    /// Which hero the deployment stands for, as started.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The folder holding one sub-folder of sockets per service.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// `<socket_dir>/<service>/rpc.sock`.
    pub fn rpc_socket(&self, service: &str) -> PathBuf {
        self.dir.join(service).join("rpc.sock")
    }

    /// hero_os's web UI socket (`ui.sock` or `admin.sock`, as started).
    pub fn ui_socket(&self) -> PathBuf {
        self.slots()
            .iter()
            .find(|s| s.endpoint.kind == SocketKind::Ui)
            .map(|s| s.path.clone())
            .unwrap_or_else(|| self.dir.join("hero_os").join("ui.sock"))
    }

    /// Turns a fault on. Socket faults act before this returns; behaviour faults apply to
    /// connections accepted from now on.
    pub fn set(&self, fault: Fault) {
        self.world.insert(fault);
        self.reconcile();
    }

    /// Turns a fault off; a removed or stale socket is listening again on return.
    pub fn clear(&self, fault: &Fault) {
        self.world.remove(fault);
        self.reconcile();
    }

    /// Whether a restart through hero_proc's `service.restart` clears the service's faults
    /// (default) or changes nothing (a restart that does not help).
    pub fn set_restart_helps(&self, helps: bool) {
        self.world.set_restart_helps(helps);
    }

    /// The services restarted through hero_proc so far, in order.
    pub fn restarts(&self) -> Vec<String> {
        self.world.restarts()
    }

    pub fn clear_all(&self) {
        self.world.take_all();
        self.reconcile();
    }

    /// The faults that are on, in the order they were set.
    pub fn active(&self) -> Vec<Fault> {
        self.world.active()
    }

    /// Makes hero_proc's `service.list` name these too, as they are and as bare strings (no
    /// socket is made for them): for the names a supervisor should never have sent.
    pub fn also_list(&self, names: &[&str]) {
        self.world.also_list(names);
    }

    /// Renames every photo of hero_foundry (to [`crate::RENAMED_PHOTO_NAMES`]) or back: the
    /// content a probe must find by listing the folder, not by a name written in the panel.
    pub fn rename_photos(&self, renamed: bool) {
        self.world.rename_photos(renamed);
    }

    /// How many persons written through `business.persons.set` are still stored in `context`
    /// (the seed data not counted): what a flow that cleans up after itself leaves, zero.
    pub fn persons_written(&self, context: &str) -> usize {
        self.world
            .persons()
            .iter()
            .filter(|p| p["context"] == context)
            .count()
    }

    /// Every service's name, sorted.
    pub fn services(&self) -> Vec<String> {
        self.world.services().to_vec()
    }

    /// Requests that reached a service so far, on every socket: answered ones and those a
    /// fault swallowed (a hung or emptied connection counts once, when its request is read).
    pub fn requests_served(&self) -> u64 {
        self.world.served()
    }

    /// Requests the gateway received so far, each counted on arrival (refused, routed nowhere or
    /// forwarded alike): what a run from outside cost the deployment.
    pub fn gateway_requests(&self) -> u64 {
        self.world.gateway_requests()
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // Transitions leave each slot in a valid state even when interrupted.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn listen(&self, path: &Path, endpoint: Arc<Endpoint>) -> io::Result<Running> {
        let listener = listener::bind(path)?;
        let shutdown = self.shutdown.subscribe();
        listener::spawn(
            &self.runtime,
            listener,
            endpoint,
            self.world.clone(),
            shutdown,
        )
    }

    /// The state the active faults ask of a socket.
    fn wanted(&self, endpoint: &Endpoint) -> Want {
        let name = endpoint.service.name();
        match endpoint.kind {
            SocketKind::Ui
                if self.world.has(&Fault::UiSocketMissing)
                    && name == Fault::UiSocketMissing.service() =>
            {
                Want::Missing
            }
            SocketKind::Ui
                if self.world.has(&Fault::UiProcessDead)
                    && name == Fault::UiProcessDead.service() =>
            {
                Want::Stale
            }
            SocketKind::Ui => Want::Up,
            SocketKind::Rpc if self.world.hits("socket-missing", name) => Want::Missing,
            SocketKind::Rpc if self.world.hits("stale-socket", name) => Want::Stale,
            SocketKind::Rpc => Want::Up,
        }
    }

    /// Brings every socket to the state the active faults ask for.
    fn reconcile(&self) {
        let mut slots = self.slots();
        for slot in slots.iter_mut() {
            let want = self.wanted(&slot.endpoint);
            if let Err(e) = self.transition(slot, want) {
                tracing::debug!(path = %slot.path.display(), error = %e, "socket transition failed");
            }
        }
    }

    fn transition(&self, slot: &mut Slot, want: Want) -> io::Result<()> {
        match (&slot.state, want) {
            (State::Up(_), Want::Up) | (State::Stale, Want::Stale) => return Ok(()),
            (State::Missing, Want::Missing) => return Ok(()),
            _ => {}
        }
        // Stopping a listener leaves its file behind, which is exactly a stale socket. The
        // slot says what is really there until the wanted state is reached, even on error.
        let file_left = match std::mem::replace(&mut slot.state, State::Missing) {
            State::Up(running) => {
                running.stop()?;
                true
            }
            State::Stale => true,
            State::Missing => false,
        };
        if file_left {
            slot.state = State::Stale;
        }
        match want {
            Want::Up => {
                let running = self.listen(&slot.path, slot.endpoint.clone())?;
                slot.state = State::Up(running);
            }
            Want::Stale => {
                if !file_left {
                    // Bound and closed at once: the file stays, nobody listens.
                    drop(listener::bind(&slot.path)?);
                }
                slot.state = State::Stale;
            }
            Want::Missing => {
                remove_if_present(&slot.path)?;
                slot.state = State::Missing;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Want {
    Up,
    Stale,
    Missing,
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        let slots = std::mem::take(&mut *self.slots());
        for slot in slots {
            if let State::Up(running) = slot.state {
                running.abort();
            }
            // A folder we were given outlives us, so leave no dead sockets in it.
            if self.temp.is_none() {
                let _ = remove_if_present(&slot.path);
                if let Some(folder) = slot.path.parent() {
                    let _ = std::fs::remove_dir(folder); // only succeeds when empty
                }
            }
        }
    }
}

impl fmt::Debug for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deployment")
            .field("layout", &self.layout)
            .field("dir", &self.dir)
            .field("services", &self.world.services().len())
            .field("active", &self.world.active())
            .finish_non_exhaustive()
    }
}
