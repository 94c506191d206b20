//! `[[probe.step]]`: what a flow becomes, and where a wrong one is said to be.

use smoke_core::engine::{load_str, LoadOptions, Panel, PanelError, Request, MAX_STEPS};
use std::path::Path;

/// A panel whose flow `photos` starts on line 4; `steps` is its step tables from line 8 on.
fn flow(probe: &str, steps: &str) -> String {
    format!(
        r#"[panel]
name = "demo"
[[probe]]
name = "photos"
target = "hero_foundry/rpc"
context = "geomind"
{probe}
{steps}"#
    )
}

const LIST: &str = r#"[[probe.step]]
get = "/api/files/geomind/Photos/"
expect = ["status == 200", "len(json) > 0"]
capture = { photo = "json[0]" }
"#;

fn load(text: &str) -> Result<Panel, PanelError> {
    load_str(text, Path::new("probes/flow.toml"), &LoadOptions::default())
}

/// Asserts that `text` is refused at `line`:`column` with `fragment` in the message.
#[track_caller]
fn refused_at(text: &str, line: usize, column: usize, fragment: &str) -> PanelError {
    let e = load(text).expect_err("the panel should be refused");
    assert!(e.message().contains(fragment), "{fragment:?} not in: {e}");
    assert_eq!((e.line(), e.column()), (line, column), "{e}");
    assert_eq!(e.probe(), Some("photos"), "{e}");
    e
}

#[test]
fn a_flow_becomes_its_steps_in_order_with_the_probes_target_and_context() {
    let text = flow(
        "headers = { x-probe = \"smoke\" }",
        &format!(
            "{LIST}[[probe.step]]\nget = \"/api/files/geomind/Photos/{{photo}}\"\nheaders = {{ x-step = \"2\" }}\nexpect = [\"status == 200\"]\n[[probe.step]]\ntarget = \"hero_osis_business/rpc\"\nrpc = \"business.persons.delete\"\nparams = {{ id = \"{{random}}\", svc = \"{{service}}\" }}\nfinally = true\n"
        ),
    );
    let panel = load(&text).unwrap();
    let http = panel.probes[0].http().expect("a flow is an HTTP probe");
    assert_eq!(http.steps.len(), 3);
    assert_eq!(http.target.to_string(), "hero_foundry/rpc");
    let [list, photo, cleanup] = &http.steps[..] else {
        unreachable!()
    };
    assert_eq!(list.captures.len(), 1);
    assert_eq!(list.captures[0].0, "photo");
    assert_eq!(list.expect.len(), 2);
    assert!(
        matches!(&photo.http.request, Request::Get { path } if path == "/api/files/geomind/Photos/{photo}")
    );
    assert_eq!(photo.http.context.as_deref(), Some("geomind"));
    // The probe's headers reach every step; a step's own are added.
    assert!(photo
        .http
        .headers
        .contains(&("x-probe".into(), "smoke".into())));
    assert!(photo.http.headers.contains(&("x-step".into(), "2".into())));
    assert!(!list.finally && !photo.finally && cleanup.finally);
    assert_eq!(cleanup.http.target.to_string(), "hero_osis_business/rpc");
}

#[test]
fn a_placeholder_that_no_earlier_step_captures_is_placed_where_it_is_written() {
    // Line 13 is the second step's `get`; its string starts at column 7.
    let text = flow(
        "",
        &format!("{LIST}[[probe.step]]\nget = \"/api/files/geomind/Photos/{{x}}\"\n"),
    );
    let e = refused_at(&text, 13, 7, "`{x}` is not captured by an earlier step");
    assert!(e.message().starts_with("step 2 of 2: "), "{e}");
    // A capture of a later step is not there yet either.
    let text = flow(
        "",
        "[[probe.step]]\nget = \"/api/files/geomind/Photos/{photo}\"\n[[probe.step]]\nget = \"/x\"\ncapture = { photo = \"json[0]\" }\n",
    );
    refused_at(&text, 9, 7, "`{photo}` is not captured by an earlier step");
}

