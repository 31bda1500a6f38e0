//! The built-in `outline` script writer: deterministic slides from the chapter's own blocks, offline.
//!
//! Each section (the chapter's start and every sub-heading) is laid out block by block, in the author's
//! order: a slide takes blocks while they fit (as [`layout::fits`] measures them), while its narration
//! stays within `words_per_slide` and its list within `max_bullets` items; what does not fit continues on
//! the next slide, "(continued)". Paragraphs and quotes continue at a sentence, lists at an item, code at a
//! line, tables at a row (with their header again). Nothing is cut or dropped.
//!
//! The narration is what a speaker would say: the prose and the list items. Code, tables and pictures are
//! shown, not read out; a slide that holds only those is introduced by its title.

use crate::lecture::Chapter;
use crate::lecture::markdown::{self, Block, Item, Span};
use crate::lecture::script::{Script, Slide};
use crate::lecture::sentences;
use crate::media::layout;

/// The outline writer's version: part of every script key, bump it when its output changes.
pub const VERSION: u32 = 9;

/// The longest piece of text (in characters) a slide takes at once: longer sentences and words continue.
const MAX_PIECE_CHARS: usize = 600;

/// How many slides, list items and words of narration a slide may hold.
#[derive(Debug, Clone, Copy)]
pub struct OutlineSettings {
    pub max_slides: usize,
    pub max_bullets: usize,
    pub words_per_slide: usize,
}

/// A piece of a block that a slide can take on its own, and the block it came from.
#[derive(Debug, Clone)]
struct Part {
    block: Block,
    source: usize,
    /// How it joins the previous part of the same block.
    glue: Glue,
}

/// What goes between two parts of one block shown on the same slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glue {
    Space,
    /// A word cut in two.
    Nothing,
    /// A new line (a quote's next paragraph).
    NewLine,
}

impl Glue {
    fn text(self) -> &'static str {
        match self {
            Glue::Space => " ",
            Glue::Nothing => "",
            Glue::NewLine => "\n",
        }
    }
}

/// A slide being planned.
#[derive(Debug, Clone)]
struct Page {
    /// Inline Markdown.
    title: String,
    blocks: Vec<Block>,
    /// The block each of `blocks` came from.
    sources: Vec<usize>,
    continued: bool,
    /// Its section has speaker notes: they are what is said, not the blocks.
    notes: bool,
    /// It starts a slide the author broke off: it is never joined with the one before.
    broken: bool,
}

/// Writes the slide script of `chapter`; slide ids are `ID_PREFIX-01`, `ID_PREFIX-02`, ...
pub fn write_script(chapter: &Chapter, id_prefix: &str, settings: OutlineSettings) -> Script {
    let mut pages: Vec<Page> = Vec::new();
    let mut source = 0;
    for section in sections(chapter) {
        let start = pages.len();
        pages.push(Page {
            title: section.title,
            blocks: Vec::new(),
            sources: Vec::new(),
            continued: section.continued,
            notes: section
                .blocks
                .iter()
                .any(|b| matches!(b, Block::Notes { .. })),
            broken: section.broken,
        });
        for block in section.blocks {
            match block {
                // Notes go with the slide they are written on, taking no room on it.
                Block::Notes { .. } => {
                    let page = pages.last_mut().expect("a section has a page");
                    page.blocks.push(block);
                    page.sources.push(source);
                    source += 1;
                    continue;
                }
                Block::Directive { .. } | Block::Break => continue,
                _ => {}
            }
            let parts = parts(&block, source, settings.words_per_slide);
            keep_together(&mut pages, start, &parts, settings);
            for part in parts {
                place(&mut pages, start, part, settings);
            }
            source += 1;
        }
    }
    merge_to_limit(&mut pages, settings);
    let slides = pages
        .iter()
        .enumerate()
        .map(|(index, page)| {
            let mut narration: Vec<String> = Vec::new();
            if index == 0 && !page.notes {
                narration.push(sentences::as_sentence(&markdown::plain(&markdown::escape(
                    &chapter.title,
                ))));
            }
            let said = narration_of(&page.blocks, page.notes);
            // A slide with nothing to read says its title, unless it goes on from the slide before (it was
            // said there) or has none: then it is held silent.
            if said.is_empty() && (index > 0 || page.notes) && !page.continued {
                narration.push(sentences::as_sentence(&markdown::plain(&page.title)));
            }
            narration.extend(said);
            let title = if page.continued && !page.title.is_empty() {
                format!("{} (continued)", page.title)
            } else {
                page.title.clone()
            };
            let visual = page.blocks.iter().find_map(|b| match b {
                Block::Image { alt, .. } if !alt.is_empty() => Some(alt.clone()),
                _ => None,
            });
            narration.retain(|s| !s.trim().is_empty());
            let speaker_notes = sentences::spoken(&narration.join(" "));
            let words = speaker_notes.split_whitespace().count();
            // A deck's notes are its narration by design (Marp, Slidev): only a document's are weighed.
            if page.notes
                && !chapter.deck
                && let Some(unsaid) = unspoken(&page.blocks, words)
            {
                log::warn!(
                    "chapter {:?}, slide {} ({:?}): {unsaid}",
                    markdown::plain(&chapter.title),
                    index + 1,
                    markdown::plain(&page.title)
                );
            }
            Slide {
                id: format!("{id_prefix}-{:02}", index + 1),
                visual_prompt: visual.unwrap_or_else(|| {
                    format!(
                        "A clean, simple illustration for a lecture slide titled \"{}\"",
                        markdown::plain(&page.title)
                    )
                }),
                title,
                bullets: Vec::new(),
                content: page.blocks.clone(),
                estimated_duration_sec: (words as f64 / 2.5 * 10.0).round() / 10.0,
                speaker_notes,
            }
        })
        .collect();
    Script { slides }
}

