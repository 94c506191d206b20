//! The state folder: `state.json` (counters, open incidents, the outbox), written atomically
//! (temp file, fsync, rename, fsync of the folder) with mode 0600, and a lock so one process at
//! a time owns it. The folder must be the running user's and writable by no one else, and no
//! symbolic link in it is ever followed: smoke may run as root, and a link planted there must
//! not make it write anywhere else. Every file of it is opened by [`open_in_state`] (a regular
//! file only, never waiting on a FIFO) and read through [`reader_in_state`] (at most
//! [`MAX_FILE_BYTES`]).

mod error;

pub use error::StateDirError;

use crate::loop_state::LoopState;
use smoke_core::engine::StateReadError;
use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub(crate) const STATE_FILE: &str = "state.json";
/// The files the rest of the loop keeps here, named in one place (each module reads and writes
/// its own; the folder refuses any of them that is not a regular file).
pub const ROLLUP_FILE: &str = "rollup.json";
pub const RESULTS_FILE: &str = "results.jsonl";
pub const MUTES_FILE: &str = "mutes.json";
pub const MUTES_LOCK: &str = "mutes.lock";
const LOCK_FILE: &str = "lock";
/// A temp file of [`write_atomic`] older than this was left by a killed writer (a write takes
/// far less), and is removed.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(600);
/// The most smoke reads of any file of the state folder. Far above what a real one reaches (the
/// rollup of a month of 1,000 probes is about 10 MB, `results.jsonl` is rotated past 8 MiB, a
/// state of 10,000 open incidents is about 20 MB), and low enough that a planted or runaway file
/// cannot take the memory of what reads it: a `status` from cron as much as the loop.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// The lock holds a pid: more than this is not one.
const MAX_PID_BYTES: u64 = 20;

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
    pub fn open(path: &Path) -> Result<StateDir, StateDirError> {
        create_folder(path)?;
        check_files(path)?;
        let lock_path = path.join(LOCK_FILE);
        let mut lock = open_in_state(
            &lock_path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600),
        )
        .map_err(|source| StateDirError::CannotOpen {
            path: lock_path,
            source,
        })?;
        if lock.try_lock().is_err() {
            let mut holder = String::new();
            let _ = (&lock).take(MAX_PID_BYTES).read_to_string(&mut holder);
            return Err(StateDirError::InUse {
                path: path.to_path_buf(),
                pid: holder.trim().parse::<u32>().ok(),
            });
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
    pub fn load(&self) -> Result<LoopState, StateDirError> {
        read_state(&self.path)
    }

    /// Writes the state so that a kill at any moment leaves the old file or the new one, whole.
    pub fn save(&self, state: &LoopState) -> Result<(), StateDirError> {
        let text = serde_json::to_vec_pretty(state).expect("the state always serializes");
        write_atomic(&self.path, STATE_FILE, &text)
    }
}

/// The state saved in the folder `dir`, read without its lock (each save replaces the file
/// whole); a fresh one when there is none yet. An unreadable file is an error, never a silent
/// reset: it may hold open incidents.
pub fn read_state(dir: &Path) -> Result<LoopState, StateDirError> {
    let file = dir.join(STATE_FILE);
    let text = match read_in_state(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LoopState::default()),
        Err(source) => return Err(StateDirError::CannotReadState { path: file, source }),
    };
    // A file of version 1 is carried on: its open incidents stay open.
    let state = LoopState::from_json(&text).map_err(|e| match e {
        StateReadError::Version(_) => StateDirError::StateVersion {
            path: file.clone(),
            version: e.to_string(),
        },
        _ => StateDirError::StateUnreadable {
            path: file.clone(),
            why: e.to_string(),
        },
    })?;
    Ok(state)
}

