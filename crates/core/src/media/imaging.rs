//! Image tiers (pure, synchronous; `upload.rs` runs [`make_tiers`] on `spawn_blocking`).
//!
//! Rules (ARCHITECTURE.md, "Image tiers are made on the sender"): large = shorter side 720,
//! thumbnail = shorter side 198, both from the displayed (post-EXIF) size; a tier whose target
//! is not below the original's shorter side is the original itself; GIF tiers come from the
//! first frame; tiers are JPEG q85 4:2:0 with alpha flattened on white; decompression bombs are
//! refused (7005) before anything large is allocated.
//!
//! How it is fast (see shared/guides/image-tier-measurements.md):
//! - JPEG is decoded by `jpeg-decoder` with DCT-domain scaling (1/2, 1/4, 1/8 at decode time),
//!   choosing the largest shrink that still leaves at least twice the largest tier to make, like
//!   libvips and Pillow do. Anything that path does not handle (CMYK, 12/16-bit, arithmetic
//!   coding, a stream it rejects) goes through `image` like every other format.
//! - Resizing is `fast_image_resize` (Lanczos3, SIMD chosen at run time); the thumbnail is made
//!   from the large tier, not from the original.
//! - EXIF orientation is applied to the small results, after resizing (the short-side rule does
//!   not change under rotation, so tier sizes are computed in stored orientation).
//! - Encoding is `jpeg-encoder` (SIMD), q85 with 4:2:0 chroma subsampling.
//! - A second core is used where it is free: jpeg-decoder runs the IDCT of each colour component on
//!   its own thread (rayon is off), and the large tier is encoded while the thumbnail is made.
use std::io::Cursor;

use fast_image_resize as fr;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use crate::error::{Error, Result};

/// Short side of the large tier and of the thumbnail.
pub const LARGE_SIDE: u32 = 720;
pub const THUMB_SIDE: u32 = 198;
/// Decoder limits: no side above this, and no decode buffer above `MAX_DECODE_BYTES`.
pub const MAX_SIDE: u32 = 30_000;
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
/// JPEG quality of the tiers.
const QUALITY: u8 = 85;

/// The size of a tier whose shorter side becomes `target`, or None when the image's shorter
/// side is not above `target` (the tier is then the original itself).
pub fn tier_size(w: u32, h: u32, target: u32) -> Option<(u32, u32)> {
    let short = w.min(h);
    if short <= target {
        return None;
    }
    let scale = |long: u32| ((u64::from(long) * u64::from(target) + u64::from(short) / 2) / u64::from(short)) as u32;
    Some(if w <= h { (target, scale(h).max(1)) } else { (scale(w).max(1), target) })
}

/// One encoded tier.
#[derive(Debug, Clone)]
pub struct Tier {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// What sending an image needs: the original's displayed size and format, and the large and
/// thumbnail tiers when they differ from the original.
#[derive(Debug, Clone)]
pub struct ImageTiers {
    pub width: u32,
    pub height: u32,
    /// TIM image format: 1 JPG, 2 GIF, 3 PNG, 4 BMP, 255 other.
    pub format: i32,
    pub large: Option<Tier>,
    pub thumb: Option<Tier>,
}

fn format_code(f: ImageFormat) -> i32 {
    match f {
        ImageFormat::Jpeg => 1,
        ImageFormat::Gif => 2,
        ImageFormat::Png => 3,
        ImageFormat::Bmp => 4,
        _ => 255,
    }
}

fn limit_err(e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(_) => Error::FileTooLarge,
        _ => Error::NotImage,
    }
}

/// Decoded 8-bit pixels, row-major: 1 channel (grey) or 3 (RGB).
struct Raster {
    width: u32,
    height: u32,
    channels: u8,
    px: Vec<u8>,
}

impl Raster {
    fn pixel_type(&self) -> fr::PixelType {
        if self.channels == 1 {
            fr::PixelType::U8
        } else {
            fr::PixelType::U8x3
        }
    }
}

