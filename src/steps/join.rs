//! `chapter-video` and `course-video`. A chapter encodes its narration (each slide's speech padded to its
//! clip) to AAC once; its video is its clips' pictures and those AAC frames, nothing re-encoded, and the course
//! is its chapters one after another (see [`crate::media::join`] for why the joins are gapless).
//!
//! Joins are not stored: they are copies of what the cache already holds. A chapter's outputs are its AAC
//! and its layout (which clips, how long each is held, which AAC); the course's output is its layout, its
//! chapters' in order. The MP4 files are written from a layout where they are wanted, in the output folder
//! ([`write_video`]), by copying samples out of the cache's blobs.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError};
use crate::cache::{Store, StoreError};
use crate::graph::node::{Address, ChapterId, Edition, NodeKind};
use crate::graph::signature::Signature;
use crate::media::audio::{self, AUDIO_RATE};
use crate::media::join::{self, ChapterParts, Narration};
use crate::media::loudness::Target;
use crate::sys::digest::Digest;

/// Encodes a chapter's audio and lays it out with the clips: each slide's clip and speech, the speech
/// padded to `length` samples.
struct JoinChapter {
    slides: Vec<SlideParts>,
    fps: u32,
    loudness: Target,
}

struct SlideParts {
    clip: Digest,
    speech: Digest,
    length: usize,
}

/// Lays out the course: its chapters' layouts in order.
struct JoinCourse {
    chapters: Vec<Digest>,
    /// The chapters' titles, for the course video's chapter list.
    titles: Vec<String>,
    /// The course's length: its chapters' (a fact of the course video).
    seconds: f64,
}

/// How a chapter video is made of blobs of the cache: its clips (at `fps`), each held for its narration's
/// length in samples, and its AAC.
#[derive(Debug, Serialize, Deserialize)]
struct ChapterLayout {
    fps: u32,
    clips: Vec<Digest>,
    lengths: Vec<usize>,
    aac: Digest,
}

/// How the course video is made: its chapters, in order, and their titles.
#[derive(Debug, Serialize, Deserialize)]
struct CourseLayout {
    chapters: Vec<ChapterLayout>,
    titles: Vec<String>,
}

impl ChapterLayout {
    /// The files it is made of, each verified against its hash (to be copied into a video).
    fn parts(&self, store: &Store) -> Result<ChapterParts, StepError> {
        Ok(ChapterParts {
            aac: store.verified_blob(&self.aac)?,
            ..self.parts_but_audio(store)?
        })
    }

    /// The files it is made of, but for its audio (not in the cache yet while the chapter is made).
    fn parts_but_audio(&self, store: &Store) -> Result<ChapterParts, StepError> {
        Ok(ChapterParts {
            clips: (self.clips.iter())
                .map(|clip| store.verified_blob(clip))
                .collect::<Result<_, _>>()?,
            ..self.unverified_parts(store)
        })
    }

    /// Where the files it is made of are, not read: enough to check that the chapters are alike (a damaged
    /// blob fails that check or the write, and the write verifies every blob it copies), so that an edit of
    /// a large course hashes each blob once, not twice.
    fn unverified_parts(&self, store: &Store) -> ChapterParts {
        ChapterParts {
            title: String::new(),
            clips: self
                .clips
                .iter()
                .map(|clip| store.blob_path(clip))
                .collect(),
            lengths: self.lengths.clone(),
            aac: store.blob_path(&self.aac),
            fps: self.fps,
        }
    }
}

/// Writes the video that the `layout` output `layout` of a `kind` node (a chapter or the course video)
/// describes to `out`.
pub fn write_video(
    store: &Store,
    kind: NodeKind,
    layout: &Digest,
    out: &Path,
) -> Result<(), StepError> {
    if kind == NodeKind::CourseVideo {
        let course: CourseLayout = super::read_json(store, layout, "course layout")?;
        let chapters = (course.chapters.iter().zip(&course.titles))
            .map(|(chapter, title)| {
                let parts = chapter.parts(store)?;
                Ok(ChapterParts {
                    title: title.clone(),
                    ..parts
                })
            })
            .collect::<Result<Vec<_>, StepError>>()?;
        join::write_course(&chapters, out)?;
    } else {
        let chapter: ChapterLayout = super::read_json(store, layout, "chapter layout")?;
        join::write_chapter(&chapter.parts(store)?, out)?;
    }
    Ok(())
}

