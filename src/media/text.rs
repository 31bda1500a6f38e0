//! Text on slides: the fonts compiled into the binary, which face draws which character, and line breaking.
//!
//! DejaVu Sans (regular, bold, oblique, bold oblique) and DejaVu Sans Mono (regular, bold) draw Latin, Greek
//! and Cyrillic; Droid Sans Fallback draws what they lack (Chinese, Japanese, Korean and many symbols). A
//! character no bundled font has is left out and reported, never drawn as an empty box. The fonts are the
//! same on every machine, so a slide is the same bytes everywhere.
//!
//! Breaking is linear in the text's length: every character is measured once, and a word longer than a line
//! is cut where it reaches the edge.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Oblique.ttf");
static BOLD_ITALIC: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-BoldOblique.ttf");
static MONO: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
static MONO_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf");
/// Droid Sans Fallback, deflated by `build.rs`: 2 MB in the binary instead of 4.
static FALLBACK_DEFLATED: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/DroidSansFallbackFull.ttf.deflate"
));

/// Droid Sans Fallback, inflated the first time a process asks for it.
fn fallback() -> &'static [u8] {
    static FALLBACK: OnceLock<Vec<u8>> = OnceLock::new();
    FALLBACK.get_or_init(|| {
        miniz_oxide::inflate::decompress_to_vec(FALLBACK_DEFLATED)
            .expect("build.rs deflated the fallback font")
    })
}

/// A bundled typeface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
    Mono,
    MonoBold,
    /// Droid Sans Fallback: CJK and symbols the others lack.
    Fallback,
}

impl Face {
    /// Every face, in the order they are loaded.
    pub const ALL: [Face; 7] = [
        Face::Regular,
        Face::Bold,
        Face::Italic,
        Face::BoldItalic,
        Face::Mono,
        Face::MonoBold,
        Face::Fallback,
    ];

    /// The font file, compiled in once: each file is a `static`, so every caller shares one copy in the
    /// binary (an `include_bytes!` in a function body is a constant, and is copied into each unit that
    /// inlines it). The fallback font is inflated on first use.
    pub fn data(self) -> &'static [u8] {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
            Face::Italic => ITALIC,
            Face::BoldItalic => BOLD_ITALIC,
            Face::Mono => MONO,
            Face::MonoBold => MONO_BOLD,
            Face::Fallback => fallback(),
        }
    }

    /// The SVG attributes that select this face: family, weight and style.
    pub fn svg_attributes(self) -> &'static str {
        match self {
            Face::Regular => "font-family=\"DejaVu Sans\"",
            Face::Bold => "font-family=\"DejaVu Sans\" font-weight=\"bold\"",
            Face::Italic => "font-family=\"DejaVu Sans\" font-style=\"italic\"",
            Face::BoldItalic => {
                "font-family=\"DejaVu Sans\" font-weight=\"bold\" font-style=\"italic\""
            }
            Face::Mono => "font-family=\"DejaVu Sans Mono\"",
            Face::MonoBold => "font-family=\"DejaVu Sans Mono\" font-weight=\"bold\"",
            Face::Fallback => "font-family=\"Droid Sans Fallback\"",
        }
    }

    /// The face for text that is (or is not) bold, italic, code.
    pub fn styled(bold: bool, italic: bool, code: bool) -> Face {
        match (code, bold, italic) {
            (true, true, _) => Face::MonoBold,
            (true, false, _) => Face::Mono,
            (false, true, true) => Face::BoldItalic,
            (false, true, false) => Face::Bold,
            (false, false, true) => Face::Italic,
            (false, false, false) => Face::Regular,
        }
    }

    fn index(self) -> usize {
        Face::ALL
            .iter()
            .position(|f| *f == self)
            .expect("every face is listed")
    }
}

/// A face's character map and advances, at a size of one pixel.
struct Metrics {
    charmap: skrifa::charmap::Charmap<'static>,
    glyphs: GlyphMetrics<'static>,
}

fn metrics(face: Face) -> &'static Metrics {
    static METRICS: OnceLock<Vec<Metrics>> = OnceLock::new();
    let all = METRICS.get_or_init(|| {
        Face::ALL
            .iter()
            .map(|face| {
                let font = FontRef::new(face.data()).expect("the bundled fonts parse");
                Metrics {
                    charmap: font.charmap(),
                    glyphs: font.glyph_metrics(Size::new(1.0), LocationRef::default()),
                }
            })
            .collect()
    });
    &all[face.index()]
}

