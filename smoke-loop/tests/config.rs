//! The loop's tables of a panel (`[[notify]]`, `[[maintenance]]`, `remind_every`,
//! `heartbeat_url`): read from the text smoke-core hands over, each error at its file, line and
//! column, with `--set` laid over them like over the rest.

use smoke_core::engine::{load_str, LoadOptions, PanelError};
use smoke_loop::config::LoopConfig;
use std::path::Path;
use std::time::Duration;

/// A panel of one probe, `p`, 8 lines long.
const PANEL: &str = "[panel]\nname = \"demo\"\n\n[[probe]]\nname = \"p\"\ntarget = \"svc/rpc\"\nget = \"/health\"\n\n";

fn read_with(text: &str, sets: &[&str]) -> Result<LoopConfig, PanelError> {
    let opts = LoadOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        extension: smoke_loop::config::EXTENSION,
        ..Default::default()
    };
    let panel = load_str(text, Path::new("probes/bad.toml"), &opts)?;
    LoopConfig::read(&panel)
}

fn read(text: &str) -> Result<LoopConfig, PanelError> {
    read_with(text, &[])
}

/// Asserts that `text` is refused at `line`:`column` with `fragment` in the message.
#[track_caller]
fn refused_at(text: &str, line: usize, column: usize, fragment: &str) -> PanelError {
    let e = read(text).expect_err("the panel should be refused");
    assert_eq!((e.line(), e.column()), (line, column), "{e}");
    assert!(e.message().contains(fragment), "{fragment:?} not in: {e}");
    e
}

#[test]
fn notify_entries_name_their_secrets_and_refuse_what_is_not_theirs() {
    let text = r#"
[panel]
name = "x"
remind_every = "2h"

[[notify]]
type = "slack"
webhook_env = "SMOKE_SLACK_WEBHOOK"

[[notify]]
type = "forge"
url = "https://forge.ourworld.tf/"
repo = "lhumina_code/hero_demo"
token_env = "SMOKE_FORGE_TOKEN"
assignees = ["mik-tf"]

[[notify]]
name = "pager"
type = "webhook"
url_file = "/etc/smoke/pager-url"

[[notify]]
type = "command"
argv = ["logger", "-t", "smoke", "{probe}: {detail}"]

[[notify]]
type = "alertmanager"
url = "http://127.0.0.1:9093"
"#;
    let config = read(text).unwrap();
    assert_eq!(config.remind_every, Duration::from_secs(7200));
    let n = &config.notify;
    assert_eq!(n.len(), 5);
    let kinds: Vec<&str> = n.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        ["slack", "forge", "webhook", "command", "alertmanager"]
    );
    let shown = |i: usize| format!("{:?}", n[i].config);
    assert!(
        shown(0).contains("Env(\"SMOKE_SLACK_WEBHOOK\")"),
        "{}",
        shown(0)
    );
    for part in [
        "url: \"https://forge.ourworld.tf\"",
        "repo: \"lhumina_code/hero_demo\"",
        "labels: [\"smoke\"]",
        "assignees: [\"mik-tf\"]",
        "token: Env(\"SMOKE_FORGE_TOKEN\")",
    ] {
        assert!(shown(1).contains(part), "{part} not in {}", shown(1));
    }
    assert_eq!(n[2].name, "pager");
    assert!(
        shown(2).contains("Secret(File(\"/etc/smoke/pager-url\"))"),
        "{}",
        shown(2)
    );
    assert!(shown(3).contains("argv: [\"logger\""), "{}", shown(3));
    assert_eq!(
        n[1].config.link(7).as_deref(),
        Some("https://forge.ourworld.tf/lhumina_code/hero_demo/issues/7"),
        "the forge's issues are linked from the status page"
    );

    let head = "[panel]\nname = \"x\"\n[[notify]]\n";
    for (body, says) in [
        (
            "type = \"slack\"\nwebhook = \"https://hooks.slack.com/x\"",
            "did you mean `webhook_env`",
        ),
        ("type = \"slack\"", "needs webhook_env"),
        (
            "type = \"forge\"\nurl = \"https://f\"\nrepo = \"justone\"\ntoken_env = \"T\"",
            "must be owner/name",
        ),
        (
            "type = \"forge\"\nurl = \"f.example\"\nrepo = \"o/n\"\ntoken_env = \"T\"",
            "must start with http",
        ),
        (
            "type = \"slack\"\nwebhook_env = \"S\"\nrepo = \"o/n\"",
            "`repo` has no meaning for type = \"slack\"",
        ),
        ("type = \"command\"\nargv = []", "needs argv"),
        ("type = \"pagerduty\"", "unknown type `pagerduty`"),
        ("type = \"log\"", "always on"),
    ] {
        let e = read(&format!("{head}{body}\n")).unwrap_err();
        assert!(e.message().contains(says), "{body:?}: {e}");
        assert!(e.line() >= 3, "{e}");
    }
    let e = read("[panel]\nname = \"x\"\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"A\"\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"B\"\n").unwrap_err();
    assert!(e.message().contains("give one a `name`"), "{e}");
    let e = read("[panel]\nname = \"x\"\n[[notify]]\nname = \"log\"\ntype = \"command\"\nargv = [\"true\"]\n").unwrap_err();
    assert!(e.message().contains("built-in log"), "{e}");
}

