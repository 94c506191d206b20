//! hero_os: the desktop. Its rpc.sock only reports health and islands; the web UI (the
//! page people actually see) lives on a second socket.
//!
//! The UI is a Dioxus WebAssembly app (HERO.md, "the hero_os UI": home#104, hero_os#35,
//! hero_skills#162): the page on the UI socket holds a mount element, a module script and the
//! script's wasm, both named relative to the page so that behind the gateway they resolve under
//! `/hero_os/ui/`. The file names are wasm-bindgen's for a crate named `hero_os`; the real
//! bundle's names are not known. In the [`Layout::Herodemo`] layout the server also draws the
//! seed's page (its `nav#hero-nav` and islands) inside the mount element; in [`Layout::Hero`] the
//! mount element is empty until the script runs in a browser.

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::{Ctx, MethodDoc, Service};
use crate::fault::Fault;
use crate::jsonrpc::RpcError;
use crate::layout::Layout;
use crate::router::{not_found, typed, Resp};

pub struct Os {
    /// `ui.sock` or `admin.sock`, as the deployment was started.
    pub ui_file: &'static str,
    /// Whether the server draws the seed's navigation into the page.
    pub layout: Layout,
}

const VERSION: &str = "2.1.0";

/// The bundle's files, as the page names them (relative) and as the UI socket serves them.
const SCRIPT: &str = "hero_os.js";
const WASM: &str = "hero_os_bg.wasm";
/// Where [`Fault::UiWrongPrefix`] moves the bundle: absolute paths, which behind the gateway
/// leave `/hero_os/ui/`.
const WRONG_PREFIX: &str = "/pkg/";

