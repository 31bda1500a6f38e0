//! `chapter-video` and `course-video`. A chapter joins its slides' clips without re-encoding them and encodes
//! its narration (each slide's speech padded to its clip) to AAC once; the course copies its chapters'
//! samples one after another, decoding nothing (see [`crate::media::join`] for why the joins are gapless).

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError};
use crate::digest::Digest;
use crate::media::audio::{self, AUDIO_RATE};
use crate::media::join::{self, Slide};
use crate::node::{Address, ChapterId, NodeKind};
use crate::signature::Signature;
use crate::store::Store;

/// Joins a chapter: each slide's clip and speech, the speech padded to `length` samples.
struct JoinChapter {
    slides: Vec<SlideParts>,
    fps: u32,
}

struct SlideParts {
    clip: Digest,
    speech: Digest,
    length: usize,
}

/// Joins the course from its chapter videos.
struct JoinCourse {
    chapters: Vec<Digest>,
    /// The course's length: its chapters' (a fact of the course video).
    seconds: f64,
}

pub fn prepare_chapter(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let video = &inputs.ctx.videofile.video;
    let min_samples = audio::samples_in(video.min_slide_seconds);
    let mut signature = Signature::new(NodeKind::ChapterVideo.name(), 2);
    signature
        .setting("joiner", join::SETTINGS)
        .setting("gstreamer", &inputs.ctx.tools.gstreamer)
        .setting("fps", video.fps)
        .setting("min samples", min_samples);
    let mut slides = Vec::new();
    for (i, slide) in inputs.slides(chapter).enumerate() {
        let at = Address::Slide(slide);
        let clip = inputs.entry(NodeKind::Clip, at).output("video").clone();
        let speech = inputs.entry(NodeKind::Audio, at);
        let length = audio::padded_len(speech.number("samples") as usize, video.fps, min_samples);
        let speech = speech.output("speech").clone();
        signature.input_from(
            &format!("slide {}", i + 1),
            inputs.name(NodeKind::Clip, at),
            format!("{clip} {speech} {length}"),
        );
        slides.push(SlideParts {
            clip,
            speech,
            length,
        });
    }
    Prepared::new(
        signature,
        JoinChapter {
            slides,
            fps: video.fps,
        },
    )
}

pub fn prepare_course(inputs: &Inputs) -> Prepared {
    let mut signature = Signature::new(NodeKind::CourseVideo.name(), 2);
    signature.setting("joiner", join::SETTINGS);
    let mut chapters = Vec::new();
    let mut seconds = 0.0;
    for (i, chapter) in inputs.chapters().enumerate() {
        let at = Address::Chapter(chapter);
        let entry = inputs.entry(NodeKind::ChapterVideo, at);
        seconds += entry.number("seconds");
        let mp4 = entry.output("mp4").clone();
        signature.input_from(
            &format!("chapter {}", i + 1),
            inputs.name(NodeKind::ChapterVideo, at),
            &mp4,
        );
        chapters.push(mp4);
    }
    Prepared::new(signature, JoinCourse { chapters, seconds })
}

impl Job for JoinChapter {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let mut slides = Vec::new();
        for slide in &self.slides {
            slides.push(Slide {
                clip: store.verified_blob(&slide.clip)?,
                speech: store.verified_blob(&slide.speech)?,
                length: slide.length,
            });
        }
        let mp4 = scratch.join("chapter.mp4");
        let samples = join::join_chapter(&slides, self.fps, scratch, &mp4)?;
        Ok(Produced::default()
            .file("mp4", mp4)
            .fact("samples", json!(samples))
            .fact("seconds", json!(samples as f64 / f64::from(AUDIO_RATE))))
    }
}

impl Job for JoinCourse {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let chapters = self
            .chapters
            .iter()
            .map(|mp4| store.verified_blob(mp4))
            .collect::<Result<Vec<_>, _>>()?;
        let mp4 = scratch.join("course.mp4");
        join::join_course(&chapters, &mp4)?;
        Ok(Produced::default()
            .file("mp4", mp4)
            .fact("seconds", json!(self.seconds)))
    }
}
