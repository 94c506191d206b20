//! `init PATH`: a starting panel written from what the running deployment shows. The services
//! are found the way a run finds them (the side's connector: the socket folder and hero_proc
//! inside, hero_proc's `service.list` through the gateway outside); each one is asked for its
//! OpenRPC document (`rpc.discover`), and a list call it offers is suggested, commented out.
//!
//! Everything the deployment says is hostile text on its way into a TOML file: service names
//! are held to the hero naming, method and parameter names to a stricter pattern, and nothing
//! else it says (summaries, descriptions, error messages) is written at all. What is written,
//! and how, is [`render`]'s.

mod error;
mod render;

pub use error::InitError;
use render::{render, toml_string};

use futures_util::stream::{self, StreamExt};
use smoke_core::engine::{
    http::{call_rpc, Connector},
    is_service_name, load_str, Escaped, HttpSpec, LoadOptions, MakeSide, Mode, Panel, PanelError,
    Target,
};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Services asked for their OpenRPC document at once.
pub const DISCOVER_AT_ONCE: usize = 16;
/// Services asked for their OpenRPC document at most; the health probe still covers the rest.
pub const MAX_DISCOVERED_SERVICES: usize = 100;
/// List calls suggested per service at most.
pub const MAX_SUGGESTIONS_PER_SERVICE: usize = 3;
/// The longest method name suggested; a real one is a few words.
pub const MAX_METHOD_CHARS: usize = 64;
/// The largest OpenRPC document read; a real one is tens of KiB.
pub const MAX_DISCOVER_BYTES: u64 = 1024 * 1024;
/// Required parameters of a suggested list call at most; a call that needs more is no plain
/// list, and each one is a key written into the panel.
pub const MAX_REQUIRED_PARAMS: usize = 8;

/// What a service's `rpc.discover` gave init.
#[derive(Debug, Clone, PartialEq)]
enum Discovered {
    /// The list calls to suggest, each with the names of its required parameters.
    Lists(Vec<(String, Vec<String>)>),
    /// No answer, by this cause (`timeout`, `connect`, ...): smoke's word, not the service's.
    NoAnswer(&'static str),
}

/// What init found, ready to be written.
struct Found {
    mode: Mode,
    name: String,
    timeout: Duration,
    base_url: Option<String>,
    /// How the deployment was reached, as the loader resolved it; `None` in the seed.
    reach: Option<Reach>,
    services: Vec<(String, Discovered)>,
    /// Names the deployment gave that are no service name: not probed, only counted.
    skipped: usize,
    /// Services past [`MAX_DISCOVERED_SERVICES`], not asked.
    not_asked: usize,
}

/// The socket folder (inside) or the resolvers and CA (outside) init looked through, written
/// into the panel so a run looks at the same deployment.
struct Reach {
    socket_dir: std::path::PathBuf,
    resolvers: Vec<String>,
    ca_file: Option<std::path::PathBuf>,
}

/// What `init` is asked (the command line's `init` flags).
pub struct Request<'a> {
    /// Where to write the panel.
    pub path: &'a Path,
    /// The panel's name; the file name without `.toml` when not given.
    pub name: Option<&'a str>,
    /// The public URL (outside only).
    pub base_url: Option<&'a str>,
    /// `--set` values: how to reach the deployment.
    pub set: &'a [String],
    /// The bound on each question, and the panel's timeout.
    pub timeout: Duration,
    /// Replace the file if it exists.
    pub force: bool,
}

