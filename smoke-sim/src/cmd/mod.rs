//! The subcommands of the `smoke-sim` binary, one module each.

pub mod bench;
pub mod browse_bench;
pub mod coverage;
pub mod demo;
pub mod proc;
pub mod serve;
pub mod soak;
pub mod status_bench;

/// The smoke-internal binary to measure: the one given, else the one beside this binary.
pub fn smoke_internal_exe(exe: Option<std::path::PathBuf>) -> anyhow::Result<std::path::PathBuf> {
    let exe = match exe {
        Some(exe) => exe,
        None => std::env::current_exe()?.with_file_name("smoke-internal"),
    };
    anyhow::ensure!(
        exe.exists(),
        "no smoke-internal at {}: build it first (cargo build --release -p smoke-internal -p smoke-sim) or give --exe",
        exe.display()
    );
    Ok(exe)
}
