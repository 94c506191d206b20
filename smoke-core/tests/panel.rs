//! Loading panels: what a good one becomes, and where a bad one is said to be broken.

use smoke_core::engine::{
    load_str, Body, Extension, LoadOptions, Mode, PanelError, Request, SocketDirFrom,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

const GOOD: &str = r#"
[panel]
name = "demo"
every = "5m"
timeout = "3s"

[internal]
socket_dir = "~/hero/var/sockets"

[defaults]
retries = 2
tags = ["all"]

[[probe]]
name = "biz-persons"
target = "hero_osis_business/rpc"
rpc = "business.persons.list"
params = { limit = 10 }
expect = ["len(result) > 0"]

[[probe]]
name = "health-{service}"
for_each = "service"
target = "{service}/rpc"
get = "/health"
mode = "internal"
timeout = "800ms"
retries = 0

[[probe]]
name = "search"
target = "hero_search/rpc"
post = "/api/search"
json = { q = "photos" }
headers = { X-Trace = "smoke" }
context = "geomind"
external_path = "/hero_search/api/search"
"#;

fn opts() -> LoadOptions {
    LoadOptions {
        home: Some(PathBuf::from("/home/driver")),
        ..Default::default()
    }
}

fn broken(text: &str) -> PanelError {
    load_str(text, Path::new("probes/bad.toml"), &opts()).unwrap_err()
}

#[test]
fn a_good_panel_loads_with_its_defaults_and_overrides() {
    let panel = load_str(GOOD, Path::new("good.toml"), &opts()).unwrap();
    assert_eq!(panel.name, "demo");
    assert_eq!(panel.every, Duration::from_secs(300));
    assert_eq!(
        panel.internal.socket_dir,
        PathBuf::from("/home/driver/hero/var/sockets")
    );
    let biz = &panel.probes[0];
    let biz_http = biz.http().unwrap();
    assert_eq!(
        biz.settings.timeout,
        Duration::from_secs(3),
        "panel timeout is the default"
    );
    assert_eq!(biz.settings.retries, 2, "[defaults] applies");
    assert_eq!(biz.settings.tags, ["all"]);
    assert_eq!(biz.line, 14, "a probe is placed at its [[probe]] header");
    assert!(
        matches!(&biz_http.request, Request::Rpc { method, params: Some(p), .. }
        if method == "business.persons.list" && p["limit"] == 10)
    );
    let health = &panel.probes[1];
    assert!(health.for_each_service);
    assert_eq!(health.settings.timeout, Duration::from_millis(800));
    assert_eq!(health.settings.retries, 0);
    assert!(!health.runs_in(Mode::External));
    let expanded = health.for_service("hero_os");
    assert_eq!(expanded.name, "health-hero_os");
    assert_eq!(
        expanded.http().unwrap().target.socket_path(Path::new("/s")),
        Path::new("/s/hero_os/rpc.sock")
    );
    let search = panel.probes[2].http().unwrap();
    assert_eq!(
        search.headers,
        [("X-Trace".to_string(), "smoke".to_string())]
    );
    assert!(
        matches!(&search.request, Request::Post { body: Body::Json(j), .. } if j["q"] == "photos")
    );
    assert_eq!(
        search.external_path.as_deref(),
        Some("/hero_search/api/search")
    );
    assert!(panel.probes[2].selected_by(&["search".to_string()]));
    assert!(panel.probes[0].selected_by(&["all".to_string()]), "by tag");
}

#[test]
fn proven_is_said_in_defaults_or_on_a_probe_and_unsaid_is_false() {
    let panel = load_str(GOOD, Path::new("good.toml"), &opts()).unwrap();
    assert!(panel.probes.iter().all(|p| !p.settings.proven));
    let text = GOOD
        .replacen("[defaults]\n", "[defaults]\nproven = true\n", 1)
        .replacen("retries = 0\n", "retries = 0\nproven = false\n", 1);
    let panel = load_str(&text, Path::new("good.toml"), &opts()).unwrap();
    assert!(panel.probes[0].settings.proven, "[defaults] applies");
    assert!(!panel.probes[1].settings.proven, "the probe's own wins");
    assert!(!panel.probes[1].for_service("hero_os").settings.proven);
    let mut o = opts();
    o.sets = vec!["defaults.proven=true".to_string()];
    let panel = load_str(GOOD, Path::new("good.toml"), &o).unwrap();
    assert!(
        panel.probes.iter().all(|p| p.settings.proven),
        "--set says it"
    );
}

#[test]
fn the_socket_dir_env_overrides_the_file_and_set_overrides_both() {
    let mut o = opts();
    o.socket_dir_env = Some(("HERO_SOCKET_DIR", "/run/hero".to_string()));
    let panel = load_str(GOOD, Path::new("good.toml"), &o).unwrap();
    assert_eq!(panel.internal.socket_dir, PathBuf::from("/run/hero"));
    assert_eq!(
        panel.internal.chosen(),
        "sockets: /run/hero (from HERO_SOCKET_DIR)"
    );
    o.sets = vec![
        "internal.socket_dir=/tmp/s".to_string(),
        "external.base_url=https://staging.example/".to_string(),
        "panel.every=15m".to_string(),
    ];
    let panel = load_str(GOOD, Path::new("good.toml"), &o).unwrap();
    assert_eq!(panel.internal.socket_dir, PathBuf::from("/tmp/s"));
    assert_eq!(panel.internal.socket_dir_from, SocketDirFrom::Set);
    assert_eq!(
        panel.external.base_url.as_deref(),
        Some("https://staging.example")
    );
    assert_eq!(panel.every, Duration::from_secs(900));
    assert_eq!(panel.probes[0].line, 14, "--set keeps the file's positions");
}

#[test]
fn an_unknown_key_names_file_line_column_probe_and_the_key_meant() {
    let e = broken(
        "[panel]\nname = \"x\"\n\n[[probe]]\nname = \"biz\"\ntarget = \"a/rpc\"\nget = \"/\"\nexpct = [\"status == 200\"]\n",
    );
    assert_eq!((e.line(), e.column()), (8, 1), "{e}");
    assert_eq!(e.probe(), Some("biz"));
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:8:1: probe \"biz\": unknown key `expct`; did you mean `expect`?"
    );
}

