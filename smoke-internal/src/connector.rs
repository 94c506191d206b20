//! Connections over the services' Unix sockets, with every way a socket can be broken told apart.

use smoke_core::engine::{
    default_suffixes,
    http::{
        supervised_services, supervisor, Connection, Connector, Endpoint, FirstByName, ServiceList,
    },
    is_service_name, HttpSpec, Mode, Request, Suffix, Target,
};
use smoke_core::prelude::Deadline;
use smoke_core::prelude::Timings;
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Failure},
};
use std::collections::{BTreeSet, HashMap};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::time::Instant;

/// The sockets of a folder named when saying it lacks the one a probe wants.
const SOCKETS_SHOWN: usize = 3;

/// Connects to `<socket_dir>/<service>/<socket>.sock`.
pub struct UnixConnector {
    socket_dir: PathBuf,
    /// The most services taken from the socket folder and hero_proc's list together
    /// (`[panel] max_services`).
    max_services: usize,
    /// Services the supervisor runs that have no socket folder: their failure says so.
    supervised_only: Mutex<BTreeSet<String>>,
    /// Sockets (`hero_os/rpc.sock`, under the socket folder) of folders that served more than
    /// one, on this tick or an earlier one ([`Connector::recall`]): one gone since is missing,
    /// not a socket the folder never served. A folder of one socket needs no memory: with it
    /// gone, the folder serves nothing and is no service that `unserved` could drop.
    seen: Mutex<BTreeSet<String>>,
    /// Which sockets serve a supervised name by its suffix (`[internal] suffixes`).
    suffixes: Vec<Suffix>,
    /// Per socket (`hero_os/ui.sock`), the name hero_proc's list said serves it
    /// (`hero_os_ui`), from this tick's list: the name a restart asks for.
    supervised_as: Mutex<HashMap<String, String>>,
}

impl UnixConnector {
    pub fn new(socket_dir: &Path, max_services: usize) -> Self {
        UnixConnector {
            socket_dir: socket_dir.to_path_buf(),
            max_services,
            supervised_only: Mutex::new(BTreeSet::new()),
            seen: Mutex::new(BTreeSet::new()),
            supervised_as: Mutex::new(HashMap::new()),
            suffixes: default_suffixes(),
        }
    }

    /// The connector with `table` in place of smoke's suffix table.
    pub fn with_suffixes(self, table: Vec<Suffix>) -> Self {
        UnixConnector {
            suffixes: table,
            ..self
        }
    }

    /// `socket`, under the socket folder, as [`Connector::seen`] keeps it.
    fn seen_as(&self, socket: &Path) -> Option<String> {
        let under = socket.strip_prefix(&self.socket_dir).ok()?;
        Some(under.to_string_lossy().into_owned())
    }

    fn was_seen(&self, socket: &Path) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        self.seen_as(socket).is_some_and(|s| seen.contains(&s))
    }
}

/// The most sockets remembered between ticks: a few per service, whatever the folder holds.
const SEEN_MAX: usize = 4;

/// Whether `at` is a socket as [`Connector::seen`] keeps it, `<service>/<name>.sock`, both
/// plain names: what a state file hands back is kept only then (it may have been edited).
fn rememberable(at: &str) -> bool {
    at.split_once('/').is_some_and(|(service, socket)| {
        is_service_name(service) && is_service_name(socket) && socket.ends_with(".sock")
    })
}

/// Where a request goes on the socket itself (the gateway strips its prefix, so no prefix here).
fn socket_path_of(request: &Request) -> &str {
    match request {
        Request::Get { path } | Request::Post { path, .. } => path,
        // Services answer JSON-RPC on POST /rpc.
        Request::Rpc { path, .. } => path.as_deref().unwrap_or("/rpc"),
    }
}

#[async_trait::async_trait]
impl Connector for UnixConnector {
    fn mode(&self) -> Mode {
        Mode::Internal
    }

    fn endpoint(&self, spec: &HttpSpec) -> Result<Endpoint, Failure> {
        let socket = spec.target.socket_path(&self.socket_dir);
        let path = socket_path_of(&spec.request).to_string();
        Ok(Endpoint {
            address: socket.to_string_lossy().into_owned(),
            authority: "localhost".to_string(),
            display: format!("{} {path}", socket.display()),
            path,
        })
    }

    /// Inside, a target is there when its socket file is: one that is there and dead (stale,
    /// refusing, hung) is asked, and fails as such.
    fn absent(&self, endpoint: &Endpoint) -> bool {
        std::fs::symlink_metadata(&endpoint.address).is_err()
    }