/// The script: wasm-bindgen's loader fetching its wasm next to itself, then what the real app's
/// wasm draws, in JavaScript: the navigation, the context's photos listed by hero_foundry and
/// shown as images, and the business dashboard's count from OSIS, each through the gateway's
/// routes on the page's own origin. What the real app calls and how is not known (HERO.md, "the
/// hero_os UI"): these are the seed's user paths, as a browser would walk them. `{BOOT}`,
/// `{FILES}`, `{OSIS}` and `{ISLANDS}` are filled per layout and fault ([`script`]).
const SCRIPT_BODY: &str = r#"// hero_os 2.1.0: loads the wasm next to this script, then draws the desktop on #main.
const url = new URL("hero_os_bg.wasm", import.meta.url);
const { instance } = await WebAssembly.instantiateStreaming(fetch(url));
{BOOT}
const context = document.querySelector('meta[name="hero-context"]')?.content || "root";
const headers = { "X-Hero-Context": context };
const main = document.getElementById("main");
const nav = document.createElement("nav");
nav.id = "hero-nav";
for (const [id, name] of {ISLANDS}) {
  const link = document.createElement("a");
  link.className = "hero-nav-link";
  link.href = "islands/" + id;
  link.textContent = name;
  nav.append(link);
}
const photos = document.createElement("section");
photos.id = "hero-photos";
const dashboard = document.createElement("p");
dashboard.id = "hero-dashboard";
main.replaceChildren(nav, photos, dashboard);
const folder = await fetch("/hero_foundry/rpc/api/files/" + context + "/Photos/", { headers });
for (const name of folder.ok ? await folder.json() : []) {
  const image = document.createElement("img");
  image.src = "{FILES}" + context + "/Photos/" + encodeURIComponent(name);
  image.alt = name;
  photos.append(image);
}
const answer = await fetch("{OSIS}", {
  method: "POST",
  headers: { ...headers, "Content-Type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "business.persons.list" }),
});
const persons = answer.ok ? (await answer.json()).result : null;
dashboard.textContent = (Array.isArray(persons) ? persons.length : 0) + " persons";
export default instance;
"#;

/// Where the app fetches its photos from, and where [`Fault::UiImagesWrongUrl`] makes it look.
const FILES: &str = "/hero_foundry/rpc/api/files/";
const FILES_WRONG: &str = "/hero_foundry/rpc/api/file/";

/// The app's script in `layout`, with the faults of `world`.
fn script(layout: Layout, world: &crate::world::World) -> String {
    let islands: Vec<[&str; 2]> = ISLANDS.iter().map(|(id, name)| [*id, *name]).collect();
    let boot = match world.has(&Fault::UiBootError) {
        true => "throw new Error(\"hero_os: cannot read the desktop settings\");",
        false => "",
    };
    let files = match world.has(&Fault::UiImagesWrongUrl) {
        true => FILES_WRONG,
        false => FILES,
    };
    // The seed's OSIS has a socket per domain; the hero projects' one hero_osis (HERO.md).
    let osis = match layout {
        Layout::Herodemo => "/hero_osis_business/rpc",
        Layout::Hero => "/hero_osis/rpc",
    };
    SCRIPT_BODY
        .replace("{BOOT}", boot)
        .replace("{FILES}", files)
        .replace("{OSIS}", osis)
        .replace("{ISLANDS}", &json!(islands).to_string())
}

/// The smallest valid module (`\0asm`, version 1) with a custom section naming it.
const WASM_BODY: &[u8] = b"\0asm\x01\0\0\0\x00\x08\x07hero_os";

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

/// The page: the loader's head, and in the mount element what the server draws (nothing, in
/// the [`Layout::Hero`] layout). `assets` is where the page says its bundle is.
fn page(context: &str, title: &str, assets: &str, drawn: &str) -> Resp {
    let html = format!(
        "<!doctype html>
<html lang=\"en\">
<head>
  <meta charset=\"utf-8\">
  <meta name=\"hero-context\" content=\"{context}\">
  <title>{title}</title>
  <link rel=\"preload\" href=\"{assets}{WASM}\" as=\"fetch\" type=\"application/wasm\" crossorigin>
  <script type=\"module\" src=\"{assets}{SCRIPT}\"></script>
</head>
<body>
  <div id=\"main\">{drawn}</div>
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

/// The seed's server-drawn desktop: header, navigation (unless `nav` is false:
/// [`Fault::UiElementGone`]), the island and a footer.
fn drawn(context: &str, main: &str, nav: bool) -> String {
    let links: String = ISLANDS
        .iter()
        .map(|(id, name)| {
            format!("    <a class=\"hero-nav-link\" href=\"/islands/{id}\" data-island=\"{id}\">{name}</a>\n")
        })
        .collect();
    let nav = match nav {
        true => format!("  <nav id=\"hero-nav\" class=\"hero-nav\">\n{links}  </nav>\n"),
        false => String::new(),
    };
    format!(
        "
  <header class=\"hero-header\">
    <h1 id=\"hero-title\">Hero OS</h1>
    <span class=\"hero-context\">Context: {context}</span>
  </header>
{nav}  <main id=\"hero-main\">
{main}
  </main>
  <footer class=\"hero-footer\">hero_os {VERSION}</footer>
  "
    )
}

impl Os {
    /// The page for `path`, `None` when it names no island.
    fn page(&self, ctx: &Ctx, path: &str, assets: &str) -> Option<Resp> {
        let (title, main) = if path == "/" || path == "/index.html" {
            let main =
                "    <h2>Welcome</h2>\n    <p class=\"hero-welcome\">Pick an island to start.</p>";
            ("Hero OS".to_string(), main.to_string())
        } else {
            let id = path.strip_prefix("/islands/")?;
            let (_, name) = ISLANDS.iter().find(|(i, _)| *i == id)?;
            (
                format!("{name} · Hero OS"),
                format!("    <h2 class=\"hero-island\">{name}</h2>"),
            )
        };
        let drawn = match self.layout {
            Layout::Herodemo => drawn(ctx.context, &main, !ctx.world.has(&Fault::UiElementGone)),
            Layout::Hero => String::new(),
        };
        // Relative to an island's page, the bundle is one folder up.
        let assets = match (assets, path.starts_with("/islands/")) {
            ("", true) => "../",
            _ => assets,
        };
        Some(page(ctx.context, &title, assets, &drawn))
    }

    /// The script or the wasm, where the page says they are; `None` for any other path.
    fn bundle(&self, ctx: &Ctx, path: &str, assets: &str) -> Option<Resp> {
        let file = path
            .strip_prefix('/')?
            .strip_prefix(assets.trim_start_matches('/'))?;
        if ctx.world.has(&Fault::UiBundleMissing) && (file == SCRIPT || file == WASM) {
            return Some(not_found(path));
        }
        match file {
            SCRIPT => Some(typed(
                StatusCode::OK,
                "text/javascript; charset=utf-8",
                Bytes::from(script(self.layout, ctx.world)),
            )),
            WASM => {
                let content_type = if ctx.world.has(&Fault::UiWasmWrongType) {
                    "application/octet-stream"
                } else {
                    "application/wasm"
                };
                Some(typed(
                    StatusCode::OK,
                    content_type,
                    Bytes::from_static(WASM_BODY),
                ))
            }
            _ => None,
        }
    }
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
        let assets = if ctx.world.has(&Fault::UiWrongPrefix) {
            WRONG_PREFIX
        } else {
            ""
        };
        self.bundle(ctx, path, assets)
            .or_else(|| self.page(ctx, path, assets))
    }
}
