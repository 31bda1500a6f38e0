//! The built-in `slides` image provider: draws a slide (title, the lecture's blocks, footer) to PNG
//! in-process.
//!
//! [`super::layout`] places everything on a canvas 1920 units wide; this module writes that as SVG and
//! rasterises it with resvg at the video's resolution, with the fonts compiled into the binary, so the same
//! slide gives the same bytes on every machine.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use resvg::{tiny_skia, usvg};

use super::MediaError;
use super::layout::{self, Element, Page};
use super::text::Face;
use super::theme::{Theme, paint, palette};
use crate::lecture::markdown::{Block, Item};

/// The renderer's version: part of every image key, bump it when the pictures change.
pub const VERSION: u32 = 6;

/// What one slide shows.
#[derive(Debug, Clone)]
pub struct SlideContent {
    pub course_title: String,
    pub chapter_title: String,
    /// Inline Markdown.
    pub title: String,
    /// The lecture's blocks on this slide (an outline script), else its bullets drawn as a list.
    pub blocks: Vec<Block>,
    /// 1-based position in the chapter, shown in the corner.
    pub number: usize,
}

impl SlideContent {
    /// The blocks to draw: the script's blocks, or its bullets as a list.
    pub fn from_script(blocks: &[Block], bullets: &[String]) -> Vec<Block> {
        if !blocks.is_empty() || bullets.is_empty() {
            return blocks.to_vec();
        }
        vec![Block::List {
            items: bullets
                .iter()
                .map(|text| Item {
                    text: text.clone(),
                    depth: 0,
                    number: None,
                    checked: None,
                })
                .collect(),
        }]
    }
}

/// Picture size and colours.
#[derive(Debug, Clone, Copy)]
pub struct SlideStyle {
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
}

/// A drawn slide, and what could not be drawn.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub png: Vec<u8>,
    /// Characters no bundled font has, left out.
    pub missing: BTreeSet<char>,
    /// The blocks did not fit even at the smallest sizes.
    pub overflow: bool,
}

/// Renders a slide to PNG. `images` gives the bytes of the local images its blocks name; `picture` is a
/// generated picture (from a cloud image provider) drawn beside the blocks.
pub fn render_png(
    content: &SlideContent,
    style: SlideStyle,
    picture: Option<&[u8]>,
    images: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Rendered, MediaError> {
    let height = layout::WIDTH * style.height as f32 / style.width as f32;
    // A course of one chapter titled as the course (a deck) names it once.
    let footer = if content.course_title == content.chapter_title {
        content.course_title.clone()
    } else {
        format!("{}  ·  {}", content.course_title, content.chapter_title)
    };
    let page = Page {
        title: &content.title,
        blocks: &content.blocks,
        footer: &footer,
        number: content.number,
        picture: picture.is_some(),
    };
    let laid = layout::layout(page, height, style.theme);
    let svg = svg(&laid.elements, style, height, picture, images);
    let tree =
        usvg::Tree::from_str(&svg, options()).map_err(|e| MediaError::Render(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(style.width, style.height)
        .ok_or_else(|| MediaError::Render("cannot allocate the picture".into()))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let png = pixmap
        .encode_png()
        .map_err(|e| MediaError::Render(e.to_string()))?;
    Ok(Rendered {
        png,
        missing: laid.missing,
        overflow: laid.overflow,
    })
}

/// The renderer's options: the bundled fonts, and pictures resolved under the picture limits.
pub(super) fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut fonts = usvg::fontdb::Database::new();
        // The compiled-in bytes themselves, not a copy on the heap.
        for face in Face::ALL {
            fonts.load_font_source(usvg::fontdb::Source::Binary(Arc::new(face.data())));
        }
        // A family no bundled font has (Helvetica, Arial, Calibri in a diagram exported from draw.io) is drawn
        // in DejaVu Sans: usvg falls back to the serif family, which is set to it, as are the others.
        fonts.set_sans_serif_family("DejaVu Sans");
        fonts.set_serif_family("DejaVu Sans");
        fonts.set_cursive_family("DejaVu Sans");
        fonts.set_fantasy_family("DejaVu Sans");
        fonts.set_monospace_family("DejaVu Sans Mono");
        usvg::Options {
            fontdb: Arc::new(fonts),
            font_family: "DejaVu Sans".into(),
            // The pictures in the slide, and theirs, are checked against the picture limits; no file is read.
            image_href_resolver: super::picture::resolver(None),
            ..usvg::Options::default()
        }
    })
}

