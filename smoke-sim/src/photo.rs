//! The photos hero_foundry serves: real JPEG files, generated once per deployment, so a
//! probe that checks magic bytes or decodes the image sees the genuine article.

use bytes::Bytes;
use jpeg_encoder::{ColorType, Encoder};

const WIDTH: u16 = 64;
const HEIGHT: u16 = 48;

/// The names every context's `Photos` folder holds, sorted.
pub const PHOTO_NAMES: [&str; 2] = ["harbour.jpg", "sunrise.jpg"];

/// The same photos after [`crate::Deployment::rename_photos`], in the same order: names a
/// probe can't hard-code, with spaces, `#` and a non-ASCII letter that only arrive intact
/// percent-encoded.
pub const RENAMED_PHOTO_NAMES: [&str; 2] = [
    "2026-06 Haven bij nacht #1.jpg",
    "2026-06 Zonsopgang café.jpg",
];

/// The names the Photos folder holds, as renamed or not.
pub fn photo_names(renamed: bool) -> [&'static str; 2] {
    if renamed {
        RENAMED_PHOTO_NAMES
    } else {
        PHOTO_NAMES
    }
}

/// The encoded photos, cheap to clone into each response.
#[derive(Debug, Clone)]
pub struct Photos {
    harbour: Bytes,
    sunrise: Bytes,
}

impl Photos {
    pub fn generate() -> std::io::Result<Photos> {
        Ok(Photos {
            // Warm top-to-bottom gradient, like a sky at dawn.
            sunrise: encode(|x, y| [255, (80 + y * 3) as u8, (x * 2) as u8])?,
            // Cool left-to-right gradient, like water.
            harbour: encode(|x, y| [(x * 2) as u8, (60 + y * 2) as u8, 200])?,
        })
    }

    /// The photo called `name` in the folder as renamed or not.
    pub fn find(&self, name: &str, renamed: bool) -> Option<Bytes> {
        match photo_names(renamed).iter().position(|n| *n == name)? {
            0 => Some(self.harbour.clone()),
            _ => Some(self.sunrise.clone()),
        }
    }
}

fn encode(pixel: impl Fn(u32, u32) -> [u8; 3]) -> std::io::Result<Bytes> {
    let mut rgb = Vec::with_capacity(usize::from(WIDTH) * usize::from(HEIGHT) * 3);
    for y in 0..u32::from(HEIGHT) {
        for x in 0..u32::from(WIDTH) {
            rgb.extend_from_slice(&pixel(x, y));
        }
    }
    let mut out = Vec::new();
    Encoder::new(&mut out, 85)
        .encode(&rgb, WIDTH, HEIGHT, ColorType::Rgb)
        .map_err(std::io::Error::other)?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_jpeg_files() {
        let photos = Photos::generate().unwrap();
        for name in PHOTO_NAMES {
            let bytes = photos.find(name, false).unwrap();
            assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "{name} starts with SOI");
            assert_eq!(
                &bytes[bytes.len() - 2..],
                &[0xFF, 0xD9],
                "{name} ends with EOI"
            );
        }
        assert_ne!(
            photos.find("sunrise.jpg", false),
            photos.find("harbour.jpg", false)
        );
        assert!(photos.find("nope.jpg", false).is_none());
        assert_eq!(
            photos.find(RENAMED_PHOTO_NAMES[1], true),
            photos.find("sunrise.jpg", false)
        );
        assert!(photos.find("sunrise.jpg", true).is_none());
    }
}
