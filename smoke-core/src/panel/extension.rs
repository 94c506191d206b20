//! The tables and `[panel]` keys a program built on this crate reads itself: declared to the
//! loader, accepted beside its own, and handed over unread through [`super::PanelText`].

use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// What a program built on this crate reads of a panel itself, declared in
/// [`super::LoadOptions::extension`]. The loader accepts these names beside its own and leaves
/// what they hold to the program, which reads them from [`super::PanelText`] and checks them
/// there; every other unknown key is still refused, at its position, with the closest known
/// name (declared ones included). Left empty, as it is by default, a declared name of another
/// program is an unknown key like any other.
///
/// ```
/// use smoke_core::engine::{load_str, Extension, LoadOptions};
/// const AUDIT: Extension = Extension { tables: &["audit"], panel_keys: &["owner"] };
/// let text = "[panel]\nname = \"p\"\nowner = \"ops\"\n\n[audit]\nkeep = \"90d\"\n";
/// let opts = LoadOptions { extension: AUDIT, ..LoadOptions::default() };
/// assert!(load_str(text, "p.toml".as_ref(), &opts).is_ok());
/// let e = load_str(text, "p.toml".as_ref(), &LoadOptions::default()).unwrap_err();
/// assert!(e.to_string().starts_with("p.toml:5:2: unknown key `audit`; known keys: panel, "));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extension {
    /// Top-level tables (`[name]` or `[[name]]`) the program reads, none of this crate's own.
    pub tables: &'static [&'static str],
    /// Keys of `[panel]` the program reads, none of this crate's own.
    pub panel_keys: &'static [&'static str],
}

impl Extension {
    /// Takes the declared tables and keys out of the parsed file, so the strict read sees only
    /// this crate's own; the other keys keep their spans, so every error stays where it was.
    pub(super) fn set_aside(&self, doc: &mut DeTable<'_>) -> SetAside {
        let mut aside = SetAside {
            declared: *self,
            top: Vec::new(),
            panel: Vec::new(),
        };
        if *self == Extension::default() {
            return aside;
        }
        for table in self.tables {
            doc.remove(*table);
        }
        aside.top = doc.keys().map(|k| k.span()).collect();
        if let Some(DeValue::Table(panel)) = doc.get_mut("panel").map(|p| p.get_mut()) {
            for key in self.panel_keys {
                panel.remove(*key);
            }
            aside.panel = panel.keys().map(|k| k.span()).collect();
        }
        aside
    }
}

/// Where the keys left after [`Extension::set_aside`] stand, so the hint of an unknown key
/// knows the declared names of its own table.
pub(super) struct SetAside {
    declared: Extension,
    top: Vec<Range<usize>>,
    panel: Vec<Range<usize>>,
}

impl SetAside {
    /// The declared names beside the key at `span`: the `[panel]` keys for a key of `[panel]`,
    /// the tables for a top-level key, none elsewhere. `[panel]` is asked first: a `--set
    /// panel.key=…` gives the key and a table it makes the same span.
    pub(super) fn beside(&self, span: Option<Range<usize>>) -> &'static [&'static str] {
        let Some(span) = span else { return &[] };
        if self.panel.contains(&span) {
            self.declared.panel_keys
        } else if self.top.contains(&span) {
            self.declared.tables
        } else {
            &[]
        }
    }
}