/// A run of blocks that starts a slide: a heading's, or a slide the author broke off.
struct Section {
    /// Inline Markdown; empty for an untitled slide of a deck.
    title: String,
    blocks: Vec<Block>,
    /// It goes on from the section before (a `---` in a document, not a deck).
    continued: bool,
    /// The author broke the slide off (`---`): it is never joined with another.
    broken: bool,
}

/// The chapter's sections. In a document, its title with the blocks before the first sub-heading, then each
/// sub-heading with its blocks; a `---` goes on under the same title. In a deck, each slide the author broke
/// off, titled by its first heading. A chapter heading with nothing under it before the next heading is a
/// title card.
fn sections(chapter: &Chapter) -> Vec<Section> {
    // A deck's first slide is titled by its own first heading, like every other.
    let first_title = if chapter.deck {
        String::new()
    } else {
        markdown::escape(&chapter.title)
    };
    let mut sections = vec![Section {
        title: first_title,
        blocks: Vec::new(),
        continued: false,
        broken: false,
    }];
    for block in &chapter.blocks {
        let current = sections.last_mut().expect("there is always a section");
        match block {
            Block::Break => {
                let (title, continued) = if chapter.deck {
                    (String::new(), false)
                } else {
                    (current.title.clone(), true)
                };
                sections.push(Section {
                    title,
                    blocks: Vec::new(),
                    continued,
                    broken: true,
                });
            }
            Block::Heading { text, .. } if chapter.deck && current.title.is_empty() => {
                current.title = text.clone();
            }
            Block::Heading { text, .. } if !chapter.deck => sections.push(Section {
                title: text.clone(),
                blocks: Vec::new(),
                continued: false,
                broken: false,
            }),
            other => current.blocks.push(other.clone()),
        }
    }
    // A break with nothing after it (before the next chapter's heading) is no slide.
    sections.retain(|s| !(s.broken && s.blocks.is_empty() && (s.title.is_empty() || s.continued)));
    sections
}

/// True when `blocks` fit on one slide under `title`: their layout, their narration and their list.
fn fits(title: &str, blocks: &[Block], settings: OutlineSettings) -> bool {
    layout::fits(title, blocks)
        && words(blocks) <= settings.words_per_slide
        && items(blocks) <= settings.max_bullets
}

/// A continuation page of the section that starts at page `start`.
fn continuation(pages: &[Page], start: usize) -> Page {
    Page {
        title: pages[start].title.clone(),
        blocks: Vec::new(),
        sources: Vec::new(),
        continued: true,
        notes: pages[start].notes,
        broken: false,
    }
}

