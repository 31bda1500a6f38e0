//! The built-in `outline` script writer: deterministic slides from a chapter's own structure, offline.
//!
//! Each section (the chapter's start and every sub-heading) becomes one slide or, when its narration is longer
//! than `words_per_slide`, several. The narration is the chapter's prose as a speaker would read it; bullets
//! are list items or the first sentence of each paragraph.

use crate::lecture::{Block, Chapter};
use crate::script::{Script, Slide};

/// The outline writer's version: part of every script key, bump it when its output changes.
pub const VERSION: u32 = 2;

/// How many slides and bullets to write.
#[derive(Debug, Clone, Copy)]
pub struct OutlineSettings {
    pub max_slides: usize,
    pub max_bullets: usize,
    pub words_per_slide: usize,
}

/// A piece of a section: what it adds to the narration, the bullets and the picture.
#[derive(Default)]
struct Piece {
    narration: Vec<String>,
    bullets: Vec<String>,
    visual: Option<String>,
}

impl Piece {
    fn words(&self) -> usize {
        self.narration
            .iter()
            .map(|s| s.split_whitespace().count())
            .sum()
    }
}

struct Section {
    title: String,
    pieces: Vec<Piece>,
}

/// Writes the slide script of `chapter`; slide ids are `ID_PREFIX-01`, `ID_PREFIX-02`, ...
pub fn write_script(chapter: &Chapter, id_prefix: &str, settings: OutlineSettings) -> Script {
    let sections = sections(chapter, settings.words_per_slide);
    let mut drafts: Vec<(String, Vec<Piece>)> = Vec::new();
    for section in sections {
        let mut current: Vec<Piece> = Vec::new();
        let mut part = 0;
        for piece in section.pieces {
            let words: usize = current.iter().map(Piece::words).sum();
            if !current.is_empty() && words + piece.words() > settings.words_per_slide {
                drafts.push((
                    continued(&section.title, part),
                    std::mem::take(&mut current),
                ));
                part += 1;
            }
            current.push(piece);
        }
        if !current.is_empty() || part == 0 {
            drafts.push((continued(&section.title, part), current));
        }
    }
    let drafts = merge_to_limit(drafts, settings.max_slides);
    let slides = drafts
        .into_iter()
        .enumerate()
        .map(|(index, (title, pieces))| {
            let mut narration: Vec<String> = Vec::new();
            if index == 0 {
                narration.push(sentence(&chapter.title));
            }
            narration.extend(pieces.iter().flat_map(|p| p.narration.iter().cloned()));
            if narration.is_empty() {
                narration.push(sentence(&title));
            }
            let mut bullets: Vec<String> = pieces
                .iter()
                .flat_map(|p| p.bullets.iter().cloned())
                .collect();
            bullets.truncate(settings.max_bullets);
            let visual = pieces.iter().find_map(|p| p.visual.clone());
            let speaker_notes = narration.join(" ");
            let words = speaker_notes.split_whitespace().count();
            Slide {
                id: format!("{id_prefix}-{:02}", index + 1),
                visual_prompt: visual.unwrap_or_else(|| {
                    format!("A clean, simple illustration for a lecture slide titled \"{title}\"")
                }),
                title,
                bullets,
                estimated_duration_sec: (words as f64 / 2.5 * 10.0).round() / 10.0,
                speaker_notes,
            }
        })
        .collect();
    Script { slides }
}

fn continued(title: &str, part: usize) -> String {
    if part == 0 {
        title.to_string()
    } else {
        format!("{title} (continued)")
    }
}

/// Joins neighbouring drafts until at most `max` remain, keeping all narration.
fn merge_to_limit(drafts: Vec<(String, Vec<Piece>)>, max: usize) -> Vec<(String, Vec<Piece>)> {
    if drafts.len() <= max {
        return drafts;
    }
    let per_slide = drafts.len().div_ceil(max);
    let mut merged: Vec<(String, Vec<Piece>)> = Vec::new();
    for (index, (title, pieces)) in drafts.into_iter().enumerate() {
        if index % per_slide == 0 {
            merged.push((title, pieces));
        } else if let Some((_, last)) = merged.last_mut() {
            last.extend(pieces);
        }
    }
    merged
}

/// Cuts a chapter into sections at its sub-headings, and each section's blocks into pieces.
fn sections(chapter: &Chapter, words_per_slide: usize) -> Vec<Section> {
    let mut sections = vec![Section {
        title: chapter.title.clone(),
        pieces: Vec::new(),
    }];
    for block in &chapter.blocks {
        if let Block::Heading { text, .. } = block {
            sections.push(Section {
                title: text.clone(),
                pieces: Vec::new(),
            });
            continue;
        }
        let section = sections.last_mut().expect("there is always a section");
        section.pieces.extend(pieces_of(block, words_per_slide));
    }
    let first_is_empty = sections[0].pieces.is_empty() && sections.len() > 1;
    if first_is_empty {
        sections.remove(0);
    }
    sections
}

