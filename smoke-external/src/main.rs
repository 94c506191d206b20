//! `smoke-external`: the panel, run from another host through the public URL, with the public
//! host's DNS and TLS certificate checked on every run.

use smoke_core::engine::Mode;

fn main() -> std::process::ExitCode {
    smoke_loop::cli::main(Mode::External, |panel| Ok(smoke_external::side(panel)?))
}