/// `smoke-<side> init`: exit 0 with the panel written, or one line saying why not (exit 3).
pub async fn init(args: &Request<'_>, mode: Mode, make: MakeSide) -> Result<u8, InitError> {
    let path = args.path;
    check_path(path, args.force)?;
    let name = match args.name {
        Some(n) => n.to_string(),
        None => path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
            .ok_or_else(|| InitError::NoName {
                path: path.to_path_buf(),
            })?,
    };
    let base_url = match (mode, args.base_url) {
        (Mode::External, None) => return Err(InitError::NoBaseUrl),
        (Mode::Internal, Some(_)) => return Err(InitError::BaseUrlInside),
        (_, url) => url.map(str::to_string),
    };
    let mut found = Found {
        mode,
        name,
        timeout: args.timeout,
        base_url,
        reach: None,
        services: Vec::new(),
        skipped: 0,
        not_asked: 0,
    };
    // The seed: the health probe alone, the socket folder left to `--set`, the environment or
    // the default, and the side made from it as for a run.
    check_name(path, &found.name)?;
    let seed = load(&render(&found), path, args.set).map_err(InitError::Seed)?;
    // A `--set external.base_url` wins over `--base-url`, as in a run: write what was asked.
    found.base_url = seed.external.base_url.clone();
    // Absolute, so a run from another folder (a systemd unit) looks at the same place.
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    found.reach = Some(Reach {
        socket_dir: absolute(&seed.internal.socket_dir),
        resolvers: seed.external.resolvers.clone(),
        ca_file: seed.external.ca_file.as_deref().map(absolute),
    });
    crate::cli::say_where(&seed, mode);
    let side = make(&seed).map_err(InitError::Side)?;
    let connector = side.connector().ok_or(InitError::NoConnector)?;
    discover(&mut found, connector).await?;
    let text = render(&found);
    // What is written must load as it is, without the --set values init was given.
    load(&text, path, &[]).map_err(InitError::Unloadable)?;
    write(path, text.as_bytes(), args.force)?;
    let suggested: usize = found
        .services
        .iter()
        .map(|(_, d)| match d {
            Discovered::Lists(l) => l.len(),
            Discovered::NoAnswer(_) => 0,
        })
        .sum();
    let side_name = format!("smoke-{}", mode.as_str());
    println!(
        "wrote {}: panel \"{}\", a health probe over {} services, {suggested} list calls suggested (commented out); next: {side_name} check --panel {0}, then {side_name} run --panel {0}",
        path.display(),
        found.name,
        found.services.len() + found.not_asked,
    );
    Ok(0)
}

