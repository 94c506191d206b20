//! `depends_on`: what each probe's dependencies become, and where a wrong one is said to be.

use smoke_core::engine::{load_str, LoadOptions, Panel, PanelError};
use std::path::Path;

/// A panel with `defaults` on line 4, `biz` on line 14, `dns` on line 18 and `api` on line 24,
/// each a line of the table it stands in (or empty).
fn panel(defaults: &str, biz: &str, dns: &str, api: &str) -> String {
    format!(
        r#"[panel]
name = "demo"
[defaults]
{defaults}
[[probe]]
name = "health-{{service}}"
for_each = "service"
target = "{{service}}/rpc"
get = "/health"
[[probe]]
name = "biz"
target = "hero_osis_business/rpc"
rpc = "business.persons.list"
{biz}
[[probe]]
name = "dns"
dns = "example.test"
{dns}
[[probe]]
name = "api-{{service}}"
for_each = "service"
target = "{{service}}/rpc"
rpc = "rpc.discover"
{api}
"#
    )
}

fn load(text: &str) -> Result<Panel, PanelError> {
    load_str(text, Path::new("probes/deps.toml"), &LoadOptions::default())
}

/// Asserts that `text` is refused at `line`:`column` with `fragment` in the message.
#[track_caller]
fn refused_at(text: &str, line: usize, column: usize, fragment: &str) -> PanelError {
    let e = load(text).expect_err("the panel should be refused");
    assert_eq!((e.line(), e.column()), (line, column), "{e}");
    assert!(e.message().contains(fragment), "{fragment:?} not in: {e}");
    e
}

fn deps<'a>(panel: &'a Panel, name: &str) -> &'a [String] {
    &panel
        .probes
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no probe {name}"))
        .settings
        .depends_on
}

#[test]
fn service_in_the_defaults_is_each_probes_own_and_never_itself() {
    let p = load(&panel(
        r#"depends_on = ["health-{service}"]"#,
        r#"depends_on = ["dns", "health-{service}", "public-tls"]"#,
        "",
        "",
    ))
    .unwrap();
    // The defaults first, a name given twice once, a built-in check of the outside view valid.
    assert_eq!(
        deps(&p, "biz"),
        ["health-hero_osis_business", "dns", "public-tls"]
    );
    // Its own health probe is not a dependency of the health probe.
    assert!(deps(&p, "health-{service}").is_empty());
    // A dns probe has no service: the panel-wide line is not for it.
    assert!(deps(&p, "dns").is_empty());
    assert_eq!(deps(&p, "api-{service}"), ["health-{service}"]);

    let health = p.probes.iter().find(|p| p.name == "health-{service}");
    let api = p.probes.iter().find(|p| p.name == "api-{service}");
    assert!(health
        .unwrap()
        .for_service("hero_foundry")
        .settings
        .depends_on
        .is_empty());
    assert_eq!(
        api.unwrap().for_service("hero_foundry").settings.depends_on,
        ["health-hero_foundry"]
    );
}

#[test]
fn a_name_that_is_no_probe_is_refused_at_the_value_with_the_closest_one() {
    let text = panel("", r#"depends_on = ["dns", "public-dsn"]"#, "", "");
    refused_at(&text, 14, 22, "did you mean \"public-dns\"?");
    let text = panel("", r#"depends_on = ["nothing-like-it"]"#, "", "");
    let e = refused_at(&text, 14, 15, "names no probe of the panel");
    assert_eq!(e.probe(), Some("biz"));
    // An expansion of a for_each probe must be a service name.
    let text = panel("", r#"depends_on = ["health-a/b"]"#, "", "");
    refused_at(&text, 14, 15, "names no probe");
}

#[test]
fn a_template_that_names_no_probe_is_refused_where_it_is_written() {
    let text = panel(r#"depends_on = ["healt-{service}"]"#, "", "", "");
    let e = refused_at(&text, 4, 15, "did you mean \"health-{service}\"?");
    assert!(e.message().starts_with("[defaults]"), "{e}");
    let text = panel("", "", "", r#"depends_on = ["db-{service}"]"#);
    let e = refused_at(&text, 24, 15, "names no probe");
    assert_eq!(e.probe(), Some("api-{service}"));
    // `{service}` on a probe that has none.
    let text = panel("", "", r#"depends_on = ["health-{service}"]"#, "");
    refused_at(&text, 18, 15, "a dns or tls probe has none");
}

#[test]
fn a_cycle_is_refused_naming_it_at_a_probe_in_it() {
    let text = panel("", r#"depends_on = ["dns"]"#, r#"depends_on = ["biz"]"#, "");
    refused_at(&text, 14, 15, "cycle: biz -> dns -> biz");
    // Through a for_each probe: biz waits on health-hero_osis_business, which waits on biz.
    let text = format!(
        "{}\n[[probe]]\nname = \"x-{{service}}\"\nfor_each = \"service\"\ntarget = \"{{service}}/rpc\"\nget = \"/x\"\ndepends_on = [\"biz\"]\n",
        panel("", r#"depends_on = ["x-hero_osis_business"]"#, "", "")
    );
    refused_at(&text, 14, 15, "cycle: biz -> x-{service} -> biz");
    let text = panel("", r#"depends_on = ["biz"]"#, "", "");
    refused_at(&text, 14, 15, "cannot depend on itself");
}

#[test]
fn a_long_chain_loads_without_exhausting_the_stack() {
    let mut text = String::from("[panel]\nname = \"demo\"\n");
    let n = 5000;
    for i in 0..n {
        text.push_str(&format!(
            "[[probe]]\nname = \"p{i}\"\ntarget = \"s/rpc\"\nget = \"/\"\ndepends_on = [\"p{}\"]\n",
            (i + 1) % n
        ));
    }
    // Line 7: the first probe's `depends_on`; the message stays one short line.
    let e = refused_at(&text, 7, 15, "cycle: p0 -> p1 -> p2");
    assert!(e.message().contains("(5000 probes in all) -> p0"), "{e}");
    assert!(e.message().len() < 300, "{e}");
}