#[test]
fn a_maintenance_window_past_ten_years_is_refused_at_its_duration() {
    let text = format!(
        "{}\n[[maintenance]]\nevery = \"monday 00:00\"\nduration = \"9999999d\"\n",
        PANEL
    );
    // The panel is 8 lines and a blank one; `duration = "` is 11 chars.
    refused_at(&text, 12, 12, "at most 3650d");
    let text = format!(
        "{}\n[[maintenance]]\nevery = \"monday 00:00\"\nduration = \"0s\"\n",
        PANEL
    );
    refused_at(&text, 10, 1, "never holds");
    let ok = format!(
        "{}\n[[maintenance]]\nevery = \"monday 00:00\"\nduration = \"3650d\"\n",
        PANEL
    );
    assert!(read(&ok).is_ok(), "ten years is still a window");
}

#[test]
fn reminders_need_a_period() {
    let text = "[panel]\nname = \"demo\"\nremind_every = \"0s\"\n";
    refused_at(text, 3, 16, "remind_every must be more than 0");
}

#[test]
fn the_heartbeat_must_be_an_http_url() {
    for bad in ["not a url", "ftp://example.org/x", "https://"] {
        let text = format!("[panel]\nname = \"demo\"\nheartbeat_url = \"{bad}\"\n");
        refused_at(&text, 3, 17, "heartbeat_url");
    }
    let text = "[panel]\nname = \"demo\"\nheartbeat_url = \"https://hc-ping.com/0f3c\"\n";
    assert!(read(text).is_ok());
}

#[test]
fn set_reaches_the_loops_keys_and_names_itself_in_errors() {
    let c = read_with("[panel]\nname = \"demo\"\n", &["panel.remind_every=1ms"]).unwrap();
    assert_eq!(c.remind_every, Duration::from_millis(1));
    let e = read_with(
        "[panel]\nname = \"demo\"\n",
        &["panel.heartbeat_url=ftp://x"],
    )
    .unwrap_err();
    assert!(
        e.message().contains("--set `panel.heartbeat_url=ftp://x`"),
        "{e}"
    );
    assert_eq!(e.line(), 0, "a value from --set has no line: {e}");
    let e = read(
        "[panel]\nname = \"demo\"\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"A\"\nrepo = 5\n",
    )
    .unwrap_err();
    assert_eq!(e.line(), 3, "an entry's error is placed at its table: {e}");
}

#[test]
fn a_typo_of_a_loop_table_or_key_is_refused_with_the_name_meant() {
    let e = refused_at(
        &format!("{PANEL}[[notfy]]\ntype = \"slack\"\n"),
        9,
        3,
        "unknown key `notfy`; did you mean `notify`?",
    );
    assert_eq!(e.probe(), None, "{e}");
    refused_at(
        "[panel]\nname = \"demo\"\nremind_evry = \"2h\"\n",
        3,
        1,
        "unknown key `remind_evry`; did you mean `remind_every`?",
    );
    let e = read_with("[panel]\nname = \"demo\"\n", &["maintenence.every=1"]).unwrap_err();
    assert!(
        e.message()
            .contains("unknown key `maintenence`; did you mean `maintenance`?"),
        "{e}"
    );
}

/// A panel with every table the loop reads.
const LOOP_PANEL: &str = r#"[panel]
name = "demo"
remind_every = "2h"
heartbeat_url = "https://hc-ping.com/0f3c"

[[probe]]
name = "p"
target = "svc/rpc"
get = "/health"

[[notify]]
type = "forge"
url = "https://forge.example"
repo = "o/n"
token_env = "T"

[[notify]]
type = "command"
argv = ["logger", "{probe}"]
timeout = "5s"

[[maintenance]]
every = "sunday 02:00"
duration = "2h"
timezone = "Europe/Brussels"

[[maintenance]]
start = "2026-12-01T02:00:00Z"
end = "2026-12-01T03:00:00Z"
"#;