/// Decode `bytes` (JPEG, PNG, GIF's first frame, WebP, BMP) under explicit limits — a header
/// claiming more than [`MAX_SIDE`] or a decode buffer above [`MAX_DECODE_BYTES`] is refused
/// before anything is allocated (7005) — and make the tiers. Blocking: run on `spawn_blocking`.
pub fn make_tiers(bytes: &[u8]) -> Result<ImageTiers> {
    let format = image::guess_format(bytes).map_err(|_| Error::NotImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP | ImageFormat::Bmp)
    {
        return Err(Error::NotImage);
    }
    if format == ImageFormat::Jpeg {
        if let Some(t) = jpeg_tiers(bytes)? {
            return Ok(t);
        }
    }
    generic_tiers(bytes, format)
}

/// The largest DCT shrink (8, 4, 2 or 1) that leaves the shorter side at least twice `target`.
fn pick_shrink(w: u32, h: u32, target: u32) -> u32 {
    let short = w.min(h);
    [8, 4, 2].into_iter().find(|s| short.div_ceil(*s) >= 2 * target).unwrap_or(1)
}

/// The fast JPEG path: scaled decode with `jpeg-decoder`. `Ok(None)` when this path does not
/// apply (the caller then decodes with `image`); `Err` when the image is refused.
fn jpeg_tiers(bytes: &[u8]) -> Result<Option<ImageTiers>> {
    use jpeg_decoder::{CodingProcess, Decoder, PixelFormat};
    let mut d = Decoder::new(Cursor::new(bytes));
    if d.read_info().is_err() {
        return Ok(None);
    }
    let Some(info) = d.info() else { return Ok(None) };
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w == 0 || h == 0 {
        return Ok(None);
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::FileTooLarge);
    }
    let channels: u8 = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        // CMYK and 16-bit grey are rare (print assets, lossless): `image` converts them.
        _ => return Ok(None),
    };
    if !matches!(info.coding_process, CodingProcess::DctSequential | CodingProcess::DctProgressive) {
        return Ok(None);
    }
    let target = if tier_size(w, h, LARGE_SIDE).is_some() { LARGE_SIDE } else { THUMB_SIDE };
    let shrink = pick_shrink(w, h, target);
    let (sw, sh) = (w.div_ceil(shrink), h.div_ceil(shrink));
    // What the decoder will hold: per-component planes and the interleaved output at the
    // scaled size, plus, for a progressive stream, every DCT coefficient at full size (i16 per
    // sample, blocks rounded up to the largest MCU).
    let comps = u64::from(channels);
    let mut need = u64::from(sw) * u64::from(sh) * comps * 2;
    if info.coding_process == CodingProcess::DctProgressive {
        need += u64::from(w.next_multiple_of(16)) * u64::from(h.next_multiple_of(16)) * comps * 2;
    }
    if need > MAX_DECODE_BYTES {
        return Err(Error::FileTooLarge);
    }
    d.set_max_decoding_buffer_size(MAX_DECODE_BYTES as usize);
    if shrink > 1 {
        match d.scale(sw as u16, sh as u16) {
            Ok((ow, oh)) if (u32::from(ow), u32::from(oh)) == (sw, sh) => {}
            _ => return Ok(None),
        }
    }
    let Ok(px) = d.decode() else { return Ok(None) };
    if px.len() != sw as usize * sh as usize * usize::from(channels) {
        return Ok(None);
    }
    let orientation = d.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let src = Raster { width: sw, height: sh, channels, px };
    tiers_from(src, (w, h), orientation, format_code(ImageFormat::Jpeg)).map(Some)
}

/// Every other format (and JPEGs the fast path leaves alone): `image` decode under limits.
fn generic_tiers(bytes: &[u8], format: ImageFormat) -> Result<ImageTiers> {
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader.into_decoder().map_err(limit_err)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(Error::NotImage);
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::FileTooLarge);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.set_limits(limits.clone()).map_err(limit_err)?;
    // `from_decoder` does not enforce max_alloc itself: reserve the output buffer by hand.
    limits.reserve(decoder.total_bytes()).map_err(|_| Error::FileTooLarge)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(limit_err)?;
    tiers_from(raster_of(img), (w, h), orientation, format_code(format))
}