/// Starts a new page for a block that fits on a slide of its own but not in what is left of this one, so
/// that a block is split across slides only when it is too big for any one slide.
fn keep_together(pages: &mut Vec<Page>, start: usize, parts: &[Part], settings: OutlineSettings) {
    let page = pages.last().expect("a section has a page");
    if page.blocks.is_empty() || parts.len() < 2 {
        return;
    }
    let with = |base: &Page| {
        let mut page = base.clone();
        for part in parts {
            add(&mut page, part);
        }
        page
    };
    let here = with(page);
    if fits(&here.title, &here.blocks, settings) {
        return;
    }
    let alone = with(&continuation(pages, start));
    if !fits(&alone.title, &alone.blocks, settings) {
        return;
    }
    let mut next = continuation(pages, start);
    // A paragraph that introduces the block ("...like this:") goes with it, when they fit together.
    let page = pages.last_mut().expect("a section has a page");
    if let (Some(Block::Paragraph { text }), Some(&source)) =
        (page.blocks.last(), page.sources.last())
        && page.blocks.len() > 1
        && markdown::plain(text).trim_end().ends_with(':')
    {
        let mut together = next.clone();
        together
            .blocks
            .push(Block::Paragraph { text: text.clone() });
        together.sources.push(source);
        let with_intro = with(&together);
        if fits(&with_intro.title, &with_intro.blocks, settings) {
            page.blocks.pop();
            page.sources.pop();
            next = together;
        }
    }
    pages.push(next);
}

/// Adds `part` to the last page of the section that starts at page `start`, or continues it on a new page
/// when it does not fit.
fn place(pages: &mut Vec<Page>, start: usize, part: Part, settings: OutlineSettings) {
    let page = pages.last_mut().expect("a section has a page");
    let mut candidate = page.clone();
    add(&mut candidate, &part);
    if page.blocks.is_empty() || fits(&candidate.title, &candidate.blocks, settings) {
        *page = candidate;
        return;
    }
    let mut next = continuation(pages, start);
    add(&mut next, &part);
    pages.push(next);
}

/// Adds a part to a page: to the block it continues, or as a new block.
fn add(page: &mut Page, part: &Part) {
    let continues = page.sources.last() == Some(&part.source);
    match (page.blocks.last_mut(), &part.block) {
        (Some(Block::Paragraph { text }), Block::Paragraph { text: more }) if continues => {
            text.push_str(part.glue.text());
            text.push_str(more);
        }
        (Some(Block::List { items }), Block::List { items: more }) if continues => {
            items.extend(more.iter().cloned())
        }
        (Some(Block::Code { text, .. }), Block::Code { text: more, .. }) if continues => {
            text.push('\n');
            text.push_str(more);
        }
        (Some(Block::Table { rows, .. }), Block::Table { rows: more, .. }) if continues => {
            rows.extend(more.iter().cloned())
        }
        (
            Some(Block::Quote { text, attribution }),
            Block::Quote {
                text: more,
                attribution: who,
            },
        ) if continues => {
            text.push_str(part.glue.text());
            text.push_str(more);
            *attribution = who.clone();
        }
        (Some(Block::Footnote { text, .. }), Block::Footnote { text: more, .. }) if continues => {
            text.push_str(part.glue.text());
            text.push_str(more);
        }
        _ => {
            page.blocks.push(part.block.clone());
            page.sources.push(part.source);
        }
    }
}