pub fn prepare_chapter(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let video = &inputs.ctx.videofile.video;
    let speech = &inputs.ctx.videofile.speech;
    let min_samples = audio::samples_in(video.min_slide_seconds);
    let mut signature = Signature::new(NodeKind::ChapterVideo, 4);
    signature
        .setting("joiner", join::SETTINGS)
        .setting("gstreamer", &inputs.ctx.tools.gstreamer)
        .setting("fps", video.fps)
        .setting("min samples", min_samples)
        .setting("loudness", speech.loudness)
        .setting("true peak", speech.true_peak);
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
            loudness: Target {
                loudness: speech.loudness,
                true_peak: speech.true_peak,
            },
        },
    )
}

pub fn prepare_course(edition: Edition, inputs: &Inputs) -> Prepared {
    let mut signature = Signature::new(NodeKind::CourseVideo, 4);
    signature.setting("joiner", join::SETTINGS);
    let mut chapters = Vec::new();
    let mut titles = Vec::new();
    let mut seconds = 0.0;
    for (i, chapter) in inputs.chapters(edition).enumerate() {
        let at = Address::Chapter(chapter);
        let entry = inputs.entry(NodeKind::ChapterVideo, at);
        seconds += entry.number("seconds");
        let layout = entry.output("layout").clone();
        let title = inputs.title(chapter);
        signature
            .input_from(
                &format!("chapter {}", i + 1),
                inputs.name(NodeKind::ChapterVideo, at),
                &layout,
            )
            .setting(&format!("chapter {} title", i + 1), &title);
        chapters.push(layout);
        titles.push(title);
    }
    Prepared::new(
        signature,
        JoinCourse {
            chapters,
            titles,
            seconds,
        },
    )
}

impl Job for JoinChapter {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let mut narration = Vec::new();
        for slide in &self.slides {
            narration.push(Narration {
                speech: store.verified_blob(&slide.speech)?,
                length: slide.length,
            });
        }
        let aac = scratch.join("aac.mp4");
        let audio = join::encode_chapter_audio(&narration, &self.loudness, scratch, &aac)?;
        let samples = audio.samples;
        let levelled = audio.levelled;
        let layout = ChapterLayout {
            fps: self.fps,
            clips: self.slides.iter().map(|s| s.clip.clone()).collect(),
            lengths: self.slides.iter().map(|s| s.length).collect(),
            aac: Digest::of_file(&aac).map_err(StoreError::from)?,
        };
        // A chapter that cannot be laid out (clips encoded unlike each other) fails here, not when written.
        let parts = ChapterParts {
            aac: aac.clone(),
            ..layout.parts_but_audio(store)?
        };
        join::check(std::slice::from_ref(&parts))?;
        let json = serde_json::to_vec(&layout).expect("layouts serialise");
        Ok(Produced::default()
            .file("aac", aac)
            .file("layout", super::write(scratch.join("layout.json"), &json)?)
            .fact("samples", json!(samples))
            .fact("seconds", json!(samples as f64 / f64::from(AUDIO_RATE)))
            .fact("loudness before", json!(levelled.before))
            .fact("gain", json!(levelled.gain))
            .fact("loudness", json!(levelled.loudness))
            .fact("true peak", json!(levelled.true_peak)))
    }
}

impl Job for JoinCourse {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let chapters = (self.chapters.iter())
            .map(|layout| super::read_json(store, layout, "chapter layout"))
            .collect::<Result<Vec<ChapterLayout>, _>>()?;
        let parts: Vec<ChapterParts> = (chapters.iter())
            .map(|chapter| chapter.unverified_parts(store))
            .collect();
        join::check_alike(&parts)?;
        let course = CourseLayout {
            chapters,
            titles: self.titles.clone(),
        };
        let json = serde_json::to_vec(&course).expect("layouts serialise");
        Ok(Produced::default()
            .file("layout", super::write(scratch.join("layout.json"), &json)?)
            .fact("seconds", json!(self.seconds)))
    }
}
