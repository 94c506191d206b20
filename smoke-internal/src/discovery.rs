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

/// What one read of the socket folder found.
pub struct Scan {
    /// The first `cap` services by name, and how many more there are.
    pub services: FirstByName,
    /// The sockets (`hero_os/rpc.sock`) of each service kept that serves more than one, at
    /// most `per_service` each: the only folders where a socket gone still leaves a service,
    /// which a later tick must tell from one that never served it.
    pub shared: Vec<String>,
}

/// The first `cap` services found in `socket_dir` by name, and how many more there are.
pub fn scan_services(socket_dir: &Path, cap: usize, per_service: usize) -> Result<Scan, ScanError> {
    let entries = std::fs::read_dir(socket_dir).map_err(|source| ScanError {
        dir: socket_dir.to_path_buf(),
        source,
    })?;
    let mut services = FirstByName::new(cap);
    let mut several = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let sockets = sockets_in(&entry.path(), per_service.max(2));
        if sockets.is_empty() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        services.offer(&name);
        if sockets.len() > 1 && services.contains(&name) {
            several.push((name, sockets));
        }
    }
    // A folder kept early may have been cut by a later, smaller name.
    let shared = several
        .into_iter()
        .filter(|(name, _)| services.contains(name))
        .flat_map(|(name, sockets)| {
            sockets
                .into_iter()
                .take(per_service)
                .map(move |s| format!("{name}/{s}"))
        })
        .collect();
    Ok(Scan { services, shared })
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
            scan_services(dir.path(), cap, 4)
                .unwrap()
                .services
                .into_names()
                .collect()
        };
        assert_eq!(names(10), ["a", "b"]);
        // A name that is not even UTF-8 is still listed, so the plan can say it skipped it.
        let odd = std::ffi::OsStr::from_bytes(b"odd\xff");
        std::fs::create_dir(dir.path().join(odd)).unwrap();
        std::fs::write(dir.path().join(odd).join("rpc.sock"), b"").unwrap();
        assert_eq!(names(10), ["a", "b", "odd\u{FFFD}"]);
        let missing = scan_services(&dir.path().join("nope"), 10, 4)
            .err()
            .expect("no such folder")
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
        let found = scan_services(dir.path(), 3, 4).unwrap().services;
        assert_eq!(found.left_out(), 47);
        assert_eq!(
            found.into_names().collect::<Vec<_>>(),
            ["s00", "s01", "s02"]
        );
    }

    /// Only folders of several sockets are remembered (a folder of one, with it gone, is no
    /// service at all), each with at most `per_service`, and none the cap left out.
    #[test]
    fn the_sockets_of_folders_that_serve_several_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let sockets: [(&str, &[&str]); 4] = [
            ("a_one", &["rpc.sock"]),
            ("b_two", &["rpc.sock", "ui.sock", "notes.txt"]),
            (
                "c_many",
                &["1.sock", "2.sock", "3.sock", "4.sock", "5.sock", "6.sock"],
            ),
            ("z_cut", &["rpc.sock", "admin.sock"]),
        ];
        for (service, files) in sockets {
            std::fs::create_dir(dir.path().join(service)).unwrap();
            for file in files {
                std::fs::write(dir.path().join(service).join(file), b"").unwrap();
            }
        }
        let scan = scan_services(dir.path(), 3, 4).unwrap();
        let mut shared = scan.shared;
        shared.sort();
        assert_eq!(shared.len(), 2 + 4, "{shared:?}");
        assert!(shared[..4]
            .iter()
            .all(|s| s.starts_with("b_two/") || s.starts_with("c_many/")));
        assert!(shared.contains(&"b_two/rpc.sock".to_string()), "{shared:?}");
        assert!(shared.contains(&"b_two/ui.sock".to_string()), "{shared:?}");
        assert!(!shared
            .iter()
            .any(|s| s.starts_with("a_one/") || s.starts_with("z_cut/")));
    }
}
