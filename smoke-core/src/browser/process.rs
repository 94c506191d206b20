//! The Chromium process a browse probe drives: found on `PATH` (or where the panel says),
//! started headless in a process group of its own with a profile in a fresh temporary folder,
//! and killed with its whole group, helpers and renderers included, when it is dropped.

use crate::deadline::Deadline;
use crate::outcome::{Cause, Failure};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

/// The browsers looked for on `PATH`, in turn, when the panel names none.
pub const CANDIDATES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// How much of Chromium's start-up output is read for its DevTools address: it prints it in the
/// first lines; a browser that says this much without it is not one this driver understands.
const MAX_STARTUP_OUTPUT: usize = 64 * 1024;

/// The line Chromium prints once its DevTools endpoint listens.
const LISTENING: &str = "DevTools listening on ";

/// The window a page is laid out in, in CSS pixels.
pub const WINDOW: (u32, u32) = (1280, 800);

/// A running headless Chromium: its DevTools address, and what it takes to end it whole.
pub(crate) struct Chromium {
    pub(crate) websocket: String,
    child: tokio::process::Child,
    group: libc::pid_t,
    /// Its profile, and its temporary folder: removed once the group is killed.
    profile: Option<tempfile::TempDir>,
}

/// The browser to start: `configured` (the panel's `[browser] path`), else the first of
/// chromium, chromium-browser and google-chrome on `PATH`. Missing, it is one line naming the
/// package that brings it.
pub fn locate(configured: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(path) = configured {
        return match path.is_file() {
            true => Ok(path.to_path_buf()),
            false => Err(Failure::new(
                Cause::Service,
                format!(
                    "no browser at {} ([browser] path): install chromium (apt-get install chromium) or fix the path",
                    crate::text::escape_controls(&path.display().to_string())
                ),
            )),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in CANDIDATES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Failure::new(
        Cause::Service,
        "no browser: none of chromium, chromium-browser or google-chrome is on PATH (apt-get install chromium), and the panel's [browser] path is not set",
    ))
}

impl Chromium {
    /// Starts `binary` headless, with a launch's own `flags` too (outside, where the page's
    /// host is and the key its certificate was verified with), and waits, within `deadline`,
    /// for its DevTools address.
    pub(crate) async fn start(
        binary: &Path,
        flags: &[String],
        deadline: Deadline,
    ) -> Result<Chromium, Failure> {
        sweep(&std::env::temp_dir());
        let profile = tempfile::Builder::new()
            .prefix(&format!("{PROFILE}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| {
                Failure::new(
                    Cause::Checker,
                    format!("cannot make the browser's profile folder: {e}"),
                )
            })?;
        let mut command = tokio::process::Command::new(binary);
        command
            .args(FLAGS)
            .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(flags)
            .arg("about:blank")
            // Chromium's own temporary files (its singleton socket's folder) go in the profile,
            // and with it: a browser killed at its deadline never cleans them itself.
            .env("TMPDIR", profile.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        // Chromium's sandbox cannot start as root; anyone else keeps it.
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            command.arg("--no-sandbox");
        }
        // SAFETY: between fork and exec only prctl, which is async-signal-safe, is called.
        unsafe {
            command.pre_exec(|| {
                // The browser dies with the thread that started it, even when smoke is killed
                // with SIGKILL and cannot kill the group itself.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| {
            Failure::new(
                Cause::Service,
                format!(
                    "cannot start the browser {}: {e}",
                    crate::text::escape_controls(&binary.display().to_string())
                ),
            )
        })?;
        let group = child.id().map_or(0, |id| id as libc::pid_t);
        let stderr = child.stderr.take();
        let mut chromium = Chromium {
            websocket: String::new(),
            child,
            group,
            profile: Some(profile),
        };
        let Some(stderr) = stderr else {
            return Err(Failure::new(Cause::Checker, "the browser has no stderr"));
        };
        let mut lines = tokio::io::BufReader::new(stderr);
        let mut read = 0usize;
        let mut line = String::new();
        let waited = deadline.remaining();
        let found = deadline
            .bound(async {
                loop {
                    line.clear();
                    match (&mut lines)
                        .take((MAX_STARTUP_OUTPUT - read) as u64)
                        .read_line(&mut line)
                        .await
                    {
                        Ok(0) | Err(_) => return None,
                        Ok(n) => read += n,
                    }
                    if let Some(at) = line.find(LISTENING) {
                        return Some(line[at + LISTENING.len()..].trim().to_string());
                    }
                    if read >= MAX_STARTUP_OUTPUT {
                        return None;
                    }
                }
            })
            .await;
        match found {
            Ok(Some(websocket)) if websocket.starts_with("ws://") => {
                chromium.websocket = websocket;
                // Chromium keeps logging; a full pipe would stop it, so the rest is read away.
                tokio::spawn(async move {
                    let mut sink = tokio::io::sink();
                    let _ = tokio::io::copy(&mut lines, &mut sink).await;
                });
                Ok(chromium)
            }
            Ok(_) => {
                let status = chromium.child.try_wait().ok().flatten();
                let said =
                    crate::text::escape_controls(&crate::condition::cut_to(line.trim(), 200))
                        .into_owned();
                Err(Failure::new(
                    Cause::Protocol,
                    match status {
                        Some(status) => {
                            format!("the browser exited ({status}) before it listened: {said}")
                        }
                        None => format!("the browser did not say where it listens: {said}"),
                    },
                ))
            }
            Err(_) => Err(Failure::new(
                Cause::Timeout,
                format!(
                    "the browser did not start within {}",
                    crate::units::format_duration(waited)
                ),
            )),
        }
    }
}

/// How a browser's profile folder is named: then the pid of the smoke that made it.
const PROFILE: &str = "smoke-browser-";

/// Removes the profile folders in `dir` that a smoke killed before it could (SIGKILL, a crash)
/// left: those whose maker's pid runs no more. A pid taken again by another process keeps its
/// folder until that process ends too: never a folder in use.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PROFILE)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let gone = !Path::new("/proc").join(pid.to_string()).exists();
        let ours = entry.metadata().is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions and cannot fail.
            m.is_dir() && m.uid() == unsafe { libc::geteuid() }
        });
        if gone && ours {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if self.group > 0 {
            // SAFETY: signals the group this browser leads; no memory is touched.
            unsafe { libc::killpg(self.group, libc::SIGKILL) };
        }
        // Reaped now rather than left a zombie: the group was killed, so this is quick.
        let _ = self.child.start_kill();
        if let Ok(None) = self.child.try_wait() {
            let pid = self.group;
            if pid > 0 {
                let mut status = 0;
                // SAFETY: waits for our own child, killed above.
                unsafe { libc::waitpid(pid, &mut status, 0) };
            }
        }
        // Its helpers may still be ending, and writing, as the folder goes: a few tries.
        if let Some(profile) = self.profile.take() {
            for _ in 0..10 {
                if std::fs::remove_dir_all(profile.path()).is_ok() || !profile.path().exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// Headless, quiet, and nothing started that a probe did not ask for.
const FLAGS: &[&str] = &[
    "--headless",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    "--password-store=basic",
];
