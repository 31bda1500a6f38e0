//! A chapter's text as segments to translate, and the chapter put back together from their translations.
//!
//! A segment is a title, a heading, a sentence of prose (a paragraph, a quote, a callout, a footnote, speaker
//! notes), a list item, a table cell or a picture's caption. Code blocks and display math are never sent.
//! Inside a segment, what must come back as written (inline code, inline math, link targets, web addresses,
//! the glossary's terms) is replaced by a placeholder `⟦1⟧`, `⟦2⟧`, ... that the translation must keep once
//! each. [`segments`] and [`translated`] walk the chapter in the same order, so the n-th answer lands where
//! the n-th segment was taken from.

use std::sync::LazyLock;

use regex::Regex;

use crate::lecture::Chapter;
use crate::lecture::markdown::Block;
use crate::lecture::sentences;

/// A piece of the chapter to translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text as sent: what is kept as written stands as `⟦n⟧`.
    pub text: String,
    /// What each placeholder stands for, in order: `kept[0]` is `⟦1⟧`.
    kept: Vec<String>,
}

impl Segment {
    /// True when the segment holds words to translate; one of placeholders and punctuation alone stays as it
    /// is, and is never sent.
    pub fn has_words(&self) -> bool {
        PLACEHOLDER
            .replace_all(&self.text, "")
            .chars()
            .any(char::is_alphabetic)
    }

    /// What is wrong with `answer` as this segment's translation: a placeholder lost, repeated or made up.
    pub fn check(&self, answer: &str) -> Result<(), String> {
        let found: Vec<usize> = PLACEHOLDER
            .captures_iter(answer)
            .filter_map(|c| c[1].parse().ok())
            .collect();
        for n in 1..=self.kept.len() {
            match found.iter().filter(|&&f| f == n).count() {
                1 => {}
                0 => return Err(format!("placeholder ⟦{n}⟧ is missing; keep it as written")),
                _ => return Err(format!("placeholder ⟦{n}⟧ is there more than once")),
            }
        }
        match found.iter().find(|&&f| f == 0 || f > self.kept.len()) {
            Some(n) => Err(format!(
                "placeholder ⟦{n}⟧ is not in the segment; use only those it has"
            )),
            None => Ok(()),
        }
    }

    /// The translation `answer` (checked) with each placeholder given back what it stands for.
    pub fn restore(&self, answer: &str) -> String {
        PLACEHOLDER
            .replace_all(answer, |c: &regex::Captures| {
                let n: usize = c[1].parse().unwrap_or(0);
                self.kept
                    .get(n.wrapping_sub(1))
                    .cloned()
                    .unwrap_or_else(|| c[0].to_string())
            })
            .trim()
            .to_string()
    }
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"⟦(\d+)⟧").expect("a valid pattern"));

/// What never goes to a translator: inline code, inline math (`$...$`, `\(...\)`), a link's or picture's
/// target, a web address, an HTML tag.
static KEPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"`+[^`]+`+",
        r"|\$[^$\s][^$]*?\$",
        r"|\\\(.+?\\\)",
        r"|\]\([^)\s]*(?:\s+[^)]*)?\)",
        r"|\b(?:https?://|www\.)[^\s<>()\[\]]+",
        r"|</?[A-Za-z][^<>]*>",
    ))
    .expect("a valid pattern")
});

/// `text` with what is kept as written (and the glossary's terms, longest first) held by placeholders.
fn protect(text: &str, glossary: &[String]) -> Segment {
    let mut kept: Vec<String> = Vec::new();
    let mut hold = |found: &str| {
        kept.push(found.to_string());
        format!("⟦{}⟧", kept.len())
    };
    let mut out = String::new();
    let mut last = 0;
    for found in KEPT.find_iter(text) {
        let end = found.end();
        out.push_str(&hold_terms(&text[last..found.start()], glossary, &mut hold));
        // A link's text is translated; its bracket stays outside the placeholder of its target.
        let found = match found.as_str().strip_prefix(']') {
            Some(target) => {
                out.push(']');
                target
            }
            None => found.as_str(),
        };
        out.push_str(&hold(found));
        last = end;
    }
    out.push_str(&hold_terms(&text[last..], glossary, &mut hold));
    Segment { text: out, kept }
}

