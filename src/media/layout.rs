//! Slide layout: where the title and every block of a slide go, in a reference canvas 1920 units wide.
//!
//! One layout serves twice: the outline writer asks it what fits on a slide (so that content continues on the
//! next slide instead of being cut), and the renderer draws what it places. Text is set by
//! [`super::text`]; code is coloured by [`super::highlight`]. When a slide's blocks do not fit at their
//! normal sizes (a model's script, a narrow picture), every size shrinks together down to a readable minimum.

use std::collections::BTreeSet;

use super::highlight;
use super::text::{self, Face, Mode, Piece, Set};
use super::theme::{Colour, Theme};
use crate::lecture::markdown::{self, Align, Block, Item, Place, Span};

/// The layout's version: part of the keys of slide pictures and of outline scripts (which it paginates).
pub const VERSION: u32 = 6;

/// The width of the reference canvas; its height follows the picture's aspect ratio.
pub const WIDTH: f32 = 1920.0;

/// The height the outline writer plans slides for (16:9).
pub const STANDARD_HEIGHT: f32 = 1080.0;

/// The height an image takes when slides are planned; drawn, it takes whatever room is left.
pub const IMAGE_HEIGHT: f32 = 440.0;

const MARGIN: f32 = 110.0;
/// The space under the body: the footer and a margin.
const BOTTOM: f32 = 130.0;
const TITLE_SIZE: f32 = 64.0;
const BODY_SIZE: f32 = 40.0;
const CODE_SIZE: f32 = 34.0;
const TABLE_SIZE: f32 = 30.0;
const NOTE_SIZE: f32 = 26.0;
const FOOTER_SIZE: f32 = 26.0;
const LINE: f32 = 1.35;
const BLOCK_GAP: f32 = 30.0;
/// The smallest a slide's sizes shrink to (as a share of the normal sizes).
const MIN_SHRINK: f32 = 0.6;

/// A line drawn through or under text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoration {
    Underline,
    Strike,
}

/// Something drawn, in canvas units.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// Text on a baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        colour: Colour,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        radius: f32,
        colour: Colour,
    },
    /// Straight strokes through `points` (a formula's radical or tall bracket).
    Path {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Colour,
    },
    /// A picture fitted into the box, aspect kept; `src` names it in the slide's images. A background
    /// picture is drawn faint behind text (`opacity` below 1).
    Image {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        src: String,
        opacity: f32,
    },
}

/// What one slide shows.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Inline Markdown.
    pub title: &'a str,
    pub blocks: &'a [Block],
    /// The line at the bottom (course and chapter).
    pub footer: &'a str,
    pub number: usize,
    /// A generated picture is drawn on the right (its `Image` element has an empty `src`); the blocks take
    /// the left half.
    pub picture: bool,
}

/// A laid-out slide.
#[derive(Debug, Clone, PartialEq)]
pub struct Laid {
    pub elements: Vec<Element>,
    /// The blocks did not fit even at the smallest sizes (drawn anyway, cut at the bottom).
    pub overflow: bool,
    /// Characters left out because no bundled font has them.
    pub missing: BTreeSet<char>,
}

/// Where the body of a slide goes.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f32,
    width: f32,
    top: f32,
    bottom: f32,
}

/// Sizes at a shrink factor.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    shrink: f32,
}

impl Sizes {
    fn body(self) -> f32 {
        BODY_SIZE * self.shrink
    }
    fn code(self) -> f32 {
        CODE_SIZE * self.shrink
    }
    fn table(self) -> f32 {
        TABLE_SIZE * self.shrink
    }
    fn note(self) -> f32 {
        NOTE_SIZE * self.shrink
    }
    fn gap(self) -> f32 {
        BLOCK_GAP * self.shrink
    }
}

/// Places elements and remembers what could not be drawn.
struct Pen {
    out: Vec<Element>,
    missing: BTreeSet<char>,
    theme: Theme,
    /// The height of each image block, in order (planned, or with the room left shared out).
    image_heights: Vec<f32>,
    images_placed: usize,
}

/// The column a slide's title and blocks are set in: the whole slide, or what a picture placed beside them
/// leaves.
#[derive(Debug, Clone, Copy)]
struct Column {
    left: f32,
    width: f32,
}

