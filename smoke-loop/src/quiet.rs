//! Quiet: probes that still run and show, but tell no sink and restart nothing. Planned quiet
//! is a `[[maintenance]]` window of the panel; ad-hoc quiet is a mute (`smoke-* mute PROBE|TAG
//! --for 2h`), kept in `mutes.json` in the state folder, so a running loop sees it next tick.

use crate::maintenance::Maintenance;
use serde::{Deserialize, Serialize};
use smoke_core::engine::Selector;
use std::fs::OpenOptions;
use std::path::Path;

use crate::state_dir::{StateDirError, MUTES_FILE, MUTES_LOCK};

/// One mute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mute {
    /// A probe name or a tag.
    pub target: String,
    pub until: jiff::Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mutes {
    pub mutes: Vec<Mute>,
}

impl Mutes {
    /// The mutes of a state folder; none when there is no file.
    pub fn load(dir: &Path) -> Result<Mutes, StateDirError> {
        let path = dir.join(MUTES_FILE);
        match crate::state_dir::read_in_state(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|source| StateDirError::MutesUnreadable { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Mutes::default()),
            Err(source) => Err(StateDirError::CannotRead { path, source }),
        }
    }

    /// Changes the mutes under their own lock (a watch loop may hold the state's), dropping the
    /// expired ones, and writes them atomically.
    pub fn update(dir: &Path, change: impl FnOnce(&mut Mutes)) -> Result<Mutes, StateDirError> {
        crate::state_dir::create_folder(dir)?;
        let lock_path = dir.join(MUTES_LOCK);
        let lock = crate::state_dir::open_in_state(
            &lock_path,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(|source| StateDirError::CannotOpen {
            path: lock_path,
            source,
        })?;
        lock.lock().map_err(StateDirError::CannotLockMutes)?;
        let mut mutes = Mutes::load(dir)?;
        change(&mut mutes);
        let now = jiff::Timestamp::now();
        mutes.mutes.retain(|m| m.until > now);
        let text = serde_json::to_vec_pretty(&mutes).expect("mutes serialize");
        crate::state_dir::write_atomic(dir, MUTES_FILE, &text)?;
        Ok(mutes)
    }
}

/// The target `mute --all` writes: no probe or tag may be named so (names are
/// `[A-Za-z0-9][A-Za-z0-9_.-]*`).
pub const EVERY_PROBE: &str = "*";

/// What is quiet at one moment, and why.
#[derive(Debug, Clone, Default)]
pub struct Quiet {
    /// (probe names or tags, empty for all; the reason).
    rules: Vec<(Vec<String>, String)>,
}

impl Quiet {
    pub fn at(now: jiff::Timestamp, maintenance: &[Maintenance], mutes: &Mutes) -> Quiet {
        let mut rules: Vec<(Vec<String>, String)> = maintenance
            .iter()
            .filter(|m| m.active(now))
            .map(|m| (m.probes.clone(), format!("maintenance: {}", m.reason)))
            .collect();
        rules.extend(mutes.mutes.iter().filter(|m| m.until > now).map(|m| {
            // No name picks every probe, as a maintenance window without `probes` does.
            let picks = match m.target.as_str() {
                EVERY_PROBE => Vec::new(),
                one => vec![one.to_string()],
            };
            (
                picks,
                format!(
                    "muted until {}: {}",
                    m.until.strftime("%Y-%m-%d %H:%M UTC"),
                    m.reason
                ),
            )
        }));
        Quiet { rules }
    }

    /// Why the probe is quiet now, if it is.
    pub fn reason(&self, name: &str, tags: &[String]) -> Option<&str> {
        self.rules
            .iter()
            .find(|(sel, _)| Selector(sel).picks(name, tags))
            .map(|(_, why)| why.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutes_are_kept_in_the_state_folder_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
        Mutes::update(dir.path(), |m| {
            m.mutes.push(Mute {
                target: "ui".into(),
                until: soon,
                reason: "redeploy".into(),
            });
            m.mutes.push(Mute {
                target: "old".into(),
                until: jiff::Timestamp::from_second(1).unwrap(),
                reason: "gone".into(),
            });
        })
        .unwrap();
        let mutes = Mutes::load(dir.path()).unwrap();
        assert_eq!(mutes.mutes.len(), 1, "the expired one is dropped");
        let q = Quiet::at(jiff::Timestamp::now(), &[], &mutes);
        assert!(q
            .reason("os-ui", &["ui".into()])
            .unwrap()
            .ends_with(": redeploy"));
        assert!(q.reason("biz", &[]).is_none());
    }
}