/// Characters drawn as nothing and never reported: joiners, variation selectors, zero-width spaces.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
        || ('\u{E0100}'..='\u{E01EF}').contains(&c)
}

/// The face that draws `c` in text set in `face`, and the advance at size 1; `None` when no bundled font
/// has it.
pub fn glyph(c: char, face: Face) -> Option<(Face, f32)> {
    let c = if c == '\t' { ' ' } else { c };
    [face, Face::Fallback].into_iter().find_map(|face| {
        let m = metrics(face);
        let glyph = m.charmap.map(c)?;
        // Fonts map some characters they cannot draw to glyph 0.
        (glyph.to_u32() != 0).then(|| (face, m.glyphs.advance_width(glyph).unwrap_or(0.0)))
    })
}

/// The width of `text` in `face` at `size` (characters no font has count as nothing).
pub fn width(text: &str, face: Face, size: f32) -> f32 {
    text.chars()
        .filter_map(|c| glyph(c, face).map(|(_, advance)| advance))
        .sum::<f32>()
        * size
}

/// A piece of text to set: its face, size, and a tag the caller carries through (a colour, a style).
#[derive(Debug, Clone, PartialEq)]
pub struct Piece<T> {
    pub text: String,
    pub face: Face,
    pub size: f32,
    pub tag: T,
}

/// A run of a set line, in one drawing face: where it starts (from the line's start) and how wide it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<T> {
    pub text: String,
    pub face: Face,
    pub size: f32,
    pub x: f32,
    pub width: f32,
    pub tag: T,
}

/// A set line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<T> {
    pub runs: Vec<Run<T>>,
    pub width: f32,
}

/// How white space is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Runs of white space are one space; lines break at spaces and between CJK characters.
    Prose,
    /// Every space counts (tabs are four); lines break where they reach the edge.
    Code,
}

/// Set lines, and the characters left out because no bundled font has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Set<T> {
    pub lines: Vec<Line<T>>,
    pub missing: BTreeSet<char>,
}

/// A character with its drawing face, advance at its size, and whether a line may break before it.
struct Glyph<T> {
    c: char,
    face: Face,
    size: f32,
    advance: f32,
    tag: T,
    space: bool,
    break_before: bool,
}

