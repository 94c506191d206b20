//! Which socket a public path reaches, and as what path: hero_router's rule, kept pure so it
//! can be tested without sockets.

use crate::layout::Layout;

/// Where one request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The service's folder under the socket folder.
    pub service: String,
    /// The socket's file name in that folder, e.g. `rpc.sock`.
    pub socket: String,
    /// The part of the public path the gateway stripped (sent as `X-Forwarded-Prefix`).
    pub prefix: String,
    /// The path and query the service sees.
    pub target: String,
}

impl Route {
    /// `<service>/<socket>`, as error messages name it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.service, self.socket)
    }
}

/// The path the seed gives hero_embedder's health; it does not follow the rule below. Only the
/// seed's layout serves it: by the router's rule (HERO.md, "the embedder") it would go to a
/// `health.sock` or `web_health.sock` of the embedder, and the rule's own path for the health
/// is `/hero_embedder/rpc/health`.
const EMBEDDER_HEALTH: (&str, &str) = ("hero_embedder", "health");

/// Maps `/<service>/<name>/<rest>?<query>` to `<service>/<name>.sock` as `/<rest>?<query>`.
///
/// `rpc` and `admin` always mean `rpc.sock` and `admin.sock`. Any other name means
/// `<name>.sock` if that file exists, else `web_<name>.sock` if that one does; when neither
/// does, `<name>.sock` is named so the error points at the file a user would look for (the
/// historical banner read "Socket 'ui.sock' not found"). `exists(service, file)` says whether
/// a socket file is there. `None` when the path names no service and socket, or when a
/// segment could climb out of the socket folder.
pub fn route(
    path: &str,
    query: Option<&str>,
    exists: impl Fn(&str, &str) -> bool,
    layout: Layout,
) -> Option<Route> {
    let after_root = path.strip_prefix('/')?;
    let (service, after_service) = after_root.split_once('/')?;
    if !is_plain(service) {
        return None;
    }
    if layout == Layout::Herodemo && (service, after_service) == EMBEDDER_HEALTH {
        return Some(Route {
            service: service.to_string(),
            socket: "rpc.sock".to_string(),
            prefix: format!("/{service}"),
            target: with_query("/health", query),
        });
    }
    let (name, rest) = after_service.split_once('/').unwrap_or((after_service, ""));
    if !is_plain(name) {
        return None;
    }
    let socket = match name {
        "rpc" | "admin" => format!("{name}.sock"),
        _ => {
            let own = format!("{name}.sock");
            let web = format!("web_{name}.sock");
            if !exists(service, &own) && exists(service, &web) {
                web
            } else {
                own
            }
        }
    };
    Some(Route {
        service: service.to_string(),
        socket,
        prefix: format!("/{service}/{name}"),
        target: with_query(&format!("/{rest}"), query),
    })
}

fn with_query(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

/// A file-name segment that stays inside its folder.
fn is_plain(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &str, _: &str) -> bool {
        false
    }

    fn to(path: &str) -> (String, String, String) {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let r = route(path, query, nothing, Layout::Herodemo)
            .unwrap_or_else(|| panic!("no route for {path}"));
        (r.label(), r.target, r.prefix)
    }

    #[test]
    fn rpc_paths_are_stripped_of_service_and_socket() {
        let rpc = |t: &str| ("hero_foundry/rpc.sock".to_string(), t.to_string());
        let (label, target, prefix) = to("/hero_foundry/rpc/health");
        assert_eq!((label, target), rpc("/health"));
        assert_eq!(prefix, "/hero_foundry/rpc");
        let (label, target, _) = to("/hero_foundry/rpc/api/files/a/b.jpg");
        assert_eq!((label, target), rpc("/api/files/a/b.jpg"));
    }

    #[test]
    fn the_socket_alone_reaches_its_root() {
        assert_eq!(to("/hero_osis_business/rpc").1, "/");
        assert_eq!(to("/hero_osis_business/rpc/").1, "/");
        assert_eq!(to("/hero_os/ui").1, "/");
        assert_eq!(to("/hero_os/ui/").1, "/");
    }

    #[test]
    fn the_query_is_kept() {
        assert_eq!(to("/hero_foundry/rpc/list?dir=a&n=2").1, "/list?dir=a&n=2");
        assert_eq!(to("/hero_foundry/rpc?x=1").1, "/?x=1");
    }

    #[test]
    fn admin_and_named_sockets() {
        assert_eq!(to("/hero_proc/admin/state").0, "hero_proc/admin.sock");
        assert_eq!(to("/hero_os/ui/islands/photos").0, "hero_os/ui.sock");
        let only_web = |svc: &str, file: &str| svc == "hero_os" && file == "web_ui.sock";
        let r = route("/hero_os/ui/", None, only_web, Layout::Herodemo).unwrap();
        assert_eq!((r.socket.as_str(), r.target.as_str()), ("web_ui.sock", "/"));
        let both = |_: &str, _: &str| true;
        assert_eq!(
            route("/hero_os/ui/", None, both, Layout::Herodemo)
                .unwrap()
                .socket,
            "ui.sock"
        );
        // rpc never falls back to a web socket.
        assert_eq!(
            route("/x/rpc", None, both, Layout::Herodemo)
                .unwrap()
                .socket,
            "rpc.sock"
        );
    }

    #[test]
    fn embedder_health_is_its_own_path() {
        let (label, target, prefix) = to("/hero_embedder/health");
        assert_eq!(label, "hero_embedder/rpc.sock");
        assert_eq!(target, "/health");
        assert_eq!(prefix, "/hero_embedder");
        // Only that exact path: anything longer follows the rule.
        assert_eq!(to("/hero_embedder/health/x").0, "hero_embedder/health.sock");
        assert_eq!(to("/hero_foundry/health").0, "hero_foundry/health.sock");
        // The hero as documented has the rule alone: the embedder's health is at its own.
        let hero = route("/hero_embedder/health", None, nothing, Layout::Hero).unwrap();
        assert_eq!(hero.label(), "hero_embedder/health.sock");
        let rule = route("/hero_embedder/rpc/health", None, nothing, Layout::Hero).unwrap();
        assert_eq!(
            (rule.label(), rule.target),
            ("hero_embedder/rpc.sock".into(), "/health".into())
        );
    }

    #[test]
    fn paths_without_a_socket_or_leaving_the_folder_have_no_route() {
        for path in [
            "/",
            "",
            "/hero_os",
            "/hero_os/",
            "//rpc",
            "/../rpc/x",
            "/hero_os/../x",
            "/hero_os/./x",
            "/a%2fb/rpc",
        ] {
            assert_eq!(route(path, None, nothing, Layout::Herodemo), None, "{path}");
        }
    }
}