/// The pieces of a block a slide can take one at a time.
fn parts(block: &Block, source: usize, words_per_slide: usize) -> Vec<Part> {
    let part = |block: Block, glue: Glue| Part {
        block,
        source,
        glue,
    };
    match block {
        Block::Paragraph { text } => pieces(text, words_per_slide)
            .into_iter()
            .map(|(text, glue)| part(Block::Paragraph { text }, glue))
            .collect(),
        Block::List { items } => items
            .iter()
            .flat_map(|item| {
                pieces(&item.text, words_per_slide)
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, _))| Item {
                        text,
                        // A continued item keeps its place, not its number or box.
                        number: item.number.filter(|_| i == 0),
                        checked: item.checked.filter(|_| i == 0),
                        depth: item.depth,
                    })
            })
            .map(|item| part(Block::List { items: vec![item] }, Glue::NewLine))
            .collect(),
        Block::Code { language, text } => text
            .split('\n')
            .flat_map(|line| {
                let chars: Vec<char> = line.chars().collect();
                if chars.is_empty() {
                    return vec![String::new()];
                }
                chars
                    .chunks(MAX_PIECE_CHARS)
                    .map(|c| c.iter().collect())
                    .collect()
            })
            .map(|line| {
                part(
                    Block::Code {
                        language: language.clone(),
                        text: line,
                    },
                    Glue::NewLine,
                )
            })
            .collect(),
        Block::Table {
            alignments,
            header,
            rows,
        } => {
            if rows.is_empty() {
                return vec![part(block.clone(), Glue::NewLine)];
            }
            rows.iter()
                .map(|row| {
                    part(
                        Block::Table {
                            alignments: alignments.clone(),
                            header: header.clone(),
                            rows: vec![row.clone()],
                        },
                        Glue::NewLine,
                    )
                })
                .collect()
        }
        Block::Quote { text, attribution } => {
            let mut out: Vec<Part> = Vec::new();
            for line in text.lines() {
                for (i, (piece, glue)) in pieces(line, words_per_slide).into_iter().enumerate() {
                    let quote = Block::Quote {
                        text: piece,
                        attribution: None,
                    };
                    out.push(part(quote, if i == 0 { Glue::NewLine } else { glue }));
                }
            }
            if let Some(Part {
                block: Block::Quote {
                    attribution: who, ..
                },
                ..
            }) = out.last_mut()
            {
                *who = attribution.clone();
            }
            out
        }
        Block::Footnote { label, text } => pieces(text, words_per_slide)
            .into_iter()
            .map(|(text, glue)| {
                part(
                    Block::Footnote {
                        label: label.clone(),
                        text,
                    },
                    glue,
                )
            })
            .collect(),
        Block::Image { .. }
        | Block::Math { .. }
        | Block::Callout { .. }
        | Block::Heading { .. }
        | Block::Notes { .. }
        | Block::Directive { .. }
        | Block::Break => {
            vec![part(block.clone(), Glue::NewLine)]
        }
    }
}

/// Inline Markdown in pieces a slide can take: its sentences, a sentence longer than `words_per_slide`
/// words (or [`MAX_PIECE_CHARS`]) at its words, a word longer than that at its characters. Each piece
/// comes with how it joins the one before.
fn pieces(text: &str, words_per_slide: usize) -> Vec<(String, Glue)> {
    let spans = markdown::spans(text);
    let flat: String = spans.iter().map(|s| s.text.as_str()).collect();
    let chars: Vec<char> = flat.chars().collect();
    // A formula is one piece: no cut falls inside it (unless it alone is far too long for a slide).
    let mut inside: Vec<bool> = Vec::with_capacity(chars.len());
    for span in &spans {
        let length = span.text.chars().count();
        inside.extend((0..length).map(|k| span.style.math && k > 0));
    }
    let mut cuts: Vec<usize> = Vec::new();
    let mut start = 0;
    let mut words = 0;
    let mut in_word = false;
    for (i, &c) in chars.iter().enumerate() {
        let long = i - start >= MAX_PIECE_CHARS && (!inside[i] || i - start >= 4 * MAX_PIECE_CHARS);
        if c.is_whitespace() {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words > words_per_slide && i > start && !inside[i] {
                cuts.push(i);
                start = i;
                words = 1;
                continue;
            }
        }
        if long {
            cuts.push(i);
            start = i;
            words = 1;
            continue;
        }
        let ends_sentence =
            sentences::ends_at(&chars[start..], i - start) || matches!(c, '。' | '！' | '？');
        if ends_sentence && words > 0 && i + 1 < chars.len() && !inside[i + 1] {
            cuts.push(i + 1);
            start = i + 1;
            words = 0;
        }
    }
    let parts: Vec<Vec<Span>> = markdown::cut(&spans, &cuts);
    if parts.is_empty() {
        return vec![(text.to_string(), Glue::Space)];
    }
    // A cut with no space on either side went through a word.
    let glues = std::iter::once(Glue::Space).chain(cuts.iter().map(|&at| {
        let spaced = chars.get(at).is_some_and(|c| c.is_whitespace())
            || at > 0 && chars.get(at - 1).is_some_and(|c| c.is_whitespace());
        if spaced { Glue::Space } else { Glue::Nothing }
    }));
    parts
        .iter()
        .zip(glues)
        .map(|(p, glue)| (markdown::join(p), glue))
        .collect()
}

