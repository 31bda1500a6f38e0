//! The lecture: Markdown sources found on disk and cut into chapters of structured blocks.

use std::path::{Path, PathBuf};

use globset::Glob;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::videofile::{ConfigError, Split, Videofile};

/// One chapter of the course: what the script writer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    /// The chapter heading's text (or the file name for a file without heading).
    pub title: String,
    /// The content under the heading, in order.
    pub blocks: Vec<Block>,
}

impl Chapter {
    /// The chapter as plain Markdown-like text, for a language model to read.
    pub fn to_text(&self) -> String {
        let mut out = format!("# {}\n", self.title);
        for block in &self.blocks {
            out.push('\n');
            match block {
                Block::Heading { level, text } => {
                    out.push_str(&format!("{} {text}\n", "#".repeat(usize::from(*level))))
                }
                Block::Paragraph { text } => out.push_str(&format!("{text}\n")),
                Block::List { ordered, items } => {
                    for (i, item) in items.iter().enumerate() {
                        let marker = if *ordered {
                            format!("{}.", i + 1)
                        } else {
                            "-".into()
                        };
                        out.push_str(&format!("{marker} {item}\n"));
                    }
                }
                Block::Code { language, text } => {
                    out.push_str(&format!("```{language}\n{text}\n```\n"))
                }
                Block::Table { header, rows } => {
                    out.push_str(&format!("| {} |\n", header.join(" | ")));
                    for row in rows {
                        out.push_str(&format!("| {} |\n", row.join(" | ")));
                    }
                }
                Block::Quote { text } => out.push_str(&format!("> {text}\n")),
                Block::Image { alt } => out.push_str(&format!("[image: {alt}]\n")),
            }
        }
        out
    }
}

/// A block of Markdown content, reduced to what a narrator and a slide need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A heading below the chapter level; starts a section.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        text: String,
    },
    List {
        ordered: bool,
        items: Vec<String>,
    },
    Code {
        language: String,
        text: String,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Quote {
        text: String,
    },
    /// An image, by its alt text.
    Image {
        alt: String,
    },
}

/// A chapter as found in the sources, with the Markdown it came from (hashed into its node key).
#[derive(Debug, Clone)]
pub struct ChapterSource {
    /// 1-based position in the course.
    pub number: usize,
    /// `NN-title-slug`: stable, readable, used in target and file names.
    pub id: String,
    pub chapter: Chapter,
    pub markdown: String,
}

/// Finds the Videofile's sources on disk, in the order the Videofile lists them.
pub fn find_sources(videofile: &Videofile) -> Result<Vec<PathBuf>, ConfigError> {
    let root = &videofile.project_dir;
    let output = root.join(&videofile.course.output);
    let mut candidates: Vec<PathBuf> = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
            entry.depth() == 0
                || (!hidden && entry.path() != output && entry.file_name() != "target")
        })
        .filter_map(Result::ok)
        // A link to a file is a source like the file itself (links to folders are not followed).
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect();
    candidates.sort();
    let mut found: Vec<PathBuf> = Vec::new();
    for pattern in &videofile.course.sources {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let matcher = Glob::new(pattern)
            .map_err(|err| videofile.sources_error(format!("source pattern {pattern:?}: {err}")))?
            .compile_matcher();
        let matches: Vec<&PathBuf> = candidates.iter().filter(|p| matcher.is_match(p)).collect();
        if matches.is_empty() {
            return Err(videofile.sources_error(format!(
                "source {pattern:?} matches no file in {}",
                root.display()
            )));
        }
        for path in matches {
            let full = root.join(path);
            if !found.contains(&full) {
                found.push(full);
            }
        }
    }
    Ok(found)
}

/// Reads the sources and cuts them into chapters.
pub fn load(videofile: &Videofile) -> Result<Vec<ChapterSource>, ConfigError> {
    let mut chapters = Vec::new();
    for path in find_sources(videofile)? {
        let markdown = std::fs::read_to_string(&path).map_err(|err| {
            videofile.sources_error(format!("cannot read {}: {err}", path.display()))
        })?;
        let fallback_title = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default();
        for (chapter, text) in split_chapters(&markdown, videofile.course.split, &fallback_title) {
            let number = chapters.len() + 1;
            chapters.push(ChapterSource {
                number,
                id: format!("{number:02}-{}", slug(&chapter.title)),
                chapter,
                markdown: text,
            });
        }
    }
    if chapters.is_empty() {
        return Err(videofile.sources_error("the sources hold no chapter text".into()));
    }
    Ok(chapters)
}