/// The pictures the author placed out of the flow of the text (Marp's `![bg right:40%](...)` and `![bg](...)`)
/// and the column they leave for the rest: one beside the text is drawn the slide's full height on its
/// side; pictures behind it share the slide's width, faint when there is text over them.
fn placed(blocks: &[Block], height: f32) -> (Column, Vec<Element>) {
    let whole = Column {
        left: MARGIN,
        width: WIDTH - 2.0 * MARGIN,
    };
    let mut pictures = Vec::new();
    let behind: Vec<&String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Image {
                src,
                place: Place::Background,
                ..
            } if is_placed(b) => Some(src),
            _ => None,
        })
        .collect();
    let text_over = blocks.iter().any(is_in_flow);
    let share = WIDTH / behind.len().max(1) as f32;
    for (i, src) in behind.into_iter().enumerate() {
        pictures.push(Element::Image {
            x: share * i as f32,
            y: 0.0,
            width: share,
            height,
            src: src.clone(),
            opacity: if text_over { 0.3 } else { 1.0 },
        });
    }
    let side = blocks.iter().find_map(|b| match b {
        Block::Image {
            src,
            place: place @ (Place::Left { .. } | Place::Right { .. }),
            ..
        } if is_placed(b) => Some((src, *place)),
        _ => None,
    });
    let Some((src, place)) = side else {
        return (whole, pictures);
    };
    let (left, percent) = match place {
        Place::Left { percent } => (true, percent),
        Place::Right { percent } => (false, percent),
        Place::Inline | Place::Background => return (whole, pictures),
    };
    let picture_width = WIDTH * f32::from(percent.clamp(10, 90)) / 100.0;
    // Its half of the slide, less a margin all round.
    let inset = MARGIN * 0.4;
    pictures.push(Element::Image {
        x: if left {
            inset
        } else {
            WIDTH - picture_width + inset
        },
        y: inset,
        width: picture_width - 2.0 * inset,
        height: height - 2.0 * inset,
        src: src.clone(),
        opacity: 1.0,
    });
    let column = Column {
        left: if left {
            picture_width + MARGIN * 0.6
        } else {
            MARGIN
        },
        width: WIDTH - picture_width - MARGIN * 1.6,
    };
    (column, pictures)
}

/// A local picture placed beside or behind the text rather than in the flow of the blocks.
fn is_placed(block: &Block) -> bool {
    matches!(block, Block::Image { src, place, .. } if !place.is_inline() && !src.contains("://") && !src.starts_with("data:"))
}

/// Lays out a slide on a canvas of `height` (width [`WIDTH`]).
pub fn layout(page: Page, height: f32, theme: Theme) -> Laid {
    let mut title_pen = pen(theme, Vec::new());
    let (column, placed_pictures) = placed(page.blocks, height);
    let card = !page.blocks.iter().any(is_in_flow) && !page.picture;
    let top = place_title(&mut title_pen, page.title, card, height, column);
    let full = column.width;
    let frame = Frame {
        left: column.left,
        width: if page.picture { full * 0.52 } else { full },
        top,
        bottom: height - BOTTOM,
    };
    let available = frame.bottom - frame.top;
    for (i, picture) in placed_pictures.into_iter().enumerate() {
        title_pen.out.insert(i, picture);
    }
    if page.picture {
        title_pen.out.push(Element::Image {
            x: column.left + full * 0.56,
            y: top,
            width: full * 0.44,
            height: available,
            src: String::new(),
            opacity: 1.0,
        });
    }
    let images = page.blocks.iter().filter(|b| is_flow_image(b)).count();
    let mut shrink = 1.0;
    let planned = |shrink: f32| vec![IMAGE_HEIGHT * shrink; images];
    let (mut body, mut used) =
        body_at(page.blocks, frame, Sizes { shrink }, theme, planned(shrink));
    while used > available && shrink > MIN_SHRINK {
        shrink = (shrink * 0.93_f32).max(MIN_SHRINK);
        (body, used) = body_at(page.blocks, frame, Sizes { shrink }, theme, planned(shrink));
    }
    if images > 0 && used < available {
        // Images take the room left.
        let share = (available - used) / images as f32;
        let heights = vec![IMAGE_HEIGHT * shrink + share; images];
        (body, used) = body_at(page.blocks, frame, Sizes { shrink }, theme, heights);
    }
    let mut elements = title_pen.out;
    let mut missing = title_pen.missing;
    elements.extend(body.out);
    missing.extend(body.missing);
    footer(&mut elements, &mut missing, page, height, column);
    Laid {
        elements,
        overflow: used > available + 0.5,
        missing,
    }
}

/// A block drawn in the flow of the slide (not notes, not a picture placed beside or behind it).
fn is_in_flow(block: &Block) -> bool {
    block.is_drawn() && !is_placed(block)
}

fn is_flow_image(block: &Block) -> bool {
    matches!(block, Block::Image { .. }) && !is_placed(block)
}

