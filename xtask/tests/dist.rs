//! `xtask dist`: every binary gets its man pages and bash, zsh and fish completions, each naming
//! the binary as installed (never smoke-core, whose derive the two loops share), with the
//! subcommands and flags the binary really parses.

use std::path::Path;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn dist_writes_man_pages_and_completions_named_after_each_binary() {
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("dist")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for (binary, subcommand, flag) in [
        ("smoke-internal", "watch", "--state-dir"),
        ("smoke-external", "run", "--panel"),
        ("smoke-sim", "coverage", "--panel"),
    ] {
        let dir = out.path().join(binary);
        let page = read(&dir.join(format!("man/{binary}.1")));
        let escaped = binary.replace('-', "\\-");
        assert!(page.contains(&format!("\n.TH {binary} 1 ")), "{page}");
        assert!(
            page.contains(&format!("{escaped}\\-{subcommand}(1)")),
            "{page}"
        );
        let sub_page = read(&dir.join(format!("man/{binary}-{subcommand}.1")));
        assert!(sub_page.contains(&flag.replace('-', "\\-")), "{sub_page}");
        let bash = read(&dir.join(format!("completions/{binary}.bash")));
        assert!(bash.contains(&format!(" -o default {binary}\n")), "{bash}");
        let zsh = read(&dir.join(format!("completions/_{binary}")));
        assert!(zsh.starts_with(&format!("#compdef {binary}")), "{zsh}");
        let fish = read(&dir.join(format!("completions/{binary}.fish")));
        assert!(fish.contains(&format!("complete -c {binary} ")), "{fish}");
        for (what, text) in [
            ("man page", &page),
            ("bash", &bash),
            ("zsh", &zsh),
            ("fish", &fish),
        ] {
            assert!(
                text.contains(subcommand),
                "{binary} {what} lacks {subcommand}"
            );
            assert!(
                !text.contains("smoke-core") && !text.contains("smoke_core"),
                "{binary} {what} names smoke-core"
            );
        }
    }
}