/// Refuses a file that is there (whatever it is) unless `--force`, a folder always, and a path
/// whose folder is missing: before the deployment is asked, not after.
fn check_path(path: &Path, force: bool) -> Result<(), InitError> {
    let dir = folder_of(path);
    if !dir.is_dir() {
        return Err(no_folder(path));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(InitError::IsFolder {
            path: path.to_path_buf(),
        }),
        Ok(_) if !force => Err(InitError::Exists {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn no_folder(path: &Path) -> InitError {
    InitError::NoFolder {
        path: path.to_path_buf(),
        dir: folder_of(path).to_path_buf(),
    }
}

fn load(text: &str, path: &Path, sets: &[String]) -> Result<Panel, PanelError> {
    load_str(text, path, &crate::config::load_options(sets.to_vec()))
}

/// A name the loader refuses, said with what to do: the name comes from the file name unless
/// `--name` gave it.
fn check_name(path: &Path, name: &str) -> Result<(), InitError> {
    let alone = format!("[panel]\nname = {}\n", toml_string(name));
    load_str(&alone, path, &LoadOptions::default())
        .map(drop)
        .map_err(|e| InitError::BadName {
            path: path.to_path_buf(),
            why: e.message().to_string(),
        })
}

/// Lists the services and asks each for its OpenRPC document, every question bounded.
async fn discover(found: &mut Found, connector: Arc<dyn Connector>) -> Result<(), InitError> {
    let timeout = found.timeout;
    let listed = guard(timeout, connector.services(timeout))
        .await
        .ok_or(InitError::ListTimeout { timeout })?
        .map_err(|f| InitError::ListFailed {
            detail: Escaped(&f.detail).to_string(),
        })?;
    for line in &listed.unprobed {
        smoke_core::say!("{line}");
    }
    let (mut names, odd): (Vec<String>, Vec<String>) =
        listed.into_iter().partition(|s| is_service_name(s));
    names.sort();
    names.dedup();
    found.skipped = odd.len();
    if names.is_empty() {
        return Err(match found.mode {
            Mode::Internal => InitError::NoServiceInside {
                socket_dir: found
                    .reach
                    .as_ref()
                    .map_or_else(Default::default, |r| r.socket_dir.clone()),
            },
            Mode::External => InitError::NoServiceOutside,
        });
    }
    // Inside, the services with their rpc socket in the folder are asked first: names that only
    // hero_proc lists, thousands of them if it likes, can't crowd them out of the questions.
    if let (Mode::Internal, Some(reach)) = (found.mode, &found.reach) {
        names.sort_by_key(|s| !has_rpc_socket(&reach.socket_dir, s));
    }
    found.not_asked = names.len().saturating_sub(MAX_DISCOVERED_SERVICES);
    names.truncate(MAX_DISCOVERED_SERVICES);
    found.services = stream::iter(names)
        .map(|service| {
            let connector = connector.clone();
            async move {
                let d = ask(connector.as_ref(), &service, timeout).await;
                (service, d)
            }
        })
        .buffered(DISCOVER_AT_ONCE)
        .collect()
        .await;
    Ok(())
}

/// Whether `<socket_dir>/<service>/rpc.sock` is there, the socket init asks `rpc.discover` on.
fn has_rpc_socket(socket_dir: &Path, service: &str) -> bool {
    Target::parse(&format!("{service}/rpc")).is_ok_and(|t| t.socket_path(socket_dir).exists())
}

/// A second bound around a question already bounded by its deadline: whatever a connector does,
/// init ends.
async fn guard<T>(timeout: Duration, f: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout(timeout + Duration::from_secs(1), f)
        .await
        .ok()
}

async fn ask(connector: &dyn Connector, service: &str, timeout: Duration) -> Discovered {
    let Ok(target) = Target::parse(&format!("{service}/rpc")) else {
        return Discovered::NoAnswer("checker");
    };
    let mut spec = HttpSpec::rpc(target, "rpc.discover", None);
    spec.max_body = MAX_DISCOVER_BYTES;
    let endpoint = match connector.endpoint(&spec) {
        Ok(e) => e,
        Err(f) => return Discovered::NoAnswer(f.cause.as_str()),
    };
    match guard(timeout, call_rpc(connector, &endpoint, &spec, timeout)).await {
        None => Discovered::NoAnswer("timeout"),
        Some(Err(f)) => Discovered::NoAnswer(f.cause.as_str()),
        Some(Ok(doc)) => Discovered::Lists(list_calls(&doc)),
    }
}

/// The list calls of an OpenRPC document: methods named `<words>.list`, those that need no
/// parameter first, at most [`MAX_SUGGESTIONS_PER_SERVICE`], each method once and each of its
/// parameters once (each is a TOML key when uncommented). A document may list thousands of
/// methods: each kind stops growing at the cap, so the cost stays one pass.
fn list_calls(doc: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let methods = doc.get("methods").and_then(|m| m.as_array());
    let (mut plain, mut with_params): (Vec<(String, Vec<String>)>, Vec<_>) = Default::default();
    for m in methods.into_iter().flatten() {
        if plain.len() == MAX_SUGGESTIONS_PER_SERVICE {
            break;
        }
        let Some(name) = m.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        if !is_list_method(name) {
            continue;
        }
        // A required parameter whose name can't be written, or one too many, is a call init
        // can't suggest.
        let Some(required) = required_params(m) else {
            continue;
        };
        let taken = |calls: &[(String, Vec<String>)]| calls.iter().any(|(n, _)| n == name);
        if taken(&plain) || taken(&with_params) {
            continue;
        }
        let kind = if required.is_empty() {
            &mut plain
        } else {
            &mut with_params
        };
        if kind.len() < MAX_SUGGESTIONS_PER_SERVICE {
            kind.push((name.to_string(), required));
        }
    }
    plain.extend(with_params);
    plain.truncate(MAX_SUGGESTIONS_PER_SERVICE);
    plain
}

/// The names of a method's required parameters, each once; `None` when one of them can't be
/// written or there are more than [`MAX_REQUIRED_PARAMS`].
fn required_params(method: &serde_json::Value) -> Option<Vec<String>> {
    let params = method.get("params").and_then(|p| p.as_array());
    let mut names: Vec<String> = Vec::new();
    for p in params.into_iter().flatten() {
        if p.get("required").and_then(|r| r.as_bool()) != Some(true) {
            continue;
        }
        let name = p
            .get("name")
            .and_then(|n| n.as_str())
            .filter(|n| is_word(n) && n.len() <= MAX_METHOD_CHARS)?;
        if !names.iter().any(|n| n == name) {
            if names.len() == MAX_REQUIRED_PARAMS {
                return None;
            }
            names.push(name.to_string());
        }
    }
    Some(names)
}

/// `word(.word)*.list`, ASCII, at most [`MAX_METHOD_CHARS`]: anything else (quotes, newlines,
/// spaces, `#`) could break out of the comment or the string it is written in.
fn is_list_method(name: &str) -> bool {
    name.len() <= MAX_METHOD_CHARS
        && name.split('.').count() >= 2
        && name.split('.').all(is_word)
        && name.ends_with(".list")
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
}

fn is_word(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Temp file beside `path`, fsync, then a rename (with `--force`) or a link that fails if the
/// file appeared meanwhile: a reader sees the old file or the new one, never half of one.
fn write(path: &Path, bytes: &[u8], force: bool) -> Result<(), InitError> {
    let dir = folder_of(path);
    let cannot = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => no_folder(path),
        _ => InitError::CannotWrite {
            path: path.to_path_buf(),
            source,
        },
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".smoke-init.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(cannot)?;
    tmp.write_all(bytes).map_err(cannot)?;
    tmp.as_file().sync_all().map_err(cannot)?;
    // A panel is read by whoever runs the loop; it holds no secret (those come from files).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(cannot)?;
    let persisted = if force {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    persisted.map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => InitError::Exists {
            path: path.to_path_buf(),
        },
        _ => cannot(e.error),
    })?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(cannot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_plain_list_methods_are_suggested_plain_ones_first() {
        let doc = json!({"methods": [
            {"name": "rpc.discover"},
            {"name": "files.list", "params": [{"name": "path", "required": true}]},
            {"name": "business.persons.list", "params": []},
            {"name": "x.list\"\n[panel]", "params": []},
            {"name": "a b.list"},
            {"name": ".list"},
            {"name": "evil.list", "params": [{"name": "p\"=1", "required": true}]},
            {"name": format!("{}.list", "a".repeat(80))},
            {"name": "business.persons.list"},
            {"name": 7},
        ]});
        assert_eq!(
            list_calls(&doc),
            vec![
                ("business.persons.list".to_string(), vec![]),
                ("files.list".to_string(), vec!["path".to_string()]),
            ]
        );
        let many: Vec<_> = (0..50)
            .map(|i| json!({"name": format!("m{i}.list")}))
            .collect();
        assert_eq!(
            list_calls(&json!({ "methods": many })).len(),
            MAX_SUGGESTIONS_PER_SERVICE
        );
        assert!(list_calls(&json!("not a document")).is_empty());
        // The same name twice, with parameters or without, is one suggestion: two would be two
        // probes of one name.
        let twice = json!({"methods": [
            {"name": "a.list", "params": [{"name": "x", "required": true}]},
            {"name": "a.list", "params": [{"name": "x", "required": true}]},
            {"name": "a.list"},
        ]});
        assert_eq!(
            list_calls(&twice),
            vec![("a.list".to_string(), vec!["x".to_string()])]
        );
    }

    #[test]
    fn a_path_is_refused_by_what_is_there_before_the_deployment_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_path(dir.path(), true).unwrap_err();
        assert!(matches!(e, InitError::IsFolder { .. }), "{e:?}");
        assert!(e.to_string().ends_with("/mine.toml"), "{e}");
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "").unwrap();
        let e = check_path(&file, false).unwrap_err();
        assert!(
            matches!(e, InitError::Exists { ref path } if *path == file),
            "{e:?}"
        );
        assert!(e.to_string().contains("give --force"), "{e}");
        check_path(&file, true).unwrap();
        let e = write(&file, b"x", false).unwrap_err();
        assert!(matches!(e, InitError::Exists { .. }), "{e:?}");
        let nowhere = dir.path().join("none/p.toml");
        let e = check_path(&nowhere, true).unwrap_err();
        assert!(
            matches!(e, InitError::NoFolder { ref dir, .. } if dir.ends_with("none")),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "cannot write {}: no folder {}",
                nowhere.display(),
                dir.path().join("none").display()
            )
        );
    }

    #[test]
    fn a_parameter_is_written_once_and_a_call_needing_too_many_is_not_suggested() {
        let param = |n: &str| json!({"name": n, "required": true});
        let many: Vec<_> = (0..=MAX_REQUIRED_PARAMS)
            .map(|i| param(&format!("p{i}")))
            .collect();
        let doc = json!({"methods": [
            {"name": "files.list", "params": [param("path"), param("path"), param("depth")]},
            {"name": "wide.list", "params": many},
        ]});
        assert_eq!(
            list_calls(&doc),
            vec![(
                "files.list".to_string(),
                vec!["path".to_string(), "depth".to_string()]
            )]
        );
    }
}