/// `text` with every whole-word occurrence of a glossary term held by a placeholder.
fn hold_terms(text: &str, glossary: &[String], hold: &mut impl FnMut(&str) -> String) -> String {
    let Some(term) = glossary.iter().find_map(|term| {
        text.match_indices(term.as_str())
            .find(|(at, _)| whole_word(text, *at, term.len()))
    }) else {
        return text.to_string();
    };
    let (at, term) = term;
    let before = hold_terms(&text[..at], glossary, hold);
    let held = hold(term);
    let after = hold_terms(&text[at + term.len()..], glossary, hold);
    format!("{before}{held}{after}")
}

/// True when `text[at..at + len]` is not part of a longer word.
fn whole_word(text: &str, at: usize, len: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..at].chars().next_back().is_none_or(|c| !word(c));
    let after = text[at + len..].chars().next().is_none_or(|c| !word(c));
    before && after
}

/// How a text of the chapter is cut: whole (a title, an item, a cell), or as prose, by line and sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Whole,
    Prose,
}

/// Calls `visit` on every text of `chapter` a reader sees or hears, in order, with how it is cut.
fn each_text(chapter: &mut Chapter, visit: &mut impl FnMut(&mut String, Unit)) {
    visit(&mut chapter.title, Unit::Whole);
    for block in &mut chapter.blocks {
        match block {
            Block::Heading { text, .. } => visit(text, Unit::Whole),
            Block::Paragraph { text }
            | Block::Quote { text, .. }
            | Block::Footnote { text, .. }
            | Block::Notes { text } => visit(text, Unit::Prose),
            Block::List { items } => items
                .iter_mut()
                .for_each(|i| visit(&mut i.text, Unit::Whole)),
            Block::Table { header, rows, .. } => header
                .iter_mut()
                .chain(rows.iter_mut().flatten())
                .for_each(|cell| visit(cell, Unit::Whole)),
            Block::Image { alt, .. } => visit(alt, Unit::Whole),
            Block::Callout { title, text, .. } => {
                visit(title, Unit::Whole);
                visit(text, Unit::Prose);
            }
            Block::Code { .. } | Block::Math { .. } | Block::Break | Block::Directive { .. } => {}
        }
    }
}

/// A text's pieces, line by line: the text itself, or each line's sentences.
fn pieces(text: &str, unit: Unit) -> Vec<Vec<String>> {
    match unit {
        Unit::Whole => vec![vec![text.trim().to_string()]],
        Unit::Prose => text.lines().map(sentences::split).collect(),
    }
}

/// The chapter's segments, in order (empty texts give none).
pub fn segments(chapter: &Chapter, glossary: &[String]) -> Vec<Segment> {
    let mut found = Vec::new();
    each_text(&mut chapter.clone(), &mut |text, unit| {
        for line in pieces(text, unit) {
            for piece in line.iter().filter(|p| !p.is_empty()) {
                found.push(protect(piece, glossary));
            }
        }
    });
    found
}

