//! Media rules: size limits, content ids, what a message's media elements declare, image
//! headers read without decoding, HTTP ranges, signed download paths.
use std::path::Path;

use confab_protocol::Elem;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Image and sound up to 28 MB, file and video up to 100 MB (TIM limits, 7005).
pub const IMAGE_MAX: u64 = 28 * 1024 * 1024;
pub const FILE_MAX: u64 = 100 * 1024 * 1024;

/// The size limit of an upload kind (`image`, `sound`, `file`, `video`).
pub fn kind_limit(kind: &str) -> Option<u64> {
    match kind {
        "image" | "sound" => Some(IMAGE_MAX),
        "file" | "video" => Some(FILE_MAX),
        _ => None,
    }
}

/// A content id: the SHA-256 of the bytes, 64 lowercase hex digits.
pub fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Media is downloadable for `retention_secs` after its upload, unless swept already.
pub fn is_expired(retention_secs: u64, now: u64, created_at: i64, expired_at: Option<i64>) -> bool {
    expired_at.is_some() || created_at.saturating_add(retention_secs as i64) <= now as i64
}

/// The signature of a download path for `user`, valid until `exp` (HMAC-SHA256, app key).
pub fn url_sig(secret_key: &str, cid: &str, user: &str, exp: u64) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("any key length");
    m.update(format!("confab-media\n{cid}\n{user}\n{exp}").as_bytes());
    crate::util::hex(&m.finalize().into_bytes())
}

/// Percent-encode a query value.
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every content id an element array references.
pub fn elem_ids(elems: &[Elem]) -> Vec<&str> {
    let mut ids = Vec::new();
    for el in elems {
        match el {
            Elem::Image(i) => {
                ids.extend([&i.image_elem_orig_id, &i.image_elem_large_id, &i.image_elem_thumb_id].map(String::as_str))
            }
            Elem::Sound(s) => ids.push(s.sound_elem_file_id.as_str()),
            Elem::File(f) => ids.push(f.file_elem_file_id.as_str()),
            Elem::Video(v) => ids.extend([v.video_elem_video_id.as_str(), v.video_elem_image_id.as_str()]),
            _ => {}
        }
    }
    ids.retain(|i| !i.is_empty());
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What an element declares about one blob: its id, size and (images) width and height.
pub struct Declared<'a> {
    pub field: &'static str,
    pub id: &'a str,
    pub size: i128,
    pub dims: Option<(i128, i128)>,
    /// An image element's tiers must be images whose header we can read; a video snapshot's
    /// dimensions are checked when its header is one we read.
    pub must_be_image: bool,
}

/// The most pixels any declared image may have (what a 512 MiB RGBA decode buffer holds), and
/// the longest side.
pub const MAX_PIXELS: u64 = 128 * 1024 * 1024;
pub const MAX_SIDE: u32 = 30_000;

/// Whether an image of `w` x `h` (as its header says) is sane for the tier `field` names: every
/// receiver renders thumbnails and large pictures, so a "thumbnail" of 30000 x 30000 is a
/// decompression bomb, not a thumbnail. Thumbnails are made 198 px and large pictures 720 px
/// on their shorter side; twice that is allowed for other clients' choices.
pub fn check_tier_dims(field: &str, w: u32, h: u32) -> std::result::Result<(), String> {
    let short_max = match field {
        "image_elem_thumb_pic" => 2 * 198,
        "image_elem_large_pic" => 2 * 720,
        _ => MAX_SIDE,
    };
    if w.max(h) > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("{field}: a {w}x{h} image is too large to show"));
    }
    if w.min(h) > short_max {
        return Err(format!("{field}: a {w}x{h} image is too large for this tier"));
    }
    Ok(())
}