    /// A folder that serves some sockets but not the target's (only `admin.sock` or `ui.sock`,
    /// no `rpc.sock`: HERO.md, "Sockets on the VM") is a service without that socket, not a
    /// broken one. A folder with no socket at all, or none, is not said here: its probe fails.
    fn unserved(&self, target: &Target) -> Option<String> {
        let socket = target.socket_path(&self.socket_dir);
        if std::fs::symlink_metadata(&socket).is_ok() || self.was_seen(&socket) {
            // There, or there on an earlier tick: its probe runs (and then fails "socket missing").
            return None;
        }
        let folder = socket.parent()?;
        let served = crate::discovery::sockets_in(folder, SOCKETS_SHOWN + 1);
        if served.is_empty() {
            return None;
        }
        let mut shown = served[..served.len().min(SOCKETS_SHOWN)].join(", ");
        if served.len() > SOCKETS_SHOWN {
            shown.push_str(", ...");
        }
        let name = socket.file_name()?.to_string_lossy();
        Some(format!("no {name} (serves {shown})"))
    }

    async fn connect(
        &self,
        endpoint: &Endpoint,
        deadline: Deadline,
    ) -> Result<Connection, Failure> {
        let (started, left) = (Instant::now(), deadline.remaining());
        let path = Path::new(&endpoint.address);
        let stream = match deadline.bound(UnixStream::connect(path)).await {
            Err(_) => return Err(Failure::timeout(Phase::Connect, left)),
            Ok(Err(e)) => {
                let mut f = connect_failure(path, &e);
                let service = path
                    .parent()
                    .and_then(|d| d.file_name())
                    .and_then(|n| n.to_str());
                let supervised = self
                    .supervised_only
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if e.kind() == ErrorKind::NotFound
                    && service.is_some_and(|s| supervised.contains(s))
                {
                    f.detail = format!("supervised by hero_proc but no socket: {}", path.display());
                } else if e.kind() == ErrorKind::NotFound && self.was_seen(path) {
                    f.detail.push_str(" (it was there on an earlier tick)");
                }
                return Err(f);
            }
            Ok(Ok(s)) => s,
        };
        Ok(Connection {
            stream: Box::new(stream),
            timings: Timings {
                connect: Some(started.elapsed()),
                ..Timings::default()
            },
            cert: None,
        })
    }

    fn supervised_as(&self, target: &Target) -> Option<String> {
        let socket = self.seen_as(&target.socket_path(&self.socket_dir))?;
        let names = self.supervised_as.lock().unwrap_or_else(|e| e.into_inner());
        names.get(&socket).cloned()
    }

    fn recall(&self, seen: &[String]) {
        let mut kept = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        kept.extend(
            seen.iter()
                .filter(|at| rememberable(at))
                .take(self.max_services.saturating_mul(SEEN_MAX))
                .cloned(),
        );
    }

    /// The sockets seen, but none of a folder that is gone: a service taken off the VM is not
    /// remembered as broken. At most [`SEEN_MAX`] per service of `[panel] max_services`.
    fn seen(&self) -> Vec<String> {
        let kept = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .filter(|at| {
                let folder = self.socket_dir.join(at);
                folder.parent().is_some_and(Path::is_dir)
            })
            .take(self.max_services.saturating_mul(SEEN_MAX))
            .cloned()
            .collect()
    }

