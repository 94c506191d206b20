//! What a hostile or mistaken panel can no longer do: every bound is a load error at the file,
//! line and column of the value, naming the limit, before anything runs.

use smoke_core::engine::{load, load_str, LoadOptions, PanelError, MAX_NESTING};
use std::path::Path;
use std::time::Duration;

/// A panel of one probe, `p`, whose table ends with `extra` (from line 8 on).
fn panel(extra: &str) -> String {
    format!("[panel]\nname = \"demo\"\n\n[[probe]]\nname = \"p\"\ntarget = \"svc/rpc\"\nget = \"/health\"\n{extra}\n")
}

fn load_with(text: &str, sets: &[&str]) -> Result<smoke_core::engine::Panel, PanelError> {
    let opts = LoadOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    load_str(text, Path::new("probes/bad.toml"), &opts)
}

/// Asserts that `text` is refused at `line`:`column` with `fragment` in the message.
#[track_caller]
fn refused_at(text: &str, line: usize, column: usize, fragment: &str) -> PanelError {
    let e = load_with(text, &[]).expect_err("the panel should be refused");
    assert_eq!((e.line(), e.column()), (line, column), "{e}");
    assert!(e.message().contains(fragment), "{fragment:?} not in: {e}");
    e
}

#[test]
fn every_duration_is_bounded_and_a_retry_belongs_to_one_tick() {
    refused_at(&panel("timeout = \"100000d\""), 8, 11, "at most 3650d");
    refused_at(&panel("retry_delay = \"100000d\""), 8, 15, "at most 3650d");
    refused_at(&panel("retry_delay = \"1h\""), 8, 15, "the limit is 5m");
    let text = "[panel]\nname = \"demo\"\n[defaults]\nretry_delay = \"6m\"\n";
    let e = refused_at(text, 4, 15, "the limit is 5m");
    assert!(e.message().starts_with("[defaults]"), "{e}");
    let p = load_with(&panel("retry_delay = \"5m\""), &[]).unwrap();
    assert_eq!(p.probes[0].settings.retry_delay, Duration::from_secs(300));
}

#[test]
fn names_are_one_path_component_so_the_state_folder_stays_put() {
    let text = "[panel]\nname = \"../../../escaped\"\n";
    let e = refused_at(text, 2, 8, "without `/`");
    assert!(e.message().contains("state folder"), "{e}");
    refused_at("[panel]\nname = \"..\"\n", 2, 8, "must be a word");
    let text = "[panel]\nname = \"demo\"\n[[probe]]\nname = \"a/../../b\"\ntarget = \"s/rpc\"\nget = \"/\"\n";
    refused_at(text, 4, 8, "without `/`");
    let long = format!("[panel]\nname = \"{}\"\n", "n".repeat(200));
    refused_at(&long, 2, 8, "the limit is 128");
}

#[test]
fn a_context_is_a_header_value_without_control_characters() {
    let e = refused_at(&panel("context = \"a\\nb\""), 8, 11, "control character");
    assert!(!e.to_string().contains('\n'), "one line: {e}");
    refused_at(
        &panel("contexts = [\"root\", \"x\\u0007\"]"),
        8,
        12,
        "control character",
    );
}

#[test]
fn a_tcp_target_with_control_characters_is_refused_and_said_inert() {
    // A host:port and a socket path, each hiding an escape sequence and a bell.
    let tcp = |value: &str| {
        format!("[panel]\nname = \"demo\"\n\n[[probe]]\nname = \"p\"\ntcp = \"{value}\"\n")
    };
    for value in ["a.example\\u001b[2J:22", "hero_redis/\\u0007redis.sock"] {
        let e = refused_at(&tcp(value), 6, 7, "must be host:port or a socket path");
        let said = e.to_string();
        assert!(
            !said.chars().any(char::is_control),
            "raw control in: {said:?}"
        );
    }
    // `send` is bytes for the peer: CR LF is what a line protocol wants, and is kept.
    let text = format!("{}send = \"PING\\r\\n\"\n", tcp("a.example:6379"));
    assert!(load_with(&text, &[]).is_ok());
}

