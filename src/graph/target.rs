//! Targets: what a command line asks for (`course`, `chapter:02`, `script:gradient-descent`, `audio:3/2`), and
//! which nodes of the graph that means.

use std::collections::HashMap;
use std::fmt;

use crate::graph::node::{Address, ChapterId, Edition, KINDS, Node, NodeKind, Scope, SlideId};
use crate::lecture::ChapterSource;

/// A target that does not name anything in this course (exit code 2 at the CLI).
#[derive(Debug, thiserror::Error)]
#[error("target {target:?}: {message}")]
pub struct TargetError {
    pub target: String,
    pub message: String,
    /// What the user may have meant (`did you mean `targets`?`), shown as a hint.
    pub hint: Option<String>,
}

impl TargetError {
    /// An error without a hint.
    pub fn new(target: &str, message: String) -> TargetError {
        TargetError {
            target: target.to_string(),
            message,
            hint: None,
        }
    }
}

/// The one of `candidates` that `word` is most likely a misspelling of: within a third of its length in
/// edits (at least one), nearest first.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(distance, _)| distance <= most)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

/// "did you mean `TEXT`?" with `word` in `text` replaced by the nearest of `candidates`, if one is near.
fn suggestion<'a>(
    text: &str,
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(word, candidates)
        .map(|near| format!("did you mean `{}`?", text.replacen(word, near, 1)))
}

/// Every word a target may start with: `course`, `chapter`, `video`, `audio`, ...
fn target_words() -> Vec<&'static str> {
    let groups = GROUPS.iter().map(|(word, ..)| *word);
    let kinds = KINDS.iter().filter_map(|row| row.target.map(|t| t.word));
    let mut words: Vec<&str> = groups.chain(kinds).collect();
    words.dedup();
    words
}

/// The error for a chapter `selector` that names none of `chapters`, with the nearest as a hint.
fn no_chapter(target: &str, selector: &str, chapters: &[ChapterSource]) -> TargetError {
    let ids: Vec<&str> = chapters.iter().map(|c| c.id.as_str()).collect();
    let slugs = chapters.iter().map(|c| slug_of(&c.id));
    let hint = suggestion(target, selector, slugs.chain(ids.iter().copied()));
    let numbers = match chapters.len() {
        0 => "there are none".to_string(),
        1 => "1".to_string(),
        n => format!("1 to {n}"),
    };
    TargetError {
        target: target.to_string(),
        message: format!(
            "no chapter {selector:?}; the chapters are {} (numbers {numbers})",
            ids.join(", ")
        ),
        hint,
    }
}

/// The slug of a chapter id: `linear-regression` of `02-linear-regression`.
fn slug_of(id: &str) -> &str {
    id.split_once('-').map_or(id, |(_, slug)| slug)
}

/// A set of nodes a command line asks for: those of `kinds` at or inside `at` (the course, a chapter or a
/// slide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kinds: Vec<NodeKind>,
    pub at: Address,
    /// The text it was parsed from.
    pub text: String,
}

/// Targets that stand for several kinds: (word, its kinds, takes a chapter, what `vbuild targets` says).
const GROUPS: &[(&str, &[NodeKind], bool, &str)] = &[
    (
        "course",
        &[NodeKind::CourseVideo, NodeKind::CourseSubtitles],
        false,
        "the course video, subtitles and chapter marks (the default)",
    ),
    (
        "chapter",
        &[NodeKind::ChapterVideo, NodeKind::ChapterSubtitles],
        true,
        "a chapter's video and subtitles",
    ),
];

/// Every target spelling and what it builds, for `vbuild targets`: `video`, `audio:CHAPTER`, ...
pub fn spellings() -> Vec<(String, &'static str)> {
    let groups = GROUPS
        .iter()
        .map(|(word, _, chapter, builds)| (*word, *chapter, *builds));
    let kinds = KINDS.iter().filter_map(|row| {
        row.target
            .map(|t| (t.word, row.scope != Scope::Course, t.builds))
    });
    groups
        .chain(kinds)
        .map(|(word, chapter, builds)| {
            let spelled = if chapter {
                format!("{word}:CHAPTER")
            } else {
                word.to_string()
            };
            (spelled, builds)
        })
        .collect()
}

impl Target {
    /// The default target: everything.
    pub fn course() -> Target {
        Target {
            kinds: vec![NodeKind::CourseVideo, NodeKind::CourseSubtitles],
            at: Address::Course(Edition::SOURCE),
            text: "course".into(),
        }
    }

    /// The same target in `edition`, whose language is `language`: `script@fr:2`.
    pub fn in_edition(&self, edition: Edition, language: &str) -> Target {
        let at = match self.at {
            Address::Course(_) => Address::Course(edition),
            Address::Chapter(chapter) => Address::Chapter(ChapterId { edition, ..chapter }),
            Address::Slide(slide) => Address::Slide(SlideId {
                chapter: ChapterId {
                    edition,
                    ..slide.chapter
                },
                ..slide
            }),
        };
        let text = match self.text.split_once(':') {
            _ if edition.is_source() => self.text.clone(),
            Some((word, rest)) => format!("{word}@{language}:{rest}"),
            None => format!("{}@{language}", self.text),
        };
        Target {
            kinds: self.kinds.clone(),
            at,
            text,
        }
    }

