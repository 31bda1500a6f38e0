//! Targets: what a command line asks for (`course`, `chapter:02`, `script:gradient-descent`, `audio:3/2`), and
//! which nodes of the graph that means.

use std::fmt;

use crate::lecture::ChapterSource;
use crate::plan::{Node, NodeKind};

/// A target that does not name anything in this course (exit code 2 at the CLI).
#[derive(Debug, thiserror::Error)]
#[error("target {target:?}: {message}")]
pub struct TargetError {
    pub target: String,
    pub message: String,
}

/// A set of nodes a command line asks for: those of `kinds`, in one chapter (or all) and one slide (or all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kinds: Vec<NodeKind>,
    /// 0-based chapter index; `None` for every chapter.
    pub chapter: Option<usize>,
    /// 0-based slide index; `None` for every slide.
    pub slide: Option<usize>,
    /// The text it was parsed from.
    pub text: String,
}

/// The target names, what they build, and whether they take a chapter; shown by `vbuild targets`.
pub const KINDS: &[(&str, &str, bool)] = &[
    (
        "course",
        "the course video, subtitles and chapter marks (the default)",
        false,
    ),
    (
        "video",
        "the course video, or with :CHAPTER that chapter's video",
        false,
    ),
    (
        "subtitles",
        "the course subtitles, or with :CHAPTER that chapter's subtitles",
        false,
    ),
    ("chapter", "a chapter's video and subtitles", true),
    ("script", "a chapter's slide script", true),
    (
        "audio",
        "a chapter's narration audio (all slides, or /SLIDE)",
        true,
    ),
    (
        "image",
        "a chapter's slide pictures (all slides, or /SLIDE)",
        true,
    ),
    (
        "picture",
        "a chapter's generated pictures, with a cloud [images] provider (all slides, or /SLIDE)",
        true,
    ),
    (
        "clip",
        "a chapter's encoded clips (all slides, or /SLIDE)",
        true,
    ),
];

impl Target {
    /// The default target: everything.
    pub fn course() -> Target {
        Target {
            kinds: vec![NodeKind::CourseVideo, NodeKind::CourseSubtitles],
            chapter: None,
            slide: None,
            text: "course".into(),
        }
    }

    /// Parses `KIND[:CHAPTER[/SLIDE]]`; a chapter is its number, its slug or its id (`02`, `2`,
    /// `linear-regression`, `02-linear-regression`). Node names as vbuild prints them are accepted too.
    pub fn parse(text: &str, chapters: &[ChapterSource]) -> Result<Target, TargetError> {
        let error = |message: String| TargetError {
            target: text.to_string(),
            message,
        };
        let (kind, rest) = match text.split_once(':') {
            Some((kind, rest)) => (kind, Some(rest)),
            None => (text, None),
        };
        let (chapter, slide) = match rest {
            None => (None, None),
            Some(rest) => {
                let (chapter, slide) = match rest.split_once('/') {
                    Some((c, s)) => (c, Some(s)),
                    None => (rest, None),
                };
                let chapter = find_chapter(chapter, chapters).ok_or_else(|| {
                    let ids: Vec<&str> = chapters.iter().map(|c| c.id.as_str()).collect();
                    error(format!(
                        "no chapter {chapter:?}; the chapters are {}",
                        ids.join(", ")
                    ))
                })?;
                let slide = match slide {
                    None => None,
                    Some(s) => Some(
                        s.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                            error(format!("slide {s:?} is not a slide number (1, 2, ...)"))
                        })? - 1,
                    ),
                };
                (Some(chapter), slide)
            }
        };
        use NodeKind::*;
        let kinds = match (kind, chapter.is_some()) {
            ("course", false) => vec![CourseVideo, CourseSubtitles],
            ("video" | "course-video", false) => vec![CourseVideo],
            ("subtitles" | "course-subtitles", false) => vec![CourseSubtitles],
            ("video" | "chapter-video", true) => vec![ChapterVideo],
            ("subtitles" | "chapter-subtitles", true) => vec![ChapterSubtitles],
            ("chapter", true) => vec![ChapterVideo, ChapterSubtitles],
            ("script", true) => vec![Script],
            ("audio", true) => vec![Audio],
            ("image", true) => vec![Image],
            ("picture", true) => vec![Picture],
            ("clip", true) => vec![Clip],
            _ => {
                let names: Vec<String> = KINDS
                    .iter()
                    .map(|(name, _, takes)| {
                        if *takes {
                            format!("{name}:CHAPTER")
                        } else {
                            name.to_string()
                        }
                    })
                    .collect();
                return Err(error(format!(
                    "unknown target; targets are {}",
                    names.join(", ")
                )));
            }
        };
        if slide.is_some() && !kinds.iter().all(|k| k.per_slide()) {
            return Err(error(
                "only audio, picture, image and clip targets take a /SLIDE".into(),
            ));
        }
        Ok(Target {
            kinds,
            chapter,
            slide,
            text: text.to_string(),
        })
    }

    /// True when `node` is one this target asks for.
    pub fn wants(&self, node: &Node) -> bool {
        self.kinds.contains(&node.kind)
            && (self.chapter.is_none() || node.chapter == self.chapter)
            && (self.slide.is_none() || node.slide == self.slide)
    }

    /// True when this target asks for per-slide nodes of chapter `chapter`, which exist only once its script
    /// has run: that script must run even before the nodes are known.
    pub fn needs_script_of(&self, chapter: usize) -> bool {
        self.kinds.iter().any(|k| k.per_slide()) && self.chapter.is_none_or(|c| c == chapter)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn find_chapter(selector: &str, chapters: &[ChapterSource]) -> Option<usize> {
    if let Ok(number) = selector.parse::<usize>() {
        return chapters.iter().position(|c| c.number == number);
    }
    chapters.iter().position(|c| {
        c.id == selector
            || c.id
                .split_once('-')
                .is_some_and(|(_, slug)| slug == selector)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::Chapter;

    fn chapters() -> Vec<ChapterSource> {
        ["intro", "linear-regression"]
            .iter()
            .enumerate()
            .map(|(i, slug)| ChapterSource {
                number: i + 1,
                id: format!("{:02}-{slug}", i + 1),
                chapter: Chapter {
                    title: slug.to_string(),
                    blocks: Vec::new(),
                },
                markdown: String::new(),
                language: "en".into(),
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
                (target.kinds.as_slice(), target.chapter),
                (&[NodeKind::Script][..], Some(1)),
                "{text}"
            );
        }
        let audio = Target::parse("audio:1/3", &c).unwrap();
        assert_eq!((audio.chapter, audio.slide), (Some(0), Some(2)));
        assert!(audio.needs_script_of(0) && !audio.needs_script_of(1));
        assert!(audio.wants(&Node {
            kind: NodeKind::Audio,
            chapter: Some(0),
            slide: Some(2)
        }));
        assert!(!audio.wants(&Node {
            kind: NodeKind::Audio,
            chapter: Some(0),
            slide: Some(1)
        }));
    }

    #[test]
    fn bad_targets_say_what_exists() {
        let c = chapters();
        let err = Target::parse("script:9", &c).unwrap_err().to_string();
        assert!(err.contains("01-intro, 02-linear-regression"), "{err}");
        let err = Target::parse("movie", &c).unwrap_err().to_string();
        assert!(err.contains("chapter:CHAPTER"), "{err}");
        assert!(Target::parse("script:1/2", &c).is_err());
        assert!(Target::parse("chapter", &c).is_err());
    }
}