#[test]
fn the_service_placeholder_needs_for_each_except_in_restart() {
    let e = |extra: &str, line: usize, column: usize| {
        let text = format!("[panel]\nname = \"demo\"\n\n[[probe]]\n{extra}\n");
        refused_at(&text, line, column, "needs for_each = \"service\"");
    };
    e(
        "name = \"h-{service}\"\ntarget = \"s/rpc\"\nget = \"/\"",
        5,
        8,
    );
    e(
        "name = \"h\"\ntarget = \"{service}/rpc\"\nget = \"/\"",
        6,
        10,
    );
    e(
        "name = \"h\"\ntarget = \"s/rpc\"\nget = \"/{service}/health\"",
        7,
        7,
    );
    e(
        "name = \"h\"\ntarget = \"s/rpc\"\npost = \"/x\"\nexternal_path = \"/{service}\"",
        8,
        17,
    );
    // In a restart it means the probe's own service.
    let restart = panel("restart = [\"hero_proc\", \"service\", \"restart\", \"{service}\"]");
    assert!(load_with(&restart, &[]).is_ok());
}

#[test]
fn a_body_cap_of_nothing_and_scalar_params_are_refused() {
    refused_at(
        &panel("max_body = \"0B\""),
        8,
        12,
        "max_body must be more than 0B",
    );
    refused_at(
        "[panel]\nname = \"demo\"\n[defaults]\nmax_body = 0\n",
        4,
        12,
        "max_body must be more than 0B",
    );
    let text = "[panel]\nname = \"demo\"\n[[probe]]\nname = \"p\"\ntarget = \"s/rpc\"\nrpc = \"m\"\nparams = 5\n";
    refused_at(text, 7, 10, "must be a table or a list");
    let restart =
        panel("restart = { rpc = \"hero_proc/rpc\", method = \"service.restart\", params = 5 }");
    let e = load_with(&restart, &[]).unwrap_err();
    assert!(e.message().contains("must be a table or a list"), "{e}");
    let list = "[panel]\nname = \"demo\"\n[[probe]]\nname = \"p\"\ntarget = \"s/rpc\"\nrpc = \"m\"\nparams = [1, \"a\"]\n";
    assert!(load_with(list, &[]).is_ok());
}

#[test]
fn max_services_is_at_least_one_and_at_most_the_hard_limit() {
    use smoke_core::engine::{defaults, limits};
    let with = |value: &str| format!("[panel]\nname = \"demo\"\nmax_services = {value}\n");
    let e = refused_at(&with("20000"), 3, 16, "the limit is 10000");
    assert!(
        e.message().starts_with("[panel] max_services = 20000"),
        "{e}"
    );
    refused_at(&with("0"), 3, 16, "at least 1");
    refused_at(&with("-1"), 3, 16, "");
    refused_at(&with("\"many\""), 3, 16, "");
    assert_eq!(load_with(&with("50"), &[]).unwrap().max_services, 50);
    assert_eq!(
        load_with(&with("10000"), &[]).unwrap().max_services,
        limits::MAX_SERVICES
    );
    let unset = load_with("[panel]\nname = \"demo\"\n", &[]).unwrap();
    assert_eq!(unset.max_services, defaults::MAX_SERVICES);
    assert_eq!(defaults::MAX_SERVICES, 1000);
    let set = load_with("[panel]\nname = \"demo\"\n", &["panel.max_services=7"]).unwrap();
    assert_eq!(set.max_services, 7);
    let e = load_with("[panel]\nname = \"demo\"\n", &["panel.max_services=100000"]).unwrap_err();
    assert!(
        e.to_string().contains("--set `panel.max_services=100000`"),
        "{e}"
    );
}

