//! The lecture: Markdown sources found on disk and cut into chapters of blocks ([`crate::markdown`]).
//!
//! Loading checks what the Markdown refers to: a local image that does not exist is an error naming the file,
//! line and path; control characters are removed and raw HTML skipped, each said once with its line.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::Glob;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::digest::Digest;
use crate::files::{self, FileError};
use crate::language;
pub use crate::markdown::Block;
use crate::markdown::{self, Item};
use crate::media::picture;
use crate::videofile::{ConfigError, Split, Videofile};

/// One chapter of the course: what the script writer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    /// The chapter heading's text, plain (or the file name for a file without heading).
    pub title: String,
    /// The content under the heading, in order.
    pub blocks: Vec<Block>,
}

impl Chapter {
    /// The chapter as Markdown, for a language model to read.
    pub fn to_text(&self) -> String {
        let mut out = format!("# {}\n", self.title);
        for block in &self.blocks {
            out.push('\n');
            match block {
                Block::Heading { level, text } => {
                    out.push_str(&format!("{} {text}\n", "#".repeat(usize::from(*level))))
                }
                Block::Paragraph { text } => out.push_str(&format!("{text}\n")),
                Block::List { items } => {
                    for Item {
                        text,
                        depth,
                        number,
                        checked,
                    } in items
                    {
                        let indent = "  ".repeat(usize::from(*depth));
                        let marker = number.map_or_else(|| "-".to_string(), |n| format!("{n}."));
                        let check = match checked {
                            Some(true) => " [x]",
                            Some(false) => " [ ]",
                            None => "",
                        };
                        out.push_str(&format!("{indent}{marker}{check} {text}\n"));
                    }
                }
                Block::Code { language, text } => {
                    out.push_str(&format!("```{language}\n{text}\n```\n"))
                }
                Block::Table { header, rows, .. } => {
                    out.push_str(&format!("| {} |\n", header.join(" | ")));
                    for row in rows {
                        out.push_str(&format!("| {} |\n", row.join(" | ")));
                    }
                }
                Block::Quote { text, attribution } => {
                    for line in text.lines() {
                        out.push_str(&format!("> {line}\n"));
                    }
                    if let Some(who) = attribution {
                        out.push_str(&format!("> — {who}\n"));
                    }
                }
                Block::Image { src, alt } => out.push_str(&format!("![{alt}]({src})\n")),
                Block::Footnote { label, text } => out.push_str(&format!("[^{label}]: {text}\n")),
                Block::Notes { text } => out.push_str(&format!("<!-- say: {text} -->\n")),
                Block::Directive { .. } => {}
            }
        }
        out
    }
}

/// The most columns a table may have: each needs room for a few letters on a 1920-unit slide.
pub const MAX_TABLE_COLUMNS: usize = 40;

/// A local image the lecture shows: where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    pub path: PathBuf,
    /// The blake3 hash of its content: part of the key of every slide that shows it.
    pub hash: String,
}

/// The local images of a course by the path their blocks name (relative to the project folder).
pub type Images = BTreeMap<String, ImageFile>;