pub fn declared(elems: &[Elem]) -> Vec<Declared<'_>> {
    let mut out = Vec::new();
    for el in elems {
        match el {
            Elem::Image(i) => {
                let tiers = [
                    (
                        "image_elem_orig_pic",
                        &i.image_elem_orig_id,
                        i.image_elem_orig_pic_size,
                        i.image_elem_orig_pic_width,
                        i.image_elem_orig_pic_height,
                    ),
                    (
                        "image_elem_large_pic",
                        &i.image_elem_large_id,
                        i.image_elem_large_pic_size,
                        i.image_elem_large_pic_width,
                        i.image_elem_large_pic_height,
                    ),
                    (
                        "image_elem_thumb_pic",
                        &i.image_elem_thumb_id,
                        i.image_elem_thumb_pic_size,
                        i.image_elem_thumb_pic_width,
                        i.image_elem_thumb_pic_height,
                    ),
                ];
                for (field, id, size, w, h) in tiers {
                    out.push(Declared {
                        field,
                        id,
                        size: size.into(),
                        dims: Some((w.into(), h.into())),
                        must_be_image: true,
                    });
                }
            }
            Elem::Sound(x) => out.push(Declared {
                field: "sound_elem_file",
                id: &x.sound_elem_file_id,
                size: x.sound_elem_file_size.into(),
                dims: None,
                must_be_image: false,
            }),
            Elem::File(x) => out.push(Declared {
                field: "file_elem_file",
                id: &x.file_elem_file_id,
                size: x.file_elem_file_size.into(),
                dims: None,
                must_be_image: false,
            }),
            Elem::Video(v) => {
                out.push(Declared {
                    field: "video_elem_video",
                    id: &v.video_elem_video_id,
                    size: v.video_elem_video_size.into(),
                    dims: None,
                    must_be_image: false,
                });
                out.push(Declared {
                    field: "video_elem_image",
                    id: &v.video_elem_image_id,
                    size: v.video_elem_image_size.into(),
                    dims: Some((v.video_elem_image_width.into(), v.video_elem_image_height.into())),
                    must_be_image: false,
                });
            }
            _ => {}
        }
    }
    out.retain(|d| !d.id.is_empty());
    out
}

/// The width and height an image file's header declares (PNG IHDR, JPEG SOFn, GIF logical
/// screen, WebP VP8/VP8L/VP8X, BMP DIB header), without decoding any pixels; `None` when the
/// file is none of these or its header is cut short.
pub fn image_header_dims(path: &Path) -> std::io::Result<Option<(u32, u32)>> {
    image_dims_in(&mut std::fs::File::open(path)?)
}

/// [`image_header_dims`] of what `f` reads from its start.
pub fn image_dims_in<R: std::io::Read + std::io::Seek>(f: &mut R) -> std::io::Result<Option<(u32, u32)>> {
    use std::io::SeekFrom;
    let mut head = [0u8; 32];
    let n = read_full(f, &mut head)?;
    let h = &head[..n];
    let u16be = |b: &[u8], i: usize| u32::from(u16::from_be_bytes([b[i], b[i + 1]]));
    let u16le = |b: &[u8], i: usize| u32::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32le = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    if h.len() >= 24 && h.starts_with(b"\x89PNG\r\n\x1a\n") && &h[12..16] == b"IHDR" {
        let w = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        let hh = u32::from_be_bytes([h[20], h[21], h[22], h[23]]);
        return Ok(Some((w, hh)));
    }
    if h.len() >= 10 && (h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a")) {
        return Ok(Some((u16le(h, 6), u16le(h, 8))));
    }
    if h.len() >= 26 && h.starts_with(b"BM") {
        let dib = u32le(h, 14);
        if dib == 12 {
            return Ok(Some((u16le(h, 18), u16le(h, 20))));
        }
        let w = u32le(h, 18) as i32;
        let hh = u32le(h, 22) as i32;
        return Ok(Some((w.unsigned_abs(), hh.unsigned_abs())));
    }
    if h.len() >= 30 && h.starts_with(b"RIFF") && &h[8..12] == b"WEBP" {
        return Ok(match &h[12..16] {
            b"VP8 " if h[23..26] == [0x9d, 0x01, 0x2a] => Some((u16le(h, 26) & 0x3fff, u16le(h, 28) & 0x3fff)),
            b"VP8L" if h[20] == 0x2f => {
                let bits = u32le(h, 21);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => {
                let w = u32le(&[h[24], h[25], h[26], 0], 0) + 1;
                let hh = u32le(&[h[27], h[28], h[29], 0], 0) + 1;
                Some((w, hh))
            }
            _ => None,
        });
    }
    if h.len() >= 4 && h[0] == 0xFF && h[1] == 0xD8 {
        // Walk the segments to the first frame header (EXIF and ICC segments come before it).
        let mut pos = 2u64;
        for _ in 0..1000 {
            f.seek(SeekFrom::Start(pos))?;
            let mut m = [0u8; 2];
            if read_full(f, &mut m)? < 2 || m[0] != 0xFF {
                return Ok(None);
            }
            let marker = m[1];
            if marker == 0xFF {
                pos += 1; // fill byte
                continue;
            }
            if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
                pos += 2;
                continue;
            }
            let mut seg = [0u8; 7];
            if read_full(f, &mut seg)? < 7 {
                return Ok(None);
            }
            let len = u16be(&seg, 0);
            if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                return Ok(Some((u16be(&seg, 5), u16be(&seg, 3))));
            }
            if marker == 0xD9 || marker == 0xDA || len < 2 {
                return Ok(None);
            }
            pos += 2 + u64::from(len);
        }
        return Ok(None);
    }
    Ok(None)
}