/// What a speaker says for these blocks: with `notes`, the speaker notes alone; else the prose, list items
/// and quotes, not code, tables or pictures.
fn narration_of(blocks: &[Block], notes: bool) -> Vec<String> {
    let mut said = Vec::new();
    for block in blocks {
        if notes {
            if let Block::Notes { text } = block {
                said.push(markdown::plain(text));
            }
            continue;
        }
        match block {
            Block::Paragraph { text } => said.push(sentences::as_sentence(&markdown::plain(text))),
            Block::Heading { text, .. } => {
                said.push(sentences::as_sentence(&markdown::plain(text)))
            }
            Block::List { items } => said.extend(
                items
                    .iter()
                    .map(|i| sentences::as_sentence(&markdown::plain(&i.text))),
            ),
            Block::Quote { text, .. } => said.push(markdown::plain(&text.replace('\n', " "))),
            Block::Math { tex } => {
                said.push(sentences::as_sentence(&crate::lecture::math::spoken(tex)))
            }
            Block::Callout { title, text, .. } => {
                said.push(sentences::as_sentence(&markdown::plain(title)));
                said.push(markdown::plain(&text.replace('\n', " ")));
            }
            Block::Code { .. }
            | Block::Table { .. }
            | Block::Image { .. }
            | Block::Footnote { .. }
            | Block::Notes { .. }
            | Block::Directive { .. }
            | Block::Break => {}
        }
    }
    said.retain(|s| !s.trim().is_empty());
    said
}

/// What a slide whose section has notes leaves unsaid, when that is most of what it shows: a note replaces the
/// narration of its whole section, so a long slide under a short note is mostly silent.
fn unspoken(blocks: &[Block], said: usize) -> Option<String> {
    let shown = words(blocks);
    (shown >= 15 && said * 2 < shown).then(|| {
        format!(
            "it shows {shown} words of text and says {said} (its section's note replaces all of its \
             narration); say more in the note, or move the note under its own heading"
        )
    })
}

fn words(blocks: &[Block]) -> usize {
    narration_of(blocks, false)
        .iter()
        .map(|s| s.split_whitespace().count())
        .sum()
}

/// The points of the lists on a slide: their outer items (an item's sub-items are its details).
fn items(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::List { items } => items.iter().filter(|i| i.depth == 0).count(),
            _ => 0,
        })
        .sum()
}

