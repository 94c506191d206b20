//! Which services live in the socket folder: a folder with at least one `.sock` in it. Every such
//! folder is listed, whatever its name: the plan holds names to the service naming and says
//! which it skipped, rather than hide a folder it cannot use. At most `cap` are kept, the first
//! by name; the others are counted.

use smoke_core::engine::http::FirstByName;
use std::path::{Path, PathBuf};

/// The socket folder cannot be read: no service can be listed from it.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the socket folder {}: {source}", .dir.display())]
pub struct ScanError {
    pub dir: PathBuf,
    pub source: std::io::Error,
}

/// The first `cap` services found in `socket_dir` by name, and how many more there are.
pub fn scan_services(socket_dir: &Path, cap: usize) -> Result<FirstByName, ScanError> {
    let entries = std::fs::read_dir(socket_dir).map_err(|source| ScanError {
        dir: socket_dir.to_path_buf(),
        source,
    })?;
    let mut services = FirstByName::new(cap);
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_dir()) && has_socket(&entry.path()) {
            services.offer(&entry.file_name().to_string_lossy());
        }
    }
    Ok(services)
}

fn has_socket(dir: &Path) -> bool {
    !sockets_in(dir, 1).is_empty()
}

/// The names of at most `at_most` sockets (`*.sock`) in a service's folder, sorted: what it
/// serves, for a person to read (a folder of any size costs no more).
pub(crate) fn sockets_in(dir: &Path, at_most: usize) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sock"))
        .take(at_most)
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn a_service_is_a_folder_with_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        for (service, file) in [("b", "rpc.sock"), ("a", "ui.sock"), ("empty", "notes.txt")] {
            std::fs::create_dir(dir.path().join(service)).unwrap();
            std::fs::write(dir.path().join(service).join(file), b"").unwrap();
        }
        std::fs::write(dir.path().join("stray.sock"), b"").unwrap();
        let names = |cap| -> Vec<String> {
            scan_services(dir.path(), cap)
                .unwrap()
                .into_names()
                .collect()
        };
        assert_eq!(names(10), ["a", "b"]);
        // A name that is not even UTF-8 is still listed, so the plan can say it skipped it.
        let odd = std::ffi::OsStr::from_bytes(b"odd\xff");
        std::fs::create_dir(dir.path().join(odd)).unwrap();
        std::fs::write(dir.path().join(odd).join("rpc.sock"), b"").unwrap();
        assert_eq!(names(10), ["a", "b", "odd\u{FFFD}"]);
        let missing = scan_services(&dir.path().join("nope"), 10)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("cannot read the socket folder"),
            "{missing}"
        );
    }

    #[test]
    fn past_the_cap_the_first_services_by_name_are_kept_and_the_rest_counted() {
        let dir = tempfile::tempdir().unwrap();
        for i in (0..50).rev() {
            let folder = dir.path().join(format!("s{i:02}"));
            std::fs::create_dir(&folder).unwrap();
            std::fs::write(folder.join("rpc.sock"), b"").unwrap();
        }
        // Folders without a socket are no services: never counted.
        std::fs::create_dir(dir.path().join("a_not_a_service")).unwrap();
        let found = scan_services(dir.path(), 3).unwrap();
        assert_eq!(found.left_out(), 47);
        assert_eq!(
            found.into_names().collect::<Vec<_>>(),
            ["s00", "s01", "s02"]
        );
    }
}
