//! Which services live in the socket folder: a folder with at least one `.sock` in it. Every such
//! folder is listed, whatever its name: the plan holds names to the service naming and says
//! which it skipped, rather than hide a folder it cannot use.

use std::path::Path;

/// The services found in `socket_dir`, sorted.
pub fn scan_services(socket_dir: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(socket_dir).map_err(|e| {
        format!(
            "cannot read the socket folder {}: {e}",
            socket_dir.display()
        )
    })?;
    let mut services: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| has_socket(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    services.sort();
    Ok(services)
}

fn has_socket(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "sock"))
    })
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
        assert_eq!(scan_services(dir.path()).unwrap(), ["a", "b"]);
        // A name that is not even UTF-8 is still listed, so the plan can say it skipped it.
        let odd = std::ffi::OsStr::from_bytes(b"odd\xff");
        std::fs::create_dir(dir.path().join(odd)).unwrap();
        std::fs::write(dir.path().join(odd).join("rpc.sock"), b"").unwrap();
        assert_eq!(
            scan_services(dir.path()).unwrap(),
            ["a", "b", "odd\u{FFFD}"]
        );
        let missing = scan_services(&dir.path().join("nope")).unwrap_err();
        assert!(
            missing.contains("cannot read the socket folder"),
            "{missing}"
        );
    }
}