/// What a program built on smoke-core might read itself: a table and a key of `[panel]`.
const LOOP_LIKE: Extension = Extension {
    tables: &["notify"],
    panel_keys: &["remind_every"],
};

/// A panel with a table and a `[panel]` key smoke-core does not read, at lines 9 and 3.
const WITH_OTHERS: &str = "[panel]\nname = \"x\"\nremind_every = \"2h\"\n\n[[probe]]\nname = \"p\"\ntarget = \"a/rpc\"\nget = \"/\"\n[[notify]]\ntype = \"slack\"\n";

#[test]
fn tables_and_keys_no_one_declared_are_unknown_keys() {
    let e = broken(&WITH_OTHERS.replace("remind_every", "# remind_every"));
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:9:3: unknown key `notify`; known keys: panel, internal, external, defaults, probe, coverage, browser"
    );
    let e = broken(&WITH_OTHERS[..WITH_OTHERS.find("[[notify]]").unwrap()]);
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:3:1: unknown key `remind_every`; known keys: name, every, timeout, vantage, max_services, baseline, latency_drift"
    );
}

#[test]
fn declared_tables_and_keys_load_unread_and_their_typos_are_hinted() {
    let opts = LoadOptions {
        extension: LOOP_LIKE,
        ..opts()
    };
    let load = |text: &str| load_str(text, Path::new("probes/bad.toml"), &opts);
    let panel = load(WITH_OTHERS).expect("declared names load");
    assert_eq!(panel.probes[0].line, 5);
    let e = load(&WITH_OTHERS.replace("[[notify]]", "[[notfy]]")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:9:3: unknown key `notfy`; did you mean `notify`?"
    );
    let e = load(&WITH_OTHERS.replace("remind_every", "remind_evry")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:3:1: unknown key `remind_evry`; did you mean `remind_every`?"
    );
    // Declared at the top, not in a probe: there it is an unknown key as before.
    let e = load(&WITH_OTHERS.replace("type = \"slack\"", "[probe.notify]")).unwrap_err();
    assert!(
        e.message()
            .starts_with("unknown key `notify`; known keys: "),
        "{e}"
    );
    // A typo elsewhere keeps its position and its own table's hint.
    let e = load(&WITH_OTHERS.replace("target", "targt")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "probes/bad.toml:7:1: probe \"p\": unknown key `targt`; did you mean `target`?"
    );
}