/// `text` as XML character data or an attribute value (the slide's SVG, espeak-ng's SSML).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes the laid-out elements as an SVG document whose view box is the layout's canvas.
fn svg(
    elements: &[Element],
    style: SlideStyle,
    height: f32,
    picture: Option<&[u8]>,
    images: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> String {
    let colours = palette(style.theme);
    let width = layout::WIDTH;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {width} {height}\">\
<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">\
<stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"1\" stop-color=\"{}\"/></linearGradient></defs>\
<rect width=\"{width}\" height=\"{height}\" fill=\"url(#bg)\"/>",
        style.width, style.height, colours.background[0], colours.background[1]
    );
    for element in elements {
        match element {
            Element::Text {
                x,
                y,
                size,
                face,
                colour,
                text,
            } => {
                let _ = write!(
                    svg,
                    "<text x=\"{x:.2}\" y=\"{y:.2}\" font-size=\"{size:.2}\" {} fill=\"{}\" xml:space=\"preserve\">{}</text>",
                    face.svg_attributes(),
                    paint(*colour, &colours),
                    escape(text)
                );
            }
            Element::Rect {
                x,
                y,
                width,
                height,
                radius,
                colour,
            } => {
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{width:.2}\" height=\"{height:.2}\" rx=\"{radius:.2}\" fill=\"{}\"/>",
                    paint(*colour, &colours)
                );
            }
            Element::Path {
                points,
                width,
                colour,
            } => {
                let mut d = String::new();
                for (i, (px, py)) in points.iter().enumerate() {
                    let _ = write!(d, "{}{px:.2} {py:.2}", if i == 0 { "M" } else { " L" });
                }
                let _ = write!(
                    svg,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.2}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                    paint(*colour, &colours)
                );
            }
            Element::Image {
                x,
                y,
                width,
                height,
                src,
                opacity,
            } => {
                let bytes = if src.is_empty() {
                    picture.map(<[u8]>::to_vec)
                } else {
                    images(src)
                };
                match (bytes.as_deref())
                    .and_then(|b| Some((b, super::picture::Format::of(b)?.mime())))
                {
                    Some((bytes, mime)) => {
                        // A faint picture is a background: it fills its box, cropped, behind the text.
                        let faint = *opacity < 1.0;
                        let (x, y, width, height) = if style.theme == Theme::Dark && !faint {
                            light_card(&mut svg, bytes, (*x, *y, *width, *height))
                        } else {
                            (*x, *y, *width, *height)
                        };
                        let _ = write!(
                            svg,
                            "<image x=\"{x:.2}\" y=\"{y:.2}\" width=\"{width:.2}\" height=\"{height:.2}\" preserveAspectRatio=\"xMidYMid {}\" opacity=\"{opacity:.2}\" href=\"data:{mime};base64,{}\"/>",
                            if faint { "slice" } else { "meet" },
                            base64::engine::general_purpose::STANDARD.encode(bytes)
                        );
                    }
                    None => {
                        let _ = write!(
                            svg,
                            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{width:.2}\" height=\"{height:.2}\" rx=\"12\" fill=\"{}\"/>",
                            colours.panel
                        );
                    }
                }
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Draws a light card behind a picture of dark lines on a clear ground (which a dark slide would swallow),
/// inside the picture's box `(x, y, width, height)`; returns the box the picture is then drawn in.
fn light_card(
    svg: &mut String,
    bytes: &[u8],
    (x, y, width, height): (f32, f32, f32, f32),
) -> (f32, f32, f32, f32) {
    let pad = 16.0;
    let Some(look) = super::picture::look(bytes).filter(|l| l.dark_on_clear) else {
        return (x, y, width, height);
    };
    if width <= 4.0 * pad || height <= 4.0 * pad {
        return (x, y, width, height);
    }
    let inner = (x + pad, y + pad, width - 2.0 * pad, height - 2.0 * pad);
    let scale = (inner.2 / look.width).min(inner.3 / look.height);
    let (w, h) = (look.width * scale, look.height * scale);
    let _ = write!(
        svg,
        "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" rx=\"12\" fill=\"#f4f5f7\"/>",
        inner.0 + (inner.2 - w) / 2.0 - pad,
        inner.1 + (inner.3 - h) / 2.0 - pad,
        w + 2.0 * pad,
        h + 2.0 * pad
    );
    inner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> SlideContent {
        SlideContent {
            course_title: "Course".into(),
            chapter_title: "Chapter".into(),
            title: "Gradient descent & friends <fast>".into(),
            blocks: SlideContent::from_script(
                &[],
                &[
                    "A fairly long bullet that will have to wrap when the slide is narrow enough"
                        .into(),
                    "Ünïcödé ✓ 日本語".into(),
                ],
            ),
            number: 3,
        }
    }

    fn no_images(_: &str) -> Option<Vec<u8>> {
        None
    }

    #[test]
    fn renders_png_at_the_requested_size_deterministically() {
        let style = SlideStyle {
            width: 640,
            height: 360,
            theme: Theme::Dark,
        };
        let png = render_png(&content(), style, None, &no_images).unwrap().png;
        assert_eq!(&png[1..4], b"PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (640, 360));
        assert_eq!(
            png,
            render_png(&content(), style, None, &no_images).unwrap().png
        );
        let light_style = SlideStyle {
            theme: Theme::Light,
            ..style
        };
        assert_ne!(
            png,
            render_png(&content(), light_style, None, &no_images)
                .unwrap()
                .png
        );
        // A picture is drawn beside the text: a red picture leaves red pixels on the right of the slide.
        let mut red = tiny_skia::Pixmap::new(32, 32).unwrap();
        red.fill(tiny_skia::Color::from_rgba8(255, 0, 0, 255));
        let red = red.encode_png().unwrap();
        let with_picture = render_png(&content(), style, Some(&red), &no_images)
            .unwrap()
            .png;
        let decoded = tiny_skia::Pixmap::decode_png(&with_picture).unwrap();
        let pixel = decoded.pixel(500, 180).unwrap();
        assert_eq!((pixel.red(), pixel.green(), pixel.blue()), (255, 0, 0));
    }

    #[test]
    fn a_local_image_is_drawn_in_its_block() {
        let mut green = tiny_skia::Pixmap::new(40, 20).unwrap();
        green.fill(tiny_skia::Color::from_rgba8(0, 200, 0, 255));
        let green = green.encode_png().unwrap();
        let slide = SlideContent {
            blocks: vec![Block::Image {
                src: "img/g.png".into(),
                alt: String::new(),
                place: crate::lecture::markdown::Place::Inline,
            }],
            ..content()
        };
        let style = SlideStyle {
            width: 640,
            height: 360,
            theme: Theme::Light,
        };
        let images = |src: &str| (src == "img/g.png").then(|| green.clone());
        let png = render_png(&slide, style, None, &images).unwrap().png;
        let decoded = tiny_skia::Pixmap::decode_png(&png).unwrap();
        let pixel = decoded.pixel(320, 220).unwrap();
        assert_eq!((pixel.red(), pixel.green(), pixel.blue()), (0, 200, 0));
    }
}
