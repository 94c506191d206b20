//! Which sockets serve a supervised name by its suffix: hero_proc lists `hero_os_server` and
//! `hero_os_ui` for the folder `hero_os`, some setups one name per binary, `*_server`, `*_admin`
//! (HERO.md, "hero_proc names"). Where its list does not say which sockets a name serves, a
//! name `<folder><suffix>` is served by the first of its suffix's sockets there in `<folder>`.
//! smoke's table is below; `[internal] suffixes` replaces it for a deployment that names its
//! binaries otherwise.

use super::load::Locator;
use super::PanelError;
use crate::text::Escaped;
use std::collections::BTreeMap;
use toml::Spanned;

/// One suffix and the sockets that serve a name with it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suffix {
    /// The end of a supervised name (`_ui`), never the whole of it.
    pub suffix: String,
    /// Socket files of the folder before it (`ui.sock`, then `admin.sock`).
    pub sockets: Vec<String>,
}

/// smoke's table, for a panel that gives none.
const DEFAULT: [(&str, &[&str]); 3] = [
    ("_server", &["rpc.sock"]),
    ("_ui", &["ui.sock", "admin.sock"]),
    ("_admin", &["admin.sock"]),
];

/// The most suffixes a panel may give, and sockets per suffix: a table a person reads.
const MAX_SUFFIXES: usize = 16;
const MAX_SOCKETS: usize = 4;

/// smoke's suffix table.
pub fn default_suffixes() -> Vec<Suffix> {
    DEFAULT
        .iter()
        .map(|(suffix, sockets)| Suffix {
            suffix: suffix.to_string(),
            sockets: sockets.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}

/// The sockets that serve `name` by its suffix, the longest suffix that ends it first, with the
/// folder before the suffix: `None` when no suffix ends it (or the suffix is all of it).
pub fn serving<'a>(table: &'a [Suffix], name: &'a str) -> Option<(&'a str, &'a [String])> {
    table
        .iter()
        .filter_map(|s| {
            let folder = name.strip_suffix(s.suffix.as_str())?;
            (!folder.is_empty()).then_some((s.suffix.len(), folder, s.sockets.as_slice()))
        })
        .max_by_key(|(len, ..)| *len)
        .map(|(_, folder, sockets)| (folder, sockets))
}

/// `[internal] suffixes = { _server = ["rpc.sock"], ... }`, checked: each suffix a plain
/// name's end, each socket a plain `.sock` file name, within the table's bounds.
pub(super) fn suffixes(
    raw: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    at: &Locator<'_>,
) -> Result<Vec<Suffix>, PanelError> {
    let Some(raw) = raw else {
        return Ok(default_suffixes());
    };
    let span = raw.span();
    let refuse = |m: String| at.error(span.clone(), format!("[internal] suffixes: {m}"));
    let table = raw.into_inner();
    if table.len() > MAX_SUFFIXES {
        return Err(refuse(format!(
            "at most {MAX_SUFFIXES} suffixes; this one has {}",
            table.len()
        )));
    }
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= super::limits::MAX_NAME_CHARS
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    let mut out = Vec::with_capacity(table.len());
    for (suffix, sockets) in table {
        if !plain(&suffix) {
            return Err(refuse(format!(
                "suffix `{}` must be the end of a plain name (letters, digits, _ - .)",
                Escaped(&suffix)
            )));
        }
        if sockets.is_empty() || sockets.len() > MAX_SOCKETS {
            return Err(refuse(format!(
                "suffix `{suffix}` needs 1 to {MAX_SOCKETS} sockets; it has {}",
                sockets.len()
            )));
        }
        if let Some(bad) = sockets
            .iter()
            .find(|s| !crate::panel::is_service_name(s) || !s.ends_with(".sock"))
        {
            return Err(refuse(format!(
                "suffix `{suffix}`: `{}` is not a socket file name like \"rpc.sock\"",
                Escaped(bad)
            )));
        }
        out.push(Suffix { suffix, sockets });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_suffix_that_ends_a_name_names_its_folder() {
        let mut table = default_suffixes();
        table.push(Suffix {
            suffix: "_admin_ui".into(),
            sockets: vec!["web_admin.sock".into()],
        });
        let at = |name| serving(&table, name).map(|(f, s)| (f, s[0].as_str()));
        assert_eq!(at("hero_os_server"), Some(("hero_os", "rpc.sock")));
        assert_eq!(at("hero_os_ui"), Some(("hero_os", "ui.sock")));
        assert_eq!(
            at("hero_books_admin_ui"),
            Some(("hero_books", "web_admin.sock"))
        );
        assert_eq!(at("hero_os"), None);
        assert_eq!(at("_ui"), None, "a suffix alone names no folder");
    }
}