/// Creates the state folder (0700) if needed, and refuses one that is not the running user's
/// or that others may write to: whoever can write there can make smoke lose its incidents.
pub fn create_folder(path: &Path) -> Result<(), StateDirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| StateDirError::CannotCreate {
            path: path.to_path_buf(),
            source,
        })?;
    // Not through a link: one planted in a writable parent could point a root smoke at any
    // folder root owns, which the owner check below would then pass.
    let meta =
        std::fs::symlink_metadata(path).map_err(|source| StateDirError::CannotReadFolder {
            path: path.to_path_buf(),
            source,
        })?;
    if meta.file_type().is_symlink() {
        return Err(StateDirError::FolderIsLink {
            path: path.to_path_buf(),
        });
    }
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(StateDirError::NotOurs {
            path: path.to_path_buf(),
            owner: meta.uid(),
            me,
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(StateDirError::WritableByOthers {
            path: path.to_path_buf(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(())
}

/// The results log's files, `results.N.jsonl` from the highest N (the oldest) down, then
/// `results.jsonl`. Found by listing rather than by how many are kept, so files kept by an
/// older setting are read too.
pub fn results_files(dir: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let n = name
                .to_str()?
                .strip_prefix("results.")?
                .strip_suffix(".jsonl")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    rotated.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    files.push(dir.join(RESULTS_FILE));
    files
}

/// The results log rotated `n` times: `results.N.jsonl`, which [`results_files`] lists.
pub fn rotated_results(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("results.{n}.jsonl"))
}

/// Refuses a folder where a file smoke keeps there is anything but a regular file (a FIFO, a
/// device, a folder, a link). Each open would refuse it anyway; refused here, the folder is
/// unusable as a whole, like one that breaks the rules above: `run` still prints its report and
/// exits 2 or 3, `watch` does not start, rather than each tick saying it and going on.
fn check_files(dir: &Path) -> Result<(), StateDirError> {
    let fixed = [STATE_FILE, ROLLUP_FILE, MUTES_FILE, MUTES_LOCK];
    let files = fixed
        .iter()
        .map(|name| dir.join(name))
        .chain(results_files(dir));
    for file in files {
        // Not through a link: the link itself is what is refused.
        let Ok(meta) = std::fs::symlink_metadata(&file) else {
            continue;
        };
        if !meta.is_file() {
            return Err(StateDirError::NotRegular {
                path: dir.to_path_buf(),
                name: file
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                kind: meta.file_type(),
            });
        }
    }
    Ok(())
}

/// Why a file that is not a regular one is refused, for a person: "a FIFO, not a regular file
/// (...)".
fn not_regular(kind: Option<FileType>) -> String {
    let what = match kind {
        Some(k) if k.is_fifo() => "a FIFO, ",
        Some(k) if k.is_symlink() => "a symbolic link, ",
        Some(k) if k.is_dir() => "a folder, ",
        Some(k) if k.is_socket() => "a socket, ",
        Some(k) if k.is_char_device() || k.is_block_device() => "a device, ",
        _ => "",
    };
    format!(
        "{what}not a regular file (smoke keeps only regular files in its state folder); remove it"
    )
}

/// Opens a file of the state folder: never through a symbolic link in its place (`O_NOFOLLOW`),
/// never waiting on a FIFO (`O_NONBLOCK`: one with no writer would block a read forever, one
/// with no reader a write), and only a regular file, checked on the file opened, so nothing
/// can be swapped in between.
pub fn open_in_state(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    open_regular(path, options).map(|(file, _)| file)
}

fn open_regular(path: &Path, options: &mut OpenOptions) -> std::io::Result<(File, Metadata)> {
    let refused = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
    let file = options
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => std::io::Error::new(
                e.kind(),
                "it is a symbolic link, and smoke follows none in its state folder",
            ),
            // A FIFO opened to write with no reader, or a socket.
            Some(libc::ENXIO) => refused(format!(
                "it is {}",
                not_regular(std::fs::symlink_metadata(path).ok().map(|m| m.file_type()))
            )),
            _ => e,
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(format!(
            "it is {}",
            not_regular(Some(meta.file_type()))
        )));
    }
    Ok((file, meta))
}

/// A file of the state folder opened for reading as [`open_in_state`] opens it, refused when
/// larger than [`MAX_FILE_BYTES`], and read no further than that should it grow meanwhile.
pub fn reader_in_state(path: &Path) -> std::io::Result<std::io::Take<File>> {
    let (file, meta) = open_regular(path, OpenOptions::new().read(true))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "it is larger than {}, the most smoke reads of a file of its state folder; move it away",
                smoke_core::engine::format_size(MAX_FILE_BYTES)
            ),
        ));
    }
    Ok(file.take(MAX_FILE_BYTES))
}

