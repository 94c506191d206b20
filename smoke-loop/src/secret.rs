//! Secrets of the loop's tables: named in the panel (an environment variable or a file), read
//! when the sink is set up, never printed.

use std::path::PathBuf;

/// Why a secret is not named rightly in the panel, or cannot be read when its sink is set up.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Both `<what>_env` and `<what>_file` are given.
    #[error("give {what}_env or {what}_file, not both")]
    Both { what: &'static str },
    /// Neither is given (or one is empty): the value itself is never taken from the panel.
    #[error("needs {what}_env = \"VARIABLE\" (or {what}_file): secrets never go in the panel")]
    Unnamed { what: &'static str },
    /// The environment variable is not set, or is blank.
    #[error("the environment variable {var} is not set")]
    EnvUnset { var: String },
    /// The secret file could not be read.
    #[error("cannot read the secret file {}: {source}", .path.display())]
    FileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

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
        what: &'static str,
    ) -> Result<Secret, SecretError> {
        match (env, file) {
            (Some(e), None) if !e.is_empty() => Ok(Secret::Env(e.clone())),
            (None, Some(f)) if !f.is_empty() => Ok(Secret::File(PathBuf::from(f))),
            (Some(_), Some(_)) => Err(SecretError::Both { what }),
            _ => Err(SecretError::Unnamed { what }),
        }
    }

    /// The secret's value, or what to do about its absence.
    pub fn read(&self) -> Result<String, SecretError> {
        match self {
            Secret::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(SecretError::EnvUnset { var: var.clone() }),
            },
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|v| v.trim().to_string())
                .map_err(|source| SecretError::FileUnreadable {
                    path: path.clone(),
                    source,
                }),
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
    pub fn read(&self) -> Result<String, SecretError> {
        match self {
            Value::Plain(v) => Ok(v.clone()),
            Value::Secret(s) => s.read(),
        }
    }
}
