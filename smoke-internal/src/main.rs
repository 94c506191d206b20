//! `smoke-internal`: the panel, run on the VM over the services' Unix sockets.

use smoke_core::engine::Mode;

fn main() -> std::process::ExitCode {
    smoke_loop::cli::main(Mode::Internal, |panel| Ok(smoke_internal::side(panel)))
}
