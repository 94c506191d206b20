//! Why `init` wrote no panel. Each variant's words are the one line the operator reads (exit
//! 3), as they were when these were plain strings.

use smoke_core::engine::PanelError;
use std::path::PathBuf;
use std::time::Duration;

/// What stopped `init`, in the order it can happen: the arguments, the path, the deployment,
/// the write.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// No `--name`, and the path has no file name to take one from.
    #[error("{}: no panel name in it: give --name NAME", .path.display())]
    NoName { path: PathBuf },
    /// `smoke-external init` without `--base-url`.
    #[error("smoke-external init needs --base-url URL, the public URL of the deployment")]
    NoBaseUrl,
    /// `--base-url` given to `smoke-internal init`.
    #[error("--base-url is for smoke-external init; smoke-internal looks at the socket folder")]
    BaseUrlInside,
    /// The folder of `path` is not there.
    #[error("cannot write {}: no folder {}", .path.display(), .dir.display())]
    NoFolder { path: PathBuf, dir: PathBuf },
    /// `path` is a folder.
    #[error("{} is a folder: give a file name like {}/mine.toml", .path.display(), .path.display())]
    IsFolder { path: PathBuf },
    /// A file is at `path` and `--force` was not given.
    #[error("{} already exists: init never overwrites a file; give --force to replace it", .path.display())]
    Exists { path: PathBuf },
    /// The panel name is one the loader refuses (`why`: the loader's words).
    #[error("{}: {why}; give --name NAME", .path.display())]
    BadName { path: PathBuf, why: String },
    /// The seed panel (with the `--set` values) does not load.
    #[error(transparent)]
    Seed(PanelError),
    /// The side could not be made from the seed (its own words).
    #[error("{0}")]
    Side(smoke_core::engine::SideError),
    /// The side has no connector to ask the services through.
    #[error("this side has no way to the services")]
    NoConnector,
    /// Listing the services did not end within `timeout` (and its guard).
    #[error("listing the services took longer than {}", smoke_core::engine::format_duration(*.timeout))]
    ListTimeout { timeout: Duration },
    /// Listing the services failed; `detail` is the failure already escaped for a terminal.
    #[error("cannot list the services of the deployment: {detail}")]
    ListFailed { detail: String },
    /// Inside: the socket folder holds no service.
    #[error("found no service in {}: is it the socket folder? give --set internal.socket_dir=DIR", .socket_dir.display())]
    NoServiceInside { socket_dir: PathBuf },
    /// Outside: hero_proc listed no service through the gateway.
    #[error("hero_proc listed no service through the gateway: nothing to write a panel for")]
    NoServiceOutside,
    /// What init rendered does not load: a bug of init's, never of the deployment's.
    #[error("init wrote a panel it cannot load ({0}): a bug")]
    Unloadable(PanelError),
    /// The panel file could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    CannotWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
