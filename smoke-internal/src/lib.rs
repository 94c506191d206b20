//! smoke's inside view: each probe goes straight to `<socket_dir>/<service>/<socket>.sock`, so a
//! failure names the service, not just "the demo".

mod connector;
mod discovery;
mod side;
mod supervised;

pub use connector::UnixConnector;
pub use discovery::scan_services;
pub use side::InternalSide;

use smoke_core::engine::{Panel, Side};
use std::sync::Arc;

/// The inside view of `panel`: its probes over the Unix sockets of its socket folder.
pub fn side(panel: &Panel) -> Arc<dyn Side> {
    Arc::new(InternalSide::new(panel))
}
