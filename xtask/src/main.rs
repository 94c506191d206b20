//! `cargo run -p xtask -- dist OUTDIR`: the man pages and shell completions of the three smoke
//! binaries, made from the same clap definitions the binaries parse, for the Debian packages
//! (`cargo deb`) and anyone installing by hand.
//!
//! OUTDIR/<binary>/man/<binary>.1 (and one page per subcommand, `<binary>-<command>.1`), and
//! OUTDIR/<binary>/completions/<binary>.bash, _<binary> (zsh), <binary>.fish.

use clap::Parser;
use clap_complete::Shell;
use smoke_core::engine::Mode;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "xtask", about = "Build helpers for smoke")]
enum Xtask {
    /// Write the man pages and shell completions of smoke-internal, smoke-external and smoke-sim.
    Dist {
        /// Where to write them (created if missing); `cargo deb` reads target/dist.
        outdir: PathBuf,
    },
}

/// The shells completions are written for.
const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

fn main() -> ExitCode {
    let Xtask::Dist { outdir } = Xtask::parse();
    let binaries = [
        smoke_loop::cli::command(Mode::Internal),
        smoke_loop::cli::command(Mode::External),
        smoke_sim::cli::command(),
    ];
    for cmd in binaries {
        let name = cmd.get_name().to_string();
        if let Err(e) = dist(cmd, &outdir.join(&name)) {
            eprintln!("xtask: {name}: {e}");
            return ExitCode::FAILURE;
        }
        println!("{}", outdir.join(&name).display());
    }
    ExitCode::SUCCESS
}

fn dist(cmd: clap::Command, dir: &Path) -> Result<(), String> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    for d in [&man, &completions] {
        // Pages of a subcommand since removed must not be shipped: start from an empty folder.
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(|e| format!("cannot empty {}: {e}", d.display()))?;
        }
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let name = cmd.get_name().to_string();
    clap_mangen::generate_to(cmd.clone(), &man)
        .map_err(|e| format!("cannot write the man pages to {}: {e}", man.display()))?;
    for shell in SHELLS {
        clap_complete::generate_to(shell, &mut cmd.clone(), &name, &completions).map_err(|e| {
            format!(
                "cannot write the {shell} completions to {}: {e}",
                completions.display()
            )
        })?;
    }
    Ok(())
}