    /// The services in the socket folder, then those the supervisor runs without one (each a
    /// probe that then fails with "supervised but no socket", unless its suffix says another
    /// folder's socket serves it and that socket is there) in the room the folder leaves
    /// under the cap: however long hero_proc's list, it cannot crowd out a service with a
    /// socket. When hero_proc can't be asked, the socket folder alone says which there are,
    /// and why hero_proc could not goes with them (its own probe fails with it).
    async fn services(&self, timeout: Duration) -> Result<ServiceList, Failure> {
        let cap = self.max_services;
        let scan = crate::scan_services(&self.socket_dir, cap, SEEN_MAX)
            .map_err(|e| Failure::new(Cause::Connect, e.to_string()))?;
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(scan.shared.into_iter().filter(|at| rememberable(at)));
        let folder = scan.services;
        let shown = format!("the socket folder {}", self.socket_dir.display());
        if let Some(cut) = folder.cut(&shown, cap) {
            // A name hero_proc lists may then be a folder left out, which no list kept here
            // tells apart: there is no room for its names anyway.
            self.supervised_only
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            self.supervised_as
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            return Ok(ServiceList {
                names: folder.into_names().collect(),
                cuts: vec![format!("{cut}; hero_proc's service.list not asked")],
                ..ServiceList::default()
            });
        }
        let mut missing = FirstByName::new(cap - folder.len());
        let mut served = FirstByName::new(cap);
        let mut said = Vec::new();
        let mut runs_as = HashMap::new();
        let asked = supervised_services(self, timeout, |entry| {
            if let Some(sockets) = entry.sockets() {
                // A restart names it to hero_proc, or as an argument of the panel's command:
                // only a service name, never whatever the list holds.
                for socket in sockets.iter().filter(|_| is_service_name(entry.name())) {
                    if runs_as.len() < cap.saturating_mul(SEEN_MAX) {
                        runs_as.insert(socket.to_string(), entry.name().to_string());
                    }
                }
                // The list says which sockets it serves: the folders of its rpc.sock are
                // services (failing when they are not here), the rest is said, never failed.
                for service in entry.services() {
                    if !folder.contains(service) {
                        missing.offer(service);
                    }
                }
                if let Some(line) = entry.not_probed().filter(|_| said.len() < cap) {
                    said.push(line);
                }
                return;
            }
            let name = entry.name();
            if folder.contains(name) {
                return;
            }
            match crate::supervised::served_from(&self.socket_dir, &self.suffixes, name) {
                Some(_) => served.offer(name),
                None => missing.offer(name),
            }
        })
        .await;
        let by_suffix = served.into_names().filter_map(|name| {
            let at = crate::supervised::served_from(&self.socket_dir, &self.suffixes, &name)?;
            Some(format!(
                "{name}: supervised by hero_proc, served by {at}: no probe of its own"
            ))
        });
        let unprobed = said.into_iter().chain(by_suffix).collect();
        *self.supervised_as.lock().unwrap_or_else(|e| e.into_inner()) = runs_as;
        let (cuts, supervisor_failed) = match asked {
            Ok(()) => (
                missing
                    .cut("hero_proc's service.list, names without a socket", cap)
                    .into_iter()
                    .collect(),
                None,
            ),
            // hero_proc's folder there and its list not: it runs here and fails. With no
            // folder at all (a folder of services alone) there is no supervisor to rely on.
            Err(f)
                if supervisor()
                    .socket_path(&self.socket_dir)
                    .parent()
                    .is_some_and(Path::is_dir) =>
            {
                (Vec::new(), Some(f))
            }
            Err(_) => (Vec::new(), None),
        };
        let missing: BTreeSet<String> = missing.into_names().collect();
        let mut names: Vec<String> = folder.into_names().chain(missing.iter().cloned()).collect();
        names.sort();
        *self
            .supervised_only
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = missing;
        Ok(ServiceList {
            names,
            cuts,
            supervisor_failed,
            unprobed,
        })
    }
}

/// What the file at `path` is when it is there but is not a socket ("a regular file").
fn not_a_socket(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path).ok()?.file_type();
    Some(if kind.is_socket() {
        return None;
    } else if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe"
    } else {
        "a device"
    })
}

fn connect_failure(path: &Path, e: &std::io::Error) -> Failure {
    let shown = path.display();
    let detail = match e.kind() {
        ErrorKind::NotFound => match path.parent() {
            Some(dir) if !dir.exists() => {
                format!("socket missing: {shown} (no folder {})", dir.display())
            }
            _ => format!("socket missing: {shown}"),
        },
        // Connecting to a file that is not a socket is refused too; only a socket is stale.
        ErrorKind::ConnectionRefused => match not_a_socket(path) {
            Some(kind) => format!("not a socket: {shown} is {kind}"),
            None => format!("connection refused: {shown} is a stale socket, nobody listens on it"),
        },
        ErrorKind::PermissionDenied => format!("permission denied on {shown}"),
        _ => format!("cannot connect to {shown}: {e}"),
    };
    Failure::at(Cause::Connect, Phase::Connect, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state file is the operator's to edit: what it says was seen is kept only when it is a
    /// socket of a plain service name, never a path out of the socket folder or a control
    /// character, and never more than the cap however long the list.
    #[test]
    fn only_plain_sockets_are_recalled_and_at_most_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        for service in ["hero_os", "etc"] {
            std::fs::create_dir(dir.path().join(service)).unwrap();
        }
        let connector = UnixConnector::new(dir.path(), 2);
        let mut told: Vec<String> = [
            "../etc/passwd.sock",
            "hero_os/../../x.sock",
            "hero_os/rpc.sock\u{1b}[31m",
            "hero_os/\u{7}.sock",
            "/etc/rpc.sock",
            "hero_os/notes.txt",
            "hero_os",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        told.push(format!("hero_os/{}.sock", "a".repeat(100_000)));
        told.extend([
            "hero_os/rpc.sock".to_string(),
            "hero_os/ui.sock".to_string(),
        ]);
        told.extend((0..100).map(|i| format!("etc/s{i:03}.sock")));
        connector.recall(&told);
        let seen = connector.seen();
        assert_eq!(seen.len(), 2 * SEEN_MAX, "{seen:?}");
        assert!(seen.contains(&"hero_os/rpc.sock".to_string()), "{seen:?}");
        assert!(seen.iter().all(|at| rememberable(at)), "{seen:?}");
        // Gone folders are forgotten.
        std::fs::remove_dir(dir.path().join("etc")).unwrap();
        assert_eq!(connector.seen(), ["hero_os/rpc.sock", "hero_os/ui.sock"]);
    }
}