/// 8-bit grey or RGB pixels, any alpha composited over white (tiers are JPEG). Compositing
/// before resizing gives the same result as resizing premultiplied pixels and compositing after.
fn raster_of(img: DynamicImage) -> Raster {
    let (width, height) = (img.width(), img.height());
    let grey = |px: Vec<u8>| Raster { width, height, channels: 1, px };
    let rgb = |px: Vec<u8>| Raster { width, height, channels: 3, px };
    match img {
        DynamicImage::ImageLuma8(g) => grey(g.into_raw()),
        DynamicImage::ImageRgb8(c) => rgb(c.into_raw()),
        DynamicImage::ImageLuma16(_) => grey(img.into_luma8().into_raw()),
        other if !other.color().has_alpha() => rgb(other.into_rgb8().into_raw()),
        other => {
            let rgba = other.into_rgba8().into_raw();
            let mut px = Vec::with_capacity(rgba.len() / 4 * 3);
            for p in rgba.chunks_exact(4) {
                let a = u32::from(p[3]);
                for &c in &p[..3] {
                    px.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
                }
            }
            rgb(px)
        }
    }
}

/// Make both tiers from `src`, which is the image in stored orientation, either at its full
/// size `full` or pre-shrunk (then `full` still decides the tier sizes).
fn tiers_from(src: Raster, full: (u32, u32), orientation: Orientation, format: i32) -> Result<ImageTiers> {
    let (w, h) = full;
    use Orientation as O;
    let swaps = matches!(orientation, O::Rotate90 | O::Rotate270 | O::Rotate90FlipH | O::Rotate270FlipH);
    let (dw, dh) = if swaps { (h, w) } else { (w, h) };
    // A small image that needs rotating still gets its own tiers, so every tier shows upright.
    // (No large tier means the image was decoded at full size: shrinking needs a large tier.)
    let needs_own = orientation != O::NoTransforms;
    let mut resizer = fr::Resizer::new();
    let large_px = tier_size(w, h, LARGE_SIDE).map(|(lw, lh)| resize(&mut resizer, &src, lw, lh)).transpose()?;
    // The large tier is encoded on a second thread while the thumbnail is made from it.
    let (large, thumb) = std::thread::scope(|s| {
        let large_job = s.spawn(|| match &large_px {
            Some(l) => encode(l, orientation).map(Some),
            None if needs_own => encode(&src, orientation).map(Some),
            None => Ok(None),
        });
        let thumb = tier_size(w, h, THUMB_SIDE)
            .map(|(tw, th)| resize(&mut resizer, large_px.as_ref().unwrap_or(&src), tw, th))
            .transpose()
            .and_then(|t| t.as_ref().map(|t| encode(t, orientation)).transpose());
        let large = large_job.join().unwrap_or_else(|_| Err(Error::Io("tier encoder panicked".into())));
        (large, thumb)
    });
    let large = large?;
    let thumb = match thumb? {
        Some(t) => Some(t),
        None if needs_own => large.clone(),
        None => None,
    };
    Ok(ImageTiers { width: dw, height: dh, format, large, thumb })
}

fn resize(resizer: &mut fr::Resizer, src: &Raster, w: u32, h: u32) -> Result<Raster> {
    let err = |e: String| Error::Io(format!("resize: {e}"));
    let from =
        fr::images::ImageRef::new(src.width, src.height, &src.px, src.pixel_type()).map_err(|e| err(e.to_string()))?;
    let mut to = fr::images::Image::new(w, h, src.pixel_type());
    let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    resizer.resize(&from, &mut to, &opts).map_err(|e| err(e.to_string()))?;
    Ok(Raster { width: w, height: h, channels: src.channels, px: to.into_vec() })
}

/// A small result rotated/flipped to its displayed orientation (None: already upright).
fn orient(r: &Raster, orientation: Orientation) -> Result<Option<Raster>> {
    if orientation == Orientation::NoTransforms {
        return Ok(None);
    }
    let bad = || Error::Io("raster size".into());
    let mut img = if r.channels == 1 {
        DynamicImage::ImageLuma8(GrayImage::from_raw(r.width, r.height, r.px.clone()).ok_or_else(bad)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(r.width, r.height, r.px.clone()).ok_or_else(bad)?)
    };
    img.apply_orientation(orientation);
    Ok(Some(Raster { width: img.width(), height: img.height(), channels: r.channels, px: img.into_bytes() }))
}

