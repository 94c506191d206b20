//! What smoke-core does with and without its optional features. `cargo test` runs the default
//! half; `.ci/run` runs this file again with `--no-default-features` for the other.

use smoke_core::engine::{load_str, LoadOptions};
use std::path::Path;

const HTML_PANEL: &str = r#"
[panel]
name = "demo"

[[probe]]
name = "site"
target = "hero_os/web_ui"
get = "/"
expect = ["status == 200", "html(nav a) >= 1"]
"#;

#[cfg(not(feature = "html"))]
#[test]
fn without_html_an_html_condition_is_a_load_error_at_its_place_that_names_the_feature() {
    let e = load_str(HTML_PANEL, Path::new("site.toml"), &LoadOptions::default()).unwrap_err();
    // `expect = ["status == 200", "` is 28 characters: `html` starts at column 29.
    assert_eq!((e.line(), e.column()), (9, 29), "{e}");
    let text = e.to_string();
    assert!(text.starts_with("site.toml:9:29: "), "{text}");
    assert!(text.contains("`html` feature"), "{text}");
}

#[cfg(feature = "html")]
#[test]
fn with_html_an_html_condition_loads() {
    let panel = load_str(HTML_PANEL, Path::new("site.toml"), &LoadOptions::default()).unwrap();
    assert_eq!(panel.probes[0].expect[1].text(), "html(nav a) >= 1");
}

#[cfg(not(feature = "prometheus"))]
#[test]
fn without_prometheus_the_format_is_not_offered() {
    use smoke_core::engine::Format;
    assert!(Format::ALL.iter().all(|(name, _)| *name != "prometheus"));
    assert!("prometheus".parse::<Format>().is_err());
}

const BROWSE_PANEL: &str = r#"
[panel]
name = "demo"

[[probe]]
name = "ui"
target = "hero_os/ui"
browse = "/"
"#;

#[cfg(not(feature = "browser"))]
#[test]
fn without_browser_a_browse_probe_is_a_load_error_at_its_place_that_names_the_feature() {
    let e = load_str(BROWSE_PANEL, Path::new("ui.toml"), &LoadOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("ui.toml:8:10: "), "{text}");
    assert!(text.contains("`browser` feature"), "{text}");
}

#[cfg(feature = "browser")]
#[test]
fn with_browser_a_browse_probe_loads() {
    let panel = load_str(BROWSE_PANEL, Path::new("ui.toml"), &LoadOptions::default()).unwrap();
    assert!(matches!(
        panel.probes[0].kind,
        smoke_core::engine::ProbeKind::Browse(_)
    ));
}
