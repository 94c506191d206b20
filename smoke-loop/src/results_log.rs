//! `results.jsonl`: every probe result of every tick, one JSON line each (the fields of
//! `--format json` plus the tick's panel, mode and start), rotated by size so it never fills
//! the disk.

use crate::state_dir::rotated_results as rotated;
use crate::state_dir::StateDirError;
use smoke_core::prelude::{Outcome, RunReport};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

pub const FILE: &str = crate::state_dir::RESULTS_FILE;
/// Rotate past this size.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Rotated files kept: results.1.jsonl (newest) .. results.N.jsonl.
pub const KEEP: usize = 4;

/// Each line of the results log of `dir`, its rotated files oldest first, handed to `take` as
/// bytes: a cut line may end inside a UTF-8 sequence, and one bad line must not end the reading
/// of the file. Streamed, never read whole. A missing folder or file is no line; a file that
/// cannot be read (not a regular file, past [`crate::state_dir::MAX_FILE_BYTES`]) is an error
/// naming it.
pub fn each_line(dir: &Path, mut take: impl FnMut(&[u8])) -> Result<(), StateDirError> {
    use std::io::BufRead;
    for file in crate::state_dir::results_files(dir) {
        let f = match crate::state_dir::reader_in_state(&file) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StateDirError::CannotRead { path: file, source }),
        };
        let mut reader = std::io::BufReader::new(f);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => take(&buf),
            }
        }
    }
    Ok(())
}

/// A line of the log as smoke reads it back (the status page's history, the gate's window):
/// the fields either reads; the others are ignored, so lines written by a newer smoke (with
/// fields added) still read.
#[derive(serde::Deserialize)]
pub struct Logged {
    pub name: String,
    pub outcome: String,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub duration_ms: u64,
    pub tick: jiff::Timestamp,
    #[serde(default)]
    pub panel: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub drift: Vec<String>,
    #[serde(default)]
    pub conditions: Vec<LoggedCondition>,
}

/// One condition of a logged probe.
#[derive(serde::Deserialize)]
pub struct LoggedCondition {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub got: String,
}

/// A line of the log and its outcome; `None` for a line that does not parse (the cut last line
/// a kill leaves) or names an outcome this smoke does not know (a line from a newer one).
pub fn parse_line(bytes: &[u8]) -> Option<(Logged, Outcome)> {
    let line: Logged = serde_json::from_slice(bytes).ok()?;
    let outcome = [
        Outcome::Ok,
        Outcome::Degraded,
        Outcome::Fail,
        Outcome::Error,
    ]
    .into_iter()
    .find(|o| o.as_str() == line.outcome)?;
    Some((line, outcome))
}

/// Appends the tick, rotating first when the file has grown past `max_bytes`.
pub fn append(dir: &Path, report: &RunReport, max_bytes: u64) -> Result<(), StateDirError> {
    let path = dir.join(FILE);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= max_bytes) {
        rotate(dir).map_err(|source| StateDirError::CannotRotate {
            path: path.clone(),
            source,
        })?;
    }
    let mut lines = Vec::new();
    for p in report.probes() {
        let mut v = serde_json::to_value(p).expect("a probe report serializes");
        if let Some(obj) = v.as_object_mut() {
            obj.insert("panel".into(), report.panel().to_string().into());
            obj.insert("mode".into(), report.mode().to_string().into());
            obj.insert("tick".into(), report.started_at().to_string().into());
        }
        serde_json::to_writer(&mut lines, &v).expect("a value serializes");
        lines.push(b'\n');
    }
    write_lines(&path, lines).map_err(|source| StateDirError::CannotAppend { path, source })
}

/// Appends whole lines or nothing: one write, so a kill leaves at most a cut last line, never a
/// mixed one; a write cut short (a full disk, a file size limit) is taken back; and a cut line
/// a kill left is ended first, so the next line is not glued to it (readers skip it).
fn write_lines(path: &Path, mut lines: Vec<u8>) -> std::io::Result<()> {
    let mut file = crate::state_dir::open_in_state(
        path,
        OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .mode(0o600),
    )?;
    let before = file.metadata()?.len();
    let mut last = [0u8];
    let cut = before > 0 && file.read_at(&mut last, before - 1)? == 1 && last[0] != b'\n';
    if cut {
        // In place: a tick of thousands of probes writes megabytes, which a copy would double.
        lines.insert(0, b'\n');
    }
    file.write_all(&lines).inspect_err(|_| {
        let _ = file.set_len(before);
    })
}

fn rotate(dir: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(rotated(dir, KEEP));
    for n in (1..KEEP).rev() {
        let from = rotated(dir, n);
        if from.exists() {
            std::fs::rename(&from, rotated(dir, n + 1))?;
        }
    }
    std::fs::rename(dir.join(FILE), rotated(dir, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::prelude::ProbeReport;

    fn tick() -> RunReport {
        RunReport::made(
            "p",
            "internal",
            jiff::Timestamp::from_second(1_000).unwrap(),
            vec![ProbeReport::new("a"), ProbeReport::new("b")],
        )
    }

    #[test]
    fn each_probe_is_one_line_and_the_log_rotates_by_size() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &tick(), 1 << 20).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["name"], "a");
        assert_eq!(lines[0]["mode"], "internal");
        assert_eq!(lines[0]["outcome"], "ok");
        for _ in 0..10 {
            append(dir.path(), &tick(), 100).unwrap();
        }
        assert!(rotated(dir.path(), 1).exists() && rotated(dir.path(), KEEP).exists());
        assert!(!rotated(dir.path(), KEEP + 1).exists());
    }

    #[test]
    fn a_line_cut_by_a_kill_is_ended_so_the_next_tick_reads_whole() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &tick(), 1 << 20).unwrap();
        let path = dir.path().join(FILE);
        let mut log = std::fs::read(&path).unwrap();
        log.truncate(log.len() - 10);
        std::fs::write(&path, &log).unwrap();
        append(dir.path(), &tick(), 1 << 20).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: Vec<bool> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
            .collect();
        assert_eq!(parsed, [true, false, true, true], "{text}");
        let history = crate::history::History::load(dir.path(), 10).unwrap();
        assert_eq!(history.entries("a").unwrap().len(), 2);
    }

    #[test]
    fn a_fifo_for_a_log_is_refused_not_written_into() {
        let dir = tempfile::tempdir().unwrap();
        crate::state_dir::tests::mkfifo(&dir.path().join(FILE));
        let path = dir.path().to_path_buf();
        let e = crate::state_dir::tests::promptly(move || append(&path, &tick(), 1 << 20))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("results.jsonl: it is a FIFO, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn a_symlinked_log_is_not_written_through() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("target");
        std::fs::write(&victim, "precious").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(FILE)).unwrap();
        let e = append(dir.path(), &tick(), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}