/// A chapter as found in the sources, with the Markdown it came from (hashed into its node key).
#[derive(Debug, Clone)]
pub struct ChapterSource {
    /// 1-based position in the course.
    pub number: usize,
    /// `NN-title-slug`: stable, readable, used in target and file names.
    pub id: String,
    pub chapter: Chapter,
    pub markdown: String,
    /// The language it is spoken in: its `<!-- vbuild: language=... -->`, else the course's.
    pub language: String,
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

/// A lecture: its chapters, the local images they show, and its own title.
#[derive(Debug, Clone, Default)]
pub struct Lecture {
    pub chapters: Vec<ChapterSource>,
    pub images: Images,
    /// The first level-1 heading of the first source.
    pub title: Option<String>,
}

/// Reads the sources and cuts them into chapters; checks every local image they show.
pub fn load(videofile: &Videofile) -> Result<Lecture, ConfigError> {
    let mut lecture = Lecture::default();
    for path in find_sources(videofile)? {
        let raw = files::read_text(&path, files::SOURCE_BYTES).map_err(|err| {
            videofile.sources_error(format!("cannot read {}: {err}", path.display()))
        })?;
        let shown = path
            .strip_prefix(&videofile.project_dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let markdown = without_control_characters(&raw, &shown);
        if lecture.chapters.is_empty() && lecture.title.is_none() {
            lecture.title = first_title(&markdown);
        }
        let fallback_title = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default();
        let source = Source {
            markdown: &markdown,
            shown: &shown,
            folder: path.parent().unwrap_or(Path::new("")),
            project: &videofile.project_dir,
        };
        let (chapters, notes) = cut(&markdown, videofile.course.split, &fallback_title);
        for (line, message) in notes {
            log::warn!("{shown}:{line}: {message}");
        }
        for (mut chapter, text, start) in chapters {
            let chapter_source = ChapterAt {
                source: &source,
                text: &text,
                start,
            };
            chapter_source.check_tables(&chapter)?;
            chapter_source.resolve_images(&mut chapter, &mut lecture.images)?;
            let language = chapter_source.language(&chapter, videofile)?;
            let number = lecture.chapters.len() + 1;
            lecture.chapters.push(ChapterSource {
                number,
                id: format!("{number:02}-{}", slug(&chapter.title)),
                chapter,
                markdown: text,
                language,
            });
        }
    }
    if lecture.chapters.is_empty() {
        return Err(videofile.sources_error("the sources hold no chapter text".into()));
    }
    Ok(lecture)
}

/// One Markdown file being loaded.
struct Source<'a> {
    markdown: &'a str,
    /// Its path as shown in messages.
    shown: &'a str,
    folder: &'a Path,
    project: &'a Path,
}

/// One chapter of a Markdown file being loaded: its text, which starts at byte `start` of the file.
struct ChapterAt<'a> {
    source: &'a Source<'a>,
    text: &'a str,
    start: usize,
}

