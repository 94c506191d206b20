//! Screenshots of failing pages, kept in the state folder: `evidence/<probe>/<time>.png`, the
//! last [`KEPT_PER_PROBE`] of each probe. A tick writes its browse probes' screenshots before it
//! logs them, so the results log, the JSON report and the incident's events name the file; the
//! status page links it and the forge sink attaches it to the issue it opens.

use crate::state_dir::StateDirError;
use smoke_core::prelude::RunReport;
use std::path::{Path, PathBuf};

/// The folder of the state folder that holds them.
pub const EVIDENCE_DIR: &str = "evidence";

/// Screenshots kept per probe, newest: enough to see a failure come and change, bounded so a
/// page failing every minute for a month takes no more than this many files of at most
/// [`smoke_core::prelude::MAX_SCREENSHOT`] bytes.
pub const KEPT_PER_PROBE: usize = 10;

/// What a kept screenshot's file name ends with.
const SUFFIX: &str = ".png";

/// Writes each screenshot of `report` into `dir`'s evidence folder, names the file in the
/// probe's report, and prunes the probe's folder to [`KEPT_PER_PROBE`]. A screenshot that cannot
/// be written is said and dropped: it is evidence, never a reason to lose the tick.
pub fn keep(dir: &Path, report: &mut RunReport) {
    let at = file_name(report.started_at());
    for p in report.probes_mut() {
        let Some(shot) = p.take_screenshot() else {
            continue;
        };
        match write(dir, p.name(), &at, shot.bytes()) {
            Ok(path) => p.set_evidence(path.display().to_string()),
            Err(e) => smoke_core::say!("the screenshot of {} is not kept: {e}", p.name()),
        }
    }
}

/// The file of a tick that started `at`: sorted by name, they are sorted by time.
fn file_name(at: jiff::Timestamp) -> String {
    format!("{}{SUFFIX}", at.strftime("%Y-%m-%dT%H-%M-%S%.3fZ"))
}

fn write(dir: &Path, probe: &str, file: &str, png: &[u8]) -> Result<PathBuf, StateDirError> {
    let folder = folder(dir, probe).ok_or_else(|| StateDirError::CannotSave {
        path: dir.join(EVIDENCE_DIR),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the probe's name cannot name a folder",
        ),
    })?;
    std::fs::create_dir_all(&folder).map_err(|source| StateDirError::CannotSave {
        path: folder.clone(),
        source,
    })?;
    crate::state_dir::write_atomic(&folder, file, png)?;
    prune(&folder, KEPT_PER_PROBE);
    Ok(folder.join(file))
}

/// The probe's evidence folder, when its name is one path component. A panel's names always
/// are; an in-process check's need not be.
fn folder(dir: &Path, probe: &str) -> Option<PathBuf> {
    let plain =
        !probe.is_empty() && probe != "." && probe != ".." && !probe.contains(['/', '\\', '\0']);
    plain.then(|| dir.join(EVIDENCE_DIR).join(probe))
}

/// Removes all but the newest `keep` screenshots of `folder`.
fn prune(folder: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut shots: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| shot_name(n))
        .collect();
    shots.sort_unstable();
    let over = shots.len().saturating_sub(keep);
    for name in &shots[..over] {
        let _ = std::fs::remove_file(folder.join(name));
    }
}

/// A name a kept screenshot may have: what `file_name` makes, and nothing that could climb
/// out of its folder. The server serves only these.
pub fn shot_name(name: &str) -> bool {
    name.len() <= 64
        && name.ends_with(SUFFIX)
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// The kept screenshot `name` of `probe` in the state folder `dir`, when both are names it
/// could have kept: what the status page's link asks the server for.
pub fn find(dir: &Path, probe: &str, name: &str) -> Option<PathBuf> {
    if !shot_name(name) {
        return None;
    }
    let path = folder(dir, probe)?.join(name);
    path.is_file().then_some(path)
}

/// The status page's link to `probe`'s kept screenshot `file`, relative to the page: the
/// loop's server answers it from the evidence folder.
pub fn link(probe: &str, file: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    // All but RFC 3986's unreserved characters: a name's `?`, `#` or `%` stays in its segment.
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    format!(
        "{EVIDENCE_DIR}/{}/{}",
        utf8_percent_encode(probe, SEGMENT),
        utf8_percent_encode(file, SEGMENT)
    )
}

/// The file name of a path a report named, when it is a kept screenshot's.
pub fn named(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    shot_name(name).then_some(name)
}

/// A kept screenshot's bytes: a regular file of at most [`MAX_SCREENSHOT`] bytes, as smoke
/// wrote it; anything else in its place is not read.
///
/// [`MAX_SCREENSHOT`]: smoke_core::prelude::MAX_SCREENSHOT
pub fn read(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let limit = smoke_core::prelude::MAX_SCREENSHOT as u64;
    if !meta.is_file() || meta.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a regular file of at most {limit} bytes"),
        ));
    }
    let mut png = Vec::with_capacity(meta.len() as usize);
    file.take(limit).read_to_end(&mut png)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_are_served_only_when_plain() {
        let a = file_name("2026-12-07T09:05:01.5Z".parse().unwrap());
        let b = file_name("2026-12-07T10:00:00Z".parse().unwrap());
        assert_eq!(a, "2026-12-07T09-05-01.500Z.png");
        assert!(a < b);
        assert!(shot_name(&a));
        for bad in [
            "../x.png",
            ".hidden.png",
            "a b.png",
            "x.svg",
            "x/y.png",
            "%2e.png",
        ] {
            assert!(!shot_name(bad), "{bad}");
        }
        assert_eq!(
            named("/var/lib/smoke/evidence/p/2026.png"),
            Some("2026.png")
        );
        assert_eq!(named("/var/lib/smoke/evidence/p/../../etc/passwd"), None);
        assert_eq!(link("ui-drawn", &a), format!("evidence/ui-drawn/{a}"));
        assert_eq!(link("a?b#c%", "x.png"), "evidence/a%3Fb%23c%25/x.png");
    }

    #[test]
    fn a_folder_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..(KEPT_PER_PROBE + 3) {
            let at = jiff::Timestamp::from_second(1_800_000_000 + i as i64).unwrap();
            write(dir.path(), "ui", &file_name(at), b"\x89PNG").unwrap();
        }
        let folder = dir.path().join(EVIDENCE_DIR).join("ui");
        let mut left: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left.len(), KEPT_PER_PROBE);
        let newest = file_name(jiff::Timestamp::from_second(1_800_000_012).unwrap());
        assert_eq!(left.last(), Some(&newest));
        assert!(find(dir.path(), "ui", &newest).is_some());
        assert!(find(dir.path(), "..", &newest).is_none());
        assert!(write(dir.path(), "..", "x.png", b"").is_err());
    }
}