/// The text of a file of the state folder, read by [`reader_in_state`].
pub fn read_in_state(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    reader_in_state(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Temp file, fsync, rename, fsync of the folder: a kill at any moment leaves the old file or
/// the new one, whole. Mode 0600: these files may name incidents and handles. The temp file
/// has a fresh random name, created exclusively, so nothing planted in its place is written
/// through, and a temp file a kill left behind is no obstacle (it is removed once stale).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StateDirError> {
    write_atomic_mode(dir, name, bytes, 0o600)
}

/// [`write_atomic`] with the file's mode given: a page written for a web server to publish
/// must be readable by it.
pub fn write_atomic_mode(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), StateDirError> {
    let file = dir.join(name);
    remove_stale_temps(dir, name);
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(&temp_prefix(name))
            .suffix(TEMP_SUFFIX)
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        // A failed write leaves no temp file: it is removed when `tmp` drops.
        tmp.persist(&file).map_err(|e| e.error)?;
        // The rename itself must reach the disk, or a crash could bring the old file back.
        File::open(dir)?.sync_all()
    };
    write().map_err(|source| StateDirError::CannotSave { path: file, source })
}

const TEMP_SUFFIX: &str = ".tmp";

fn temp_prefix(name: &str) -> String {
    format!(".{name}.")
}