/// A lower-case ASCII slug of a title, at most 40 characters.
pub fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "chapter".into()
    } else {
        slug.into()
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Cuts one Markdown document into chapters with the Markdown text each came from.
pub fn split_chapters(
    markdown: &str,
    split: Split,
    fallback_title: &str,
) -> Vec<(Chapter, String)> {
    let split_level = match split {
        Split::H1 => Some(1),
        Split::H2 => Some(2),
        Split::File => None,
    };
    let blocks = parse_blocks(markdown);
    let mut chapters: Vec<(Chapter, usize)> = Vec::new();
    let mut preamble = Chapter {
        title: String::new(),
        blocks: Vec::new(),
    };
    for (block, offset) in blocks {
        if let Block::Heading { level, text } = &block {
            if Some(*level) == split_level {
                chapters.push((
                    Chapter {
                        title: text.clone(),
                        blocks: Vec::new(),
                    },
                    offset,
                ));
                continue;
            }
            let is_course_title =
                *level < split_level.unwrap_or(1) || (split_level.is_none() && *level == 1);
            if is_course_title {
                let target = chapters.last_mut().map_or(&mut preamble, |(c, _)| c);
                if target.title.is_empty() && target.blocks.is_empty() {
                    target.title = text.clone();
                }
                continue;
            }
        }
        match chapters.last_mut() {
            Some((chapter, _)) => chapter.blocks.push(block),
            None => preamble.blocks.push(block),
        }
    }
    let mut result = Vec::new();
    let first_offset = chapters
        .first()
        .map_or(markdown.len(), |(_, offset)| *offset);
    if !preamble.blocks.is_empty() {
        if preamble.title.is_empty() {
            preamble.title = if split_level.is_some() {
                "Introduction".into()
            } else {
                fallback_title.into()
            };
        }
        result.push((preamble, markdown[..first_offset].to_string()));
    }
    let ends: Vec<usize> = chapters
        .iter()
        .skip(1)
        .map(|(_, o)| *o)
        .chain([markdown.len()])
        .collect();
    for ((chapter, start), end) in chapters.into_iter().zip(ends) {
        result.push((chapter, markdown[start..end].to_string()));
    }
    result
}

/// What the parser is inside of, for the text it collects.
#[derive(Default)]
struct BlockBuilder {
    text: String,
    alt: Option<String>,
    images: Vec<String>,
    list_depth: usize,
    list_ordered: bool,
    items: Vec<String>,
    in_quote: bool,
    code_language: Option<String>,
    table_header: Vec<String>,
    table_rows: Vec<Vec<String>>,
    row: Vec<String>,
    in_table_head: bool,
}

impl BlockBuilder {
    fn take_text(&mut self) -> String {
        let text = normalise_space(&self.text);
        self.text.clear();
        text
    }
}

/// Collapses runs of white space into one space and trims.
fn normalise_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses Markdown into blocks, each with the byte offset where it starts.
pub fn parse_blocks(markdown: &str) -> Vec<(Block, usize)> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out: Vec<(Block, usize)> = Vec::new();
    let mut b = BlockBuilder::default();
    let mut block_start = 0;
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { .. } | Tag::Paragraph | Tag::CodeBlock(_) | Tag::Table(_)
                    if b.list_depth == 0 && !b.in_quote =>
                {
                    block_start = range.start;
                    if let Tag::CodeBlock(kind) = tag {
                        b.code_language = Some(match kind {
                            CodeBlockKind::Fenced(info) => {
                                info.split_whitespace().next().unwrap_or("").to_string()
                            }
                            CodeBlockKind::Indented => String::new(),
                        });
                    }
                }
                Tag::CodeBlock(_) => b.code_language = Some(String::new()),
                Tag::List(first) => {
                    if b.list_depth == 0 {
                        block_start = range.start;
                        b.list_ordered = first.is_some();
                    } else {
                        flush_item(&mut b);
                    }
                    b.list_depth += 1;
                }
                Tag::BlockQuote(_) => {
                    if !b.in_quote && b.list_depth == 0 {
                        block_start = range.start;
                    }
                    b.in_quote = true;
                }
                Tag::Image { .. } => b.alt = Some(String::new()),
                Tag::TableHead => b.in_table_head = true,
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(level) => {
                    let text = b.take_text();
                    if !text.is_empty() {
                        out.push((
                            Block::Heading {
                                level: heading_number(level),
                                text,
                            },
                            block_start,
                        ));
                    }
                }
                TagEnd::Paragraph => {
                    if b.list_depth > 0 {
                        b.text.push(' ');
                    } else if !b.in_quote {
                        let text = b.take_text();
                        if !text.is_empty() {
                            out.push((Block::Paragraph { text }, block_start));
                        }
                    } else {
                        b.text.push(' ');
                    }
                    for alt in b.images.drain(..) {
                        out.push((Block::Image { alt }, block_start));
                    }
                }
                TagEnd::Item => flush_item(&mut b),
                TagEnd::List(_) => {
                    flush_item(&mut b);
                    b.list_depth -= 1;
                    if b.list_depth == 0 && !b.items.is_empty() && !b.in_quote {
                        let items = std::mem::take(&mut b.items);
                        out.push((
                            Block::List {
                                ordered: b.list_ordered,
                                items,
                            },
                            block_start,
                        ));
                    }
                }
                TagEnd::BlockQuote(_) => {
                    b.in_quote = false;
                    let mut text = b.take_text();
                    for item in b.items.drain(..) {
                        text = format!("{text} {item}").trim().to_string();
                    }
                    if !text.is_empty() {
                        out.push((Block::Quote { text }, block_start));
                    }
                }
                TagEnd::CodeBlock => {
                    let language = b.code_language.take().unwrap_or_default();
                    let text = b.text.trim_end().to_string();
                    b.text.clear();
                    if b.list_depth == 0 && !b.in_quote {
                        out.push((Block::Code { language, text }, block_start));
                    }
                }
                TagEnd::Image => {
                    if let Some(alt) = b.alt.take() {
                        let alt = normalise_space(&alt);
                        if !alt.is_empty() {
                            b.images.push(alt);
                        }
                    }
                }
                TagEnd::TableCell => {
                    let cell = b.take_text();
                    b.row.push(cell);
                }
                TagEnd::TableHead => {
                    b.in_table_head = false;
                    b.table_header = std::mem::take(&mut b.row);
                }
                TagEnd::TableRow => {
                    let row = std::mem::take(&mut b.row);
                    b.table_rows.push(row);
                }
                TagEnd::Table => {
                    let header = std::mem::take(&mut b.table_header);
                    let rows = std::mem::take(&mut b.table_rows);
                    out.push((Block::Table { header, rows }, block_start));
                }
                _ => {}
            },
            Event::Text(text) | Event::Code(text) => match &mut b.alt {
                Some(alt) => alt.push_str(&text),
                None => b.text.push_str(&text),
            },
            Event::SoftBreak | Event::HardBreak if b.code_language.is_none() => b.text.push(' '),
            _ => {}
        }
    }
    out
}

