//! Running a restart: a command as argv (no shell), or the supervisor's JSON-RPC over its socket.

use crate::http::{call_rpc, Connector};
use crate::panel::{HttpSpec, Remedy, SERVICE_PLACEHOLDER};
use std::process::Stdio;
use std::time::Duration;

/// A service name that may reach a command: a plain name, no path, no spaces.
pub fn valid_service(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Restarts `service`; on success, what the supervisor said (a tail of its output).
pub async fn restart(
    remedy: &Remedy,
    service: &str,
    timeout: Duration,
    connector: Option<&dyn Connector>,
) -> Result<String, String> {
    // Names come from the socket folder or the supervisor at run time, not only from the
    // panel: check again before one reaches a command.
    if !valid_service(service) {
        return Err(format!(
            "refused to restart `{service}`: not a plain service name"
        ));
    }
    match remedy {
        Remedy::Argv(argv) => run_argv(argv, service, timeout).await,
        Remedy::Rpc {
            target,
            method,
            params,
        } => {
            let connector = connector.ok_or("no connection to the supervisor from this side")?;
            let spec = HttpSpec::rpc(
                target.for_service(service),
                method,
                params.as_ref().map(|p| fill_json(p, service)),
            );
            let endpoint = connector.endpoint(&spec)?;
            let result = call_rpc(connector, &endpoint, &spec, timeout)
                .await
                .map_err(|f| format!("{method} on {}: {}", spec.target, f.detail))?;
            Ok(tail(&result.to_string()))
        }
    }
}

async fn run_argv(argv: &[String], service: &str, timeout: Duration) -> Result<String, String> {
    let argv: Vec<String> = argv
        .iter()
        .map(|a| a.replace(SERVICE_PLACEHOLDER, service))
        .collect();
    let child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            format!(
                "{} did not finish within {}",
                argv[0],
                crate::units::format_duration(timeout)
            )
        })?
        .map_err(|e| format!("{}: {e}", argv[0]))?;
    let said = tail(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    if out.status.success() {
        Ok(said)
    } else {
        Err(format!("{} exited with {}: {said}", argv[0], out.status))
    }
}

fn fill_json(v: &serde_json::Value, service: &str) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => s.replace(SERVICE_PLACEHOLDER, service).into(),
        serde_json::Value::Array(a) => a.iter().map(|x| fill_json(x, service)).collect(),
        serde_json::Value::Object(o) => o
            .iter()
            .map(|(k, x)| (k.clone(), fill_json(x, service)))
            .collect(),
        other => other.clone(),
    }
}

/// The last 300 characters, on one line.
fn tail(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = one_line.chars().count();
    one_line.chars().skip(n.saturating_sub(300)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_reach_a_command() {
        assert!(valid_service("hero_foundry"));
        for bad in ["", "..", "../etc", "a/b", "hero foundry", "x\ny"] {
            assert!(!valid_service(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn argv_is_filled_and_run_without_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let argv = vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            format!("printf '%s|' \"$@\" > {}", out.display()),
            "sh".to_string(),
            "restart".to_string(),
            "{service}".to_string(),
            "$(touch /tmp/never)".to_string(),
        ];
        restart(
            &Remedy::Argv(argv),
            "hero_foundry",
            Duration::from_secs(5),
            None,
        )
        .await
        .unwrap();
        let got = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            got, "restart|hero_foundry|$(touch /tmp/never)|",
            "arguments stay arguments"
        );
        let e = restart(
            &Remedy::Argv(vec!["false".into()]),
            "x",
            Duration::from_secs(5),
            None,
        )
        .await
        .unwrap_err();
        assert!(e.starts_with("false exited with"), "{e}");
        let e = restart(
            &Remedy::Argv(vec!["true".into()]),
            "../x",
            Duration::from_secs(5),
            None,
        )
        .await
        .unwrap_err();
        assert!(e.contains("not a plain service name"), "{e}");
    }
}