impl ChapterAt<'_> {
    /// The line in the file of the first `needle` in the chapter (counted only when a message needs it).
    fn line_of(&self, needle: &str) -> usize {
        let at = self.start + self.text.find(needle).unwrap_or(0);
        self.source.markdown[..at.min(self.source.markdown.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// The chapter's language: its `<!-- vbuild: language=... -->` directive, else `course`'s. An unknown
    /// directive is said and ignored; a language that is not a BCP 47 tag is an error at its line. Text the
    /// voice would spell out letter by letter is warned about.
    fn language(&self, chapter: &Chapter, videofile: &Videofile) -> Result<String, ConfigError> {
        let text = self.text;
        let shown = self.source.shown;
        let mut language = videofile.course.language.clone();
        for block in &chapter.blocks {
            let Block::Directive { name, value } = block else {
                continue;
            };
            let line = self.line_of("vbuild:");
            match name.as_str() {
                "language" => {
                    if !language::is_language_tag(value) {
                        return Err(ConfigError::Source {
                            file: shown.to_string(),
                            line,
                            message: format!(
                                "language={value:?}: expected a BCP 47 tag such as \"fr\" or \"pt-BR\""
                            ),
                        });
                    }
                    language = value.clone();
                }
                other => log::warn!(
                    "{shown}:{line}: vbuild has no directive {other:?} (it knows language=...); ignored"
                ),
            }
        }
        if let Some(suggested) = language::unread_script(text, &language) {
            let heading = self.line_of("#");
            log::warn!(
                "{shown}:{heading}: this chapter is mostly written in a script the {language} voice reads letter by \
                 letter; say its language with <!-- vbuild: language={suggested} --> (or set [course] language)"
            );
        } else if videofile.speech.provider == "espeak"
            && language::espeak_spells_kanji(text, &language)
        {
            let heading = self.line_of("#");
            log::warn!(
                "{shown}:{heading}: espeak-ng reads Japanese kana but not kanji (it says \"Chinese letter\" for each); \
                 a cloud voice (Google, language ja-JP) reads both"
            );
        }
        Ok(language)
    }

    /// Refuses a table too wide for any slide (its cells would be drawn a letter a line, millions of them).
    fn check_tables(&self, chapter: &Chapter) -> Result<(), ConfigError> {
        for block in &chapter.blocks {
            let Block::Table { header, rows, .. } = block else {
                continue;
            };
            let columns = rows.iter().map(Vec::len).chain([header.len()]).max();
            if let Some(columns) = columns.filter(|&c| c > MAX_TABLE_COLUMNS) {
                let first = header.first().map_or("|", String::as_str);
                return Err(ConfigError::Source {
                    file: self.source.shown.to_string(),
                    line: self.line_of(first),
                    message: format!(
                        "a table of {columns} columns; at most {MAX_TABLE_COLUMNS} fit on a slide: split it into narrower tables"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Rewrites each local image's path to the project-relative path of the file, checks that it exists and
    /// records its hash; remote images keep their alt text and are said not to be fetched.
    fn resolve_images(
        &self,
        chapter: &mut Chapter,
        images: &mut Images,
    ) -> Result<(), ConfigError> {
        let source = self.source;
        for block in &mut chapter.blocks {
            let Block::Image { src, .. } = block else {
                continue;
            };
            if src.contains("://") || src.starts_with("data:") {
                log::warn!(
                    "{}:{}: image {src} is not on this machine and is not fetched; its alt text is shown",
                    source.shown,
                    self.line_of(src.as_str())
                );
                continue;
            }
            let written = src.split(['?', '#']).next().unwrap_or(src);
            let path = normalise(&source.folder.join(written));
            let refused = |message: String| ConfigError::Source {
                file: source.shown.to_string(),
                line: self.line_of(src.as_str()),
                message,
            };
            // The file looked for, where the path the lecture gives does not say it.
            let looked_for = match path.display().to_string() {
                shown if shown == *src => String::new(),
                shown if shown.is_empty() => " (the project folder)".to_string(),
                shown => format!(" ({shown})"),
            };
            let bytes = files::read(&path, files::PICTURE_BYTES).map_err(|err| match err {
                FileError::Missing => refused(format!(
                    "image {src} not found{looked_for}; add the file or fix the path"
                )),
                err => refused(format!("image {src}{looked_for}: {err}")),
            })?;
            // A picture bomb or a file that is no picture is refused before any work; its pixels are
            // decoded when its slide is drawn.
            picture::check_header(&bytes)
                .map_err(|err| refused(format!("image {src}{looked_for}: {err}")))?;
            let hash = Digest::of(&bytes);
            let key = path
                .strip_prefix(normalise(source.project))
                .unwrap_or(&path)
                .display()
                .to_string();
            images.insert(
                key.clone(),
                ImageFile {
                    path,
                    hash: hash.to_string(),
                },
            );
            *src = key;
        }
        Ok(())
    }
}

/// `path` with `.` and `..` folded away (without touching the file system).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `markdown` without control characters (they break drawing and mean nothing to a reader); tabs and line
/// ends stay. Says once per file where the first one was.
fn without_control_characters(markdown: &str, shown: &str) -> String {
    let is_control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let Some(first) = markdown.find(is_control) else {
        return markdown.to_string();
    };
    let count = markdown.chars().filter(|&c| is_control(c)).count();
    let line = markdown[..first].matches('\n').count() + 1;
    log::warn!(
        "{shown}:{line}: removed {count} control character{} (the first on this line)",
        if count == 1 { "" } else { "s" }
    );
    markdown.chars().filter(|&c| !is_control(c)).collect()
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

/// Cuts one Markdown document into chapters with the Markdown text each came from.
pub fn split_chapters(markdown: &str, split: Split, fallback_title: &str) -> Vec<ChapterText> {
    cut(markdown, split, fallback_title)
        .0
        .into_iter()
        .map(|(chapter, text, _)| (chapter, text))
        .collect()
}

/// A chapter and the Markdown it came from.
type ChapterText = (Chapter, String);

/// [`split_chapters`] with where each chapter's text starts in `markdown`, and what the parser skipped:
/// (line, message).
#[allow(clippy::type_complexity)]
fn cut(
    markdown: &str,
    split: Split,
    fallback_title: &str,
) -> (Vec<(Chapter, String, usize)>, Vec<(usize, String)>) {
    let split_level = match split {
        Split::H1 => Some(1),
        Split::H2 => Some(2),
        Split::File => None,
    };
    let parsed = markdown::parse(markdown);
    let notes = parsed
        .notes
        .iter()
        .map(|note| {
            let line = markdown[..note.offset.min(markdown.len())]
                .matches('\n')
                .count()
                + 1;
            (line, note.message.clone())
        })
        .collect();
    let mut chapters: Vec<(Chapter, usize)> = Vec::new();
    let mut preamble = Chapter {
        title: String::new(),
        blocks: Vec::new(),
    };
    for (block, offset) in parsed.blocks {
        if let Block::Heading { level, text } = &block {
            if Some(*level) == split_level {
                chapters.push((
                    Chapter {
                        title: markdown::plain(text),
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
                    target.title = markdown::plain(text);
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
    // With one chapter per file, a file of just a heading is a chapter still (a title card).
    let titled_file = split_level.is_none() && !preamble.title.is_empty();
    if !preamble.blocks.is_empty() || titled_file {
        if preamble.title.is_empty() {
            preamble.title = if split_level.is_some() {
                "Introduction".into()
            } else {
                fallback_title.into()
            };
        }
        result.push((preamble, markdown[..first_offset].to_string(), 0));
    }
    let ends: Vec<usize> = chapters
        .iter()
        .skip(1)
        .map(|(_, o)| *o)
        .chain([markdown.len()])
        .collect();
    for ((chapter, start), end) in chapters.into_iter().zip(ends) {
        result.push((chapter, markdown[start..end].to_string(), start));
    }
    (result, notes)
}

/// The text of the first level-1 heading of `markdown`, plain: a lecture's own title.
pub fn first_title(markdown: &str) -> Option<String> {
    markdown::parse(markdown)
        .blocks
        .into_iter()
        .find_map(|(block, _)| match block {
            Block::Heading { level: 1, text } => Some(markdown::plain(&text)),
            _ => None,
        })
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
        assert_eq!(first_title(LECTURE).as_deref(), Some("Course"));
    }

    #[test]
    fn chapters_keep_every_block_in_order() {
        let chapters = split_chapters(LECTURE, Split::H2, "x");
        let kinds = |blocks: &[Block]| -> Vec<String> {
            blocks
                .iter()
                .map(|b| {
                    serde_json::to_value(b).unwrap()["type"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(
            kinds(&chapters[1].0.blocks),
            ["paragraph", "list", "heading", "code"]
        );
        assert_eq!(kinds(&chapters[2].0.blocks), ["table", "quote", "image"]);
        let text = chapters[1].0.to_text();
        assert!(text.contains("- item `b`\n  - nested c\n"), "{text}");
        assert!(text.contains("```rust\nfn main() {}\n```"), "{text}");
    }

    #[test]
    fn file_split_keeps_one_chapter_per_file() {
        let chapters = split_chapters("# Title\n\nText.\n\n## Part\n\nMore.", Split::File, "f");
        assert_eq!(chapters.len(), 1);
        assert_eq!(chapters[0].0.title, "Title");
        assert_eq!(chapters[0].0.blocks.len(), 3);
    }

    #[test]
    fn control_characters_are_removed_and_paths_folded() {
        assert_eq!(
            without_control_characters("a\u{0}b\u{1b}[1mc\td\n", "x.md"),
            "ab[1mc\td\n"
        );
        assert_eq!(
            normalise(Path::new("./lectures/../img/./d.png")),
            Path::new("img/d.png")
        );
    }
}