#[test]
fn a_bad_condition_points_into_the_condition() {
    let e = broken(
        "[panel]\nname = \"x\"\n[[probe]]\nname = \"ui\"\ntarget = \"hero_os/ui\"\nget = \"/\"\nexpect = [\"status == 200\", \"stauts == 200\"]\n",
    );
    assert_eq!(e.line(), 7, "{e}");
    // `expect = ["status == 200", "` is 28 characters: the bad subject starts at column 29.
    assert_eq!(e.column(), 29, "{e}");
    assert_eq!(e.probe(), Some("ui"));
    assert!(e.message().contains("stauts"), "{e}");
    assert!(
        e.message().contains("status"),
        "a hint names the subject meant: {e}"
    );
}

#[test]
fn a_bad_duration_names_its_value() {
    let e = broken(
        "[panel]\nname = \"x\"\n[[probe]]\nname = \"slow\"\ntarget = \"a/rpc\"\nget = \"/\"\ntimeout = \"5 parsecs\"\n",
    );
    assert_eq!((e.line(), e.column()), (7, 11), "{e}");
    assert_eq!(e.probe(), Some("slow"));
    assert!(e.message().contains("unknown unit `parsecs`"), "{e}");
    let e = broken("[panel]\nname = \"x\"\nevery = \"10\"\n");
    assert_eq!((e.line(), e.column()), (3, 9), "{e}");
    assert!(e.message().contains("no unit"), "{e}");
}

#[test]
fn a_missing_target_says_what_to_write() {
    let e = broken("[panel]\nname = \"x\"\n\n[[probe]]\nname = \"lost\"\nget = \"/health\"\n");
    assert_eq!((e.line(), e.column()), (4, 1), "at the probe's header: {e}");
    assert_eq!(e.probe(), Some("lost"));
    assert!(e.message().contains("missing `target`"), "{e}");
}

#[test]
fn other_mistakes_are_each_named() {
    let cases = [
        (
            "target = \"../etc/rpc\"\nget = \"/\"",
            "must be a plain name",
        ),
        ("target = \"a/rpc\"", "no request"),
        (
            "target = \"a/rpc\"\nget = \"/\"\nrpc = \"x\"",
            "give one of",
        ),
        ("target = \"a/rpc\"\nget = \"health\"", "must start with /"),
        (
            "target = \"a/rpc\"\nrpc = \"x\"\ndistinct_from = \"root\"",
            "needs `contexts`",
        ),
        (
            "target = \"a/rpc\"\nget = \"/\"\nfor_each = \"service\"",
            "needs {service} in its name",
        ),
        (
            "target = \"a/rpc\"\nget = \"/\"\nfor_each = \"host\"",
            "only \"service\"",
        ),
        (
            "target = \"a/rpc\"\nget = \"/\"\nseverity = \"loud\"",
            "unknown variant",
        ),
    ];
    for (body, says) in cases {
        let text = format!("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\n{body}\n");
        let e = broken(&text);
        assert!(e.message().contains(says), "{body:?}: {e}");
        assert!(e.line() >= 3, "{body:?}: {e}");
    }
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"a\"\ntarget = \"a/rpc\"\nget = \"/\"\n[[probe]]\nname = \"a\"\ntarget = \"b/rpc\"\nget = \"/\"\n");
    assert!(e.message().contains("names must be unique"), "{e}");
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \n");
    assert!(
        e.line() >= 4,
        "a TOML syntax error has its position too: {e}"
    );
}