/// True when `blocks` fit under `title` on a standard slide at their normal sizes: what the outline writer
/// asks before it adds a block to a slide.
pub fn fits(title: &str, blocks: &[Block]) -> bool {
    let mut title_pen = pen(Theme::Dark, Vec::new());
    let (column, _) = placed(blocks, STANDARD_HEIGHT);
    let card = !blocks.iter().any(is_in_flow);
    let top = place_title(&mut title_pen, title, card, STANDARD_HEIGHT, column);
    let frame = Frame {
        left: column.left,
        width: column.width,
        top,
        bottom: STANDARD_HEIGHT - BOTTOM,
    };
    let planned = vec![IMAGE_HEIGHT; blocks.len()];
    let (_, used) = body_at(blocks, frame, Sizes { shrink: 1.0 }, Theme::Dark, planned);
    used <= frame.bottom - frame.top
}

fn pen(theme: Theme, image_heights: Vec<f32>) -> Pen {
    Pen {
        out: Vec::new(),
        missing: BTreeSet::new(),
        theme,
        image_heights,
        images_placed: 0,
    }
}

/// Places the body; returns the pen and the height used.
fn body_at(
    blocks: &[Block],
    frame: Frame,
    sizes: Sizes,
    theme: Theme,
    image_heights: Vec<f32>,
) -> (Pen, f32) {
    let mut pen = pen(theme, image_heights);
    let mut y = frame.top;
    for (i, block) in blocks.iter().filter(|b| is_in_flow(b)).enumerate() {
        if i > 0 {
            y += sizes.gap();
        }
        y += place_block(&mut pen, block, frame.left, y, frame.width, sizes);
    }
    (pen, y - frame.top)
}

/// Places the title (and its accent bar) in `column`; returns where the body starts. A slide with no blocks
/// is a title card: the title larger, in the middle. An untitled slide (a deck's) starts its body at the top.
fn place_title(pen: &mut Pen, title: &str, card: bool, height: f32, column: Column) -> f32 {
    if title.trim().is_empty() {
        return MARGIN;
    }
    let width = column.width;
    let mut size = if card { 84.0 } else { TITLE_SIZE };
    let spans = restyled(title, |s| s.bold = true);
    let mut set = set_spans(&spans, size, width, Colour::Title);
    while set.lines.len() > 2 && size > 40.0 {
        size *= 0.9;
        set = set_spans(&spans, size, width, Colour::Title);
    }
    let line_height = size * 1.15;
    let block = set.lines.len() as f32 * line_height;
    let mut y = if card {
        (height - block) / 2.0 - 20.0
    } else {
        100.0
    };
    pen.missing.extend(set.missing.iter().copied());
    for line in &set.lines {
        y += line_height;
        draw_line(pen, line, column.left, y, size);
    }
    y += 30.0;
    pen.out.push(Element::Rect {
        x: column.left,
        y,
        width: 140.0,
        height: 8.0,
        radius: 4.0,
        colour: Colour::Accent,
    });
    y + 50.0
}

fn footer(
    elements: &mut Vec<Element>,
    missing: &mut BTreeSet<char>,
    page: Page,
    height: f32,
    column: Column,
) {
    let y = height - 60.0;
    let spans = [Span {
        text: page.footer.to_string(),
        style: markdown::Style::default(),
    }];
    let set = set_spans(&spans, FOOTER_SIZE, column.width - 120.0, Colour::Muted);
    missing.extend(set.missing.iter().copied());
    if let Some(line) = set.lines.first() {
        let mut pen = pen(Theme::Dark, Vec::new());
        draw_line(&mut pen, line, column.left, y, FOOTER_SIZE);
        elements.extend(pen.out);
    }
    let number = page.number.to_string();
    let width = text::width(&number, Face::Regular, FOOTER_SIZE);
    elements.push(Element::Text {
        x: column.left + column.width - width,
        y,
        size: FOOTER_SIZE,
        face: Face::Regular,
        colour: Colour::Muted,
        text: number,
    });
}

/// What a run of set text is drawn as.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ink {
    colour: Colour,
    decoration: Option<Decoration>,
    /// Inline code: drawn on a panel.
    panel: bool,
    /// A footnote mark: raised.
    raised: bool,
}