/// True for characters written without spaces between words (CJK), where a line may break anywhere.
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Sets `pieces` in lines no wider than `max_width`. Linear in the length of the text.
pub fn set<T: Clone + PartialEq>(pieces: &[Piece<T>], max_width: f32, mode: Mode) -> Set<T> {
    let mut missing = BTreeSet::new();
    let mut glyphs: Vec<Glyph<T>> = Vec::new();
    let mut previous_space = true;
    for piece in pieces {
        for c in piece.text.chars() {
            if is_invisible(c) {
                continue;
            }
            let chars: &[char] = match (mode, c) {
                (Mode::Code, '\t') => &[' ', ' ', ' ', ' '],
                (_, c) if c.is_whitespace() => &[' '],
                _ => &[c],
            };
            for &c in chars {
                let space = c == ' ';
                if mode == Mode::Prose && space && previous_space {
                    continue;
                }
                let Some((face, advance)) = glyph(c, piece.face) else {
                    missing.insert(c);
                    continue;
                };
                let break_before = match mode {
                    Mode::Code => true,
                    Mode::Prose => {
                        previous_space
                            || breaks_anywhere(c)
                            || glyphs.last().is_some_and(|g| breaks_anywhere(g.c))
                    }
                };
                glyphs.push(Glyph {
                    c,
                    face,
                    size: piece.size,
                    advance: advance * piece.size,
                    tag: piece.tag.clone(),
                    space,
                    break_before,
                });
                previous_space = space;
            }
        }
    }
    let mut lines: Vec<Vec<Glyph<T>>> = Vec::new();
    let mut line: Vec<Glyph<T>> = Vec::new();
    let mut line_width = 0.0;
    // Where the line may be broken: the index of the first glyph of the last word started, and the width
    // before it.
    let mut last_break: Option<(usize, f32)> = None;
    for glyph in glyphs {
        if mode == Mode::Prose && glyph.space && line.is_empty() {
            continue;
        }
        if glyph.break_before && !line.is_empty() {
            last_break = Some((line.len(), line_width));
        }
        if line_width + glyph.advance > max_width && !line.is_empty() && !glyph.space {
            match last_break.filter(|(at, _)| *at > 0) {
                // Move the word begun since the break to the next line.
                Some((at, before)) => {
                    let rest = line.split_off(at);
                    line_width -= before;
                    lines.push(std::mem::take(&mut line));
                    line = rest;
                    while line.first().is_some_and(|g| g.space && mode == Mode::Prose) {
                        line_width -= line.remove(0).advance;
                    }
                }
                // One word wider than the line: cut it here.
                None => {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
            }
            last_break = None;
        }
        line_width += glyph.advance;
        line.push(glyph);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Set {
        lines: lines.into_iter().map(|glyphs| runs(glyphs, mode)).collect(),
        missing,
    }
}

/// Groups a line's glyphs into runs of one face, size and tag; a prose line's trailing space goes.
fn runs<T: Clone + PartialEq>(mut glyphs: Vec<Glyph<T>>, mode: Mode) -> Line<T> {
    if mode == Mode::Prose {
        while glyphs.last().is_some_and(|g| g.space) {
            glyphs.pop();
        }
    }
    let mut runs: Vec<Run<T>> = Vec::new();
    let mut x = 0.0;
    for glyph in glyphs {
        match runs.last_mut() {
            Some(run)
                if run.face == glyph.face && run.size == glyph.size && run.tag == glyph.tag =>
            {
                run.text.push(glyph.c);
                run.width += glyph.advance;
            }
            _ => runs.push(Run {
                text: glyph.c.to_string(),
                face: glyph.face,
                size: glyph.size,
                x,
                width: glyph.advance,
                tag: glyph.tag,
            }),
        }
        x += glyph.advance;
    }
    Line { runs, width: x }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prose(text: &str, size: f32) -> Piece<()> {
        Piece {
            text: text.into(),
            face: Face::Regular,
            size,
            tag: (),
        }
    }

    fn texts(set: &Set<()>) -> Vec<String> {
        set.lines
            .iter()
            .map(|l| l.runs.iter().map(|r| r.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn prose_breaks_at_spaces_within_the_width() {
        let set = set(
            &[prose("one  two three four five six seven eight", 40.0)],
            300.0,
            Mode::Prose,
        );
        assert!(set.lines.len() > 1);
        for line in &set.lines {
            assert!(line.width <= 300.0, "{line:?}");
        }
        assert_eq!(
            texts(&set).join(" "),
            "one two three four five six seven eight"
        );
    }

    #[test]
    fn code_keeps_every_space_and_expands_tabs() {
        let code = Piece {
            text: "\tif  x:".into(),
            face: Face::Mono,
            size: 10.0,
            tag: (),
        };
        let set = set(&[code], 1000.0, Mode::Code);
        assert_eq!(texts(&set), ["    if  x:"]);
        let advance = glyph(' ', Face::Mono).unwrap().1 * 10.0;
        assert!((set.lines[0].width - advance * 10.0).abs() < 0.01);
    }

    #[test]
    fn cjk_uses_the_fallback_face_and_breaks_between_characters() {
        let set = set(
            &[prose("日本語のテキストと English words", 40.0)],
            200.0,
            Mode::Prose,
        );
        assert!(set.missing.is_empty());
        assert!(set.lines.len() > 1);
        assert!(set.lines[0].runs.iter().all(|r| r.face == Face::Fallback));
        assert!(set.lines.iter().all(|l| l.width <= 200.0));
    }

    #[test]
    fn characters_no_font_has_are_left_out_and_reported() {
        let set = set(&[prose("ok 🦀 fine\u{FE0F}", 20.0)], 500.0, Mode::Prose);
        assert_eq!(texts(&set), ["ok fine"]);
        assert_eq!(set.missing, BTreeSet::from(['🦀']));
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_and_nothing_is_lost() {
        let word = "x".repeat(5000);
        let set = set(&[prose(&word, 30.0)], 600.0, Mode::Prose);
        assert!(set.lines.len() > 100);
        assert!(set.lines.iter().all(|l| l.width <= 600.0));
        assert_eq!(texts(&set).concat(), word);
    }
}
