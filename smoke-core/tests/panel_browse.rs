//! `browse = "/"`: a page opened in a browser, and each way a panel can get one wrong, named
//! at its file, line and column.

use smoke_core::engine::{load_str, LoadOptions, Panel, PanelError, ProbeKind};
use std::path::Path;

fn load(probe: &str, rest: &str) -> Result<Panel, PanelError> {
    let text = format!("[panel]\nname = \"x\"\n\n[[probe]]\nname = \"p\"\n{probe}\n{rest}");
    load_str(&text, Path::new("probes/t.toml"), &LoadOptions::default())
}

#[test]
fn a_browse_probe_loads_its_page_and_what_it_waits_for() {
    let panel = load(
        "target = \"hero_os/ui\"\nbrowse = \"/\"\nwait_for = \"nav a\"\ncontext = \"geomind\"\nexpect = [\"element(nav a) >= 3\", \"images.broken == 0\"]",
        "[browser]\npath = \"/usr/bin/chromium\"\n",
    )
    .unwrap();
    let ProbeKind::Browse(browse) = &panel.probes[0].kind else {
        panic!("not a browse probe: {:?}", panel.probes[0].kind);
    };
    assert_eq!(browse.page.target.to_string(), "hero_os/ui");
    assert_eq!(browse.path(), "/");
    assert_eq!(browse.wait_for.as_deref(), Some("nav a"));
    assert_eq!(browse.page.context.as_deref(), Some("geomind"));
    assert_eq!(
        panel.browser.as_deref(),
        Some(Path::new("/usr/bin/chromium"))
    );
}

#[test]
fn each_mistake_is_named_where_it_is_written() {
    let cases = [
        (
            "target = \"hero_os/ui\"\nget = \"/\"\nwait_for = \"nav\"",
            "",
            "4:1",
            "`wait_for` goes with `browse`",
        ),
        (
            "target = \"hero_os/ui\"\nbrowse = \"/\"\nrpc = \"x.list\"",
            "",
            "4:1",
            "`rpc` has no meaning on a browse probe",
        ),
        (
            "target = \"hero_os/ui\"\nbrowse = \"/\"\nwait_for = \"nav[\"",
            "",
            "8:12",
            "is not a CSS selector",
        ),
        (
            "target = [\"hero_os/ui\", \"hero_os_ui/ui\"]\nbrowse = \"/\"",
            "",
            "4:1",
            "a browse probe opens one page",
        ),
        ("browse = \"/\"", "", "4:1", "missing `target`"),
        (
            "target = \"hero_os/ui\"\nbrowse = \"no-slash\"",
            "",
            "7:10",
            "must start with /",
        ),
        (
            "target = \"hero_os/ui\"\nbrowse = \"/\"\ndns = \"x\"",
            "",
            "4:1",
            "give `dns` or `browse`, not both",
        ),
        (
            "target = \"hero_os/ui\"\nbrowse = \"/\"",
            "[browser]\npath = \"\"\n",
            "9:8",
            "[browser] path must name the browser's program",
        ),
        (
            "target = \"hero_os/ui\"\nbrowse = \"/\"",
            "[browser]\nbinary = \"chromium\"\n",
            "9:1",
            "unknown key `binary`; known keys: path",
        ),
    ];
    for (probe, rest, at, words) in cases {
        let e = load(probe, rest).expect_err(probe).to_string();
        assert!(e.contains(&format!("probes/t.toml:{at}:")), "{probe}: {e}");
        assert!(e.contains(words), "{probe}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}
