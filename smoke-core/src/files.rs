//! Reading a file an operator names (the panel, its known-good baseline): only a regular file,
//! opened without waiting, and no more of it than a bound.

use std::path::Path;

/// Why a file's text could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// Opening or reading it failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A folder, FIFO or device: a FIFO would block the read forever, `/dev/zero` fill memory.
    #[error("not a regular file (a folder, FIFO or device)")]
    NotAFile,
    /// Larger than the bound, in bytes.
    #[error("larger than {}", crate::units::format_size(*.0))]
    TooBig(u64),
    /// Not UTF-8, from this byte.
    #[error("not UTF-8 text (a bad byte at offset {0})")]
    NotUtf8(usize),
}

/// The text of the regular file at `path`, of at most `max` bytes. Opened non-blocking, so a
/// FIFO returns at once and is refused; read no further than `max` should it grow meanwhile.
pub fn read_text(path: &Path, max: u64) -> Result<String, Unreadable> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Unreadable::NotAFile);
    }
    if meta.len() > max {
        return Err(Unreadable::TooBig(max));
    }
    // Room for the whole file at once: grown by doubling, a large one is copied several times.
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Unreadable::TooBig(max));
    }
    String::from_utf8(bytes).map_err(|e| Unreadable::NotUtf8(e.utf8_error().valid_up_to()))
}