#[test]
fn dns_and_tls_probes_are_external_questions_without_a_request() {
    use smoke_core::engine::{ProbeKind, RecordType};
    let text = "[panel]\nname = \"x\"\n[external]\ntls_warn_days = 30\ncheck_dns = false\nexpect_addresses = [\"185.69.166.1\"]\n\
        [[probe]]\nname = \"mx\"\ndns = \"gent01.grid.tf.\"\nrecord = \"MX\"\n\
        [[probe]]\nname = \"cert\"\ntls = \"forge.example:8443\"\nexpect = [\"cert.days_left > 10\"]\n";
    let panel = load_str(text, Path::new("k.toml"), &opts()).unwrap();
    assert_eq!(panel.external.tls_warn_days, 30);
    assert!(!panel.external.check_dns && panel.external.check_tls);
    let checks: Vec<&str> = panel
        .external
        .expect_addresses
        .iter()
        .map(|c| c.text())
        .collect();
    assert_eq!(checks, ["dns.addresses contains \"185.69.166.1\""]);
    match &panel.probes[0].kind {
        ProbeKind::Dns(d) => assert_eq!(
            (d.name.as_str(), d.record),
            ("gent01.grid.tf", RecordType::Mx)
        ),
        other => panic!("{other:?}"),
    }
    match &panel.probes[1].kind {
        ProbeKind::Tls(t) => assert_eq!((t.host.as_str(), t.port), ("forge.example", 8443)),
        other => panic!("{other:?}"),
    }
    assert!(panel
        .probes
        .iter()
        .all(|p| !p.runs_in(Mode::Internal) && p.runs_in(Mode::External)));

    for (body, says) in [
        (
            "dns = \"a.example\"\nmode = \"internal\"",
            "runs from outside",
        ),
        (
            "dns = \"a.example\"\ntarget = \"a/rpc\"",
            "`target` has no meaning on a dns probe",
        ),
        ("tls = \"a.example:https\"", "must be host:port"),
        (
            "tls = \"a.example\"\nget = \"/\"",
            "`get` has no meaning on a tls probe",
        ),
        (
            "target = \"a/rpc\"\nget = \"/\"\nrecord = \"A\"",
            "`record` goes with `dns`",
        ),
        ("dns = \"a.example\"\nrecord = \"SRV\"", "unknown variant"),
        (
            "dns = \"a.example\"\ntcp = \"a.example:22\"",
            "give `dns` or `tcp`, not both",
        ),
        ("tcp = \"a.example\"", "must be host:port or a socket path"),
        (
            "tcp = \"a.example:0\"",
            "must be host:port or a socket path",
        ),
        (
            "tcp = \"a.example:22\"\nget = \"/\"",
            "`get` has no meaning on a tcp probe",
        ),
        (
            "target = \"a/rpc\"\nget = \"/\"\nsend = \"x\"",
            "`send` goes with `tcp`",
        ),
        (
            "tcp = \"a/rpc.sock\"\nmode = \"external\"",
            "its mode is internal",
        ),
        ("tcp = \"a.example:22\"\nsend = \"\"", "sends nothing"),
        (
            "tcp = \"a.example:22\"\nrestart = [\"true\"]",
            "not a tcp probe",
        ),
        (
            "dns = \"a.example\"\n[[probe.step]]\nget = \"/\"",
            "`step` has no meaning on a dns probe",
        ),
    ] {
        let e = broken(&format!(
            "[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\n{body}\n"
        ));
        assert!(e.message().contains(says), "{body:?}: {e}");
        assert_eq!(e.probe(), Some("p"), "{e}");
    }
}

#[test]
fn an_error_after_the_probes_is_not_put_on_the_last_probe() {
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"a/rpc\"\nget = \"/\"\n[defaults]\nretries = \"two\"\n");
    assert_eq!(e.line(), 8, "{e}");
    assert_eq!(e.probe(), None, "{e}");
}