#[test]
fn deep_selectors_and_paths_are_refused_at_their_column_in_the_file() {
    let css = format!("html({}a{}) >= 1", ":not(".repeat(3000), ")".repeat(3001));
    // `expect = ["` is 11 chars; the first `:not(` past the limit opens after `html(` and
    // MAX_NESTING - 1 of them, plus `:not`.
    let column = 11 + "html(".len() + (MAX_NESTING - 1) * 5 + 4 + 1;
    let e = refused_at(
        &panel(&format!("expect = [\"{css}\"]")),
        8,
        column,
        &format!("the limit is {MAX_NESTING}"),
    );
    assert_eq!(e.probe(), Some("p"));
    let path = format!("${}{} exists", "[?@".repeat(5000), "]".repeat(5000));
    // `warn = ["` is 9 chars, then `$` and MAX_NESTING filters before the one refused.
    let column = 9 + 1 + MAX_NESTING * "[?@".len() + 1;
    refused_at(
        &panel(&format!("warn = [\"{path}\"]")),
        8,
        column,
        &format!("the limit is {MAX_NESTING}"),
    );
}

#[test]
fn set_leaves_every_position_on_the_file_on_disk() {
    let typo = panel("expct = [\"status == 200\"]");
    let sets = ["panel.timeout=1s", "internal.socket_dir=/tmp/s"];
    for sets in [&[][..], &sets[..]] {
        let e = load_with(&typo, sets).unwrap_err();
        assert_eq!((e.line(), e.column()), (8, 1), "with {sets:?}: {e}");
        assert!(e.message().contains("did you mean `expect`"), "{e}");
    }
    let syntax = "[panel]\nname = \"demo\"\n\n[[probe]]\nname = \n";
    let without = load_with(syntax, &[]).unwrap_err();
    let with = load_with(syntax, &sets).unwrap_err();
    assert!(
        with.line() >= 5,
        "a syntax error keeps its line with --set: {with}"
    );
    assert_eq!(
        (with.line(), with.column()),
        (without.line(), without.column())
    );
    // A bad value given by --set is said to come from it.
    let e = load_with(&panel(""), &["panel.every=5 parsecs"]).unwrap_err();
    assert_eq!(e.line(), 0, "{e}");
    assert!(
        e.to_string().contains("--set `panel.every=5 parsecs`: ")
            && e.message().contains("unknown unit"),
        "{e}"
    );
    let e = load_with(&panel(""), &["panel.evry=5m"]).unwrap_err();
    assert!(
        e.message().contains("--set `panel.evry=5m`") && e.message().contains("every"),
        "{e}"
    );
    // And the overlay still sets what it names.
    let p = load_with(&panel(""), &["panel.every=15m", "defaults.retries=0"]).unwrap();
    assert_eq!(p.every, Duration::from_secs(900));
    assert_eq!(p.probes[0].settings.retries, 0);
}

#[test]
fn a_panel_file_is_a_regular_file_of_at_most_one_mebibyte() {
    let opts = LoadOptions::default();
    let dir = tempfile::tempdir().unwrap();
    // A FIFO with no writer would block a plain read forever: run the load where a hang shows.
    let fifo = dir.path().join("panel.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    let (f, o) = (fifo.clone(), opts.clone());
    std::thread::spawn(move || tx.send(load(&f, &o)).unwrap());
    let e = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("a FIFO is refused, not waited on")
        .unwrap_err();
    assert!(e.message().contains("not a regular file"), "{e}");
    let e = load(Path::new("/dev/zero"), &opts).unwrap_err();
    assert!(e.message().contains("not a regular file"), "{e}");
    let big = dir.path().join("big.toml");
    let mut text = panel("");
    text.push_str(&"# padding\n".repeat(120_000));
    std::fs::write(&big, &text).unwrap();
    let e = load(&big, &opts).unwrap_err();
    assert!(e.message().contains("larger than 1MiB"), "{e}");
    let ok = dir.path().join("ok.toml");
    std::fs::write(&ok, panel("")).unwrap();
    assert!(load(&ok, &opts).is_ok());
}
