//! `results.jsonl`: every probe result of every tick, one JSON line each (the fields of
//! `--format json` plus the tick's panel, mode and start), rotated by size so it never fills
//! the disk.

use crate::outcome::RunReport;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const FILE: &str = "results.jsonl";
/// Rotate past this size.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Rotated files kept: results.1.jsonl (newest) .. results.N.jsonl.
pub const KEEP: usize = 4;

/// Appends the tick, rotating first when the file has grown past `max_bytes`.
pub fn append(dir: &Path, report: &RunReport, max_bytes: u64) -> Result<(), String> {
    let path = dir.join(FILE);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= max_bytes) {
        rotate(dir).map_err(|e| format!("cannot rotate {}: {e}", path.display()))?;
    }
    let mut lines = Vec::new();
    for p in &report.probes {
        let mut v = serde_json::to_value(p).expect("a probe report serializes");
        if let Some(obj) = v.as_object_mut() {
            obj.insert("panel".into(), report.panel.clone().into());
            obj.insert("mode".into(), report.mode.clone().into());
            obj.insert("tick".into(), report.started_at.to_string().into());
        }
        serde_json::to_writer(&mut lines, &v).expect("a value serializes");
        lines.push(b'\n');
    }
    // One write of whole lines, so a kill leaves at most a cut last line, never a mixed one.
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(&lines))
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

fn rotated(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("results.{n}.jsonl"))
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
    use crate::outcome::{Outcome, ProbeReport};

    fn tick() -> RunReport {
        RunReport {
            panel: "p".into(),
            mode: "internal".into(),
            started_at: jiff::Timestamp::from_second(1_000).unwrap(),
            duration_ms: std::time::Duration::ZERO,
            outcome: Outcome::Ok,
            probes: vec![ProbeReport::new("a"), ProbeReport::new("b")],
        }
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
}