/// A TOML value of the kinds a hostile or careless panel holds: text (with control characters,
/// huge or calendar-breaking numbers in it), numbers, booleans, lists.
fn value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        "[a-z0-9 :./_{}-]{0,24}".prop_map(|s| quoted(&s)),
        "[\\x00-\\x1f\\u{202e}a-z]{0,12}".prop_map(|s| quoted(&s)),
        (0u64..u64::MAX, "(us|ms|s|m|h|d|w)").prop_map(|(n, u)| format!("\"{n}{u}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        proptest::collection::vec("[a-z{}]{0,8}", 0..3).prop_map(|v| format!("{v:?}")),
    ]
}

/// A TOML basic string: JSON's escapes are TOML's too.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Keys of the loop's tables, real ones and near misses.
const NOTIFY_KEYS: &[&str] = &[
    "type",
    "name",
    "webhook_env",
    "webhook_file",
    "url",
    "url_env",
    "url_file",
    "repo",
    "token_env",
    "token_file",
    "labels",
    "assignees",
    "argv",
    "timeout",
    "webhook",
];
const MAINTENANCE_KEYS: &[&str] = &[
    "probes", "start", "end", "every", "duration", "timezone", "reason", "when",
];

fn table(keys: &'static [&'static str]) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    proptest::collection::vec((proptest::sample::select(keys), value()), 0..6).prop_map(|kv| {
        let mut seen = std::collections::HashSet::new();
        kv.into_iter()
            .filter(|(k, _)| seen.insert(*k))
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect()
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

    /// Whatever the loop's tables hold, they load or are refused with a position or a name:
    /// never a panic (a window too long for the calendar once panicked the tick).
    #[test]
    fn any_loop_tables_load_or_are_refused_with_where(
        remind in value(),
        heartbeat in value(),
        notify in proptest::collection::vec(table(NOTIFY_KEYS), 0..3),
        maintenance in proptest::collection::vec(table(MAINTENANCE_KEYS), 0..3),
    ) {
        let mut text = format!("[panel]\nname = \"demo\"\nremind_every = {remind}\nheartbeat_url = {heartbeat}\n");
        for n in &notify {
            text.push_str(&format!("\n[[notify]]\n{n}"));
        }
        for m in &maintenance {
            text.push_str(&format!("\n[[maintenance]]\n{m}"));
        }
        if let Err(e) = read(&text) {
            let message = e.to_string();
            proptest::prop_assert!(message.starts_with("probes/bad.toml"), "{message}");
        }
    }
}

#[test]
fn a_panel_with_every_loop_table_loads_them_all() {
    let c = read(LOOP_PANEL).unwrap();
    assert_eq!((c.notify.len(), c.maintenance.len()), (2, 2));
    assert!(c.heartbeat_url.is_some());
}

#[test]
fn the_relay_table_and_relay_sinks_are_read_and_checked() {
    use smoke_loop::config::{RelayConfig, GROUP_QUORUM_ALERTNAME, QUORUM_ALERTNAME};
    use smoke_loop::secret::Secret;
    let c = read(PANEL).unwrap();
    assert_eq!(
        c.relay,
        RelayConfig {
            bearer_token: None,
            alertname: QUORUM_ALERTNAME.to_string(),
            group_alertname: GROUP_QUORUM_ALERTNAME.to_string(),
        }
    );
    let text = format!(
        "{PANEL}[relay]\nbearer_token_file = \"/etc/smoke/relay-token\"\nalertname = \"MyQuorum\"\n\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"S\"\nrelay = true\n\n[[notify]]\ntype = \"alertmanager\"\nurl = \"http://am:9093\"\n"
    );
    let c = read(&text).unwrap();
    assert_eq!(
        c.relay.bearer_token,
        Some(Secret::File("/etc/smoke/relay-token".into()))
    );
    assert_eq!(c.relay.alertname, "MyQuorum");
    let relayed: Vec<(&str, bool)> = c.notify.iter().map(|n| (n.kind, n.relay)).collect();
    assert_eq!(relayed, [("slack", true), ("alertmanager", false)]);

    refused_at(
        &format!("{PANEL}[relay]\nbearer_token = \"plain\"\n"),
        10,
        1,
        "unknown key `bearer_token`; did you mean `bearer_token_env`?",
    );
    refused_at(
        &format!("{PANEL}[relay]\nbearer_token_env = \"A\"\nbearer_token_file = \"/b\"\n"),
        9,
        1,
        "give bearer_token_env or bearer_token_file, not both",
    );
    refused_at(
        &format!("{PANEL}[[notify]]\ntype = \"slack\"\nwebhook_env = \"S\"\nrelay = \"yes\"\n"),
        9,
        1,
        "`relay` is true or false",
    );
    refused_at(
        &format!(
            "{PANEL}[[notify]]\ntype = \"alertmanager\"\nurl = \"http://am:9093\"\nrelay = true\n"
        ),
        9,
        1,
        "would send each alert back to it",
    );
}
