//! The lecture: Markdown sources found on disk and cut into chapters of blocks ([`crate::lecture::markdown`]).
//!
//! Loading checks what the Markdown refers to: a local image that does not exist is an error naming the file,
//! line and path; control characters are removed and raw HTML skipped, each said once with its line.

pub mod dialect;
pub mod language;
pub mod markdown;
pub mod math;
pub mod pronounce;
pub mod script;
pub mod sentences;
pub mod translate;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use globset::Glob;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::config::{ConfigError, Split, Videofile};
use crate::lecture::dialect::Dialect;
pub use crate::lecture::markdown::Block;
use crate::lecture::markdown::Item;
use crate::media::picture;
use crate::providers::probes::Probes;
use crate::sys::digest::Digest;
use crate::sys::files::{self, FileError, normalise};

/// One chapter of the course: what the script writer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    /// The chapter heading's text, plain (or the file name for a file without heading).
    pub title: String,
    /// The content under the heading, in order.
    pub blocks: Vec<Block>,
    /// A deck's chapter: its `---` breaks are its slides, titled by their first heading, and its other
    /// headings are text on them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deck: bool,
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
                Block::Image { src, alt, .. } => out.push_str(&format!("![{alt}]({src})\n")),
                Block::Math { tex } => out.push_str(&format!("$$\n{tex}\n$$\n")),
                Block::Callout { kind, title, text } => {
                    out.push_str(&format!("> [!{}] {title}\n", kind.to_uppercase()));
                    for line in text.lines() {
                        out.push_str(&format!("> {line}\n"));
                    }
                }
                Block::Break => out.push_str("---\n"),
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
    /// The language it is spoken in: its `<!-- vbuild: language=... -->`, else its file's front matter's
    /// `lang` (unless the Videofile sets one), else the course's.
    pub language: String,
    /// The dialect its file is written in.
    pub dialect: Dialect,
    /// How its file was cut into chapters.
    pub split: Split,
    /// The files it includes (`<<< @/snippets/a.ts`, `{literalinclude}`), each with its content's hash.
    pub included: Vec<(String, String)>,
    /// Its author's own translations, by language: used instead of a translator's.
    pub translations: BTreeMap<String, Translated>,
}

/// How a chapter is in a language without a translator.
#[derive(Debug, Clone, Copy)]
pub enum Given<'a> {
    /// Its author translated it (`lecture.fr.md`).
    ByAuthor(&'a Translated),
    /// It is written in that language (`<!-- vbuild: language=fr -->`).
    AsWritten,
}

impl ChapterSource {
    /// How the chapter is in `language` without a translator, if it is: its author's translation, or itself.
    pub fn given_in(&self, language: &str) -> Option<Given<'_>> {
        if let Some(translated) = self.translations.get(language) {
            return Some(Given::ByAuthor(translated));
        }
        self.language
            .eq_ignore_ascii_case(language)
            .then_some(Given::AsWritten)
    }
}

/// A chapter as its author translated it (`lecture.fr.md`).
#[derive(Debug, Clone)]
pub struct Translated {
    pub chapter: Chapter,
    /// Its Markdown, hashed into its translation node's key.
    pub markdown: String,
    /// The file it is in, relative to the project folder.
    pub file: String,
    /// The files it includes, each with its content's hash.
    pub included: Vec<(String, String)>,
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
    candidates.sort_by(|a, b| natural_order(a, b));
    // The files that would translate another into one of the course's other languages (`lecture.fr.md`
    // beside `lecture.md`).
    let translations: HashSet<PathBuf> = (videofile.course.languages[1..].iter())
        .flat_map(|language| candidates.iter().map(|c| files::in_language(c, language)))
        .collect();
    let mut found: Vec<PathBuf> = Vec::new();
    for pattern in &videofile.course.sources {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let matcher = Glob::new(pattern)
            .map_err(|err| videofile.sources_error(format!("source pattern {pattern:?}: {err}")))?
            .compile_matcher();
        // A file the Videofile names is a source whatever its name; a glob leaves out the authors'
        // translations of other files (read with their sources).
        let glob = pattern.contains(['*', '?', '[', '{']);
        let matches: Vec<&PathBuf> = (candidates.iter())
            .filter(|p| matcher.is_match(p) && !(glob && translations.contains(*p)))
            .collect();
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

/// Paths in the order a person numbers files: `lesson-2.md` before `lesson-10.md`, digits compared as numbers,
/// folder by folder.
fn natural_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    /// The runs of digits and of other characters of `text`, a run of digits as its number.
    fn runs(text: &str) -> Vec<Result<(u128, usize), &str>> {
        let mut runs = Vec::new();
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            let digit = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digit)
                .unwrap_or(rest.len());
            let (run, after) = rest.split_at(end);
            runs.push(match run.parse::<u128>() {
                // Equal numbers written longer (`02` after `2`) come later.
                Ok(number) if digit => Ok((number, run.len())),
                _ => Err(run),
            });
            rest = after;
        }
        runs
    }
    let names = |p: &Path| -> Vec<String> {
        p.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let (a, b) = (names(a), names(b));
    a.iter()
        .map(|name| runs(name))
        .cmp(b.iter().map(|name| runs(name)))
}

