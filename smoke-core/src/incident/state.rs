//! The state folder: `state.json` (counters, open incidents, the outbox), written atomically
//! (temp file, fsync, rename, fsync of the folder) with mode 0600, and a lock so one process at
//! a time owns it.

use super::event::Event;
use crate::outcome::Cause;
use crate::panel::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The format of `state.json`; a file of another version is refused, never guessed at.
pub const STATE_VERSION: u32 = 1;

const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";

/// Everything that must survive the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Per probe name.
    #[serde(default)]
    pub probes: BTreeMap<String, ProbeState>,
    /// Events not yet taken by every sink, in order.
    #[serde(default)]
    pub outbox: Vec<Delivery>,
    /// Per sink, per incident: the sink's own handle (a forge issue number).
    #[serde(default)]
    pub handles: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per service, its restarts of the last 24 hours: the limits outlive the process.
    #[serde(default)]
    pub restarts: BTreeMap<String, Vec<jiff::Timestamp>>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            probes: BTreeMap::new(),
            outbox: Vec::new(),
            handles: BTreeMap::new(),
            restarts: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeState {
    /// Failed ticks in a row.
    pub failures: u32,
    /// Passing ticks in a row.
    pub successes: u32,
    pub incident: Option<Incident>,
}

/// An open incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub opened_at: jiff::Timestamp,
    pub cause: Option<Cause>,
    pub detail: String,
    pub severity: Severity,
    /// When the sinks were last told of it (opened, reminder, cause changed).
    pub last_told: jiff::Timestamp,
}

/// One event owed to one sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub sink: String,
    pub event: Event,
    /// Failed tries so far.
    #[serde(default)]
    pub attempts: u32,
    /// Why the last try failed (no secrets: sinks say what failed, not with what).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// The state folder, locked for this process.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    // Held for the life of the process: the lock is the file's, released when it closes.
    _lock: File,
}

/// `$XDG_STATE_HOME/smoke/<panel>-<mode>` (or `~/.local/state/...`): one folder per panel and
/// side, so the inside and outside loops of one host never share counters.
pub fn default_state_dir(panel: &str, mode: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"));
    base.join("smoke").join(format!("{panel}-{mode}"))
}

impl StateDir {
    /// Creates the folder if needed and takes its lock; a second owner is refused with who
    /// holds it.
    pub fn open(path: &Path) -> Result<StateDir, String> {
        std::fs::create_dir_all(path)
            .map_err(|e| format!("cannot create the state folder {}: {e}", path.display()))?;
        let lock_path = path.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        if lock.try_lock().is_err() {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("pid {holder}")
            };
            return Err(format!(
                "the state folder {} is in use by {who} (another smoke run or watch on this panel); give another --state-dir or wait for it",
                path.display()
            ));
        }
        let _ = lock.set_len(0);
        let _ = write!(lock, "{}", std::process::id());
        let _ = lock.sync_all();
        Ok(StateDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state as last saved; a fresh one when there is none yet. An unreadable file is an
    /// error, never a silent reset: it may hold open incidents.
    pub fn load(&self) -> Result<State, String> {
        let file = self.path.join(STATE_FILE);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => {
                return Err(format!(
                    "cannot read the state file {}: {e}",
                    file.display()
                ))
            }
        };
        let state: State = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the state file {} is unreadable ({e}); move it away to start afresh (its open incidents would be opened again)",
                file.display()
            )
        })?;
        if state.version != STATE_VERSION {
            return Err(format!(
                "the state file {} is version {}, this smoke reads version {STATE_VERSION}",
                file.display(),
                state.version
            ));
        }
        Ok(state)
    }

    /// Writes the state so that a kill at any moment leaves the old file or the new one, whole.
    pub fn save(&self, state: &State) -> Result<(), String> {
        let text = serde_json::to_vec_pretty(state).expect("the state always serializes");
        write_atomic(&self.path, STATE_FILE, &text)
    }
}

/// Temp file, fsync, rename, fsync of the folder: a kill at any moment leaves the old file or
/// the new one, whole. Mode 0600: these files may name incidents and handles.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let file = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &file)?;
        // The rename itself must reach the disk, or a crash could bring the old file back.
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| format!("cannot save {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn state_survives_a_round_trip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        assert_eq!(sd.load().unwrap(), State::default());
        let mut s = State::default();
        s.probes.entry("biz".into()).or_default().failures = 3;
        sd.save(&s).unwrap();
        assert_eq!(sd.load().unwrap(), s);
        let mode = std::fs::metadata(dir.path().join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_second_owner_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateDir::open(dir.path()).unwrap();
        let e = StateDir::open(dir.path()).unwrap_err();
        assert!(e.contains("is in use by pid"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
    }

    #[test]
    fn an_unreadable_or_foreign_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        std::fs::write(dir.path().join(STATE_FILE), "{\"version\": 1, \"probes\": ").unwrap();
        assert!(sd.load().unwrap_err().contains("is unreadable"));
        std::fs::write(dir.path().join(STATE_FILE), "{\"version\": 9}").unwrap();
        assert!(sd.load().unwrap_err().contains("is version 9"));
    }
}
