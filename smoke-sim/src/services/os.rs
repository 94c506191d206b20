//! hero_os: the desktop. Its rpc.sock only reports health and islands; the web UI (the
//! page people actually see) lives on a second socket.

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::jsonrpc::RpcError;
use crate::router::{typed, Resp};

pub struct Os {
    /// `ui.sock` or `admin.sock`, as the deployment was started.
    pub ui_file: &'static str,
}

const VERSION: &str = "2.1.0";

/// `(id, title)` of each island linked from the navigation bar.
const ISLANDS: [(&str, &str); 6] = [
    ("contexts", "Contexts"),
    ("photos", "Photos"),
    ("business", "Business"),
    ("configuration", "Configuration"),
    ("services", "Services"),
    ("search", "Search"),
];

const METHODS: &[MethodDoc] = &[MethodDoc {
    name: "os.islands.list",
    summary: "The islands the desktop offers",
    params: &[],
    result: "array",
}];

fn page(context: &str, title: &str, main: &str) -> Resp {
    let links: String = ISLANDS
        .iter()
        .map(|(id, name)| {
            format!("    <a class=\"hero-nav-link\" href=\"/islands/{id}\" data-island=\"{id}\">{name}</a>\n")
        })
        .collect();
    let html = format!(
        "<!doctype html>
<html lang=\"en\">
<head>
  <meta charset=\"utf-8\">
  <meta name=\"hero-context\" content=\"{context}\">
  <title>{title}</title>
</head>
<body>
  <header class=\"hero-header\">
    <h1 id=\"hero-title\">Hero OS</h1>
    <span class=\"hero-context\">Context: {context}</span>
  </header>
  <nav id=\"hero-nav\" class=\"hero-nav\">
{links}  </nav>
  <main id=\"hero-main\">
{main}
  </main>
  <footer class=\"hero-footer\">hero_os {VERSION}</footer>
</body>
</html>
"
    );
    typed(
        StatusCode::OK,
        "text/html; charset=utf-8",
        Bytes::from(html),
    )
}

impl Service for Os {
    fn name(&self) -> &str {
        "hero_os"
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn description(&self) -> &'static str {
        "The hero desktop and its web UI"
    }

    fn methods(&self) -> &'static [MethodDoc] {
        METHODS
    }

    fn call(&self, _ctx: &Ctx, method: &str, _params: &Value) -> Option<Result<Value, RpcError>> {
        (method == "os.islands.list").then(|| {
            let islands: Vec<Value> = ISLANDS
                .iter()
                .map(|(id, title)| json!({"id": id, "title": title, "href": format!("/islands/{id}")}))
                .collect();
            Ok(Value::Array(islands))
        })
    }

    fn ui_socket(&self) -> Option<&str> {
        Some(self.ui_file)
    }

    fn ui(&self, ctx: &Ctx, path: &str) -> Option<Resp> {
        if path == "/" || path == "/index.html" {
            let main =
                "    <h2>Welcome</h2>\n    <p class=\"hero-welcome\">Pick an island to start.</p>";
            return Some(page(ctx.context, "Hero OS", main));
        }
        let id = path.strip_prefix("/islands/")?;
        let (_, name) = ISLANDS.iter().find(|(i, _)| *i == id)?;
        let main = format!("    <h2 class=\"hero-island\">{name}</h2>");
        Some(page(ctx.context, &format!("{name} · Hero OS"), &main))
    }
}