/// Sets inline spans at `size` in lines of `width`, in `colour` (links in the link colour).
fn set_spans(spans: &[Span], size: f32, width: f32, colour: Colour) -> Set<Ink> {
    let pieces: Vec<Piece<Ink>> = spans
        .iter()
        .map(|span| {
            let style = span.style;
            Piece {
                text: if style.math {
                    crate::lecture::math::unicode(&span.text)
                } else {
                    span.text.clone()
                },
                face: Face::styled(style.bold, style.italic || style.math, style.code),
                size: if style.note { size * 0.65 } else { size },
                tag: Ink {
                    colour: if style.link { Colour::Link } else { colour },
                    decoration: if style.struck {
                        Some(Decoration::Strike)
                    } else if style.link {
                        Some(Decoration::Underline)
                    } else {
                        None
                    },
                    panel: style.code,
                    raised: style.note,
                },
            }
        })
        .collect();
    text::set(&pieces, width, Mode::Prose)
}

/// Draws a set line with its left edge at `x` and baseline at `y`.
fn draw_line(pen: &mut Pen, line: &text::Line<Ink>, x: f32, y: f32, size: f32) {
    for run in &line.runs {
        let ink = run.tag;
        if ink.panel {
            pen.out.push(Element::Rect {
                x: x + run.x - 4.0,
                y: y - run.size * 0.95,
                width: run.width + 8.0,
                height: run.size * 1.25,
                radius: 6.0,
                colour: Colour::Panel,
            });
        }
        let baseline = if ink.raised { y - size * 0.35 } else { y };
        pen.out.push(Element::Text {
            x: x + run.x,
            y: baseline,
            size: run.size,
            face: run.face,
            colour: ink.colour,
            text: run.text.clone(),
        });
        if let Some(decoration) = ink.decoration {
            let offset = match decoration {
                Decoration::Underline => run.size * 0.12,
                Decoration::Strike => -run.size * 0.3,
            };
            pen.out.push(Element::Rect {
                x: x + run.x,
                y: baseline + offset,
                width: run.width,
                height: (run.size * 0.06).max(1.5),
                radius: 0.0,
                colour: ink.colour,
            });
        }
    }
}

/// Where and how a run of text is set: its box's left edge, top and width, its size and colour.
#[derive(Debug, Clone, Copy)]
struct Text {
    x: f32,
    y: f32,
    width: f32,
    size: f32,
    colour: Colour,
}

/// Sets inline spans and draws them; returns the height used.
fn paragraph(pen: &mut Pen, spans: &[Span], at: Text) -> f32 {
    let set = set_spans(spans, at.size, at.width, at.colour);
    pen.missing.extend(set.missing.iter().copied());
    let line_height = at.size * LINE;
    let mut baseline = at.y;
    for line in &set.lines {
        baseline += line_height;
        draw_line(pen, line, at.x, baseline - at.size * 0.3, at.size);
    }
    set.lines.len() as f32 * line_height
}

/// Inline Markdown's spans with `change` made to each one's style.
fn restyled(text: &str, change: impl Fn(&mut markdown::Style)) -> Vec<Span> {
    let mut spans = markdown::spans(text);
    for span in &mut spans {
        change(&mut span.style);
    }
    spans
}

