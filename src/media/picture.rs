//! Pictures from outside (an author's files, a cloud provider's answer, pictures inside an SVG): their format
//! and size are read from the header and refused past the limits before anything is decoded, and a picture is
//! decoded once with the decoders the renderer uses, so a picture bomb never reaches the renderer and a
//! damaged picture is named in an error instead of drawn as an empty box.
//!
//! The renderer (resvg) decodes a picture's every pixel at its full size, whatever size it is drawn at: a
//! 2.4 MB PNG declaring 50,000 x 50,000 pixels asks for 10 GB. [`MAX_PIXELS`] bounds what one decode holds
//! (128 MB of RGBA); an SVG's own pictures are held to the same limits while it is parsed.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use base64::Engine;
use resvg::{tiny_skia, usvg};

/// The most pixels a picture may have: 32 megapixels (a 6,900 x 4,600 photo), 128 MB decoded.
pub const MAX_PIXELS: u64 = 32_000_000;

/// The longest side a picture may have, in pixels.
pub const MAX_SIDE: u64 = 16_384;

/// The most pixels a GIF may have: the GIF decoder the renderer uses holds 50 MB (RGBA) at most.
pub const GIF_PIXELS: u64 = 12_000_000;

/// The kinds of picture the renderer draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
    Svg,
}

impl Format {
    /// The MIME type a data URL of the picture names.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Svg => "image/svg+xml",
        }
    }

    /// The format of `bytes`, by their first bytes.
    pub fn of(bytes: &[u8]) -> Option<Format> {
        let head = &bytes[..bytes.len().min(512)];
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{FEFF}').trim_start();
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else if text.starts_with("<svg") || text.starts_with("<?xml") || text.starts_with("<!--")
        {
            Some(Format::Svg)
        } else {
            None
        }
    }
}

/// Why a picture is not drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PictureError {
    #[error("it is empty")]
    Empty,
    #[error("it is not a PNG, JPEG, GIF, WebP or SVG picture")]
    Unknown,
    #[error(
        "it is {width} x {height} pixels; pictures of at most {} megapixels and {MAX_SIDE} pixels a side are \
         drawn: scale it down",
        MAX_PIXELS / 1_000_000
    )]
    TooLarge { width: u64, height: u64 },
    #[error(
        "it is a GIF of {width} x {height} pixels; GIFs of at most {} megapixels are drawn: convert it to PNG",
        GIF_PIXELS / 1_000_000
    )]
    GifTooLarge { width: u64, height: u64 },
    #[error("it cannot be decoded ({0}); it is damaged or cut short")]
    Damaged(String),
}