#[test]
fn capture_names_are_words_of_their_own() {
    let step = |capture: &str| {
        flow(
            "",
            &format!(
                "[[probe.step]]\nget = \"/x\"\ncapture = {capture}\n[[probe.step]]\nget = \"/y\"\n"
            ),
        )
    };
    for (capture, fragment) in [
        (
            "{ 1photo = \"json[0]\" }",
            "capture name `1photo`: use letters, digits and _",
        ),
        (
            "{ \"a-b\" = \"json[0]\" }",
            "capture name `a-b`: use letters, digits and _",
        ),
        (
            "{ service = \"json[0]\" }",
            "capture name `service` is taken",
        ),
        ("{ random = \"json[0]\" }", "capture name `random` is taken"),
    ] {
        let e = load(&step(capture)).expect_err(capture);
        assert!(e.message().contains(fragment), "{fragment:?} not in: {e}");
        assert_eq!(e.line(), 8, "{e}");
    }
    let twice = flow(
        "",
        "[[probe.step]]\nget = \"/x\"\ncapture = { photo = \"json[0]\" }\n[[probe.step]]\nget = \"/y\"\ncapture = { photo = \"json[1]\" }\n",
    );
    let e = refused_at(&twice, 11, 1, "capture `photo` is taken twice in this flow");
    assert!(e.message().starts_with("step 2 of 2: "), "{e}");
}

#[test]
fn a_request_of_the_probe_itself_next_to_steps_is_refused() {
    for (line, field) in [
        ("get = \"/api/files/geomind/Photos/sunrise.jpg\"", "get"),
        ("rpc = \"files.list\"", "rpc"),
        ("expect = [\"status == 200\"]", "expect"),
        ("warn = [\"bytes > 0\"]", "warn"),
    ] {
        let e = load(&flow(line, LIST)).expect_err(line);
        assert!(
            e.message().contains(&format!(
                "`{field}` goes in the steps of a probe with [[probe.step]]"
            )),
            "{e}"
        );
        assert_eq!(e.line(), 3, "{e}");
    }
}

#[test]
fn more_steps_than_the_limit_are_refused_at_the_first_one_too_many() {
    let steps = "[[probe.step]]\nget = \"/x\"\n".repeat(MAX_STEPS + 1);
    let e = load(&flow("", &steps)).expect_err("too many steps");
    assert!(
        e.message().contains(&format!(
            "a flow has at most {MAX_STEPS} steps; this one has {}",
            MAX_STEPS + 1
        )),
        "{e}"
    );
    // The steps start on line 8, two lines each: the one past the limit is on 8 + 2 * 16.
    assert_eq!(e.line(), 8 + 2 * MAX_STEPS, "{e}");
    // Exactly the limit loads.
    let steps = "[[probe.step]]\nget = \"/x\"\n".repeat(MAX_STEPS);
    assert_eq!(
        load(&flow("", &steps)).unwrap().probes[0]
            .http()
            .unwrap()
            .steps
            .len(),
        MAX_STEPS
    );
}

#[test]
fn a_capture_subject_that_does_not_parse_is_placed_at_its_column() {
    // `capture = { photo = "json[x]" }`: the subject's text starts at column 22.
    let text = flow(
        "",
        "[[probe.step]]\nget = \"/x\"\ncapture = { photo = \"json[x]\" }\n[[probe.step]]\nget = \"/{photo}\"\n",
    );
    let e = load(&text).expect_err("a bad subject");
    assert!(
        e.message()
            .starts_with("step 1 of 2: capture photo = `json[x]`: "),
        "{e}"
    );
    assert_eq!(e.line(), 10, "{e}");
    // At the `[` of the index that is not one.
    assert_eq!(e.column(), 26, "{e}");
    let text = flow(
        "",
        "[[probe.step]]\nget = \"/x\"\ncapture = { photo = \"json.a\", size = \"weight\" }\n[[probe.step]]\nget = \"/{photo}\"\n",
    );
    // The second capture's subject, at its first letter.
    let e = refused_at(
        &text,
        10,
        39,
        "capture size = `weight`: unknown subject `weight`",
    );
    assert!(e.message().starts_with("step 1 of 2: "), "{e}");
}

#[test]
fn a_capture_in_a_target_is_refused_where_it_is_written() {
    // Line 13 is the second step's `target`; its string starts at column 10.
    let text = flow(
        "",
        &format!("{LIST}[[probe.step]]\ntarget = \"{{photo}}/rpc\"\nget = \"/health\"\n"),
    );
    let e = refused_at(&text, 13, 10, "a target cannot use a capture ({photo})");
    assert!(e.message().starts_with("step 2 of 2: "), "{e}");
    // The probe's own target, which every step without one takes: line 5, at its string.
    let text = flow("", LIST).replace("\"hero_foundry/rpc\"", "\"hero_{random}/rpc\"");
    refused_at(&text, 5, 10, "a target cannot use a capture ({random})");
    // Every step with its own target: the probe's still names the service, and is checked too.
    let text = flow(
        "",
        "[[probe.step]]\ntarget = \"hero_foundry/rpc\"\nget = \"/health\"\n",
    )
    .replace(
        "target = \"hero_foundry/rpc\"\ncontext",
        "target = \"{x}/rpc\"\ncontext",
    );
    refused_at(&text, 5, 10, "a target cannot use a capture ({x})");
}
