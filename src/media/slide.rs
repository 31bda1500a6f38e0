//! The built-in `slides` image provider: draws a slide (title, bullets, footer) to PNG in-process.
//!
//! The slide is laid out as SVG and rasterised by resvg with DejaVu Sans compiled into the binary, so the same
//! slide gives the same bytes on every machine. SVG text does not wrap: lines are measured with the font's own
//! advances (skrifa) and broken here.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use resvg::{tiny_skia, usvg};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::MediaError;
use crate::videofile::Theme;

/// The renderer's version: part of every image key, bump it when the pictures change.
pub const VERSION: u32 = 1;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
const FAMILY: &str = "DejaVu Sans";

/// What one slide shows.
#[derive(Debug, Clone)]
pub struct SlideContent {
    pub course_title: String,
    pub chapter_title: String,
    pub title: String,
    pub bullets: Vec<String>,
    /// 1-based position in the chapter, shown in the corner.
    pub number: usize,
}

/// Picture size and colours.
#[derive(Debug, Clone, Copy)]
pub struct SlideStyle {
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
}

struct Palette {
    background: [&'static str; 2],
    title: &'static str,
    text: &'static str,
    accent: &'static str,
    muted: &'static str,
}

fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Dark => Palette {
            background: ["#0f172a", "#1e293b"],
            title: "#f8fafc",
            text: "#e2e8f0",
            accent: "#38bdf8",
            muted: "#94a3b8",
        },
        Theme::Light => Palette {
            background: ["#ffffff", "#f1f5f9"],
            title: "#0f172a",
            text: "#1e293b",
            accent: "#0284c7",
            muted: "#64748b",
        },
    }
}

/// Renders `content` to PNG bytes, with `picture` (PNG or JPEG bytes from an image provider) beside the text.
pub fn render_png(
    content: &SlideContent,
    style: SlideStyle,
    picture: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError> {
    let svg = layout_svg(content, style, picture);
    let tree =
        usvg::Tree::from_str(&svg, options()).map_err(|e| MediaError::Render(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(style.width, style.height)
        .ok_or_else(|| MediaError::Render("cannot allocate the picture".into()))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| MediaError::Render(e.to_string()))
}

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_font_data(REGULAR.to_vec());
        fonts.load_font_data(BOLD.to_vec());
        fonts.set_sans_serif_family(FAMILY);
        usvg::Options {
            fontdb: Arc::new(fonts),
            font_family: FAMILY.into(),
            ..usvg::Options::default()
        }
    })
}

/// The width of `text` at `size` pixels in the given font.
fn text_width(font: &[u8], text: &str, size: f32) -> f32 {
    let Ok(font) = FontRef::new(font) else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size * 0.6)
        })
        .sum()
}

