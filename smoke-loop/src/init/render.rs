//! The panel `init` writes: its tables, the health probe and each suggestion, every value the
//! deployment gave escaped into a TOML string, every suggested name unique.

use super::{Discovered, Found, MAX_DISCOVERED_SERVICES};
use smoke_core::engine::{limits, Mode};

/// `text` as a TOML basic string: quotes, backslashes and every control or layout character
/// escaped, so a path or URL can neither end the string nor hide in an editor.
pub(super) fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if matches!(
                smoke_core::engine::escape_controls(c.encode_utf8(&mut [0; 4])),
                std::borrow::Cow::Owned(_)
            ) =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn render(found: &Found) -> String {
    let mut out = render_tables(found);
    out.push_str(&render_suggestions(found));
    out
}

/// Header, tables and the health probe.
fn render_tables(found: &Found) -> String {
    let side = format!("smoke-{}", found.mode.as_str());
    let mut out = format!(
        "# A starting panel, written by `{side} init` from the running deployment. Check it, then run it:\n\
         #   {side} check --panel <this file>\n\
         #   {side} run --panel <this file>\n\
         # Each list call below is a suggestion: uncomment it where an empty list is a broken user path.\n\
         # How to read and extend a panel: docs/ops/SMOKE_LOOP.md.\n\n\
         [panel]\n\
         name = {}\n\
         every = \"10m\"      # the loop period\n\
         timeout = {}      # every phase of every probe is bounded by it\n\n",
        toml_string(&found.name),
        toml_string(&smoke_core::engine::format_duration(found.timeout)),
    );
    match found.mode {
        Mode::Internal => {
            out.push_str("[internal]\n");
            if let Some(reach) = &found.reach {
                match reach.socket_dir.to_str() {
                    Some(dir) => out.push_str(&format!(
                        "socket_dir = {}   # HERO_SOCKET_DIR, then PATH_SOCKET, override it\n",
                        toml_string(dir)
                    )),
                    None => out.push_str("# socket_dir: the folder init looked at is no UTF-8 path; HERO_SOCKET_DIR or PATH_SOCKET give it\n"),
                }
            }
        }
        Mode::External => {
            out.push_str("[external]\n");
            if let Some(url) = &found.base_url {
                out.push_str(&format!("base_url = {}\n", toml_string(url)));
            }
            if let Some(reach) = &found.reach {
                let resolvers: Vec<String> =
                    reach.resolvers.iter().map(|r| toml_string(r)).collect();
                out.push_str(&format!("resolvers = [{}]\n", resolvers.join(", ")));
                if let Some(ca) = reach.ca_file.as_ref().and_then(|c| c.to_str()) {
                    out.push_str(&format!("ca_file = {}\n", toml_string(ca)));
                }
            }
        }
    }
    out.push_str(
        "\n# Every service found at run time (the socket folder and hero_proc's service.list; from outside,\n\
         # service.list through the gateway) answers /health with 200.\n\
         [[probe]]\n\
         name = \"health-{service}\"\n\
         for_each = \"service\"\n\
         target = \"{service}/rpc\"\n\
         get = \"/health\"\n\
         expect = [\"status == 200\"]\n\
         tags = [\"health\"]\n",
    );
    out
}

