//! `smoke-internal`: the panel, run on the VM over the services' Unix sockets.

use smoke_core::panel::Mode;
use smoke_internal::UnixConnector;
use std::sync::Arc;

fn main() -> std::process::ExitCode {
    smoke_core::cli::main(Mode::Internal, |panel| {
        Ok(Arc::new(UnixConnector::new(&panel.internal.socket_dir)))
    })
}