/// A raster picture's size from its header, checked against the limits; `None` for an SVG.
pub fn check_header(bytes: &[u8]) -> Result<(Format, Option<(u64, u64)>), PictureError> {
    if bytes.is_empty() {
        return Err(PictureError::Empty);
    }
    let format = Format::of(bytes).ok_or(PictureError::Unknown)?;
    if format == Format::Svg {
        return Ok((format, None));
    }
    let size = imagesize::blob_size(bytes).map_err(|e| PictureError::Damaged(e.to_string()))?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width == 0 || height == 0 {
        return Err(PictureError::Damaged("it has no pixels".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS {
        return Err(PictureError::TooLarge { width, height });
    }
    if format == Format::Gif && width * height > GIF_PIXELS {
        return Err(PictureError::GifTooLarge { width, height });
    }
    Ok((format, Some((width, height))))
}

/// What a picture that can be drawn is, and what in it will not be drawn (an SVG's own pictures that are
/// damaged, too large or files elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub format: Format,
    pub left_out: Vec<String>,
    /// What the SVG library said about it (an unsupported element, a font it lacks).
    pub warnings: Vec<String>,
}

/// Checks that `bytes` are a picture the renderer draws, within the limits, by decoding it as the renderer
/// will (an SVG is parsed, and its own pictures checked).
pub fn check(bytes: &[u8]) -> Result<Checked, PictureError> {
    let (format, size) = check_header(bytes)?;
    let damaged = |what: &str| PictureError::Damaged(what.to_string());
    let mut left_out = Vec::new();
    let mut warnings = Vec::new();
    match format {
        Format::Png => {
            tiny_skia::Pixmap::decode_png(bytes).map_err(|e| damaged(&e.to_string()))?;
        }
        Format::Jpeg => {
            use zune_jpeg::zune_core::colorspace::ColorSpace;
            use zune_jpeg::zune_core::options::DecoderOptions;
            let (width, height) = size.expect("raster pictures have a size");
            let options = DecoderOptions::default()
                .jpeg_set_out_colorspace(ColorSpace::RGBA)
                .set_max_width(width as usize)
                .set_max_height(height as usize);
            let mut decoder = zune_jpeg::JpegDecoder::new_with_options(Cursor::new(bytes), options);
            decoder.decode().map_err(|e| damaged(&e.to_string()))?;
        }
        Format::Gif => {
            let mut options = gif::DecodeOptions::new();
            options.set_color_output(gif::ColorOutput::RGBA);
            let mut decoder = options
                .read_info(bytes)
                .map_err(|e| damaged(&e.to_string()))?;
            let frame = decoder
                .read_next_frame()
                .map_err(|e| damaged(&e.to_string()))?;
            if frame.is_none() {
                return Err(damaged("it has no frame"));
            }
        }
        Format::Webp => {
            let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes))
                .map_err(|e| damaged(&e.to_string()))?;
            let length = decoder
                .output_buffer_size()
                .ok_or_else(|| damaged("its size does not fit in memory"))?;
            let mut first_frame = vec![0; length];
            decoder
                .read_image(&mut first_frame)
                .map_err(|e| damaged(&e.to_string()))?;
        }
        Format::Svg => {
            let problems = Arc::new(Mutex::new(Vec::new()));
            // Parsed as the renderer will parse it (its fonts), its pictures checked and noted.
            let drawn = super::slide::options();
            let options = usvg::Options {
                image_href_resolver: resolver(Some(problems.clone())),
                fontdb: drawn.fontdb.clone(),
                font_family: drawn.font_family.clone(),
                ..usvg::Options::default()
            };
            let (parsed, said) = crate::sys::logging::collect_svg_warnings(|| {
                usvg::Tree::from_data(bytes, &options)
            });
            parsed.map_err(|e| damaged(&e.to_string()))?;
            warnings = said;
            left_out = std::mem::take(&mut *problems.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
    Ok(Checked {
        format,
        left_out,
        warnings,
    })
}

/// How a picture looks: its size, and whether it is dark lines on a clear ground (a diagram exported from
/// draw.io, a black-line logo), which a dark slide would swallow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub width: f32,
    pub height: f32,
    pub dark_on_clear: bool,
}

/// How `bytes` look, from a thumbnail drawn as the slide draws them; `None` when they cannot be drawn.
pub fn look(bytes: &[u8]) -> Option<Look> {
    let format = Format::of(bytes)?;
    let options = super::slide::options();
    let (width, height) = match format {
        Format::Svg => {
            let size = usvg::Tree::from_data(bytes, options).ok()?.size();
            (size.width(), size.height())
        }
        _ => {
            let (_, size) = check_header(bytes).ok()?;
            let (w, h) = size?;
            (w as f32, h as f32)
        }
    };
    if !(width > 0.0 && height > 0.0) {
        return None;
    }
    const THUMB: f32 = 64.0;
    let scale = THUMB / width.max(height);
    let (w, h) = (
        (width * scale).ceil().max(1.0),
        (height * scale).ceil().max(1.0),
    );
    let wrapper = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\"><image width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" href=\"data:{};base64,{}\"/></svg>",
        format.mime(),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    let tree = usvg::Tree::from_str(&wrapper, options).ok()?;
    let mut pixmap = tiny_skia::Pixmap::new(w as u32, h as u32)?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let pixels = pixmap.pixels();
    let clear = pixels.iter().filter(|p| p.alpha() < 32).count();
    let inked: Vec<f32> = pixels
        .iter()
        .filter(|p| p.alpha() >= 32)
        .map(|p| {
            let c = p.demultiply();
            (0.2126 * f32::from(c.red())
                + 0.7152 * f32::from(c.green())
                + 0.0722 * f32::from(c.blue()))
                / 255.0
        })
        .collect();
    let mean = inked.iter().sum::<f32>() / inked.len().max(1) as f32;
    Some(Look {
        width,
        height,
        dark_on_clear: clear * 5 > pixels.len() && !inked.is_empty() && mean < 0.4,
    })
}

/// How the renderer resolves an SVG's `<image>` references: data URLs only, each checked ([`check`] when
/// `problems` collects what is left out, else the header alone); files and URLs are never read.
pub fn resolver(problems: Option<Arc<Mutex<Vec<String>>>>) -> usvg::ImageHrefResolver<'static> {
    let noted = problems.clone();
    let note = move |what: String| {
        if let Some(problems) = &noted {
            problems
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(what);
        }
    };
    let note_string = note.clone();
    usvg::ImageHrefResolver {
        resolve_data: Box::new(move |_mime, data, options| {
            let checked = if problems.is_some() {
                check(&data).map(|c| c.format)
            } else {
                check_header(&data).map(|(format, _)| format)
            };
            match checked {
                Ok(Format::Png) => Some(usvg::ImageKind::PNG(data)),
                Ok(Format::Jpeg) => Some(usvg::ImageKind::JPEG(data)),
                Ok(Format::Gif) => Some(usvg::ImageKind::GIF(data)),
                Ok(Format::Webp) => Some(usvg::ImageKind::WEBP(data)),
                Ok(Format::Svg) => usvg::Tree::from_data_nested(&data, options)
                    .ok()
                    .map(usvg::ImageKind::SVG),
                Err(err) => {
                    note(format!("a picture inside it: {err}"));
                    None
                }
            }
        }),
        resolve_string: Box::new(move |href, _| {
            let shown = crate::sys::shown::value(href);
            note_string(format!(
                "{shown}: a file or address it refers to is not read"
            ));
            None
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_lines_on_a_clear_ground_are_told_from_pictures_with_their_own_ground() {
        let lines = br#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><path d="M10 10 L190 90" stroke="black" stroke-width="6"/></svg>"#;
        let look = look(lines).unwrap();
        assert!(look.dark_on_clear, "{look:?}");
        assert_eq!((look.width, look.height), (200.0, 100.0));
        let filled = br#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="white"/><path d="M10 10 L190 90" stroke="black"/></svg>"#;
        assert!(!look_of(filled));
        let white_lines = br#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><path d="M10 10 L190 90" stroke="white" stroke-width="6"/></svg>"#;
        assert!(!look_of(white_lines));
    }

    fn look_of(bytes: &[u8]) -> bool {
        look(bytes).unwrap().dark_on_clear
    }

    /// A PNG of 64 x 32 pixels.
    fn small_png() -> Vec<u8> {
        tiny_skia::Pixmap::new(64, 32)
            .unwrap()
            .encode_png()
            .unwrap()
    }

    /// `png` with its header saying it is `width` x `height` pixels (its pixels are never decoded).
    fn declaring(png: &[u8], width: u32, height: u32) -> Vec<u8> {
        let mut bomb = png.to_vec();
        bomb[16..20].copy_from_slice(&width.to_be_bytes());
        bomb[20..24].copy_from_slice(&height.to_be_bytes());
        bomb
    }

    #[test]
    fn pictures_are_checked_from_their_header_before_they_are_decoded() {
        let good = small_png();
        assert_eq!(check(&good).unwrap().format, Format::Png);
        // A bomb is refused from its header: nothing is decoded.
        assert_eq!(
            check(&declaring(&good, 50_000, 50_000)),
            Err(PictureError::TooLarge {
                width: 50_000,
                height: 50_000
            })
        );
        assert!(matches!(
            check(&declaring(&good, 20_000, 10)),
            Err(PictureError::TooLarge { .. })
        ));
        // A GIF the renderer's decoder would refuse (50 MB of RGBA at most).
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[
            0xA0, 0x0F, 0xA0, 0x0F, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, 0x3B,
        ]);
        assert_eq!(
            check(&gif),
            Err(PictureError::GifTooLarge {
                width: 4000,
                height: 4000
            })
        );
        // Cut short, empty, or not a picture at all.
        assert!(matches!(
            check(&good[..good.len() - 20]),
            Err(PictureError::Damaged(_))
        ));
        assert!(matches!(
            check(b"\x89PNG\r\n\x1a\n"),
            Err(PictureError::Damaged(_))
        ));
        assert_eq!(
            check(b"root:x:0:0:root:/root:/bin/bash\n"),
            Err(PictureError::Unknown)
        );
        assert_eq!(check(b""), Err(PictureError::Empty));
        assert!(matches!(
            check(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]),
            Err(PictureError::Damaged(_))
        ));
    }

    #[test]
    fn an_svgs_own_pictures_are_held_to_the_same_limits_and_files_are_never_read() {
        use base64::Engine;
        let data = |png: &[u8]| base64::engine::general_purpose::STANDARD.encode(png);
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">\
             <image width=\"10\" height=\"10\" href=\"data:image/png;base64,{}\"/>\
             <image width=\"10\" height=\"10\" href=\"data:image/png;base64,{}\"/>\
             <image width=\"10\" height=\"10\" href=\"/dev/zero\"/></svg>",
            data(&small_png()),
            data(&declaring(&small_png(), 50_000, 50_000)),
        );
        let checked = check(svg.as_bytes()).unwrap();
        assert_eq!(checked.format, Format::Svg);
        assert_eq!(checked.left_out.len(), 2, "{:?}", checked.left_out);
        assert!(checked.left_out[0].contains("50000 x 50000 pixels"));
        assert!(checked.left_out[1].contains("/dev/zero: a file or address"));
    }
}
