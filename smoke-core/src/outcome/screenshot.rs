//! What a failing browse probe saw: the page as a PNG, kept with its report so the loop can
//! put it where a person looks (the state folder, the status page, the forge issue).

use std::sync::Arc;

/// The most bytes a screenshot keeps. The browser's window bounds a screenshot anyway
/// (1280×800); a page drawn to defeat PNG's compression is retaken at half the size, and
/// past this even then it is not kept.
pub const MAX_SCREENSHOT: usize = 2 * 1024 * 1024;

/// The 8 bytes every PNG starts with.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// A PNG of the page, at most [`MAX_SCREENSHOT`] bytes; cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct Screenshot(Arc<[u8]>);

impl Screenshot {
    /// `bytes` as a screenshot when they are a PNG of at most [`MAX_SCREENSHOT`] bytes.
    pub fn png(bytes: Vec<u8>) -> Option<Screenshot> {
        (bytes.len() <= MAX_SCREENSHOT && bytes.starts_with(&PNG_SIGNATURE))
            .then(|| Screenshot(bytes.into()))
    }

    /// The PNG's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

// Its bytes would flood any debug print of a report.
impl std::fmt::Debug for Screenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Screenshot({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_png_within_the_cap_is_kept() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(b"rest");
        assert_eq!(Screenshot::png(png.clone()).unwrap().bytes(), &png[..]);
        assert!(Screenshot::png(b"GIF89a".to_vec()).is_none());
        let mut huge = PNG_SIGNATURE.to_vec();
        huge.resize(MAX_SCREENSHOT + 1, 0);
        assert!(Screenshot::png(huge).is_none());
        assert_eq!(
            format!("{:?}", Screenshot::png(png).unwrap()),
            "Screenshot(12 bytes)"
        );
    }
}