/// The chapter with each segment replaced by its translation, given in the order of [`segments`] (restored);
/// sentences are joined with a space, or with nothing in Chinese and Japanese.
pub fn translated(chapter: &Chapter, translations: &[String], language: &str) -> Chapter {
    let joiner = if ["zh", "ja"].contains(&language.split('-').next().unwrap_or(language)) {
        ""
    } else {
        " "
    };
    let mut next = translations.iter();
    let mut chapter = chapter.clone();
    each_text(&mut chapter, &mut |text, unit| {
        let lines: Vec<String> = pieces(text, unit)
            .into_iter()
            .map(|line| {
                line.iter()
                    .filter(|p| !p.is_empty())
                    .map(|_| next.next().cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(joiner)
            })
            .collect();
        *text = lines.join("\n");
    });
    chapter
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::markdown::Item;

    fn chapter(blocks: Vec<Block>) -> Chapter {
        Chapter {
            title: "Caches".into(),
            blocks,
            deck: false,
        }
    }

    #[test]
    fn prose_is_cut_by_sentence_and_code_never_goes_out() {
        let ch = chapter(vec![
            Block::Paragraph {
                text: "A cache keeps answers. Run `vbuild -n` first.\nSee https://example.org/docs now."
                    .into(),
            },
            Block::Code {
                language: "sh".into(),
                text: "echo secret-code".into(),
            },
            Block::Math {
                tex: "E = mc^2".into(),
            },
            Block::List {
                items: vec![Item {
                    text: "Hits are **cheap**".into(),
                    depth: 0,
                    number: None,
                    checked: None,
                }],
            },
        ]);
        let texts: Vec<String> = segments(&ch, &[]).into_iter().map(|s| s.text).collect();
        assert_eq!(
            texts,
            [
                "Caches",
                "A cache keeps answers.",
                "Run ⟦1⟧ first.",
                "See ⟦1⟧ now.",
                "Hits are **cheap**"
            ]
        );
        assert!(
            !texts
                .iter()
                .any(|t| t.contains("secret-code") || t.contains("mc^2"))
        );
    }

    #[test]
    fn the_translation_lands_where_each_segment_was_taken() {
        let ch = chapter(vec![
            Block::Paragraph {
                text: "One. Two `x`.".into(),
            },
            Block::Table {
                alignments: Vec::new(),
                header: vec!["Name".into()],
                rows: vec![vec!["Cell".into()]],
            },
        ]);
        let segs = segments(&ch, &[]);
        let answers: Vec<String> = ["Les caches", "Un.", "Deux ⟦1⟧.", "Nom", "Cellule"]
            .iter()
            .zip(&segs)
            .map(|(a, s)| {
                s.check(a).unwrap();
                s.restore(a)
            })
            .collect();
        let fr = translated(&ch, &answers, "fr");
        assert_eq!(fr.title, "Les caches");
        assert_eq!(
            fr.blocks[0],
            Block::Paragraph {
                text: "Un. Deux `x`.".into()
            }
        );
        let Block::Table { header, rows, .. } = &fr.blocks[1] else {
            panic!()
        };
        assert_eq!(
            (header[0].as_str(), rows[0][0].as_str()),
            ("Nom", "Cellule")
        );
        let ja = translated(&ch, &answers, "ja");
        assert_eq!(
            ja.blocks[0],
            Block::Paragraph {
                text: "Un.Deux `x`.".into()
            }
        );
    }

    #[test]
    fn glossary_terms_and_link_targets_are_held_and_checked() {
        let glossary = vec!["Videofile".to_string(), "vbuild".to_string()];
        let seg = protect(
            "Edit the Videofile, then read [the guide](docs/guide.md) on vbuilds and vbuild.",
            &glossary,
        );
        assert_eq!(
            seg.text,
            "Edit the ⟦1⟧, then read [the guide]⟦2⟧ on vbuilds and ⟦3⟧."
        );
        assert!(
            seg.check("Modifiez le ⟦1⟧ puis lisez [le guide]⟦2⟧ sur ⟦3⟧.")
                .is_ok()
        );
        let lost = seg
            .check("Modifiez le ⟦1⟧ puis lisez le guide.")
            .unwrap_err();
        assert!(lost.contains("⟦2⟧ is missing"), "{lost}");
        let twice = seg.check("⟦1⟧ ⟦1⟧ ⟦2⟧ ⟦3⟧").unwrap_err();
        assert!(twice.contains("more than once"), "{twice}");
        let made_up = seg.check("⟦1⟧ ⟦2⟧ ⟦3⟧ ⟦4⟧").unwrap_err();
        assert!(made_up.contains("⟦4⟧ is not in the segment"), "{made_up}");
        assert_eq!(
            seg.restore("Modifiez le ⟦1⟧ puis lisez [le guide]⟦2⟧ sur ⟦3⟧."),
            "Modifiez le Videofile puis lisez [le guide](docs/guide.md) sur vbuild."
        );
        assert!(!protect("`cargo test`", &glossary).has_words());
        assert!(protect("Run `cargo test`", &glossary).has_words());
    }
}