/// Places one block at `y`; returns its height.
fn place_block(pen: &mut Pen, block: &Block, x: f32, y: f32, width: f32, sizes: Sizes) -> f32 {
    match block {
        Block::Heading { text, .. } => {
            let at = Text {
                x,
                y,
                width,
                size: sizes.body() * 1.1,
                colour: Colour::Title,
            };
            paragraph(pen, &restyled(text, |s| s.bold = true), at)
        }
        Block::Paragraph { text } => {
            let at = Text {
                x,
                y,
                width,
                size: sizes.body(),
                colour: Colour::Text,
            };
            paragraph(pen, &markdown::spans(text), at)
        }
        Block::List { items } => list(pen, items, x, y, width, sizes),
        Block::Code { language, text } => code(pen, language, text, x, y, width, sizes),
        Block::Table {
            alignments,
            header,
            rows,
        } => table(pen, alignments, header, rows, x, y, width, sizes),
        Block::Quote { text, attribution } => {
            let size = sizes.body();
            let indent = 44.0 * sizes.shrink;
            let mut height = 0.0;
            let at = Text {
                x: x + indent,
                y,
                width: width - indent,
                size,
                colour: Colour::Text,
            };
            for line in text.lines() {
                let spans = restyled(line, |s| s.italic = true);
                height += paragraph(
                    pen,
                    &spans,
                    Text {
                        y: y + height,
                        ..at
                    },
                );
            }
            if let Some(who) = attribution {
                let who = markdown::spans(&format!("— {who}"));
                let credit = Text {
                    y: y + height + 8.0,
                    size: size * 0.8,
                    colour: Colour::Muted,
                    ..at
                };
                height += 8.0 + paragraph(pen, &who, credit);
            }
            pen.out.push(Element::Rect {
                x,
                y: y + size * 0.2,
                width: 8.0 * sizes.shrink,
                height: height - size * 0.2,
                radius: 4.0,
                colour: Colour::Accent,
            });
            height
        }
        Block::Math { tex } => display_math(pen, tex, x, y, width, sizes),
        Block::Callout { kind, title, text } => callout(pen, kind, title, text, x, y, width, sizes),
        Block::Image { src, alt, .. } => {
            let index = pen.images_placed;
            pen.images_placed += 1;
            let height = pen
                .image_heights
                .get(index)
                .copied()
                .unwrap_or(IMAGE_HEIGHT);
            let caption = if alt.is_empty() {
                0.0
            } else {
                sizes.note() * LINE
            };
            let picture = (height - caption).max(40.0);
            if src.contains("://") || src.starts_with("data:") {
                // Not fetched: a panel with the alt text stands in for it.
                pen.out.push(Element::Rect {
                    x,
                    y,
                    width,
                    height: picture,
                    radius: 12.0,
                    colour: Colour::Panel,
                });
                // A picture not on this machine: its alt text, else where it was looked for.
                let shown = if alt.is_empty() {
                    src.strip_prefix("missing://").unwrap_or(src)
                } else {
                    alt
                };
                let at = Text {
                    x: x + 30.0,
                    y: y + picture / 2.0 - sizes.body(),
                    width: width - 60.0,
                    size: sizes.body(),
                    colour: Colour::Muted,
                };
                paragraph(pen, &markdown::spans(&markdown::escape(shown)), at);
            } else {
                pen.out.push(Element::Image {
                    x,
                    y,
                    width,
                    height: picture,
                    src: src.clone(),
                    opacity: 1.0,
                });
            }
            if !alt.is_empty() {
                let set = set_spans(
                    &markdown::spans(&markdown::escape(alt)),
                    sizes.note(),
                    width,
                    Colour::Muted,
                );
                pen.missing.extend(set.missing.iter().copied());
                if let Some(line) = set.lines.first() {
                    let left = x + (width - line.width).max(0.0) / 2.0;
                    draw_line(
                        pen,
                        line,
                        left,
                        y + picture + sizes.note() * 1.05,
                        sizes.note(),
                    );
                }
            }
            height
        }
        Block::Notes { .. } | Block::Directive { .. } | Block::Break => 0.0,
        Block::Footnote { label, text } => {
            let marked = format!("{}{text}", markdown::escape(&format!("[{label}] ")));
            let at = Text {
                x,
                y,
                width,
                size: sizes.note(),
                colour: Colour::Muted,
            };
            paragraph(pen, &markdown::spans(&marked), at)
        }
    }
}

/// Display math set in two dimensions ([`super::formula`]), centred, a little larger than the text; a
/// formula wider than the column is set smaller until it fits.
fn display_math(pen: &mut Pen, tex: &str, x: f32, y: f32, width: f32, sizes: Sizes) -> f32 {
    let tree = crate::lecture::math::tree::parse(tex);
    let mut size = sizes.body() * 1.1;
    let mut set = super::formula::set(&tree, size, Colour::Text);
    while set.width > width && size > sizes.body() * 0.5 {
        size *= 0.9;
        set = super::formula::set(&tree, size, Colour::Text);
    }
    let pad = size * 0.2;
    let left = x + (width - set.width).max(0.0) / 2.0;
    let baseline = y + pad + set.ascent;
    for element in &set.elements {
        if let Element::Text { text, face, .. } = element {
            for c in text.chars() {
                if text::glyph(c, *face).is_none() && !text::is_invisible(c) {
                    pen.missing.insert(c);
                }
            }
        }
    }
    let placed = set.elements.into_iter().map(|mut element| {
        super::formula::shift(&mut element, left, baseline);
        element
    });
    pen.out.extend(placed);
    set.ascent + set.descent + 2.0 * pad
}

/// A callout box: a panel with an accent edge, its title (or kind) in bold over its text.
#[allow(clippy::too_many_arguments)]
fn callout(
    pen: &mut Pen,
    kind: &str,
    title: &str,
    text: &str,
    x: f32,
    y: f32,
    width: f32,
    sizes: Sizes,
) -> f32 {
    let pad = 28.0 * sizes.shrink;
    let size = sizes.body() * 0.95;
    let behind = pen.out.len();
    let label = if title.is_empty() {
        let kind = kind.replace(['_', '-'], " ");
        let mut chars = kind.chars();
        let first: String = chars
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        markdown::escape(&format!("{first}{}", chars.as_str()))
    } else {
        title.to_string()
    };
    let at = Text {
        x: x + pad + 10.0,
        y: y + pad * 0.6,
        width: width - 2.0 * pad - 10.0,
        size,
        colour: Colour::Title,
    };
    let mut height = pad * 0.6 + paragraph(pen, &restyled(&label, |s| s.bold = true), at);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        height += paragraph(
            pen,
            &markdown::spans(line),
            Text {
                y: y + height,
                colour: Colour::Text,
                ..at
            },
        );
    }
    height += pad * 0.6;
    pen.out.insert(
        behind,
        Element::Rect {
            x: x + 4.0,
            y,
            width: 8.0 * sizes.shrink,
            height,
            radius: 4.0,
            colour: Colour::Accent,
        },
    );
    pen.out.insert(
        behind,
        Element::Rect {
            x,
            y,
            width,
            height,
            radius: 12.0,
            colour: Colour::Panel,
        },
    );
    height
}