/// Turns a block into pieces; a long paragraph is cut at sentence boundaries.
fn pieces_of(block: &Block, words_per_slide: usize) -> Vec<Piece> {
    match block {
        Block::Paragraph { text } => {
            let mut pieces = Vec::new();
            let mut sentences: Vec<String> = Vec::new();
            let mut words = 0;
            for s in split_sentences(text) {
                let n = s.split_whitespace().count();
                if !sentences.is_empty() && words + n > words_per_slide {
                    pieces.push(paragraph_piece(std::mem::take(&mut sentences)));
                    words = 0;
                }
                words += n;
                sentences.push(s);
            }
            if !sentences.is_empty() {
                pieces.push(paragraph_piece(sentences));
            }
            pieces
        }
        Block::List { items, .. } => vec![Piece {
            narration: items.iter().map(|i| sentence(i)).collect(),
            bullets: items.iter().map(|i| shorten(i)).collect(),
            visual: None,
        }],
        Block::Code { language, .. } => {
            let what = if language.is_empty() {
                "a code example".to_string()
            } else {
                format!("a {language} code example")
            };
            vec![Piece {
                narration: vec![format!("The slide shows {what}.")],
                bullets: vec![capitalise(&what)],
                visual: Some(format!("A listing of {what}")),
            }]
        }
        Block::Table { header, rows } => {
            let columns = join_words(header);
            vec![Piece {
                narration: vec![format!(
                    "The table compares {columns} over {} rows.",
                    rows.len()
                )],
                bullets: vec![shorten(&format!("Table: {}", header.join(", ")))],
                visual: Some(format!("A table with the columns {columns}")),
            }]
        }
        Block::Quote { text } => vec![Piece {
            narration: split_sentences(text),
            bullets: vec![shorten(&format!("“{text}”"))],
            visual: None,
        }],
        Block::Image { alt } => vec![Piece {
            narration: Vec::new(),
            bullets: Vec::new(),
            visual: Some(alt.clone()),
        }],
        Block::Heading { .. } => Vec::new(),
    }
}

fn paragraph_piece(sentences: Vec<String>) -> Piece {
    Piece {
        bullets: sentences.iter().map(|s| shorten(s)).collect(),
        narration: sentences,
        visual: None,
    }
}

/// Splits prose into sentences at `.`, `!` or `?` followed by white space.
pub fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let at_end = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
        if at_end && current.split_whitespace().count() > 1 {
            sentences.push(current.trim().to_string());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        sentences.push(current.trim().to_string());
    }
    sentences
}

/// Makes a heading or list item a sentence a narrator can read.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?', ':']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// Shortens a sentence to a bullet of at most 12 words, without its final full stop.
fn shorten(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let bullet = if words.len() > 12 {
        format!("{}…", words[..12].join(" "))
    } else {
        words.join(" ")
    };
    bullet.trim_end_matches('.').to_string()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn join_words(words: &[String]) -> String {
    match words {
        [] => "its columns".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::split_chapters;
    use crate::videofile::Split;

    fn settings() -> OutlineSettings {
        OutlineSettings {
            max_slides: 8,
            max_bullets: 4,
            words_per_slide: 40,
        }
    }

    fn chapter(markdown: &str) -> Chapter {
        split_chapters(markdown, Split::File, "x").remove(0).0
    }

    #[test]
    fn one_slide_per_section_with_narration_from_prose() {
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
            first.bullets,
            ["A gradient points uphill", "We walk against it"]
        );
        let second = &script.slides[1];
        assert_eq!(second.title, "Step size");
        assert_eq!(second.bullets, ["small is slow", "large diverges"]);
        assert_eq!(second.speaker_notes, "small is slow. large diverges.");
    }

    #[test]
    fn long_sections_are_split_and_nothing_is_lost() {
        let sentence = "This sentence has exactly seven words here. ";
        let ch = chapter(&format!("# Long\n\n{}\n", sentence.repeat(20)));
        let script = write_script(&ch, "01", settings());
        assert!(script.slides.len() >= 3, "{}", script.slides.len());
        assert_eq!(script.slides[1].title, "Long (continued)");
        let words: usize = script
            .slides
            .iter()
            .map(|s| s.speaker_notes.split_whitespace().count())
            .sum();
        assert_eq!(words, 20 * 7 + 1);
    }

    #[test]
    fn max_slides_merges_instead_of_dropping() {
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
    fn output_is_deterministic() {
        let ch = chapter("# T\n\nSome text. More text!\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert_eq!(
            write_script(&ch, "01", settings()),
            write_script(&ch, "01", settings())
        );
    }
}
