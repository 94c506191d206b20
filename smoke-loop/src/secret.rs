//! Secrets of the loop's tables: named in the panel (an environment variable or a file), read
//! when the sink is set up, never printed.

use std::path::PathBuf;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Env(String),
    File(PathBuf),
}

impl Secret {
    /// From `<what>_env` or `<what>_file`, exactly one of them.
    pub fn named(
        env: &Option<String>,
        file: &Option<String>,
        what: &str,
    ) -> Result<Secret, String> {
        match (env, file) {
            (Some(e), None) if !e.is_empty() => Ok(Secret::Env(e.clone())),
            (None, Some(f)) if !f.is_empty() => Ok(Secret::File(PathBuf::from(f))),
            (Some(_), Some(_)) => Err(format!("give {what}_env or {what}_file, not both")),
            _ => Err(format!(
                "needs {what}_env = \"VARIABLE\" (or {what}_file): secrets never go in the panel"
            )),
        }
    }

    /// The secret's value, or what to do about its absence.
    pub fn read(&self) -> Result<String, String> {
        match self {
            Secret::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(format!("the environment variable {var} is not set")),
            },
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|v| v.trim().to_string())
                .map_err(|e| format!("cannot read the secret file {}: {e}", path.display())),
        }
    }

    /// Where it comes from, for messages (never the value).
    pub fn source(&self) -> String {
        match self {
            Secret::Env(var) => format!("${var}"),
            Secret::File(path) => path.display().to_string(),
        }
    }
}

/// A value that may be written plainly or kept secret (a webhook URL carries its own key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Plain(String),
    Secret(Secret),
}

impl Value {
    pub fn read(&self) -> Result<String, String> {
        match self {
            Value::Plain(v) => Ok(v.clone()),
            Value::Secret(s) => s.read(),
        }
    }
}