fn list(pen: &mut Pen, items: &[Item], x: f32, y: f32, width: f32, sizes: Sizes) -> f32 {
    let size = sizes.body();
    let indent_step = 54.0 * sizes.shrink;
    let marker_width = 54.0 * sizes.shrink;
    let mut height = 0.0;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            height += size * 0.3;
        }
        let left = x + f32::from(item.depth.min(6)) * indent_step;
        let marker = match (item.checked, item.number) {
            (Some(true), _) => "☑".to_string(),
            (Some(false), _) => "☐".to_string(),
            (None, Some(n)) => format!("{n}."),
            (None, None) => ["•", "◦", "▪"][usize::from(item.depth.min(2))].to_string(),
        };
        let baseline = y + height + size * LINE - size * 0.3;
        let marker_size = if item.number.is_some() {
            size * 0.9
        } else {
            size
        };
        let marker_x = if item.number.is_some() {
            left + marker_width - text::width(&marker, Face::Regular, marker_size) - 10.0
        } else {
            left + 8.0
        };
        pen.out.push(Element::Text {
            x: marker_x.max(left),
            y: baseline,
            size: marker_size,
            face: Face::Regular,
            colour: Colour::Accent,
            text: marker,
        });
        let text_x = left + marker_width;
        let at = Text {
            x: text_x,
            y: y + height,
            width: (x + width - text_x).max(size * 4.0),
            size,
            colour: Colour::Text,
        };
        height += paragraph(pen, &markdown::spans(&item.text), at).max(size * LINE);
    }
    height
}

