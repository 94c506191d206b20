//! `target = [..]`: targets a probe tries in turn, and each way a panel can get them wrong.

use smoke_core::engine::{load_str, LoadOptions, PanelError};
use std::path::Path;

fn load(probe: &str) -> Result<smoke_core::engine::Panel, PanelError> {
    // A template's copies are told apart by its name.
    let name = match probe.contains("for_each") {
        true => "p-{service}",
        false => "p",
    };
    let text = format!("[panel]\nname = \"x\"\n\n[[probe]]\nname = \"{name}\"\n{probe}\n");
    load_str(&text, Path::new("probes/t.toml"), &LoadOptions::default())
}

#[test]
fn a_list_of_targets_loads_first_then_the_others_in_order() {
    let panel = load(
        "target = [\"hero_osis_business/rpc\", \"hero_osis/rpc\"]\nrpc = \"business.persons.list\"",
    )
    .unwrap();
    let http = panel.probes[0].http().unwrap();
    assert_eq!(http.target.to_string(), "hero_osis_business/rpc");
    let rest: Vec<String> = http.alternatives.iter().map(|t| t.to_string()).collect();
    assert_eq!(rest, ["hero_osis/rpc"]);
    // One target, as a string or a list of one, has no alternatives.
    for one in ["\"a/rpc\"", "[\"a/rpc\"]"] {
        let panel = load(&format!("target = {one}\nget = \"/health\"")).unwrap();
        assert!(panel.probes[0].http().unwrap().alternatives.is_empty());
    }
}

#[test]
fn each_wrong_list_is_named_where_it_is_written() {
    let cases = [
        ("target = []\nget = \"/\"", "names no socket"),
        (
            "target = [\"a/rpc\", \"b/rpc\", \"c/rpc\", \"d/rpc\", \"e/rpc\"]\nget = \"/\"",
            "at most 4 targets",
        ),
        ("target = [\"a/rpc\", \"a/rpc\"]\nget = \"/\"", "listed twice"),
        ("target = [\"a/rpc\", \"../b\"]\nget = \"/\"", "must be a plain name"),
        ("target = [\"a/rpc\", \"b\"]\nget = \"/\"", "must be <service>/<socket>"),
        ("target = 7\nget = \"/\"", "or a list of targets to try in turn"),
        ("target = [\"a/rpc\", 7]\nget = \"/\"", "or a list of targets to try in turn"),
        (
            "target = [\"{service}/rpc\", \"{service}/admin\"]\nfor_each = \"service\"\nget = \"/\"",
            "a for_each probe has one target",
        ),
        (
            "target = [\"a/rpc\", \"b/{service}\"]\nget = \"/\"",
            "needs for_each",
        ),
        (
            "target = [\"a/rpc\", \"b/rpc\"]\n[[probe.step]]\nget = \"/one\"\n[[probe.step]]\nget = \"/two\"",
            "a flow's steps have one target each",
        ),
        (
            "[[probe.step]]\ntarget = [\"a/rpc\", \"b/rpc\"]\nget = \"/one\"",
            "a flow's steps have one target each",
        ),
    ];
    for (probe, says) in cases {
        let e = load(probe).unwrap_err();
        assert!(e.message().contains(says), "{probe:?}: {e}");
        assert!(e.line() >= 4, "{probe:?}: placed in the file: {e}");
    }
}

/// A control character in a listed target is escaped when the error quotes it.
#[test]
fn a_hostile_list_is_refused_and_quoted_escaped() {
    let e = load("target = [\"a/rpc\", \"a/rpc\\u001b[31m\", \"a/rpc\\u001b[31m\"]\nget = \"/\"")
        .unwrap_err()
        .to_string();
    assert!(!e.contains('\u{1b}') && e.contains("listed twice"), "{e:?}");
}

/// `[internal] suffixes` replaces smoke's table; each wrong entry is named.
#[test]
fn a_suffix_table_loads_in_place_of_smoke_s_and_each_mistake_is_named() {
    let with = |table: &str| {
        let text = format!("[panel]\nname = \"x\"\n[internal]\nsuffixes = {table}\n");
        load_str(&text, Path::new("probes/t.toml"), &LoadOptions::default())
    };
    let panel = with("{ _web = [\"ui.sock\"] }").unwrap();
    let table = &panel.internal.suffixes;
    assert_eq!(table.len(), 1);
    assert_eq!(
        (table[0].suffix.as_str(), table[0].sockets.as_slice()),
        ("_web", &["ui.sock".to_string()][..])
    );
    let default = load_str(
        "[panel]\nname = \"x\"\n",
        Path::new("p.toml"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        default.internal.suffixes,
        smoke_core::engine::default_suffixes()
    );
    for (table, says) in [
        ("{ _web = [] }", "needs 1 to 4 sockets"),
        ("{ _web = [\"ui\"] }", "not a socket file name"),
        ("{ _web = [\"../ui.sock\"] }", "not a socket file name"),
        ("{ \"_w b\" = [\"ui.sock\"] }", "end of a plain name"),
        ("{ \"_w\\u001b\" = [\"ui.sock\"] }", "end of a plain name"),
        ("[\"_web\"]", "invalid type"),
    ] {
        let e = with(table).unwrap_err();
        assert!(e.message().contains(says), "{table}: {e}");
        assert!(!e.to_string().contains('\u{1b}'), "{e:?}");
        assert_eq!(e.line(), 4, "{table}: {e}");
    }
    let many: Vec<String> = (0..17).map(|i| format!("_s{i} = [\"rpc.sock\"]")).collect();
    let e = with(&format!("{{ {} }}", many.join(", "))).unwrap_err();
    assert!(e.message().contains("at most 16 suffixes"), "{e}");
}
