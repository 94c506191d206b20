//! hero_proc's names are not always socket folders: it lists `hero_os_server` and `hero_os_ui`
//! for the folder `hero_os`, and some setups one name per binary, `*_server`, `*_admin` (HERO.md,
//! "hero_proc names"). By its suffix, a name is served from another folder's socket.

use smoke_core::engine::{is_service_name, serving, Suffix};
use std::path::Path;

/// Where `name`'s socket is (`hero_os/ui.sock`), when a suffix of `table` names another folder
/// and one of its sockets is there; `None` leaves it a service of its own name, probed and
/// failing as one.
pub(crate) fn served_from(socket_dir: &Path, table: &[Suffix], name: &str) -> Option<String> {
    if !is_service_name(name) {
        return None;
    }
    let (base, sockets) = serving(table, name)?;
    sockets
        .iter()
        .map(|socket| format!("{base}/{socket}"))
        .find(|at| std::fs::symlink_metadata(socket_dir.join(at)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffix_names_the_folder_and_socket_that_serve_it_only_when_that_socket_is_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("hero_os")).unwrap();
        for socket in ["rpc.sock", "admin.sock"] {
            std::fs::write(dir.path().join("hero_os").join(socket), b"").unwrap();
        }
        let table = smoke_core::engine::default_suffixes();
        let at = |name| served_from(dir.path(), &table, name);
        assert_eq!(at("hero_os_server").as_deref(), Some("hero_os/rpc.sock"));
        assert_eq!(at("hero_os_ui").as_deref(), Some("hero_os/admin.sock"));
        assert_eq!(at("hero_os_admin").as_deref(), Some("hero_os/admin.sock"));
        for none in ["hero_os", "hero_books_ui", "_ui", "../hero_os_ui"] {
            assert_eq!(at(none), None, "{none}");
        }
    }
}