fn code(
    pen: &mut Pen,
    language: &str,
    source: &str,
    x: f32,
    y: f32,
    width: f32,
    sizes: Sizes,
) -> f32 {
    let padding = 24.0 * sizes.shrink;
    let inner = width - 2.0 * padding;
    let highlighted = highlight::lines(language, source, pen.theme);
    let pieces_at = |size: f32| -> Vec<Vec<Piece<Colour>>> {
        highlighted
            .iter()
            .map(|line| {
                line.iter()
                    .map(|(colour, bold, text)| Piece {
                        text: text.clone(),
                        face: if *bold { Face::MonoBold } else { Face::Mono },
                        size,
                        tag: *colour,
                    })
                    .collect()
            })
            .collect()
    };
    // The longest line decides the size: shrink (to three quarters) before wrapping.
    let mut size = sizes.code();
    let longest = highlighted
        .iter()
        .map(|line| {
            line.iter()
                .map(|(_, _, t)| {
                    t.chars()
                        .map(|c| if c == '\t' { 4 } else { 1 })
                        .sum::<usize>()
                })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    let advance = text::glyph('m', Face::Mono).map_or(0.6, |(_, a)| a);
    let wanted = longest as f32 * advance * size;
    if wanted > inner {
        size = (size * inner / wanted).max(sizes.code() * 0.75);
    }
    let line_height = size * 1.32;
    let mut rows = 0usize;
    let mut body = Vec::new();
    for pieces in pieces_at(size) {
        let set = text::set(&pieces, inner, Mode::Code);
        pen.missing.extend(set.missing.iter().copied());
        if set.lines.is_empty() {
            rows += 1;
            continue;
        }
        for line in set.lines {
            let baseline = y + padding + rows as f32 * line_height + size * 1.0;
            for run in line.runs {
                body.push(Element::Text {
                    x: x + padding + run.x,
                    y: baseline,
                    size: run.size,
                    face: run.face,
                    colour: run.tag,
                    text: run.text,
                });
            }
            rows += 1;
        }
    }
    let height = rows.max(1) as f32 * line_height + 2.0 * padding;
    pen.out.push(Element::Rect {
        x,
        y,
        width,
        height,
        radius: 14.0,
        colour: highlight::background(pen.theme),
    });
    if !language.is_empty() {
        let label = language.to_lowercase();
        let label_size = sizes.note() * 0.8;
        pen.out.push(Element::Text {
            x: x + width - padding - text::width(&label, Face::Regular, label_size),
            y: y + padding * 0.4 + label_size,
            size: label_size,
            face: Face::Regular,
            colour: Colour::Muted,
            text: label,
        });
    }
    pen.out.extend(body);
    height
}

#[allow(clippy::too_many_arguments)]
fn table(
    pen: &mut Pen,
    alignments: &[Align],
    header: &[String],
    rows: &[Vec<String>],
    x: f32,
    y: f32,
    width: f32,
    sizes: Sizes,
) -> f32 {
    let pad_x = 18.0 * sizes.shrink;
    let pad_y = 10.0 * sizes.shrink;
    let columns = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0))
        .max(1);
    let cell = |row: &[String], c: usize| row.get(c).cloned().unwrap_or_default();
    let all_rows: Vec<(bool, Vec<String>)> = std::iter::once((true, header.to_vec()))
        .chain(rows.iter().map(|r| (false, r.clone())))
        .collect();
    // Column widths from content: each column's widest unbroken text, and its longest word (measured at
    // size 1, then scaled).
    let mut widest = vec![0.0f32; columns];
    let mut longest_word = vec![0.0f32; columns];
    for (head, row) in &all_rows {
        for (c, (w, word)) in widest.iter_mut().zip(longest_word.iter_mut()).enumerate() {
            let text = markdown::plain(&cell(row, c));
            let face = if *head { Face::Bold } else { Face::Regular };
            *w = w.max(text::width(&text, face, 1.0));
            for part in text.split_whitespace() {
                *word = word.max(text::width(part, face, 1.0));
            }
        }
    }
    let room = width - 2.0 * pad_x * columns as f32;
    // A narrow, short table is set larger, up to the body's size; a long one stays small to take more rows.
    let natural: f32 = widest.iter().sum();
    let size = if rows.len() <= 8 {
        (room / natural.max(1.0))
            .min(sizes.body())
            .max(sizes.table())
    } else {
        sizes.table()
    };
    for w in widest.iter_mut().chain(longest_word.iter_mut()) {
        *w *= size;
    }
    let total: f32 = widest.iter().sum();
    let minimum: f32 = longest_word.iter().sum();
    let column_widths: Vec<f32> = if total <= room {
        widest.clone()
    } else if minimum < room {
        let extra: f32 = widest.iter().zip(&longest_word).map(|(w, m)| w - m).sum();
        widest
            .iter()
            .zip(&longest_word)
            .map(|(w, m)| m + (room - minimum) * (w - m) / extra.max(1.0))
            .collect()
    } else {
        longest_word.iter().map(|m| m * room / minimum).collect()
    };
    let table_width: f32 = column_widths.iter().sum::<f32>() + 2.0 * pad_x * columns as f32;
    let mut height = 0.0;
    for (index, (head, row)) in all_rows.iter().enumerate() {
        let mut sets = Vec::new();
        let mut row_height: f32 = 0.0;
        for (c, cell_width) in column_widths.iter().enumerate() {
            let spans = restyled(&cell(row, c), |s| s.bold |= *head);
            let set = set_spans(
                &spans,
                size,
                cell_width.max(size),
                if *head { Colour::Title } else { Colour::Text },
            );
            pen.missing.extend(set.missing.iter().copied());
            row_height = row_height.max(set.lines.len().max(1) as f32 * size * LINE);
            sets.push(set);
        }
        row_height += 2.0 * pad_y;
        let fill = if *head {
            Some(Colour::Panel)
        } else if index % 2 == 0 {
            Some(Colour::Stripe)
        } else {
            None
        };
        if let Some(colour) = fill {
            pen.out.push(Element::Rect {
                x,
                y: y + height,
                width: table_width,
                height: row_height,
                radius: 0.0,
                colour,
            });
        }
        let mut cell_x = x;
        for (c, set) in sets.iter().enumerate() {
            let cell_width = column_widths[c];
            let mut baseline = y + height + pad_y;
            for line in &set.lines {
                baseline += size * LINE;
                let free = (cell_width - line.width).max(0.0);
                let shift = match alignments.get(c).copied().unwrap_or(Align::None) {
                    Align::Center => free / 2.0,
                    Align::Right => free,
                    Align::Left | Align::None => 0.0,
                };
                draw_line(
                    pen,
                    line,
                    cell_x + pad_x + shift,
                    baseline - size * 0.3,
                    size,
                );
            }
            cell_x += cell_width + 2.0 * pad_x;
        }
        height += row_height;
    }
    pen.out.push(Element::Rect {
        x,
        y: y + height - 2.0,
        width: table_width,
        height: 2.0,
        radius: 0.0,
        colour: Colour::Accent,
    });
    height
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(laid: &Laid) -> Vec<String> {
        laid.elements
            .iter()
            .filter_map(|e| match e {
                Element::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn page(blocks: &[Block]) -> Page<'_> {
        Page {
            title: "A `code` title",
            blocks,
            footer: "Course · Chapter",
            number: 2,
            picture: false,
        }
    }

    #[test]
    fn pictures_behind_or_beside_the_text_take_no_room_in_its_flow() {
        let behind = Block::Image {
            src: "bg.png".into(),
            alt: String::new(),
            place: Place::Background,
        };
        let text = Block::Paragraph {
            text: "Over the picture.".into(),
        };
        let laid = layout(page(&[behind.clone(), text.clone()]), 1080.0, Theme::Dark);
        assert!(
            matches!(&laid.elements[0], Element::Image { x, y, width, height, opacity, .. }
                if *x == 0.0 && *y == 0.0 && *width == WIDTH && *height == 1080.0 && *opacity < 0.5),
            "{:?}",
            laid.elements[0]
        );
        let alone = layout(page(std::slice::from_ref(&behind)), 1080.0, Theme::Dark);
        assert!(matches!(&alone.elements[0], Element::Image { opacity, .. } if *opacity == 1.0));
        let right = Block::Image {
            src: "side.png".into(),
            alt: String::new(),
            place: Place::Right { percent: 40 },
        };
        let laid = layout(page(&[right, text]), 1080.0, Theme::Dark);
        let Element::Image { x, .. } = &laid.elements[0] else {
            panic!("{:?}", laid.elements[0])
        };
        assert!(*x > WIDTH * 0.6 - 1.0);
        // The text is set left of the picture.
        assert!(laid.elements.iter().all(|e| match e {
            Element::Text { x: tx, .. } => *tx < WIDTH * 0.6,
            _ => true,
        }));
    }

    #[test]
    fn code_keeps_its_spaces_and_draws_every_line() {
        let blocks = [Block::Code {
            language: "python".into(),
            text: "def f(x):\n    return  x  # two spaces".into(),
        }];
        let laid = layout(page(&blocks), STANDARD_HEIGHT, Theme::Dark);
        let all = texts(&laid).concat();
        assert!(all.contains("    return  x  "), "{all:?}");
        assert!(all.contains("# two spaces"));
        assert!(!laid.overflow);
    }

    #[test]
    fn every_table_cell_is_drawn_in_its_column() {
        let blocks = [Block::Table {
            alignments: vec![Align::Left, Align::Right],
            header: vec!["Strategy".into(), "Writes".into()],
            rows: vec![
                vec!["write-through".into(), "cache and store".into()],
                vec!["write-back".into(), "cache".into()],
            ],
        }];
        let laid = layout(page(&blocks), STANDARD_HEIGHT, Theme::Light);
        let all = texts(&laid).join(" ");
        for cell in [
            "Strategy",
            "Writes",
            "write-through",
            "cache and store",
            "write-back",
        ] {
            assert!(all.contains(cell), "{cell}: {all}");
        }
    }

    #[test]
    fn too_much_shrinks_then_says_it_overflows_and_fits_tells_ahead() {
        let long = Block::Paragraph {
            text: "word ".repeat(60),
        };
        assert!(fits("T", std::slice::from_ref(&long)));
        let many = vec![long; 12];
        assert!(!fits("T", &many));
        let laid = layout(page(&many), STANDARD_HEIGHT, Theme::Dark);
        assert!(laid.overflow);
    }

    #[test]
    fn lists_keep_numbers_nesting_and_boxes() {
        let item = |text: &str, depth, number, checked| Item {
            text: text.into(),
            depth,
            number,
            checked,
        };
        let blocks = [Block::List {
            items: vec![
                item("first", 0, Some(3), None),
                item("inner", 1, None, None),
                item("todo", 0, None, Some(false)),
            ],
        }];
        let laid = layout(page(&blocks), STANDARD_HEIGHT, Theme::Dark);
        let all = texts(&laid);
        for text in ["3.", "first", "◦", "inner", "☐", "todo"] {
            assert!(all.iter().any(|t| t == text), "{text}: {all:?}");
        }
        let x_of = |wanted: &str| {
            laid.elements.iter().find_map(|e| match e {
                Element::Text { text, x, .. } if text == wanted => Some(*x),
                _ => None,
            })
        };
        assert!(x_of("inner").unwrap() > x_of("first").unwrap());
    }
}