fn flush_item(b: &mut BlockBuilder) {
    let item = b.take_text();
    if !item.is_empty() {
        b.items.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LECTURE: &str = "# Course\n\nWelcome text.\n\n## First\n\nPara *one* with [a link](http://x).\n\n\
- item a\n- item `b`\n  - nested c\n\n### Sub\n\n```rust\nfn main() {}\n```\n\n## Zweite Größe\n\n\
| A | B |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n![a chart of loss](c.png)\n";

    #[test]
    fn splits_at_h2_with_preamble_and_unicode() {
        let chapters = split_chapters(LECTURE, Split::H2, "x");
        let titles: Vec<&str> = chapters.iter().map(|(c, _)| c.title.as_str()).collect();
        assert_eq!(titles, ["Course", "First", "Zweite Größe"]);
        assert!(chapters[1].1.starts_with("## First"));
        assert!(chapters[2].1.starts_with("## Zweite"));
        assert_eq!(slug("Zweite Größe"), "zweite-gr-e");
    }

    #[test]
    fn parses_inline_lists_code_tables_quotes_images() {
        let chapters = split_chapters(LECTURE, Split::H2, "x");
        let first = &chapters[1].0.blocks;
        assert_eq!(
            first[0],
            Block::Paragraph {
                text: "Para one with a link.".into()
            }
        );
        assert_eq!(
            first[1],
            Block::List {
                ordered: false,
                items: vec!["item a".into(), "item b".into(), "nested c".into()]
            }
        );
        assert_eq!(
            first[2],
            Block::Heading {
                level: 3,
                text: "Sub".into()
            }
        );
        assert_eq!(
            first[3],
            Block::Code {
                language: "rust".into(),
                text: "fn main() {}".into()
            }
        );
        let second = &chapters[2].0.blocks;
        assert_eq!(
            second[0],
            Block::Table {
                header: vec!["A".into(), "B".into()],
                rows: vec![vec!["1".into(), "2".into()]]
            }
        );
        assert_eq!(
            second[1],
            Block::Quote {
                text: "quoted".into()
            }
        );
        assert_eq!(
            second[2],
            Block::Image {
                alt: "a chart of loss".into()
            }
        );
    }

    #[test]
    fn file_split_keeps_one_chapter_per_file() {
        let chapters = split_chapters("# Title\n\nText.\n\n## Part\n\nMore.", Split::File, "f");
        assert_eq!(chapters.len(), 1);
        assert_eq!(chapters[0].0.title, "Title");
        assert_eq!(chapters[0].0.blocks.len(), 3);
    }
}