    /// Parses `KIND[:CHAPTER[/SLIDE]]`; a chapter is its number, its slug or its id (`02`, `2`,
    /// `linear-regression`, `02-linear-regression`). Node names as vbuild prints them are accepted too.
    pub fn parse(text: &str, chapters: &[ChapterSource]) -> Result<Target, TargetError> {
        let error = |message: String| TargetError::new(text, message);
        let (word, rest) = match text.split_once(':') {
            Some((word, rest)) => (word, Some(rest)),
            None => (text, None),
        };
        // A chapter on its own (`2`, `linear-regression`) is that chapter's video and subtitles, unless the
        // word is a target's.
        if rest.is_none()
            && kinds_spelled(word, false).is_none()
            && let Some(chapter) = find_chapter(word, chapters)
        {
            return Ok(Target {
                kinds: vec![NodeKind::ChapterVideo, NodeKind::ChapterSubtitles],
                at: Address::Chapter(chapter),
                text: text.to_string(),
            });
        }
        // A number on its own can only be a chapter: `vbuild 99` is `vbuild chapter:99`.
        if rest.is_none() && word.parse::<usize>().is_ok() {
            return Err(no_chapter(text, word, chapters));
        }
        let at = match rest {
            None => Address::Course(Edition::SOURCE),
            Some(rest) => {
                let (chapter, slide) = match rest.split_once('/') {
                    Some((c, s)) => (c, Some(s)),
                    None => (rest, None),
                };
                let chapter = find_chapter(chapter, chapters)
                    .ok_or_else(|| no_chapter(text, chapter, chapters))?;
                match slide {
                    None => Address::Chapter(chapter),
                    Some(s) => {
                        let number =
                            s.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                                error(format!("slide {s:?} is not a slide number (1, 2, ...)"))
                            })?;
                        Address::Slide(SlideId {
                            chapter,
                            slide: number - 1,
                        })
                    }
                }
            }
        };
        let kinds = kinds_spelled(word, at.scope() != Scope::Course).ok_or_else(|| {
            let names: Vec<String> = spellings().into_iter().map(|(s, _)| s).collect();
            // A near target word, or for a word on its own a near chapter too.
            let words = target_words();
            let chapter_names = chapters
                .iter()
                .filter(|_| rest.is_none())
                .flat_map(|c| [slug_of(&c.id), c.id.as_str()]);
            let hint = suggestion(text, word, words.into_iter().chain(chapter_names));
            TargetError {
                hint,
                ..error(format!("unknown target; targets are {}", names.join(", ")))
            }
        })?;
        if at.scope() == Scope::Slide && !kinds.iter().all(|k| k.per_slide()) {
            let words: Vec<&str> = KINDS
                .iter()
                .filter(|row| row.scope == Scope::Slide)
                .filter_map(|row| row.target.map(|t| t.word))
                .collect();
            return Err(error(format!(
                "only {} targets take a /SLIDE",
                words.join(", ")
            )));
        }
        Ok(Target {
            kinds,
            at,
            text: text.to_string(),
        })
    }

    /// True when `node` is one this target asks for.
    pub fn wants(&self, node: &Node) -> bool {
        self.kinds.contains(&node.kind) && self.at.holds(node.at)
    }

    /// True when this target asks for per-slide nodes of `chapter`, which exist only once the chapter's
    /// slides are known: the node that tells them must run even before the nodes are known.
    pub fn needs_slides_of(&self, chapter: ChapterId) -> bool {
        let mine = match self.at.chapter() {
            Some(c) => c == chapter,
            None => self.at.edition() == chapter.edition,
        };
        self.kinds.iter().any(|k| k.per_slide()) && mine
    }
}

/// The targets of a build, grouped by chapter: a target wants only nodes of its chapter (or any node, without
/// one), so a node is checked against those alone and a target per chapter costs no more than one.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    everywhere: Vec<Target>,
    by_chapter: HashMap<ChapterId, Vec<Target>>,
}

impl Targets {
    /// Groups `targets`.
    pub fn new(targets: Vec<Target>) -> Targets {
        let mut grouped = Targets::default();
        for target in targets {
            match target.at.chapter() {
                Some(chapter) => grouped.by_chapter.entry(chapter).or_default().push(target),
                None => grouped.everywhere.push(target),
            }
        }
        grouped
    }

    /// The targets that may want nodes in `chapter` (or in the course as a whole, with `None`).
    pub fn near(&self, chapter: Option<ChapterId>) -> impl Iterator<Item = &Target> {
        let here = chapter.and_then(|c| self.by_chapter.get(&c));
        self.everywhere.iter().chain(here.into_iter().flatten())
    }

    /// True when a target wants `node`.
    pub fn want(&self, node: &Node) -> bool {
        self.near(node.at.chapter()).any(|t| t.wants(node))
    }
}