#[test]
fn restarts_are_checked_when_the_panel_loads() {
    use smoke_core::engine::Remedy;
    let text = "[panel]\nname = \"x\"\n[defaults]\nrestart = [\"hero_proc\", \"service\", \"restart\", \"{service}\"]\nmax_restarts = 2\n\
        [[probe]]\nname = \"a\"\ntarget = \"hero_foundry/rpc\"\nget = \"/health\"\n\
        [[probe]]\nname = \"b\"\ntarget = \"hero_os/rpc\"\nget = \"/health\"\nrestart = { rpc = \"hero_proc/rpc\", method = \"service.restart\", params = { name = \"{service}\" } }\nrestart_cooldown = \"5m\"\n\
        [[probe]]\nname = \"d\"\ndns = \"a.example\"\n";
    let panel = load_str(text, Path::new("r.toml"), &opts()).unwrap();
    let a = panel.probes[0].settings.restart.as_ref().unwrap();
    assert!(matches!(&a.remedy, Remedy::Argv(v) if v[3] == "{service}"));
    assert_eq!((a.max_per_day, a.cooldown), (2, Duration::from_secs(1800)));
    let b = panel.probes[1].settings.restart.as_ref().unwrap();
    assert!(matches!(&b.remedy, Remedy::Rpc { method, .. } if method == "service.restart"));
    assert_eq!(
        (b.max_per_day, b.cooldown),
        (2, Duration::from_secs(300)),
        "its own limit over [defaults]"
    );
    assert!(
        panel.probes[2].settings.restart.is_none(),
        "a dns probe has no service to restart"
    );

    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"../hero_foundry/rpc\"\nget = \"/\"\nrestart = [\"hero_proc\", \"{service}\"]\n");
    assert!(
        e.message().contains("must be a plain name"),
        "a name that climbs never reaches a command: {e}"
    );
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"hero foundry/rpc\"\nget = \"/\"\nrestart = [\"hero_proc\", \"{service}\"]\n");
    assert!(e.message().contains("must be a plain name"), "{e}");
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"a/rpc\"\nget = \"/\"\nrestart = []\n");
    assert!(e.message().contains("has no program"), "{e}");
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"p\"\ntarget = \"a/rpc\"\nget = \"/\"\nmax_restarts = 2\n");
    assert!(e.message().contains("without a `restart`"), "{e}");
}

#[test]
fn names_are_one_word_and_the_loop_period_is_at_least_a_second() {
    let e = broken("[panel]\nname = \"hero demo\"\n");
    assert!(e.message().contains("must be one word"), "{e}");
    let e = broken("[panel]\nname = \"x\"\nevery = \"0s\"\n");
    assert!(e.message().contains("at least 1s"), "{e}");
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"biz persons\"\ntarget = \"a/rpc\"\nget = \"/\"\n");
    assert!(e.message().contains("must be one word"), "{e}");
    // A group of failures is kept under `group:…`: no probe may take such a name.
    let e = broken("[panel]\nname = \"x\"\n[[probe]]\nname = \"group:http-502\"\ntarget = \"a/rpc\"\nget = \"/\"\n");
    assert!(e.message().contains("names a group of failures"), "{e}");
    assert_eq!((e.line(), e.column()), (4, 8), "{e}");
    let e = broken(
        "[panel]\nname = \"x\"\n[[probe]]\nname = \"a`b\"\ntarget = \"a/rpc\"\nget = \"/\"\n",
    );
    assert!(e.message().contains("without backticks"), "{e}");
}

#[test]
fn an_expected_address_that_is_not_an_ip_address_is_refused_where_it_stands() {
    let e = broken(
        "[panel]\nname = \"x\"\n[external]\nexpect_addresses = [\"10.0.0.1\", \"not an ip\"]\n",
    );
    assert_eq!((e.line(), e.column()), (4, 33), "{e}");
    assert!(
        e.message().contains("\"not an ip\" is not an IP address"),
        "{e}"
    );
}

#[test]
fn tcp_probes_name_a_port_anywhere_or_a_socket_inside() {
    use smoke_core::engine::{ProbeKind, TcpTarget};
    let text = "[panel]\nname = \"x\"\n\
        [[probe]]\nname = \"ssh\"\ntcp = \"[::1]:22\"\nexpect = [\"banner contains SSH-2.0\"]\n\
        [[probe]]\nname = \"redis\"\ntcp = \"hero_redis/redis.sock\"\nsend = \"PING\\r\\n\"\nexpect = [\"banner == +PONG\"]\n";
    let panel = load_str(text, Path::new("t.toml"), &opts()).unwrap();
    match &panel.probes[0].kind {
        ProbeKind::Tcp(t) => {
            assert_eq!(
                t.target,
                TcpTarget::Host {
                    host: "::1".into(),
                    port: 22
                }
            );
            assert_eq!(t.target.to_string(), "[::1]:22");
            assert_eq!(t.send, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(panel.probes[0].runs_in(Mode::Internal) && panel.probes[0].runs_in(Mode::External));
    match &panel.probes[1].kind {
        ProbeKind::Tcp(t) => {
            assert_eq!(t.target, TcpTarget::Socket("hero_redis/redis.sock".into()));
            assert_eq!(t.send.as_deref(), Some("PING\r\n"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !panel.probes[1].runs_in(Mode::External),
        "a socket is inside only"
    );
}
