//! `course-subtitles`: the chapters' cues one after another, and the chapter marks (WebVTT chapters).

use std::path::Path;

use super::chapter_subtitles::subtitle_files;
use super::{Inputs, Job, Prepared, Produced, StepError, read_json, write};
use crate::cache::Store;
use crate::graph::node::{Address, Edition, NodeKind};
use crate::graph::signature::Signature;
use crate::media::subtitles::{self, Cue};
use crate::sys::digest::Digest;

/// Joins the chapters' cues and writes the chapter marks.
struct JoinCues {
    chapters: Vec<ChapterCues>,
}

/// A finished chapter's subtitles, as the course subtitles read them.
struct ChapterCues {
    /// Hash of the chapter's cue list (JSON).
    cues: Digest,
    /// The chapter video's length.
    seconds: f64,
    title: String,
}

pub fn prepare(edition: Edition, inputs: &Inputs) -> Prepared {
    let chapters: Vec<ChapterCues> = inputs
        .chapters(edition)
        .map(|chapter| {
            let entry = inputs.entry(NodeKind::ChapterSubtitles, Address::Chapter(chapter));
            ChapterCues {
                cues: entry.output("cues").clone(),
                seconds: entry.number("seconds"),
                title: inputs.title(chapter),
            }
        })
        .collect();
    let mut signature = Signature::new(NodeKind::CourseSubtitles, subtitles::VERSION);
    for ((i, c), chapter) in chapters.iter().enumerate().zip(inputs.chapters(edition)) {
        signature.input_from(
            &format!("chapter {}", i + 1),
            inputs.name(NodeKind::ChapterSubtitles, Address::Chapter(chapter)),
            format!("{} {:.6} {}", c.cues, c.seconds, c.title),
        );
    }
    Prepared::new(signature, JoinCues { chapters })
}

impl Job for JoinCues {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let mut parts: Vec<(Vec<Cue>, f64)> = Vec::new();
        for chapter in &self.chapters {
            let cues: Vec<Cue> = read_json(store, &chapter.cues, "cue list")?;
            parts.push((cues, chapter.seconds));
        }
        let seconds = parts.iter().map(|(_, s)| s).sum();
        let chapters: Vec<(String, f64)> = (self.chapters.iter())
            .map(|c| (c.title.clone(), c.seconds))
            .collect();
        let marks = subtitles::to_vtt(&subtitles::chapter_marks(&chapters));
        let produced = Produced::default().file(
            "chapters",
            write(scratch.join("chapters.vtt"), marks.as_bytes())?,
        );
        subtitle_files(produced, scratch, &subtitles::concat(&parts), seconds)
    }
}
