//! A packaged program run for a test: found where its Debian package puts it (or on `PATH`),
//! started with its output in a log whose end goes into every error, and killed and reaped
//! when its [`Process`] is dropped, so that none outlives its test. The servers among them,
//! which take their loopback port as a flag, start again on another port when someone took
//! the first one before they could bind it.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};

use super::client;

const POLL_EVERY: Duration = Duration::from_millis(50);
/// The free port we picked can be taken by someone else before the server binds it.
const PORT_ATTEMPTS: usize = 3;
/// How much of its log an error quotes: the end, where the reason it died is.
const TAIL_LINES: usize = 20;

/// A program from a Debian package, as a harness looks for it and speaks of it.
pub(super) struct Program {
    /// What messages call it: `Alertmanager`.
    pub(super) name: &'static str,
    /// Where the Debian package installs it.
    pub(super) debian_binary: &'static str,
    /// What to look for on `PATH` when it is not there, first match wins.
    pub(super) names_on_path: &'static [&'static str],
    /// How to get it: `install X (apt-get install X)`.
    pub(super) install_hint: &'static str,
    /// Log lines holding any of these are noise every run makes, left out of its log's tail.
    pub(super) log_noise: &'static [&'static str],
}

enum Outcome {
    Ready,
    PortTaken,
}

impl Program {
    /// The binary: the Debian package's if installed, else the first of
    /// [`names_on_path`](Self::names_on_path) on `PATH`.
    pub(super) fn find(&self) -> io::Result<PathBuf> {
        self.find_binary().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no {} binary at {} or on PATH: {}",
                    self.name, self.debian_binary, self.install_hint
                ),
            )
        })
    }

    fn find_binary(&self) -> Option<PathBuf> {
        let debian = Path::new(self.debian_binary);
        if debian.is_file() {
            return Some(debian.to_path_buf());
        }
        let path = std::env::var_os("PATH")?;
        self.names_on_path.iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    }

    /// The end of `log`, without the [noise](Self::log_noise).
    pub(super) fn tail(&self, log: &Path) -> String {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !self.log_noise.iter().any(|noise| line.contains(noise)))
            .collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
    }

    /// Starts a server that listens on the loopback port given to `command` and is ready once
    /// `GET /-/ready` answers 200, as the Prometheus family's do, with its output in `log`;
    /// waits up to `ready_within` for that. Returns the running server and its base URL,
    /// `http://127.0.0.1:<port>`. A server that binds further ports picks them in `command`,
    /// which is called again for each attempt: a port taken, whichever, means a new attempt.
    pub(super) async fn serve(
        &self,
        log: &Path,
        ready_within: Duration,
        mut command: impl FnMut(u16) -> io::Result<Command>,
    ) -> io::Result<(Process, String)> {
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let url = format!("http://127.0.0.1:{port}");
            let mut process = Process::spawn(&mut command(port)?, None, log)?;
            // An error drops the process, which stops it.
            match self
                .wait_until_ready(&mut process, &url, log, ready_within)
                .await?
            {
                Outcome::Ready => return Ok((process, url)),
                Outcome::PortTaken => {
                    last_error = Some(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!(
                            "port {port} (or another it binds) was taken before {} could bind it",
                            self.name
                        ),
                    ));
                }
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other(format!("{} did not start", self.name))))
    }

    async fn wait_until_ready(
        &self,
        process: &mut Process,
        url: &str,
        log: &Path,
        ready_within: Duration,
    ) -> io::Result<Outcome> {
        let ready = format!("{url}/-/ready");
        let deadline = Instant::now() + ready_within;
        loop {
            if let Some(status) = process.try_wait()? {
                return self.exited(status, log);
            }
            if let Ok((StatusCode::OK, _)) =
                client::request(Method::GET, &ready, None, POLL_EVERY * 10).await
            {
                return Ok(Outcome::Ready);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} was not ready within {ready_within:?}; its log:\n{}",
                        self.name,
                        self.tail(log)
                    ),
                ));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    fn exited(&self, status: ExitStatus, log: &Path) -> io::Result<Outcome> {
        let text = self.tail(log);
        if text.contains("address already in use") {
            return Ok(Outcome::PortTaken);
        }
        Err(io::Error::other(format!(
            "{} exited ({status}) before it was ready; its log:\n{text}",
            self.name
        )))
    }
}