/// JPEG q85, 4:2:0, no metadata (so no viewer rotates a tier a second time).
fn encode(r: &Raster, orientation: Orientation) -> Result<Tier> {
    let rotated = orient(r, orientation)?;
    let r = rotated.as_ref().unwrap_or(r);
    let (Ok(w), Ok(h)) = (u16::try_from(r.width), u16::try_from(r.height)) else {
        return Err(Error::FileTooLarge);
    };
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, QUALITY);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    let color = if r.channels == 1 { jpeg_encoder::ColorType::Luma } else { jpeg_encoder::ColorType::Rgb };
    enc.encode(&r.px, w, h, color).map_err(|e| Error::Io(format!("encode: {e}")))?;
    Ok(Tier { bytes: out, width: r.width, height: r.height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_sizes_follow_the_short_side_rule() {
        assert_eq!(tier_size(4000, 3000, LARGE_SIDE), Some((960, 720)));
        assert_eq!(tier_size(4000, 3000, THUMB_SIDE), Some((264, 198)));
        assert_eq!(tier_size(3000, 4000, THUMB_SIDE), Some((198, 264)));
        assert_eq!(tier_size(720, 1000, LARGE_SIDE), None);
        assert_eq!(tier_size(198, 198, THUMB_SIDE), None);
        assert_eq!(tier_size(100, 50, THUMB_SIDE), None);
        assert_eq!(tier_size(4000, 300, THUMB_SIDE), Some((2640, 198)));
        assert_eq!(tier_size(1000, 800, THUMB_SIDE), Some((248, 198)));
    }

    #[test]
    fn garbage_is_not_an_image() {
        assert!(matches!(make_tiers(b"hello"), Err(Error::NotImage)));
    }

    /// A smooth, photo-like RGB test image: gradients plus a left/right colour split.
    fn photo(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let g = ((x * 40 / w) + (y * 40 / h)) as u8;
            if x < w / 2 {
                image::Rgb([200 + g / 2, 20 + g / 3, 20])
            } else {
                image::Rgb([20, 20 + g / 3, 200 + g / 2])
            }
        })
    }

    /// A baseline 4:2:0 JPEG, as phones write them.
    fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, quality);
        enc.encode(img.as_raw(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    /// The same with an EXIF APP1 segment carrying `orientation`.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"II\x2a\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn decoded(t: &Tier) -> RgbImage {
        let img = image::load_from_memory(&t.bytes).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (t.width, t.height), "announced size is the real size");
        img
    }

    fn is_red(p: image::Rgb<u8>) -> bool {
        p[0] > 170 && p[2] < 70
    }
    fn is_blue(p: image::Rgb<u8>) -> bool {
        p[2] > 170 && p[0] < 70
    }

    #[test]
    fn shrink_leaves_twice_the_target() {
        assert_eq!(pick_shrink(4000, 3000, LARGE_SIDE), 2); // 1500 >= 1440, 750 < 1440
        assert_eq!(pick_shrink(8000, 6000, LARGE_SIDE), 4);
        assert_eq!(pick_shrink(30000, 20000, LARGE_SIDE), 8);
        assert_eq!(pick_shrink(1600, 1200, LARGE_SIDE), 1);
        assert_eq!(pick_shrink(1000, 800, THUMB_SIDE), 2); // 400 >= 396
        assert_eq!(pick_shrink(600, 1000, THUMB_SIDE), 1);
    }

    #[test]
    fn scaled_jpeg_decode_gives_exact_tier_sizes_and_right_pixels() {
        let bytes = jpeg(&photo(4000, 3000), 90);
        assert!(jpeg_tiers(&bytes).unwrap().is_some(), "scaled-decode path");
        let t = make_tiers(&bytes).unwrap();
        assert_eq!((t.width, t.height, t.format), (4000, 3000, 1));
        let large = t.large.as_ref().unwrap();
        let thumb = t.thumb.as_ref().unwrap();
        assert_eq!((large.width, large.height), (960, 720));
        assert_eq!((thumb.width, thumb.height), (264, 198));
        for tier in [large, thumb] {
            let img = decoded(tier);
            let (w, h) = (img.width(), img.height());
            assert!(is_red(*img.get_pixel(w / 8, h / 2)), "{:?}", img.get_pixel(w / 8, h / 2));
            assert!(is_blue(*img.get_pixel(w * 7 / 8, h / 2)), "{:?}", img.get_pixel(w * 7 / 8, h / 2));
            // The split stays where it was (no shift from the pre-shrink).
            assert!(is_red(*img.get_pixel(w / 2 - 3, h / 3)) && is_blue(*img.get_pixel(w / 2 + 3, h / 3)));
            // 4:2:0 output, like phones and libvips write.
            let sof = tier.bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline SOF");
            assert_eq!(tier.bytes[sof + 11], 0x22, "luma sampling 2x2");
        }
    }

    #[test]
    fn exif_6_jpeg_gives_rotated_tiers() {
        let bytes = with_orientation(&jpeg(&photo(4000, 3000), 90), 6);
        assert!(jpeg_tiers(&bytes).unwrap().is_some(), "scaled-decode path");
        let t = make_tiers(&bytes).unwrap();
        assert_eq!((t.width, t.height), (3000, 4000), "displayed size");
        let large = t.large.as_ref().unwrap();
        let thumb = t.thumb.as_ref().unwrap();
        assert_eq!((large.width, large.height), (720, 960));
        assert_eq!((thumb.width, thumb.height), (198, 264));
        for tier in [large, thumb] {
            let img = decoded(tier);
            let (w, h) = (img.width(), img.height());
            // Rotated 90° clockwise: the stored left (red) half is now on top.
            assert!(is_red(*img.get_pixel(w / 2, h / 8)), "{:?}", img.get_pixel(w / 2, h / 8));
            assert!(is_blue(*img.get_pixel(w / 2, h * 7 / 8)), "{:?}", img.get_pixel(w / 2, h * 7 / 8));
        }
    }

    #[test]
    fn progressive_and_grey_jpegs_take_the_fast_path_too() {
        let grey = GrayImage::from_fn(2000, 1600, |x, _| image::Luma([if x < 1000 { 30 } else { 220 }]));
        let mut bytes = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 90);
        enc.set_progressive(true);
        enc.encode(grey.as_raw(), 2000, 1600, jpeg_encoder::ColorType::Luma).unwrap();
        assert!(jpeg_tiers(&bytes).unwrap().is_some(), "scaled-decode path");
        let t = make_tiers(&bytes).unwrap();
        let large = t.large.as_ref().unwrap();
        assert_eq!((large.width, large.height), (900, 720));
        let img = image::load_from_memory(&large.bytes).unwrap().to_luma8();
        assert!(img.get_pixel(100, 360)[0] < 60 && img.get_pixel(800, 360)[0] > 190);
        assert_eq!((t.thumb.as_ref().unwrap().width, t.thumb.as_ref().unwrap().height), (248, 198));
    }

    #[test]
    fn alpha_is_flattened_on_white() {
        let img = image::RgbaImage::from_fn(1000, 800, |x, _| {
            if x < 500 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([0, 0, 0, 255])
            }
        });
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        let t = make_tiers(&png).unwrap();
        let thumb = decoded(t.thumb.as_ref().unwrap());
        assert_eq!((thumb.width(), thumb.height()), (248, 198));
        assert!(thumb.get_pixel(20, 100).0.iter().all(|&c| c > 240), "transparent became white");
        assert!(thumb.get_pixel(228, 100).0.iter().all(|&c| c < 15), "opaque black stays black");
        let large = t.large.as_ref().unwrap();
        assert_eq!((large.width, large.height), (900, 720));
    }

    #[test]
    fn bombs_are_refused_from_the_header() {
        // A progressive JPEG claiming 30000 x 30000 would need 5.4 GB of coefficients.
        let mut b = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut b, 80);
        enc.set_progressive(true);
        enc.encode(&[128u8; 16 * 16 * 3], 16, 16, jpeg_encoder::ColorType::Rgb).unwrap();
        let sof = b.windows(2).position(|w| w == [0xFF, 0xC2]).expect("progressive SOF");
        b[sof + 5..sof + 7].copy_from_slice(&30000u16.to_be_bytes());
        b[sof + 7..sof + 9].copy_from_slice(&30000u16.to_be_bytes());
        assert!(matches!(jpeg_tiers(&b), Err(Error::FileTooLarge)), "refused by the scaled-decode path");
        assert!(matches!(make_tiers(&b), Err(Error::FileTooLarge)));
        // Above the side limit.
        b[sof + 5..sof + 7].copy_from_slice(&65000u16.to_be_bytes());
        assert!(matches!(make_tiers(&b), Err(Error::FileTooLarge)));
    }
}
