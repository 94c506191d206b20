//! Running a command from the panel (a restart, a `command` sink) as argv, never through a
//! shell, so nothing in a service name or an event can become a command.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Runs `argv`; on success, a tail of what it said. It is not killed when smoke stops while it
/// runs (a half-done restart is worse than a finished one), only when it outlives `timeout`;
/// and its exit decides, not its pipes, which a child it leaves in the background may hold open.
pub async fn run(argv: &[String], timeout: Duration) -> Result<String, String> {
    let program = argv.first().ok_or("no program to run")?;
    let mut child = tokio::process::Command::new(program)
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.map_err(|e| format!("{program}: {e}"))?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(format!(
                "{program} did not finish within {}",
                crate::units::format_duration(timeout)
            ));
        }
    };
    // What it said, as far as it is there to read at once.
    let mut said = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_end(&mut said).await;
        }
        if let Some(err) = stderr.as_mut() {
            let _ = err.read_to_end(&mut said).await;
        }
    })
    .await;
    let said = tail(&String::from_utf8_lossy(&said));
    if status.success() {
        Ok(said)
    } else {
        Err(format!("{program} exited with {status}: {said}"))
    }
}

/// The last 300 characters, on one line.
pub fn tail(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = one_line.chars().count();
    one_line.chars().skip(n.saturating_sub(300)).collect()
}