/// The kinds a target word stands for, with a chapter or without: a group, a kind's target word (`video`
/// is the course's video without a chapter and a chapter's with one) or a kind's name.
fn kinds_spelled(word: &str, with_chapter: bool) -> Option<Vec<NodeKind>> {
    if let Some((_, kinds, _, _)) = GROUPS
        .iter()
        .find(|(w, _, chapter, _)| *w == word && *chapter == with_chapter)
    {
        return Some(kinds.to_vec());
    }
    KINDS
        .iter()
        .find(|row| {
            (row.scope != Scope::Course) == with_chapter
                && (row.target.is_some_and(|t| t.word == word) || row.name == word)
        })
        .map(|row| vec![row.kind])
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn find_chapter(selector: &str, chapters: &[ChapterSource]) -> Option<ChapterId> {
    let position = if let Ok(number) = selector.parse::<usize>() {
        chapters.iter().position(|c| c.number == number)
    } else {
        chapters
            .iter()
            .position(|c| c.id == selector || slug_of(&c.id) == selector)
    };
    position.map(ChapterId::source)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lecture::Chapter;

    /// Two chapters: 01-intro and 02-linear-regression.
    pub(crate) fn chapters() -> Vec<ChapterSource> {
        ["intro", "linear-regression"]
            .iter()
            .enumerate()
            .map(|(i, slug)| ChapterSource {
                number: i + 1,
                id: format!("{:02}-{slug}", i + 1),
                chapter: Chapter {
                    title: slug.to_string(),
                    blocks: Vec::new(),
                    deck: false,
                },
                markdown: String::new(),
                language: "en".into(),
                dialect: crate::lecture::dialect::Dialect::Markdown,
                split: crate::config::Split::H2,
                included: Vec::new(),
                translations: Default::default(),
            })
            .collect()
    }

    #[test]
    fn chapters_by_number_slug_or_id() {
        let c = chapters();
        for text in [
            "script:2",
            "script:02",
            "script:linear-regression",
            "script:02-linear-regression",
        ] {
            let target = Target::parse(text, &c).unwrap();
            assert_eq!(
                (target.kinds.as_slice(), target.at),
                (
                    &[NodeKind::Script][..],
                    Address::Chapter(ChapterId::source(1))
                ),
                "{text}"
            );
        }
        let audio = Target::parse("audio:1/3", &c).unwrap();
        let slide = |slide| SlideId {
            chapter: ChapterId::source(0),
            slide,
        };
        assert_eq!(audio.at, Address::Slide(slide(2)));
        assert!(
            audio.needs_slides_of(ChapterId::source(0))
                && !audio.needs_slides_of(ChapterId::source(1))
        );
        assert!(audio.wants(&Node::new(NodeKind::Audio, Address::Slide(slide(2)))));
        assert!(!audio.wants(&Node::new(NodeKind::Audio, Address::Slide(slide(1)))));
    }

    #[test]
    fn bad_targets_say_what_exists() {
        let c = chapters();
        let err = Target::parse("script:9", &c).unwrap_err().to_string();
        assert!(err.contains("01-intro, 02-linear-regression"), "{err}");
        let err = Target::parse("movie", &c).unwrap_err().to_string();
        assert!(err.contains("chapter:CHAPTER"), "{err}");
        let err = Target::parse("script:1/2", &c).unwrap_err().to_string();
        assert!(
            err.contains("only audio, picture, image, clip targets take a /SLIDE"),
            "{err}"
        );
        assert!(Target::parse("chapter", &c).is_err());
    }

    #[test]
    fn a_number_on_its_own_is_a_chapter_and_says_so() {
        let c = chapters();
        let alone = Target::parse("99", &c).unwrap_err();
        let prefixed = Target::parse("chapter:99", &c).unwrap_err();
        assert_eq!(alone.message, prefixed.message);
        assert!(
            alone.message.contains("numbers 1 to 2"),
            "{}",
            alone.message
        );
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        let c = chapters();
        let hint = |text: &str| Target::parse(text, &c).unwrap_err().hint;
        assert_eq!(
            hint("scirpt:2").as_deref(),
            Some("did you mean `script:2`?")
        );
        assert_eq!(hint("vidoe").as_deref(), Some("did you mean `video`?"));
        assert_eq!(
            hint("linear-regresion").as_deref(),
            Some("did you mean `linear-regression`?")
        );
        assert_eq!(
            hint("audio:linear-regresion/2").as_deref(),
            Some("did you mean `audio:linear-regression/2`?")
        );
        assert_eq!(hint("zebra"), None);
        assert_eq!(nearest("tragets", ["targets", "graph"]), Some("targets"));
    }

    #[test]
    fn a_chapter_on_its_own_is_its_video_and_subtitles() {
        let c = chapters();
        for text in ["2", "linear-regression", "02-linear-regression"] {
            let target = Target::parse(text, &c).unwrap();
            assert_eq!(target.at, Address::Chapter(ChapterId::source(1)), "{text}");
            assert_eq!(
                target.kinds,
                [NodeKind::ChapterVideo, NodeKind::ChapterSubtitles]
            );
        }
        assert_eq!(
            Target::parse("video", &c).unwrap().at,
            Address::Course(Edition::SOURCE)
        );
    }
}