/// Joins neighbouring slides of different sections while there are more than `max_slides` and two of them
/// fit on one (the second's title becomes a heading on it); slides that do not fit together stay apart.
fn merge_to_limit(pages: &mut Vec<Page>, settings: OutlineSettings) {
    while pages.len() > settings.max_slides {
        let joinable = (0..pages.len() - 1).find_map(|i| {
            let (a, b) = (&pages[i], &pages[i + 1]);
            if b.continued || b.broken || a.notes != b.notes {
                return None;
            }
            let mut blocks = a.blocks.clone();
            blocks.push(Block::Heading {
                level: 3,
                text: b.title.clone(),
            });
            blocks.extend(b.blocks.iter().cloned());
            fits(&a.title, &blocks, settings).then_some((i, blocks))
        });
        let Some((i, blocks)) = joinable else {
            return;
        };
        let b = pages.remove(i + 1);
        pages[i].sources.push(usize::MAX);
        pages[i].sources.extend(b.sources);
        pages[i].blocks = blocks;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Split;
    use crate::lecture::{How, split_chapters};

    fn settings() -> OutlineSettings {
        OutlineSettings {
            max_slides: 20,
            max_bullets: 6,
            words_per_slide: 60,
        }
    }

    fn chapter(markdown: &str) -> Chapter {
        split_chapters(markdown, How::document(Split::File), "x")
            .remove(0)
            .0
    }

    /// The text of every slide's paragraphs (a slide of anything else fails the test).
    fn paragraphs(script: &Script) -> Vec<String> {
        shown(script)
            .into_iter()
            .map(|b| match b {
                Block::Paragraph { text } => text,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// Every block of every slide, with the parts of one block joined back.
    fn shown(script: &Script) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        for slide in &script.slides {
            for block in &slide.content {
                out.push(block.clone());
            }
        }
        out
    }

    #[test]
    fn one_slide_per_section_with_the_authors_blocks_and_narration_from_prose() {
        let ch = chapter(
            "# Gradients\n\nA gradient points uphill. We walk against it.\n\n## Step size\n\n- small is slow\n- large diverges\n",
        );
        let script = write_script(&ch, "03", settings());
        assert_eq!(script.slides.len(), 2);
        let first = &script.slides[0];
        assert_eq!(first.id, "03-01");
        assert_eq!(
            first.speaker_notes,
            "Gradients. A gradient points uphill. We walk against it."
        );
        assert_eq!(
            first.content,
            [Block::Paragraph {
                text: "A gradient points uphill. We walk against it.".into()
            }]
        );
        let second = &script.slides[1];
        assert_eq!(second.title, "Step size");
        assert!(matches!(&second.content[0], Block::List { items } if items.len() == 2));
        assert_eq!(second.speaker_notes, "small is slow. large diverges.");
    }

    #[test]
    fn long_sections_continue_on_the_next_slide_and_nothing_is_lost() {
        let sentence = "This sentence has exactly seven words here. ";
        let ch = chapter(&format!("# Long\n\n{}\n", sentence.repeat(40)));
        let script = write_script(&ch, "01", settings());
        assert!(script.slides.len() >= 3, "{}", script.slides.len());
        assert_eq!(script.slides[1].title, "Long (continued)");
        let words: usize = script
            .slides
            .iter()
            .map(|s| s.speaker_notes.split_whitespace().count())
            .sum();
        assert_eq!(words, 40 * 7 + 1);
        let text: Vec<String> = paragraphs(&script);
        assert_eq!(text.join(" "), sentence.repeat(40).trim());
        assert!(!script.slides.iter().any(|s| s.speaker_notes.contains('…')));
    }

    #[test]
    fn code_keeps_its_whitespace_across_slides_and_is_not_read_out() {
        let lines: Vec<String> = (0..60).map(|i| format!("\tx{i} =  {i}   # sum")).collect();
        let ch = chapter(&format!(
            "# Code\n\nLoop like this:\n\n```python\n{}\n```\n",
            lines.join("\n")
        ));
        let script = write_script(&ch, "01", settings());
        assert!(script.slides.len() >= 3);
        let code: Vec<String> = shown(&script)
            .into_iter()
            .filter_map(|b| match b {
                Block::Code { language, text } => {
                    assert_eq!(language, "python");
                    Some(text)
                }
                _ => None,
            })
            .collect();
        assert_eq!(code.join("\n"), lines.join("\n"));
        assert!(
            script
                .slides
                .iter()
                .all(|s| !s.speaker_notes.contains("x1"))
        );
        // The code goes on over slides the first one introduced: they are held silent.
        assert_eq!(script.slides[1].speaker_notes, "");
    }

    #[test]
    fn a_table_with_more_rows_than_fit_continues_with_its_header() {
        let rows: String = (0..40)
            .map(|i| format!("| row {i} | value {i} |\n"))
            .collect();
        let ch = chapter(&format!("# Table\n\n| Name | Value |\n|---|--:|\n{rows}"));
        let script = write_script(&ch, "01", settings());
        assert!(script.slides.len() >= 2);
        let mut seen = Vec::new();
        for slide in &script.slides {
            let Block::Table {
                header,
                rows,
                alignments,
            } = &slide.content[0]
            else {
                panic!("{:?}", slide.content)
            };
            assert_eq!(header, &["Name", "Value"]);
            assert_eq!(alignments[1], markdown::Align::Right);
            seen.extend(rows.iter().map(|r| r[0].clone()));
        }
        let expected: Vec<String> = (0..40).map(|i| format!("row {i}")).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn lists_paginate_at_max_bullets_and_keep_nesting() {
        let markdown: String = (1..=9)
            .map(|i| format!("{i}. item {i}\n   - detail {i}\n"))
            .collect();
        let ch = chapter(&format!("# List\n\n{markdown}"));
        let script = write_script(
            &ch,
            "01",
            OutlineSettings {
                max_bullets: 5,
                ..settings()
            },
        );
        let all: Vec<Item> = shown(&script)
            .into_iter()
            .flat_map(|b| match b {
                Block::List { items } => items,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(all.len(), 18);
        assert!(script.slides.iter().all(|s| items(&s.content) <= 5));
        assert_eq!(script.slides[0].content.len(), 1);
        assert!(matches!(&script.slides[0].content[0], Block::List { items } if items.len() == 10));
        assert_eq!(all[16].number, Some(9));
        assert_eq!(all[17].depth, 1);
    }

    #[test]
    fn a_heading_only_chapter_is_a_title_card_and_giant_words_are_broken() {
        let card = write_script(&chapter("# Just a title\n"), "01", settings());
        assert_eq!(card.slides.len(), 1);
        assert!(card.slides[0].content.is_empty());
        assert_eq!(card.slides[0].speaker_notes, "Just a title.");

        let word = "y".repeat(20_000);
        let giant = write_script(&chapter(&format!("# Big\n\n{word}\n")), "01", settings());
        let text: String = paragraphs(&giant).concat();
        assert!(
            text == word,
            "{} characters shown of {}",
            text.len(),
            word.len()
        );
        assert!(giant.slides.len() > 5);
    }

    #[test]
    fn max_slides_joins_sections_that_fit_together_and_never_drops() {
        let ch = chapter(
            "# T\n\nIntro.\n\n## A\n\nAlpha text.\n\n## B\n\nBeta text.\n\n## C\n\nGamma text.\n",
        );
        let script = write_script(
            &ch,
            "01",
            OutlineSettings {
                max_slides: 2,
                ..settings()
            },
        );
        assert_eq!(script.slides.len(), 2);
        let all: String = script
            .slides
            .iter()
            .map(|s| s.speaker_notes.clone())
            .collect();
        for word in ["Alpha", "Beta", "Gamma"] {
            assert!(all.contains(word), "{all}");
        }
    }

    #[test]
    fn a_short_note_over_a_long_slide_is_said_to_leave_it_unspoken() {
        let long = markdown::parse(
            "# T\n\nThis paragraph holds many words that the slide shows and that nobody will say aloud at all.\n",
        )
        .blocks
        .into_iter()
        .map(|(block, _)| block)
        .collect::<Vec<_>>();
        assert!(unspoken(&long, 3).is_some_and(|m| m.contains("says 3")));
        assert_eq!(unspoken(&long, 12), None);
        let short: Vec<Block> = (markdown::parse("# T\n\n- one point\n").blocks)
            .into_iter()
            .map(|(block, _)| block)
            .collect();
        assert_eq!(unspoken(&short, 2), None);
    }

    #[test]
    fn a_section_with_notes_says_the_notes_and_shows_the_blocks() {
        let ch = chapter(
            "# Notes\n\n- shown point\n\n<!-- say: We say *this* instead. -->\n\n## Plain\n\nRead aloud.\n",
        );
        let script = write_script(&ch, "01", settings());
        assert_eq!(script.slides[0].speaker_notes, "We say this instead.");
        assert!(
            script.slides[0]
                .content
                .iter()
                .any(|b| matches!(b, Block::List { .. }))
        );
        assert_eq!(script.slides[1].speaker_notes, "Read aloud.");
    }

    #[test]
    fn a_chapter_heading_directly_over_a_sub_heading_keeps_its_title_card() {
        let script = write_script(
            &chapter("# Chapter\n\n### Sub\n\nText.\n"),
            "01",
            settings(),
        );
        let titles: Vec<&str> = script.slides.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Chapter", "Sub"]);
        assert!(script.slides[0].content.is_empty());
        assert_eq!(script.slides[0].speaker_notes, "Chapter.");
    }

    #[test]
    fn a_decks_slides_are_titled_by_their_first_heading_and_never_joined() {
        let mut deck =
            chapter("# Deck\n\n# One\n\nA.\n\n---\n\n![p](p.png)\n\n---\n\n## Two\n\nB.\n");
        deck.deck = true;
        let script = write_script(
            &deck,
            "01",
            OutlineSettings {
                max_slides: 1,
                ..settings()
            },
        );
        let titles: Vec<&str> = script.slides.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["One", "", "Two"]);
        // The untitled picture slide has nothing to say: it is silent, not titled aloud.
        assert_eq!(script.slides[1].speaker_notes, "");
    }

    #[test]
    fn a_formula_is_never_cut_in_two() {
        let ch = chapter("# Math\n\nWe know $n! \\cdot n. x^2$ holds. More text here.\n");
        let script = write_script(
            &ch,
            "01",
            OutlineSettings {
                words_per_slide: 2,
                ..settings()
            },
        );
        let texts: Vec<String> = paragraphs(&script);
        assert!(
            texts.iter().any(|t| t.contains("$n! \\\\cdot n. x^2$")),
            "{texts:?}"
        );
    }

    #[test]
    fn output_is_deterministic() {
        let ch = chapter("# T\n\nSome text. More text!\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert_eq!(
            write_script(&ch, "01", settings()),
            write_script(&ch, "01", settings())
        );
    }
}
