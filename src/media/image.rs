//! Turning an uploaded photo into what is stored: decoded under explicit
//! limits (a small file may declare a huge canvas), turned upright by its
//! EXIF orientation, and re-encoded as a plain JPEG that carries no metadata
//! at all (no EXIF, so no GPS position, device serial or capture time; no
//! XMP, no ICC profile). Pure computation: callers run it off the async
//! runtime.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The media types an upload may have; anything else is refused (415). HEIC
/// is not among them: the app converts it before uploading.
pub const ACCEPTED: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Largest width or height a photo may declare.
pub const MAX_SIDE: u32 = 10_000;
/// Most memory one decode may allocate (a 10000 × 6000 RGB photo is 180 MB).
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// Long side of a thumbnail.
pub const THUMB_SIDE: u32 = 512;
const QUALITY: u8 = 85;

/// Why an upload cannot be stored.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not one of [`ACCEPTED`].
    #[error("unsupported media type")]
    UnsupportedType,
    /// Larger than the limits allow once decoded (a decompression bomb).
    #[error("the image is too large once decoded (at most {MAX_SIDE} pixels a side)")]
    TooLarge,
    /// Not a readable image of the declared type.
    #[error("the body is not a readable {0} image")]
    Unreadable(&'static str),
    #[error("could not encode the photo: {0}")]
    Encode(String),
}

/// A processed photo: the full image and its thumbnail, both JPEG.
#[derive(Debug)]
pub struct Processed {
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The image format of an accepted media type (parameters ignored).
pub fn format_of(content_type: &str) -> Result<ImageFormat, PhotoError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/jpeg" => Ok(ImageFormat::Jpeg),
        "image/png" => Ok(ImageFormat::Png),
        "image/webp" => Ok(ImageFormat::WebP),
        _ => Err(PhotoError::UnsupportedType),
    }
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        _ => "JPEG",
    }
}

fn refusal(format: ImageFormat, e: ImageError) -> PhotoError {
    match e {
        ImageError::Limits(l) if matches!(l.kind(), LimitErrorKind::DimensionError) => {
            PhotoError::TooLarge
        }
        ImageError::Limits(_) => PhotoError::TooLarge,
        _ => PhotoError::Unreadable(name(format)),
    }
}

/// Decodes `bytes` as `format` under the limits, upright.
pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| refusal(format, e))?;
    // The dimensions were checked against the limits above; this checks the
    // buffer the decode will need before it is allocated.
    let (w, h) = decoder.dimensions();
    let need = u64::from(w) * u64::from(h) * u64::from(decoder.color_type().bytes_per_pixel());
    if w == 0 || h == 0 {
        return Err(PhotoError::Unreadable(name(format)));
    }
    if need > MAX_ALLOC {
        return Err(PhotoError::TooLarge);
    }
    // A broken orientation tag is no reason to refuse the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| refusal(format, e))?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn jpeg(img: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    // JPEG has no alpha: flatten to RGB. The encoder writes only the image
    // (a JFIF header, no EXIF or ICC unless asked for, and it is not).
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes, orients and re-encodes an upload, with its thumbnail.
pub fn process(bytes: &[u8], content_type: &str) -> Result<Processed, PhotoError> {
    let format = format_of(content_type)?;
    let img = decode(bytes, format)?;
    let thumb = if img.width().max(img.height()) > THUMB_SIDE {
        img.thumbnail(THUMB_SIDE, THUMB_SIDE)
    } else {
        img.clone()
    };
    Ok(Processed {
        full: jpeg(&img)?,
        thumb: jpeg(&thumb)?,
        width: img.width(),
        height: img.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::PngEncoder;
    use image::{ImageEncoder, Rgb, RgbImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| {
            if x < w / 2 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn accepted_types_only() {
        assert!(format_of("image/jpeg").is_ok());
        assert!(format_of("Image/PNG; charset=x").is_ok());
        assert_eq!(
            format_of("image/heic").unwrap_err(),
            PhotoError::UnsupportedType
        );
        assert!(format_of("application/octet-stream").is_err());
    }

    #[test]
    fn png_becomes_a_jpeg_with_a_small_thumbnail() {
        let p = process(&png(1200, 600), "image/png").unwrap();
        assert_eq!((p.width, p.height), (1200, 600));
        assert_eq!(&p.full[..2], &[0xFF, 0xD8]);
        let t = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((t.width(), t.height()), (512, 256));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn a_declared_giant_is_refused_before_decoding() {
        // A valid PNG header declaring 60000 × 60000 pixels (10 GB of RGB).
        let mut bytes = png(2, 2);
        bytes[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            process(&bytes, "image/png").unwrap_err(),
            PhotoError::TooLarge
        );
        // Within the side limit, over the allocation limit: 9000² RGB = 243 MB
        // fits, 9500² RGBA (PNG colour type 6) = 361 MB does not.
        bytes[16..20].copy_from_slice(&9_500u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&9_500u32.to_be_bytes());
        bytes[25] = 6;
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            process(&bytes, "image/png").unwrap_err(),
            PhotoError::TooLarge
        );
    }

    #[test]
    fn webp_is_accepted() {
        let img = RgbImage::from_pixel(30, 20, Rgb([10, 200, 30]));
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(img.as_raw(), 30, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        let p = process(&out, "image/webp").unwrap();
        assert_eq!((p.width, p.height), (30, 20));
    }

    #[test]
    fn garbage_is_unreadable() {
        assert_eq!(
            process(b"hello, not an image", "image/jpeg").unwrap_err(),
            PhotoError::Unreadable("JPEG")
        );
    }
}