/// A lecture: its chapters, the local images they show, and its own title.
#[derive(Debug, Clone, Default)]
pub struct Lecture {
    pub chapters: Vec<ChapterSource>,
    pub images: Images,
    /// The title of the first source (its front matter's, else its first level-1 heading), and where it
    /// was found (`lecture.md's first level-1 heading`).
    pub title: Option<(String, String)>,
    /// The titles of the first source's translations by its author, by language.
    pub titles: BTreeMap<String, String>,
}

/// Reads the sources and cuts them into chapters; checks every local image they show, decoding each once
/// for each version of its file (`probes` remember the pictures that decoded). A source's translations by
/// its author (`lecture.fr.md` beside `lecture.md`, for each language the course is translated into) are
/// read the same way and matched to its chapters in order.
pub fn load(videofile: &Videofile, probes: &mut Probes) -> Result<Lecture, ConfigError> {
    let mut lecture = Lecture::default();
    for path in find_sources(videofile)? {
        let first = lecture.chapters.len();
        let file = read_file(videofile, &path, &mut lecture.images, probes, None)?;
        if lecture.chapters.is_empty() && lecture.title.is_none() {
            lecture.title = file.title;
        }
        for cut in file.chapters {
            let number = lecture.chapters.len() + 1;
            lecture.chapters.push(ChapterSource {
                number,
                id: format!("{number:02}-{}", slug(&cut.chapter.title)),
                chapter: cut.chapter,
                markdown: cut.markdown,
                language: cut.language,
                dialect: file.dialect,
                split: file.split,
                included: cut.included,
                translations: BTreeMap::new(),
            });
        }
        for language in &videofile.course.languages[1..] {
            let Some(translation) = translation_file(&path, language) else {
                continue;
            };
            let read = read_file(
                videofile,
                &translation,
                &mut lecture.images,
                probes,
                Some(language),
            )?;
            if first == 0
                && let Some((title, _)) = &read.title
            {
                lecture.titles.insert(language.clone(), title.clone());
            }
            let own = lecture.chapters.len() - first;
            if read.chapters.len() > own {
                return Err(ConfigError::Source {
                    file: shown(videofile, &translation),
                    line: 1,
                    message: format!(
                        "it has {} chapters, and {} has {own}: a translation's chapters follow its source's, in order",
                        read.chapters.len(),
                        shown(videofile, &path)
                    ),
                });
            }
            let translation = shown(videofile, &translation);
            for (i, cut) in read.chapters.into_iter().enumerate() {
                lecture.chapters[first + i].translations.insert(
                    language.clone(),
                    Translated {
                        chapter: cut.chapter,
                        markdown: cut.markdown,
                        file: translation.clone(),
                        included: cut.included,
                    },
                );
            }
        }
    }
    if lecture.chapters.is_empty() {
        return Err(videofile.sources_error("the sources hold no chapter text".into()));
    }
    Ok(lecture)
}

/// The author's translation of the source at `path` into `language`, if there is one: `lecture.fr.md`
/// beside `lecture.md`.
fn translation_file(path: &Path, language: &str) -> Option<PathBuf> {
    let translation = files::in_language(path, language);
    translation.is_file().then_some(translation)
}