fn read_full<R: std::io::Read>(f: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Parse `bytes=A-` or `bytes=A-B` against a file of `size` bytes: the inclusive range.
pub fn parse_range(v: &str, size: u64) -> Option<(u64, u64)> {
    let r = v.trim().strip_prefix("bytes=")?;
    let (a, b) = r.split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let last = size.checked_sub(1)?;
    let b: u64 = if b.trim().is_empty() { last } else { b.trim().parse::<u64>().ok()?.min(last) };
    (a <= b && b < size).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tiers_must_be_sane_to_show() {
        assert!(check_tier_dims("image_elem_thumb_pic", 264, 198).is_ok());
        assert!(check_tier_dims("image_elem_thumb_pic", 14_850, 198).is_ok(), "a panorama's thumbnail");
        assert!(check_tier_dims("image_elem_thumb_pic", 30_000, 30_000).is_err());
        assert!(check_tier_dims("image_elem_thumb_pic", 1000, 800).is_err());
        assert!(check_tier_dims("image_elem_large_pic", 960, 720).is_ok());
        assert!(check_tier_dims("image_elem_large_pic", 4000, 3000).is_err());
        assert!(check_tier_dims("image_elem_orig_pic", 12_000, 9_000).is_ok());
        assert!(check_tier_dims("image_elem_orig_pic", 30_000, 30_000).is_err(), "900 Mpx");
        assert!(check_tier_dims("image_elem_orig_pic", 30_001, 10).is_err());
    }

    #[test]
    fn a_range_over_an_empty_blob_is_refused() {
        // `size - 1` once underflowed here: a panic on a zero-byte blob.
        assert_eq!(parse_range("bytes=0-0", 0), None);
        assert_eq!(parse_range("bytes=0-", 0), None);
        assert_eq!(parse_range("bytes=0-10", 5), Some((0, 4)));
        assert_eq!(parse_range("bytes=3-", 5), Some((3, 4)));
        assert_eq!(parse_range("bytes=5-", 5), None);
    }

    proptest! {
        #[test]
        fn a_range_is_inside_the_blob_or_refused(v in "(bytes=)?[ 0-9]{0,4}-?[ 0-9]{0,4}|.{0,16}", size in 0u64..2000) {
            if let Some((a, b)) = parse_range(&v, size) {
                prop_assert!(a <= b && b < size);
            }
        }

        #[test]
        fn image_headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), magic in 0usize..6) {
            let heads: [&[u8]; 6] = [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"BM", b"RIFF\0\0\0\0WEBP", b"\xff\xd8"];
            let mut data = heads[magic].to_vec();
            data.extend(bytes);
            let _ = image_dims_in(&mut std::io::Cursor::new(data));
        }
    }
}
