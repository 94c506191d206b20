//! Running a command from the panel (a restart, a `command` sink) as argv, never through a
//! shell, so nothing in a service name or an event can become a command.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// What is kept of each of a command's pipes for messages: its last bytes. Everything past it
/// is read and dropped, so a chatty command never fills a pipe and blocks on it.
pub const OUTPUT_KEPT: usize = 64 * 1024;

/// How long its pipes are still read once the command has exited: enough for what it said
/// last, not so long that a child it left in the background (holding the pipes) can stall us.
pub const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// Why a command failed: it did not start, did not finish in time, or exited with a failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An empty argv.
    #[error("no program to run")]
    NoProgram,
    #[error("cannot run {program}: {source}")]
    CannotStart {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// Waiting for it failed.
    #[error("{program}: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// It outlived its timeout and was killed.
    #[error("{program} did not finish within {}", smoke_core::engine::format_duration(*.timeout))]
    TimedOut { program: String, timeout: Duration },
    /// It exited with a failure; `said`: the tail of what it printed.
    #[error("{program} exited with {status}: {said}")]
    Failed {
        program: String,
        status: std::process::ExitStatus,
        said: String,
    },
}

/// Runs `argv`; on success, a tail of what it said. It is not killed when smoke stops while it
/// runs (a half-done restart is worse than a finished one), only when it outlives `timeout`;
/// and its exit decides, not its pipes, which a child it leaves in the background may hold open.
pub async fn run(argv: &[String], timeout: Duration) -> Result<String, RunError> {
    let program = argv.first().ok_or(RunError::NoProgram)?;
    let mut child = tokio::process::Command::new(program)
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(false)
        .spawn()
        .map_err(|source| RunError::CannotStart {
            program: program.clone(),
            source,
        })?;
    let mut out = Pipe::new(child.stdout.take());
    let mut err = Pipe::new(child.stderr.take());
    // The pipes are drained while it runs: a command that says more than a pipe holds would
    // otherwise wait on us forever while we wait on it.
    let waited = tokio::time::timeout(timeout, async {
        loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = out.read_some() => {}
                _ = err.read_some() => {}
            }
        }
    })
    .await;
    let status = match waited {
        Ok(status) => status.map_err(|source| RunError::Wait {
            program: program.clone(),
            source,
        })?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(RunError::TimedOut {
                program: program.clone(),
                timeout,
            });
        }
    };
    let _ = tokio::time::timeout(OUTPUT_GRACE, async {
        while out.is_open() || err.is_open() {
            tokio::select! {
                _ = out.read_some() => {}
                _ = err.read_some() => {}
            }
        }
    })
    .await;
    let said = [out.said(), err.said()].concat();
    let said = tail(&String::from_utf8_lossy(&said));
    if status.success() {
        Ok(said)
    } else {
        Err(RunError::Failed {
            program: program.clone(),
            status,
            said,
        })
    }
}

/// One pipe of the command and the last [`OUTPUT_KEPT`] bytes it gave.
struct Pipe<R> {
    pipe: Option<R>,
    kept: Vec<u8>,
    buf: Box<[u8]>,
}

impl<R: AsyncRead + Unpin> Pipe<R> {
    fn new(pipe: Option<R>) -> Self {
        Pipe {
            pipe,
            kept: Vec::new(),
            buf: vec![0; 8 * 1024].into_boxed_slice(),
        }
    }

    fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Reads what is there; never ends once the pipe is closed, so a `select!` waits on the
    /// other branches. Cancel-safe: a read that did not finish took nothing.
    async fn read_some(&mut self) {
        let Some(pipe) = self.pipe.as_mut() else {
            return std::future::pending().await;
        };
        match pipe.read(&mut self.buf).await {
            Ok(0) | Err(_) => self.pipe = None,
            Ok(n) => {
                self.kept.extend_from_slice(&self.buf[..n]);
                // Trimmed in batches so memory stays under twice the tail kept.
                if self.kept.len() > 2 * OUTPUT_KEPT {
                    self.kept.drain(..self.kept.len() - OUTPUT_KEPT);
                }
            }
        }
    }

    fn said(&self) -> &[u8] {
        &self.kept[self.kept.len().saturating_sub(OUTPUT_KEPT)..]
    }
}

/// The last 300 characters, on one line.
pub fn tail(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = one_line.chars().count();
    one_line.chars().skip(n.saturating_sub(300)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[tokio::test]
    async fn output_past_a_pipe_buffer_is_drained_and_its_tail_kept() {
        // 70 KB of stdout then a last word on stderr: more than a pipe holds.
        let said = run(
            &sh("head -c 70000 /dev/zero | tr '\\0' a; echo; echo last-word >&2"),
            Duration::from_secs(30),
        )
        .await
        .expect("a chatty command that exits 0 succeeds");
        assert!(said.ends_with("last-word"), "{said}");
        assert!(said.chars().count() <= 300, "{said}");
    }
}
