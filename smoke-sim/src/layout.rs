//! Which hero deployment the simulation stands for. The seed's text described one (`herodemo`);
//! the hero projects' own READMEs and issue threads describe another in places (`hero`, see
//! HERO.md, "Checked against what the hero projects publish"). Everything the two share is built
//! once; a layout only decides where they differ, so one panel can be proven against both.

use std::fmt;
use std::str::FromStr;

/// One shape of the simulated deployment, chosen when it starts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The seed's herodemo: hero_os's page on `ui.sock` is drawn by the server (the
    /// `nav#hero-nav` and its islands are in the raw HTML) inside the mount element its
    /// script takes over.
    #[default]
    Herodemo,
    /// The hero projects as documented today: hero_os's `ui.sock` serves a Dioxus loader page,
    /// an empty mount element, a module script and its wasm; the navigation exists only once
    /// the script has run in a browser (HERO.md: home#104, hero_os#35, hero_skills#162).
    Hero,
}

/// Every layout, in the order `--layout` lists them.
pub const LAYOUTS: [Layout; 2] = [Layout::Herodemo, Layout::Hero];

impl Layout {
    /// The name `--layout` takes.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Herodemo => "herodemo",
            Layout::Hero => "hero",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a string is not a [`Layout`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layout {0:?} (known: {known})", known = known())]
pub struct ParseLayoutError(String);

fn known() -> String {
    LAYOUTS.map(Layout::name).join(", ")
}

impl FromStr for Layout {
    type Err = ParseLayoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        LAYOUTS
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| ParseLayoutError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_survives_its_name_and_a_typo_is_named() {
        for layout in LAYOUTS {
            assert_eq!(layout.name().parse::<Layout>(), Ok(layout));
        }
        assert_eq!(" Hero ".parse::<Layout>(), Ok(Layout::Hero));
        assert_eq!(Layout::default(), Layout::Herodemo);
        let err = "heros".parse::<Layout>().unwrap_err().to_string();
        assert_eq!(err, "unknown layout \"heros\" (known: herodemo, hero)");
    }
}