/// Breaks `text` into lines no wider than `max_width`; a word longer than a line is cut.
fn wrap(font: &[u8], text: &str, size: f32, max_width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(font, &candidate, size) <= max_width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
        while text_width(font, &line, size) > max_width && line.chars().count() > 1 {
            let mut head: String = line.clone();
            while text_width(font, &head, size) > max_width && head.chars().count() > 1 {
                head.pop();
            }
            line = line[head.len()..].to_string();
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Lays the slide out as an SVG document.
fn layout_svg(content: &SlideContent, style: SlideStyle, picture: Option<&[u8]>) -> String {
    let (w, h) = (style.width as f32, style.height as f32);
    let scale = (w / 1920.0).min(h / 1080.0);
    let colours = palette(style.theme);
    let margin = 110.0 * scale;
    let text_width_max = w - 2.0 * margin;
    let footer_size = 26.0 * scale;
    let footer_y = h - 60.0 * scale;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">\
<stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"1\" stop-color=\"{}\"/></linearGradient></defs>\
<rect width=\"{w}\" height=\"{h}\" fill=\"url(#bg)\"/>",
        colours.background[0], colours.background[1]
    );
    let mut title_size = 68.0 * scale;
    let mut title_lines = wrap(BOLD, &content.title, title_size, text_width_max);
    while title_lines.len() > 2 && title_size > 36.0 * scale {
        title_size *= 0.9;
        title_lines = wrap(BOLD, &content.title, title_size, text_width_max);
    }
    let mut y = 100.0 * scale;
    for line in &title_lines {
        y += title_size * 1.15;
        svg.push_str(&format!(
            "<text x=\"{margin}\" y=\"{y}\" font-weight=\"bold\" font-size=\"{title_size}\" fill=\"{}\">{}</text>",
            colours.title,
            escape(line)
        ));
    }
    y += 30.0 * scale;
    svg.push_str(&format!(
        "<rect x=\"{margin}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{}\"/>",
        140.0 * scale,
        8.0 * scale,
        4.0 * scale,
        colours.accent
    ));
    y += 50.0 * scale;
    let available = footer_y - 50.0 * scale - y;
    // With a picture, the text takes the left part and the picture the right.
    let text_width_max = match picture {
        Some(bytes) => {
            let picture_x = margin + text_width_max * 0.56;
            let mime = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            svg.push_str(&format!(
                "<image x=\"{picture_x}\" y=\"{y}\" width=\"{}\" height=\"{available}\" preserveAspectRatio=\"xMidYMid meet\" href=\"data:{mime};base64,{}\"/>",
                text_width_max * 0.44,
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ));
            text_width_max * 0.52
        }
        None => text_width_max,
    };
    let indent = 56.0 * scale;
    let mut size = 44.0 * scale;
    let mut bullets = layout_bullets(&content.bullets, size, text_width_max - indent);
    while bullets_height(&bullets, size) > available && size > 20.0 * scale {
        size *= 0.92;
        bullets = layout_bullets(&content.bullets, size, text_width_max - indent);
    }
    for lines in &bullets {
        y += size * 0.5;
        for (i, line) in lines.iter().enumerate() {
            y += size * 1.3;
            if i == 0 {
                svg.push_str(&format!(
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>",
                    margin + 12.0 * scale,
                    y - size * 0.34,
                    size * 0.16,
                    colours.accent
                ));
            }
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{y}\" font-size=\"{size}\" fill=\"{}\">{}</text>",
                margin + indent,
                colours.text,
                escape(line)
            ));
        }
    }
    let footer = format!("{}  ·  {}", content.course_title, content.chapter_title);
    let footer_line = wrap(
        REGULAR,
        &footer,
        footer_size,
        text_width_max - 120.0 * scale,
    )
    .into_iter()
    .next()
    .unwrap_or_default();
    svg.push_str(&format!(
        "<text x=\"{margin}\" y=\"{footer_y}\" font-size=\"{footer_size}\" fill=\"{}\">{}</text>\
<text x=\"{}\" y=\"{footer_y}\" font-size=\"{footer_size}\" text-anchor=\"end\" fill=\"{}\">{}</text></svg>",
        colours.muted,
        escape(&footer_line),
        w - margin,
        colours.muted,
        content.number
    ));
    svg
}

fn layout_bullets(bullets: &[String], size: f32, max_width: f32) -> Vec<Vec<String>> {
    bullets
        .iter()
        .map(|b| wrap(REGULAR, b, size, max_width))
        .collect()
}

fn bullets_height(bullets: &[Vec<String>], size: f32) -> f32 {
    bullets
        .iter()
        .map(|lines| size * 0.5 + lines.len() as f32 * size * 1.3)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> SlideContent {
        SlideContent {
            course_title: "Course".into(),
            chapter_title: "Chapter".into(),
            title: "Gradient descent & friends <fast>".into(),
            bullets: vec![
                "A fairly long bullet that will have to wrap when the slide is narrow enough"
                    .into(),
                "Ünïcödé ✓".into(),
            ],
            number: 3,
        }
    }

    #[test]
    fn renders_png_at_the_requested_size_deterministically() {
        let style = SlideStyle {
            width: 640,
            height: 360,
            theme: Theme::Dark,
        };
        let png = render_png(&content(), style, None).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (640, 360));
        assert_eq!(png, render_png(&content(), style, None).unwrap());
        let light_style = SlideStyle {
            theme: Theme::Light,
            ..style
        };
        assert_ne!(png, render_png(&content(), light_style, None).unwrap());
        // A picture is drawn beside the text: a red picture leaves red pixels on the right of the slide.
        let mut red = tiny_skia::Pixmap::new(32, 32).unwrap();
        red.fill(tiny_skia::Color::from_rgba8(255, 0, 0, 255));
        let with_picture = render_png(&content(), style, Some(&red.encode_png().unwrap())).unwrap();
        let decoded = tiny_skia::Pixmap::decode_png(&with_picture).unwrap();
        let pixel = decoded.pixel(500, 180).unwrap();
        assert_eq!((pixel.red(), pixel.green(), pixel.blue()), (255, 0, 0));
    }

    #[test]
    fn wraps_to_the_width() {
        let lines = wrap(
            REGULAR,
            "one two three four five six seven eight",
            40.0,
            300.0,
        );
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(text_width(REGULAR, line, 40.0) <= 300.0, "{line}");
        }
        assert_eq!(lines.join(" "), "one two three four five six seven eight");
    }
}