/// A port nobody listened on a moment ago. The servers want a number, not a socket, so the
/// port is released before they bind it; [`PORT_ATTEMPTS`] covers losing that race.
pub fn free_port() -> io::Result<u16> {
    let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(probe.local_addr()?.port())
}

/// A running program. Dropping it kills it (or the process group it leads) and reaps it, so
/// no zombie outlives the test.
pub(super) struct Process {
    child: Child,
    /// Whether it leads a process group of its own, which stopping it kills whole.
    group: bool,
    /// Whether it has been waited for; from then on its id may be another process's.
    reaped: bool,
}

impl Process {
    /// Starts `command` with nothing on its stdin, its stderr in `log`, and its stdout in
    /// `stdout` or, without one, in `log` too; both files start empty.
    pub(super) fn spawn(
        command: &mut Command,
        stdout: Option<&Path>,
        log: &Path,
    ) -> io::Result<Process> {
        Process::start(command, stdout, log, false)
    }

    /// As [`spawn`](Self::spawn), in a process group of its own, so that stopping it kills
    /// whatever it started too. Until that kill it is not reaped, so the group's id cannot
    /// have passed to another process.
    pub(super) fn spawn_group(
        command: &mut Command,
        stdout: Option<&Path>,
        log: &Path,
    ) -> io::Result<Process> {
        Process::start(command.process_group(0), stdout, log, true)
    }

    fn start(
        command: &mut Command,
        stdout: Option<&Path>,
        log: &Path,
        group: bool,
    ) -> io::Result<Process> {
        let stdout = stdout.map(File::create).transpose()?;
        let log = File::create(log)?;
        let stdout = match stdout {
            Some(file) => file,
            None => log.try_clone()?,
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                let binary = Path::new(command.get_program());
                io::Error::new(e.kind(), format!("starting {}: {e}", binary.display()))
            })?;
        Ok(Process {
            child,
            group,
            reaped: false,
        })
    }

    /// Its exit status if it has exited, without waiting. A group's leader is reaped only
    /// after the group is killed: whatever helpers outlived it.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if !self.group || self.reaped {
            let status = self.child.try_wait()?;
            self.reaped |= status.is_some();
            return Ok(status);
        }
        if !self.exited()? {
            return Ok(None);
        }
        self.stop().map(Some)
    }

    /// Blocks until it exits, for up to `within`; `None` if it still runs then.
    pub(super) fn wait_within(&mut self, within: Duration) -> io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// Kills it now (SIGKILL, to its group if it leads one) and reaps it, for a test that takes
    /// a server down mid-run; one already gone is fine.
    pub(super) fn kill(&mut self) -> io::Result<ExitStatus> {
        self.stop()
    }

    /// Whether it has exited, found out without reaping it.
    fn exited(&self) -> io::Result<bool> {
        // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` outlives the call; WNOWAIT leaves the child for `Child::wait`.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                self.child.id(),
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: waitid filled in a SIGCHLD siginfo, or left it zeroed if nothing exited.
        Ok(unsafe { info.si_pid() } != 0)
    }

    /// Kills it (its group, if it leads one), already gone being fine, and reaps it.
    fn stop(&mut self) -> io::Result<ExitStatus> {
        if !self.reaped {
            if self.group {
                kill_group(&self.child);
            } else {
                let _ = self.child.kill();
            }
        }
        let status = self.child.wait();
        self.reaped = true;
        status
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// SIGKILL to the group `child` leads; a group already gone is fine.
fn kill_group(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill takes no pointers.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
