//! Running a restart: a command as argv (no shell), or the supervisor's JSON-RPC over its socket.

use smoke_core::engine::{
    http::{call_rpc, Connector},
    is_service_name, Escaped, HttpSpec, Remedy, SERVICE_PLACEHOLDER,
};
use std::time::Duration;

/// Why a restart was not done, or failed.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    /// A name that could become an option or a path (escaped for a terminal).
    #[error("refused to restart `{0}`: not a service name")]
    NotAService(String),
    /// The restart command failed.
    #[error(transparent)]
    Command(#[from] crate::process::RunError),
    /// A JSON-RPC restart on a side with no way to the supervisor.
    #[error("no connection to the supervisor from this side")]
    NoConnection,
    /// The supervisor's socket or URL could not be reached (the connector's words).
    #[error("{0}")]
    Endpoint(String),
    /// The supervisor's call failed (`detail`: its words).
    #[error("{method} on {target}: {detail}")]
    Rpc {
        method: String,
        target: String,
        detail: String,
    },
}

/// Restarts `service`; on success, what the supervisor said (a tail of its output).
pub async fn restart(
    remedy: &Remedy,
    service: &str,
    timeout: Duration,
    connector: Option<&dyn Connector>,
) -> Result<String, RestartError> {
    // Names come from the socket folder or the supervisor at run time, not only from the
    // panel: check again before one reaches a command.
    if !is_service_name(service) {
        return Err(RestartError::NotAService(Escaped(service).to_string()));
    }
    match remedy {
        Remedy::Argv(argv) => {
            let argv: Vec<String> = argv
                .iter()
                .map(|a| a.replace(SERVICE_PLACEHOLDER, service))
                .collect();
            Ok(crate::process::run(&argv, timeout).await?)
        }
        Remedy::Rpc {
            target,
            method,
            params,
        } => {
            let connector = connector.ok_or(RestartError::NoConnection)?;
            let spec = HttpSpec::rpc(
                target.for_service(service),
                method,
                params.as_ref().map(|p| fill_json(p, service)),
            );
            let endpoint = connector
                .endpoint(&spec)
                .map_err(|f| RestartError::Endpoint(f.detail))?;
            let result = call_rpc(connector, &endpoint, &spec, timeout)
                .await
                .map_err(|f| RestartError::Rpc {
                    method: method.clone(),
                    target: spec.target.to_string(),
                    detail: f.detail,
                })?;
            Ok(crate::process::tail(&result.to_string()))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_option_like_name_never_reaches_a_command() {
        for bad in ["--help", "-rf", "../etc", "x\ny"] {
            let e = restart(
                &Remedy::Argv(vec!["true".into(), "{service}".into()]),
                bad,
                Duration::from_secs(5),
                None,
            )
            .await
            .unwrap_err()
            .to_string();
            assert!(e.contains("not a service name"), "{e}");
            assert!(!e.contains('\n'), "{e:?}");
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
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("false exited with"), "{e}");
        let e = restart(
            &Remedy::Argv(vec!["true".into()]),
            "../x",
            Duration::from_secs(5),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a service name"), "{e}");
        let e = restart(
            &Remedy::Argv(vec!["sleep".into(), "5".into()]),
            "x",
            Duration::from_millis(100),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("did not finish within 100ms"), "{e}");
    }

    #[tokio::test]
    async fn a_restart_that_leaves_a_child_behind_is_judged_by_its_exit() {
        let started = std::time::Instant::now();
        let argv = vec![
            "/bin/sh".into(),
            "-c".into(),
            "sleep 3 & echo started".into(),
        ];
        let said = restart(&Remedy::Argv(argv), "x", Duration::from_secs(2), None)
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not held by the child's pipes"
        );
        assert!(said.is_empty() || said.contains("started"), "{said}");
    }

    #[tokio::test]
    async fn a_restart_that_prints_70_kb_and_exits_0_is_a_success() {
        let argv = vec!["sh".into(), "-c".into(), "head -c 70000 /dev/zero".into()];
        restart(&Remedy::Argv(argv), "x", Duration::from_secs(30), None)
            .await
            .expect("judged by its exit, not blocked on a full pipe");
    }
}