/// Removes the temp files of `name` older than [`STALE_TEMP_AGE`], and the fixed-name one of
/// older versions (`name.tmp`), which nothing writes any more.
fn remove_stale_temps(dir: &Path, name: &str) {
    let _ = std::fs::remove_file(dir.join(format!("{name}{TEMP_SUFFIX}")));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = temp_prefix(name);
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_TEMP_AGE));
        if n.starts_with(&prefix) && n.ends_with(TEMP_SUFFIX) && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `f`'s result, or a failure when it has not come within 30 s: a read that blocks fails
    /// the test instead of hanging it.
    pub(crate) fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("it blocked")
    }

    pub(crate) fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[test]
    fn a_fifo_is_refused_at_once_whether_read_written_or_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        mkfifo(&path.join(STATE_FILE));
        let e = promptly(move || read_state(&path)).unwrap_err().to_string();
        assert!(
            e.contains("state.json: it is a FIFO, not a regular file") && e.ends_with("remove it"),
            "{e}"
        );
        // Written with no reader, a FIFO would not even open without O_NONBLOCK.
        let path = dir.path().join(STATE_FILE);
        let e = promptly(move || open_in_state(&path, OpenOptions::new().write(true)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("it is a FIFO"), "{e}");
        // The folder is refused as a whole, naming the file; so is a FIFO for a lock.
        let path = dir.path().to_path_buf();
        let e = promptly(move || StateDir::open(&path))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("refused the state folder") && e.contains(": state.json is a FIFO"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join(STATE_FILE)).unwrap();
        mkfifo(&dir.path().join(LOCK_FILE));
        let path = dir.path().to_path_buf();
        let e = promptly(move || StateDir::open(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lock: it is a FIFO"), "{e}");
        std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
        std::fs::create_dir(dir.path().join(ROLLUP_FILE)).unwrap();
        let e = StateDir::open(dir.path()).unwrap_err();
        assert!(
            matches!(&e, StateDirError::NotRegular { name, kind, .. } if name == "rollup.json" && kind.is_dir()),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.contains("rollup.json is a folder, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn a_file_past_the_limit_is_refused_before_any_of_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(STATE_FILE);
        // A terabyte, sparse: read whole it would take minutes and all the memory there is.
        File::create(&file).unwrap().set_len(1 << 40).unwrap();
        let e = promptly(move || read_in_state(&file)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(e.to_string().starts_with("it is larger than 128MiB"), "{e}");
    }

    #[test]
    fn a_state_folder_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = StateDir::open(&link).unwrap_err();
        assert!(matches!(e, StateDirError::FolderIsLink { .. }), "{e:?}");
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert!(StateDir::open(&real).is_ok());
    }

    #[test]
    fn state_survives_a_round_trip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        assert_eq!(sd.load().unwrap(), LoopState::default());
        let mut s = LoopState::default();
        s.core.probes.entry("biz".into()).or_default().failures = 3;
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
        let me = std::process::id();
        assert!(
            matches!(&e, StateDirError::InUse { pid: Some(pid), .. } if *pid == me),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("is in use by pid"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
    }

    #[test]
    fn an_unreadable_or_foreign_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        std::fs::write(dir.path().join(STATE_FILE), "{\"version\": 1, \"probes\": ").unwrap();
        let e = sd.load().unwrap_err();
        assert!(matches!(e, StateDirError::StateUnreadable { .. }), "{e:?}");
        assert!(e.to_string().contains("is unreadable"));
        std::fs::write(dir.path().join(STATE_FILE), "{\"version\": 9}").unwrap();
        let e = sd.load().unwrap_err();
        assert!(matches!(e, StateDirError::StateVersion { .. }), "{e:?}");
        assert!(e.to_string().contains("is version 9"));
    }

    #[test]
    fn a_symlinked_lock_is_refused_and_its_target_left_whole() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("root-owned");
        std::fs::write(&victim, "precious").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(LOCK_FILE)).unwrap();
        let e = StateDir::open(dir.path()).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn the_state_is_never_written_or_read_through_a_link() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("target");
        std::fs::write(&victim, "precious").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        let tmp_link = dir.path().join("state.json.tmp");
        std::os::unix::fs::symlink(&victim, &tmp_link).unwrap();
        sd.save(&LoopState::default()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(sd.load().unwrap(), LoopState::default());

        // A link in the place of state.json itself is not read through, and a save replaces
        // the link, not its target.
        std::fs::remove_file(dir.path().join(STATE_FILE)).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(STATE_FILE)).unwrap();
        let e = sd.load().unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        sd.save(&LoopState::default()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(dir.path().join(STATE_FILE))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_temp_file_left_by_a_kill_jams_nothing_and_is_removed_once_stale() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        let left = dir.path().join(".state.json.abc123.tmp");
        std::fs::write(&left, "half").unwrap();
        let recent = dir.path().join(".state.json.def456.tmp");
        std::fs::write(&recent, "in flight").unwrap();
        let old = std::time::SystemTime::now() - STALE_TEMP_AGE * 2;
        File::options()
            .write(true)
            .open(&left)
            .unwrap()
            .set_modified(old)
            .unwrap();
        sd.save(&LoopState::default()).unwrap();
        assert!(!left.exists(), "stale temp file removed");
        assert!(recent.exists(), "a fresh one may be another writer's");
        let temps = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".tmp")
            })
            .count();
        assert_eq!(temps, 1, "a save leaves no temp file of its own");
    }

    #[test]
    fn a_folder_others_may_write_to_or_of_another_user_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = StateDir::open(dir.path()).unwrap_err();
        assert!(
            matches!(e, StateDirError::WritableByOthers { mode: 0o777, .. }),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.contains("group or others may write to it (mode 777)") && e.contains("chmod go-w"),
            "{e}"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        StateDir::open(dir.path()).unwrap();
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            // Only root can give a folder away; CI runs as root.
            let other = dir.path().join("other");
            std::fs::create_dir(&other).unwrap();
            std::os::unix::fs::chown(&other, Some(65534), Some(65534)).unwrap();
            let e = StateDir::open(&other).unwrap_err();
            assert!(
                matches!(e, StateDirError::NotOurs { owner: 65534, .. }),
                "{e:?}"
            );
            let e = e.to_string();
            assert!(e.contains("belongs to uid 65534, not to this user"), "{e}");
        }
    }
}
