//! What the Debian packages are made of, checked without building them (CI's
//! packaging/build-debs builds them and checks the .deb files): every asset outside the build
//! output exists, the loops ship their own three template units, and those units run the
//! packaged binary as the user smoke, with the panel from /etc/smoke and the state of their own.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `[package.metadata.deb]` assets of a crate: (source relative to the crate, destination).
fn assets(krate: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join(krate).join("Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    let assets = manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .unwrap();
    assets
        .iter()
        .map(|a| {
            let a = a.as_array().unwrap();
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn each_package_ships_its_binary_man_pages_completions_docs_and_panel() {
    for krate in ["smoke-internal", "smoke-external", "smoke-sim"] {
        let assets = assets(krate);
        let dests: Vec<&str> = assets.iter().map(|(_, d)| d.as_str()).collect();
        for want in [
            "usr/bin/".to_string(),
            "usr/share/man/man1/".to_string(),
            format!("usr/share/bash-completion/completions/{krate}"),
            "usr/share/zsh/vendor-completions/".to_string(),
            "usr/share/fish/vendor_completions.d/".to_string(),
            format!("usr/share/doc/{krate}/"),
        ] {
            assert!(
                dests.contains(&want.as_str()),
                "{krate} ships nothing to {want}: {dests:?}"
            );
        }
        assert!(assets
            .iter()
            .any(|(s, _)| s == &format!("target/release/{krate}")));
        assert!(
            assets
                .iter()
                .any(|(s, _)| s.ends_with("probes/herodemo.toml")),
            "{krate}"
        );
        for (source, _) in &assets {
            // The binary and xtask's output are made by the build; everything else is in git.
            if !source.starts_with("target/") && !source.starts_with("../target/") {
                assert!(
                    root().join(krate).join(source).exists(),
                    "{krate}: {source} is missing"
                );
            }
        }
    }
}

#[test]
fn the_loops_units_run_the_packaged_binary_as_smoke_with_a_state_of_their_own() {
    for krate in ["smoke-internal", "smoke-external"] {
        let assets = assets(krate);
        let mut units = Vec::new();
        for name in [
            format!("{krate}@.service"),
            format!("{krate}@.timer"),
            format!("{krate}-watch@.service"),
        ] {
            let (source, dest) = assets
                .iter()
                .find(|(s, _)| s.ends_with(&format!("/{name}")))
                .unwrap_or_else(|| panic!("{krate} does not ship {name}"));
            assert_eq!(dest, "usr/lib/systemd/system/", "{name}");
            assert!(
                !source.contains("examples/"),
                "{name} must be the package's own, not {source}"
            );
            units.push((
                name,
                std::fs::read_to_string(root().join(krate).join(source)).unwrap(),
            ));
        }
        assert!(
            assets.iter().any(|(_, d)| d == "etc/smoke/herodemo.toml"),
            "{krate}: the panel is not a conffile under /etc/smoke"
        );
        for (name, unit) in units.iter().filter(|(n, _)| n.ends_with(".service")) {
            let lines: Vec<&str> = unit.lines().collect();
            for want in [
                "User=smoke",
                "StateDirectory=smoke/%i",
                "Environment=SMOKE_PANEL=/etc/smoke/%i.toml SMOKE_STATE_DIR=/var/lib/smoke/%i",
            ] {
                assert!(lines.contains(&want), "{name} lacks {want}");
            }
            let exec = lines.iter().find(|l| l.starts_with("ExecStart=")).unwrap();
            assert!(
                exec.starts_with(&format!("ExecStart=/usr/bin/{krate} ")),
                "{name}: {exec}"
            );
            assert!(
                !unit.contains("/opt/smoke") && !unit.contains("User=driver"),
                "{name}"
            );
        }
    }
    // The maintainer scripts create the user and enable nothing.
    let postinst = std::fs::read_to_string(root().join("packaging/scripts/postinst")).unwrap();
    assert!(postinst.contains("adduser --system --group"));
    assert!(!postinst.contains("systemctl enable") && !postinst.contains("systemctl start"));
}