/// One commented probe per list call; only names held to the hero naming and
/// [`is_list_method`] reach this text.
fn render_suggestions(found: &Found) -> String {
    let mut out = String::new();
    let mut names = std::collections::HashSet::new();
    for (service, discovered) in &found.services {
        out.push('\n');
        match discovered {
            Discovered::NoAnswer(cause) => out.push_str(&format!(
                "# {service}: no OpenRPC document (rpc.discover: {cause}), so no list call to suggest\n"
            )),
            Discovered::Lists(calls) if calls.is_empty() => out.push_str(&format!(
                "# {service}: rpc.discover lists no call named <...>.list\n"
            )),
            Discovered::Lists(calls) => {
                out.push_str(&format!("# {service}: a list call from its rpc.discover\n"));
                for (i, (method, params)) in calls.iter().enumerate() {
                    if i > 0 {
                        out.push_str("#\n");
                    }
                    let probe = suggestion_name(service, method, &mut names);
                    out.push_str(&format!(
                        "# [[probe]]\n# name = \"{probe}\"\n# target = \"{service}/rpc\"\n# rpc = \"{method}\"\n"
                    ));
                    if !params.is_empty() {
                        let fill: Vec<String> = params.iter().map(|p| format!("{p} = \"\"")).collect();
                        out.push_str(&format!("# params = {{ {} }}   # fill in\n", fill.join(", ")));
                    }
                    out.push_str("# expect = [\"len(result) > 0\"]\n");
                }
            }
        }
    }
    if found.not_asked > 0 {
        let first = match found.mode {
            Mode::Internal => ", those with an rpc socket first",
            Mode::External => "",
        };
        out.push_str(&format!(
            "\n# {} more services were not asked for list calls (init asks at most {MAX_DISCOVERED_SERVICES}{first}); the health probe covers them.\n",
            found.not_asked
        ));
    }
    if found.skipped > 0 {
        out.push_str(&format!(
            "\n# Left out as no service name: {} of the names the deployment gave.\n",
            found.skipped
        ));
    }
    out
}

/// The name of a suggested probe, none taken before it (`names`), so every suggestion
/// uncommented at once still loads: `<service>-<method, dots as dashes>`, the service cut so the
/// whole fits the name limit, then `-2`, `-3`... where two read alike (`a-b` with `c.list` and
/// `a` with `b.c.list`). Never `health-…`, the names of the health probe over each service.
fn suggestion_name(
    service: &str,
    method: &str,
    names: &mut std::collections::HashSet<String>,
) -> String {
    const LEAD: &str = "list-";
    let method = method.replace('.', "-");
    let mut n = 1;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        // Service names and methods are ASCII, a byte a char; room is kept for the lead.
        let room =
            limits::MAX_NAME_CHARS.saturating_sub(LEAD.len() + 1 + method.len() + suffix.len());
        let mut name = format!("{}-{method}{suffix}", &service[..service.len().min(room)]);
        if name.starts_with("health-") {
            name.insert_str(0, LEAD);
        }
        if names.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::MAX_METHOD_CHARS;
    use super::*;

    #[test]
    fn suggestion_names_never_repeat_nor_take_a_health_probes_name() {
        let mut names = std::collections::HashSet::new();
        let mut name = |service: &str, method: &str| suggestion_name(service, method, &mut names);
        assert_eq!(name("a-b", "c.list"), "a-b-c-list");
        assert_eq!(name("a", "b.c.list"), "a-b-c-list-2");
        assert_eq!(name("a-b-c-list", "2"), "a-b-c-list-2-2");
        assert_eq!(name("health", "x.list"), "list-health-x-list");
        assert_eq!(name("health-x", "list"), "list-health-x-list-2");
        let long = "s".repeat(limits::MAX_NAME_CHARS);
        let method = format!("{}.list", "m".repeat(MAX_METHOD_CHARS - 5));
        let first = name(&long, &method);
        let second = name(&format!("{}t", &long[1..]), &method);
        assert_ne!(first, second);
        for n in [first, second] {
            assert!(n.len() <= limits::MAX_NAME_CHARS, "{n}");
            assert!(n.ends_with("-list") || n.ends_with("-list-2"), "{n}");
        }
    }

    #[test]
    fn strings_cannot_leave_their_quotes() {
        assert_eq!(toml_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            toml_string("x\ny\u{7f}\u{202e}"),
            r#""x\u000Ay\u007F\u202E""#
        );
        let text = format!("k = {}\n", toml_string("/tmp/\"]\n[panel]\u{1b}"));
        let v: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(v["k"].as_str(), Some("/tmp/\"]\n[panel]\u{1b}"));
    }
}
