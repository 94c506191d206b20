//! `[coverage] ignore`: the panel's known gaps load with their reasons, and a malformed entry is
//! an error at its file, line and column like any other.

use smoke_core::engine::{load_str, IgnoredFault, LoadOptions, Mode, PanelError};
use std::path::Path;

const HEAD: &str = r#"[panel]
name = "demo"

[[probe]]
name = "biz-persons"
target = "hero_osis_business/rpc"
rpc = "business.persons.list"
"#;

fn load(tail: &str) -> Result<smoke_core::engine::Panel, PanelError> {
    let text = format!("{HEAD}\n{tail}");
    load_str(&text, Path::new("probes/p.toml"), &LoadOptions::default())
}

/// The line of `tail`'s first line in the loaded text.
const TAIL_LINE: usize = 9;

#[test]
fn ignored_faults_load_with_their_reasons_and_lines() {
    let panel = load(
        "[coverage]\nignore = [\n  { fault = \"rpc-error:hero_os\", why = \"no user path calls its RPC\" },\n  { fault = \" hang \", why = \"  every hang is a timeout  \" },\n]\n",
    )
    .unwrap();
    assert_eq!(
        panel.coverage.ignore,
        [
            IgnoredFault {
                fault: "rpc-error:hero_os".into(),
                side: None,
                why: "no user path calls its RPC".into(),
                line: TAIL_LINE + 2,
            },
            IgnoredFault {
                fault: "hang".into(),
                side: None,
                why: "every hang is a timeout".into(),
                line: TAIL_LINE + 3,
            },
        ]
    );
    assert!(load("").unwrap().coverage.ignore.is_empty());
}

#[test]
fn an_ignore_without_a_reason_or_with_an_unknown_key_is_placed() {
    let e = load("[coverage]\nignore = [{ fault = \"hang\" }]\n").unwrap_err();
    assert_eq!(
        (e.line(), e.file()),
        (TAIL_LINE + 1, Path::new("probes/p.toml"))
    );
    assert!(e.message().contains("why"), "{e}");

    let e = load("[coverage]\nignore = [{ fault = \"hang\", why = \"   \" }]\n").unwrap_err();
    assert_eq!((e.line(), e.column()), (TAIL_LINE + 1, 35), "{e}");
    assert!(e.message().contains("why is empty"), "{e}");

    let e = load("[coverage]\nignore = [{ fault = \"hang\", why = \"x\", because = \"y\" }]\n")
        .unwrap_err();
    assert_eq!(e.line(), TAIL_LINE + 1, "{e}");
    assert!(e.message().contains("unknown key `because`"), "{e}");

    let e = load("[coverage]\nskip = []\n").unwrap_err();
    assert_eq!(e.line(), TAIL_LINE + 1, "{e}");
    assert!(e.message().contains("unknown key `skip`"), "{e}");
    assert!(e.to_string().starts_with("probes/p.toml:"), "{e}");
}

#[test]
fn a_fault_must_be_one_word_once_and_a_reason_one_short_line() {
    for (entry, says) in [
        (r#"{ fault = "", why = "x" }"#, "fault is empty"),
        (r#"{ fault = "hang me", why = "x" }"#, "one word"),
        (r#"{ fault = "hang", why = "two\nlines" }"#, "one line"),
    ] {
        let e = load(&format!("[coverage]\nignore = [{entry}]\n")).unwrap_err();
        assert_eq!(e.line(), TAIL_LINE + 1, "{e}");
        assert!(e.message().contains(says), "{entry}: {e}");
        assert!(e.message().starts_with("[coverage] ignore: "), "{e}");
    }
    let long = "x".repeat(smoke_core::engine::limits::MAX_IGNORE_WHY_CHARS + 1);
    let e = load(&format!(
        "[coverage]\nignore = [{{ fault = \"hang\", why = \"{long}\" }}]\n"
    ))
    .unwrap_err();
    assert!(e.message().contains("the limit is 300"), "{e}");
    let e = load(
        "[coverage]\nignore = [\n{ fault = \"hang\", why = \"a\" },\n{ fault = \"hang\", why = \"b\" },\n]\n",
    )
    .unwrap_err();
    assert_eq!(e.line(), TAIL_LINE + 3, "{e}");
    assert!(
        e.message().contains("ignored twice (first on line 11)"),
        "{e}"
    );
}

#[test]
fn an_ignore_may_name_the_one_side_whose_blind_spot_it_is() {
    let panel = load(
        "[coverage]\nignore = [\n  { fault = \"hang\", side = \"outside\", why = \"a\" },\n  { fault = \"hang\", side = \"internal\", why = \"b\" },\n]\n",
    )
    .unwrap();
    let sides: Vec<_> = panel.coverage.ignore.iter().map(|i| i.side).collect();
    assert_eq!(sides, [Some(Mode::External), Some(Mode::Internal)]);

    let e = load(
        "[coverage]\nignore = [{ fault = \"hang\", side = \"middle\\u001b[2J\", why = \"x\" }]\n",
    )
    .unwrap_err();
    assert_eq!((e.line(), e.column()), (TAIL_LINE + 1, 36), "{e}");
    assert!(
        e.message()
            .contains("side \"middle\\u{1b}[2J\" is neither \"inside\" nor \"outside\""),
        "{e}"
    );
    // A side beside an entry for both says nothing new.
    let e = load(
        "[coverage]\nignore = [\n{ fault = \"hang\", why = \"a\" },\n{ fault = \"hang\", side = \"inside\", why = \"b\" },\n]\n",
    )
    .unwrap_err();
    assert!(
        e.message().contains("ignored twice (first on line 11)"),
        "{e}"
    );
}
