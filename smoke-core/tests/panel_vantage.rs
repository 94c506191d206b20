//! The vantage point: `--set`, then `SMOKE_VANTAGE`, then `[panel] vantage`, then the host name.

use smoke_core::engine::{load_str, vantage::UNKNOWN_VANTAGE, LoadOptions, Panel, PanelError};
use std::path::Path;

const PANEL: &str = r#"
[panel]
name = "demo"
vantage = "from-panel"

[[probe]]
name = "health"
target = "hero_proc/rpc"
get = "/health"
"#;

const BARE: &str = r#"
[panel]
name = "demo"

[[probe]]
name = "health"
target = "hero_proc/rpc"
get = "/health"
"#;

fn load(
    text: &str,
    sets: &[&str],
    env: Option<&str>,
    host: Option<&str>,
) -> Result<Panel, PanelError> {
    let opts = LoadOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        vantage_env: env.map(str::to_string),
        host_name: host.map(str::to_string),
        ..LoadOptions::default()
    };
    load_str(text, Path::new("panel.toml"), &opts)
}

#[test]
fn set_beats_the_environment_which_beats_the_panel_which_beats_the_host_name() {
    let v = |text, sets: &[&str], env, host| load(text, sets, env, host).unwrap().vantage;
    let set = ["panel.vantage=from-set"];
    assert_eq!(v(PANEL, &set, Some("from-env"), Some("host")), "from-set");
    assert_eq!(v(BARE, &set, Some("from-env"), Some("host")), "from-set");
    assert_eq!(v(PANEL, &[], Some("from-env"), Some("host")), "from-env");
    assert_eq!(v(PANEL, &[], None, Some("host")), "from-panel");
    assert_eq!(v(BARE, &[], None, Some("host")), "host");
    assert_eq!(v(BARE, &[], None, None), UNKNOWN_VANTAGE);
    // A host name is mended, never refused: the operator did not type it.
    assert_eq!(v(BARE, &[], None, Some("bad host\u{7}/x")), "bad-host--x");
}

#[test]
fn a_bad_vantage_name_is_refused_where_it_was_given() {
    let panel = PANEL.replace("from-panel", "two words");
    let e = load(&panel, &[], None, Some("host")).unwrap_err();
    assert_eq!(e.line(), 4, "{e}");
    assert!(e.to_string().contains("[panel] vantage"), "{e}");
    assert!(e.to_string().contains("spaces"), "{e}");

    let e = load(BARE, &[], Some("a/b\u{1b}[2J"), Some("host")).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("SMOKE_VANTAGE"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "escaped: {shown:?}");

    let e = load(BARE, &["panel.vantage=.."], None, Some("host")).unwrap_err();
    assert!(e.to_string().contains("--set `panel.vantage=..`"), "{e}");
}