/// A path as messages show it: relative to the project folder.
fn shown(videofile: &Videofile, path: &Path) -> String {
    path.strip_prefix(&videofile.project_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One file read and cut into chapters.
struct ReadFile {
    chapters: Vec<Cut>,
    dialect: Dialect,
    split: Split,
    /// Its own title (front matter, else first level-1 heading) and where it was found.
    title: Option<(String, String)>,
}

/// One chapter of a file as read.
struct Cut {
    chapter: Chapter,
    markdown: String,
    language: String,
    included: Vec<(String, String)>,
}

/// Reads the file at `path` (a source, or a translation into `translated`) and cuts it into chapters,
/// checking what they show.
fn read_file(
    videofile: &Videofile,
    path: &Path,
    images: &mut Images,
    probes: &mut Probes,
    translated: Option<&str>,
) -> Result<ReadFile, ConfigError> {
    let language_set = videofile.origins.contains_key("course.language");
    let shown = shown(videofile, path);
    let raw = files::read_text(path, files::SOURCE_BYTES).map_err(|err| match err {
        // Text in another encoding is named where it is, in the file itself.
        FileError::NotUtf8 { line, .. } => ConfigError::Source {
            file: shown.clone(),
            line,
            message: err.to_string(),
        },
        err => videofile.sources_error(format!("cannot read {}: {err}", path.display())),
    })?;
    // A Jupyter notebook is read as the MyST document its cells make.
    let notebook = path
        .extension()
        .is_some_and(|e| e == "ipynb")
        .then(|| dialect::notebook::to_markdown(&raw))
        .flatten();
    let is_notebook = notebook.is_some();
    let (text, chosen) = match notebook {
        Some(markdown) => (
            markdown,
            Some(videofile.course.dialect.unwrap_or(Dialect::Myst)),
        ),
        None => (raw, videofile.course.dialect),
    };
    let mut prepared = dialect::prepare(&without_control_characters(&text, &shown), chosen);
    if is_notebook && videofile.course.dialect.is_none() {
        prepared.because = "a Jupyter notebook's cells";
    }
    if prepared.dialect != Dialect::Markdown {
        log::info!(
            "{shown}: read as {} ({})",
            prepared.dialect,
            prepared.because
        );
    }
    for (line, message) in &prepared.warnings {
        log::warn!("{shown}:{line}: {message}");
    }
    let markdown = prepared.markdown.as_str();
    let title = match &prepared.front.title {
        Some(title) => Some((title.clone(), format!("{shown}'s front matter"))),
        None => {
            first_title(markdown).map(|title| (title, format!("{shown}'s first level-1 heading")))
        }
    };
    let deck = prepared.dialect.is_deck();
    let split = videofile
        .course
        .split
        .unwrap_or(if deck { Split::File } else { Split::H2 });
    // Text before the first chapter's heading is a chapter too: titled by the front matter, else the
    // file's name (one chapter per file) or "Introduction".
    let fallback_title = prepared.front.title.clone().unwrap_or_else(|| match split {
        Split::File => path
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default(),
        Split::H1 | Split::H2 => "Introduction".into(),
    });
    let source = Source {
        markdown,
        shown: &shown,
        folder: path.parent().unwrap_or(Path::new("")),
        project: &videofile.project_dir,
    };
    let how = How {
        split,
        deck,
        heading_breaks: prepared.heading_breaks,
    };
    let (chapters, notes) = cut(
        markdown,
        how,
        prepared.front.title.as_deref(),
        &fallback_title,
    );
    for (line, message) in notes {
        log::warn!("{shown}:{line}: {message}");
    }
    let mut cuts = Vec::new();
    for (mut chapter, text, start) in chapters {
        let chapter_source = ChapterAt {
            source: &source,
            text: &text,
            start,
            foreign: prepared.dialect != Dialect::Markdown,
        };
        chapter_source.check_tables(&chapter)?;
        let included = chapter_source.include_files(&mut chapter);
        chapter_source.resolve_images(&mut chapter, images, probes)?;
        let language = match translated {
            Some(language) => language.to_string(),
            None => {
                let front_language = prepared.front.language.as_deref().filter(|_| !language_set);
                chapter_source.language(&chapter, videofile, front_language)?
            }
        };
        cuts.push(Cut {
            chapter,
            markdown: text,
            language,
            included,
        });
    }
    Ok(ReadFile {
        chapters: cuts,
        dialect: prepared.dialect,
        split,
        title,
    })
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
    /// Written for another tool (not vbuild's own Markdown).
    foreign: bool,
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
    fn language(
        &self,
        chapter: &Chapter,
        videofile: &Videofile,
        front_language: Option<&str>,
    ) -> Result<String, ConfigError> {
        let text = self.text;
        let shown = self.source.shown;
        let mut language = videofile.course.language().to_string();
        let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or("").to_lowercase();
        match front_language {
            // `lang: en-US` in an English course is the course's language: its voice speaks it.
            Some(tag) if primary(tag) == primary(&language) => {}
            Some(tag) if language::is_language_tag(tag) => language = tag.to_string(),
            Some(tag) => log::warn!(
                "{shown}:1: the front matter's lang {tag:?} is not a BCP 47 tag; the course's language {language} is used"
            ),
            None => {}
        }
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
                "include" => {}
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

    /// Replaces each `<!-- vbuild: include=PATH -->` (a Slidev snippet import, a MyST `{literalinclude}`) with
    /// the file's text as code, and returns each included file with its hash. A file that is not there is
    /// left out with a warning: the rest of the deck still builds.
    fn include_files(&self, chapter: &mut Chapter) -> Vec<(String, String)> {
        let mut included = Vec::new();
        let source = self.source;
        let mut blocks = Vec::with_capacity(chapter.blocks.len());
        for block in std::mem::take(&mut chapter.blocks) {
            let path = match &block {
                Block::Directive { name, value } if name == "include" => value.clone(),
                _ => {
                    blocks.push(block);
                    continue;
                }
            };
            // `file.ts#name`: the region between `#region name` and `#endregion` comments (as Slidev and
            // VS Code mark them).
            let (file_path, region) = match path.split_once('#') {
                Some((file, region)) => (file.to_string(), Some(region.to_string())),
                None => (path.clone(), None),
            };
            let file = normalise(&source.folder.join(&file_path));
            let line = self.line_of(&path);
            match files::read_text(&file, files::SOURCE_BYTES) {
                Ok(text) => {
                    let text = match &region {
                        Some(name) => region_of(&text, name).unwrap_or(text),
                        None => text,
                    };
                    let language = Path::new(&file_path)
                        .extension()
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    included.push((
                        path.clone(),
                        blake3::hash(text.as_bytes()).to_hex().to_string(),
                    ));
                    blocks.push(Block::Code {
                        language,
                        text: text.trim_end_matches('\n').to_string(),
                    });
                }
                Err(err) => log::warn!(
                    "{}:{line}: the included file {path} cannot be read ({err}); left out",
                    source.shown
                ),
            }
        }
        chapter.blocks = blocks;
        included
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
        probes: &mut Probes,
    ) -> Result<(), ConfigError> {
        let source = self.source;
        // What stands in for a picture that is not drawn: its alt text, or nothing.
        let in_its_place = |alt: &str| {
            if alt.is_empty() {
                "it has no alt text to show, so it is left out"
            } else {
                "its alt text is shown in its place"
            }
        };
        for block in &mut chapter.blocks {
            let Block::Image { src, alt, .. } = block else {
                continue;
            };
            if src.contains("://") || src.starts_with("data:") {
                log::warn!(
                    "{}:{}: image {} is not on this machine and is not fetched; {}",
                    source.shown,
                    self.line_of(src.as_str()),
                    crate::sys::shown::value(src),
                    in_its_place(alt)
                );
                continue;
            }
            let written = src.split(['?', '#']).next().unwrap_or(src);
            let mut path = normalise(&source.folder.join(written));
            // A site's absolute path (`/images/a.png`, as Jekyll and Hugo pages write them) is under the
            // project folder, when the file is not at that absolute path.
            if let Some(under_site) = written.strip_prefix('/')
                && !path.is_file()
                && source.project.join(under_site).is_file()
            {
                path = normalise(&source.project.join(under_site));
            }
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
            // A deck or page written for another tool names pictures where that tool's site keeps them: one
            // that is not here is a placeholder, not a stop.
            if self.foreign && !path.exists() {
                log::warn!(
                    "{}:{}: image {src} not found{looked_for}; {} (add the file to show it)",
                    source.shown,
                    self.line_of(src.as_str()),
                    in_its_place(alt)
                );
                *src = format!("missing://{src}");
                continue;
            }
            let bytes = files::read(&path, files::PICTURE_BYTES).map_err(|err| match err {
                FileError::Missing => refused(format!(
                    "image {src} not found{looked_for}; add the file or fix the path"
                )),
                err => refused(format!("image {src}{looked_for}: {err}")),
            })?;
            // A picture bomb, a file that is no picture or one that does not decode is refused before any
            // work: the header first, then the whole picture, once for each version of the file.
            picture::check_header(&bytes)
                .map_err(|err| refused(format!("image {src}{looked_for}: {err}")))?;
            probes
                .answer(&format!("picture {} decodes", path.display()), || {
                    picture::check(&bytes).map(|_| (String::new(), vec![path.clone()]))
                })
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
        chapter.blocks.retain(|b| {
            !matches!(b, Block::Image { src, alt, .. } if alt.is_empty() && (src.contains("://") || src.starts_with("data:")))
        });
        Ok(())
    }
}

/// The lines of `text` between a `#region name` comment and the `#endregion` after it.
fn region_of(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        l.split_once("#region")
            .is_some_and(|(_, rest)| rest.trim() == name)
    })?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.contains("#endregion"))
        .map_or(lines.len(), |e| start + 1 + e);
    Some(lines[start + 1..end].join("\n"))
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

/// A lower-case ASCII slug of a title, at most 40 characters; letters outside ASCII are transliterated
/// (`Café` is `cafe`, `Größe` is `grosse`).
pub fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in deunicode::deunicode(title)
        .chars()
        .flat_map(char::to_lowercase)
    {
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

/// How a file is cut into chapters and slides.
#[derive(Debug, Clone, Copy)]
pub struct How {
    pub split: Split,
    /// A deck: its `---` breaks are slides, titled by their first heading.
    pub deck: bool,
    /// Headings of this level or above start a slide (Marp's `headingDivider`).
    pub heading_breaks: Option<u8>,
}

impl How {
    /// A document (not a deck) cut at `split`.
    pub fn document(split: Split) -> How {
        How {
            split,
            deck: false,
            heading_breaks: None,
        }
    }
}

/// Cuts one Markdown document into chapters with the Markdown text each came from.
pub fn split_chapters(markdown: &str, how: How, fallback_title: &str) -> Vec<ChapterText> {
    cut(markdown, how, None, fallback_title)
        .0
        .into_iter()
        .map(|(chapter, text, _)| (chapter, text))
        .collect()
}

/// A chapter and the Markdown it came from.
type ChapterText = (Chapter, String);

/// [`split_chapters`] with where each chapter's text starts in `markdown`, and what the parser skipped:
/// (line, message).
///
/// A heading at the split level starts a chapter. One above it (a `#` with `split = "h2"`) is the course's
/// title when it comes first, before any text, and a part (a chapter of its own) after that, so no heading
/// is lost. In a deck, a chapter's heading stays on its first slide as that slide's title; with one chapter
/// per file, the chapter is titled by the file's first heading.
#[allow(clippy::type_complexity)]
fn cut(
    markdown: &str,
    how: How,
    front_title: Option<&str>,
    fallback_title: &str,
) -> (Vec<(Chapter, String, usize)>, Vec<(usize, String)>) {
    let split_level = match how.split {
        Split::H1 => Some(1),
        Split::H2 => Some(2),
        Split::File => None,
    };
    let parsed = markdown::parse_with(markdown, how.heading_breaks);
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
    let new_chapter = |title: String| Chapter {
        title,
        blocks: Vec::new(),
        deck: how.deck,
    };
    let has_content = |blocks: &[Block]| {
        blocks
            .iter()
            .any(|b| !matches!(b, Block::Break | Block::Directive { .. }))
    };
    let mut chapters: Vec<(Chapter, usize)> = Vec::new();
    let mut preamble = new_chapter(String::new());
    for (block, offset) in parsed.blocks {
        if let Block::Heading { level, text } = &block {
            let title = markdown::plain(text);
            // Nothing titled yet: no text before it (in a deck, no heading before it: the first heading of
            // a deck titles it, whatever pictures or breaks come first).
            let untouched = chapters.is_empty()
                && preamble.title.is_empty()
                && if how.deck {
                    !preamble
                        .blocks
                        .iter()
                        .any(|b| matches!(b, Block::Heading { .. }))
                } else {
                    !has_content(&preamble.blocks)
                };
            let starts_chapter = match split_level {
                Some(split) if *level == split => true,
                // A level above the split: the course's title first, then a part.
                Some(split) if *level < split => {
                    if untouched {
                        preamble.title = title.clone();
                        if how.deck {
                            preamble.blocks.push(block);
                        }
                        continue;
                    }
                    true
                }
                // With one chapter per file, the first heading titles it, unless the front matter gives
                // another title (then the heading stays, on the first slide).
                None if untouched
                    && front_title.is_none_or(|t| t == title)
                    && (*level == 1 || how.deck) =>
                {
                    preamble.title = title.clone();
                    if how.deck {
                        preamble.blocks.push(block);
                    }
                    continue;
                }
                _ => false,
            };
            if starts_chapter {
                let mut chapter = new_chapter(title);
                if how.deck {
                    chapter.blocks.push(block);
                }
                chapters.push((chapter, offset));
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
    if has_content(&preamble.blocks) || titled_file {
        if preamble.title.is_empty() {
            preamble.title = fallback_title.into();
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
        let chapters = split_chapters(LECTURE, How::document(Split::H2), "Introduction");
        let titles: Vec<&str> = chapters.iter().map(|(c, _)| c.title.as_str()).collect();
        assert_eq!(titles, ["Course", "First", "Zweite Größe"]);
        assert!(chapters[1].1.starts_with("## First"));
        assert!(chapters[2].1.starts_with("## Zweite"));
        assert_eq!(slug("Zweite Größe"), "zweite-grosse");
        assert_eq!(slug("Café"), "cafe");
        assert_eq!(slug("日本語"), "ri-ben-yu");
        assert_eq!(first_title(LECTURE).as_deref(), Some("Course"));
    }

    #[test]
    fn sources_sort_as_people_number_them() {
        let mut paths: Vec<PathBuf> = [
            "lesson-10.md",
            "lesson-2.md",
            "a/lesson-1.md",
            "lesson-02.md",
            "intro.md",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        paths.sort_by(|a, b| natural_order(a, b));
        let sorted: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            sorted,
            [
                "a/lesson-1.md",
                "intro.md",
                "lesson-2.md",
                "lesson-02.md",
                "lesson-10.md"
            ]
        );
    }

    #[test]
    fn chapters_keep_every_block_in_order() {
        let chapters = split_chapters(LECTURE, How::document(Split::H2), "Introduction");
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
    fn a_heading_above_the_split_after_the_course_title_is_a_part_not_lost() {
        let markdown = "# Course\n\n## A\n\nText.\n\n# Part two\n\n## B\n\nMore.\n";
        let chapters = split_chapters(markdown, How::document(Split::H2), "Introduction");
        let titles: Vec<&str> = chapters.iter().map(|(c, _)| c.title.as_str()).collect();
        assert_eq!(titles, ["A", "Part two", "B"]);
        assert!(chapters[1].0.blocks.is_empty(), "a part is a title card");
    }

    #[test]
    fn a_deck_keeps_each_slides_heading_and_every_later_level_one_heading() {
        let deck = How {
            split: Split::File,
            deck: true,
            heading_breaks: None,
        };
        let markdown = "# Cover\n\nSub.\n\n---\n\n# Second\n\nText.\n";
        let chapters = split_chapters(markdown, deck, "file");
        assert_eq!(chapters.len(), 1);
        let chapter = &chapters[0].0;
        assert_eq!(chapter.title, "Cover");
        assert!(chapter.deck);
        let headings: Vec<&Block> = chapter
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Heading { .. } | Block::Break))
            .collect();
        assert_eq!(headings.len(), 3, "{:?}", chapter.blocks);
    }

    #[test]
    fn an_included_region_is_the_lines_between_its_marks() {
        let text = "a\n// #region snippet\nshown\nalso\n// #endregion snippet\nb\n";
        assert_eq!(region_of(text, "snippet").as_deref(), Some("shown\nalso"));
        assert_eq!(region_of(text, "other"), None);
    }

    #[test]
    fn file_split_keeps_one_chapter_per_file() {
        let chapters = split_chapters(
            "# Title\n\nText.\n\n## Part\n\nMore.",
            How::document(Split::File),
            "f",
        );
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
