//! `chapter-video` and `course-video`: parts joined without re-encoding their video; their narration joined
//! sample-exactly and encoded to AAC once. A chapter joins its slides' clips, the course its chapters' videos.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError};
use crate::digest::Digest;
use crate::media::{audio, join};
use crate::node::{Address, ChapterId, NodeKind};
use crate::signature::Signature;
use crate::store::Store;

/// Joins parts, each a video-only MP4 and its narration (WAV).
struct Join {
    parts: Vec<(Digest, Digest)>,
}

pub fn prepare_chapter(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let clips = inputs.slides(chapter).map(Address::Slide);
    prepare(NodeKind::ChapterVideo, NodeKind::Clip, clips, inputs)
}

pub fn prepare_course(inputs: &Inputs) -> Prepared {
    let chapters = inputs.chapters().map(Address::Chapter);
    prepare(
        NodeKind::CourseVideo,
        NodeKind::ChapterVideo,
        chapters,
        inputs,
    )
}

/// A join of the `part` nodes at `parts`, in order, into a node of `kind`.
fn prepare(
    kind: NodeKind,
    part: NodeKind,
    parts: impl Iterator<Item = Address>,
    inputs: &Inputs,
) -> Prepared {
    let parts: Vec<(String, Digest, Digest)> = parts
        .map(|at| {
            let entry = inputs.entry(part, at);
            (
                inputs.name(part, at),
                entry.output("video").clone(),
                entry.output("narration").clone(),
            )
        })
        .collect();
    let mut signature = Signature::new(kind.name(), 1);
    signature
        .setting("joiner", join::SETTINGS)
        .setting("gstreamer", &inputs.ctx.tools.gstreamer);
    for (i, (from, video, narration)) in parts.iter().enumerate() {
        signature.input_from(
            &format!("part {}", i + 1),
            from.clone(),
            format!("{video} {narration}"),
        );
    }
    let parts = parts
        .into_iter()
        .map(|(_, video, narration)| (video, narration))
        .collect();
    Prepared::new(signature, Join { parts })
}

impl Job for Join {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let mut videos = Vec::new();
        let mut narrations = Vec::new();
        for (video, narration) in &self.parts {
            videos.push(store.verified_blob(video)?);
            narrations.push(store.verified_blob(narration)?);
        }
        let video = scratch.join("video.mp4");
        join::join_video(&as_paths(&videos), &video)?;
        let wav = scratch.join("narration.wav");
        audio::join_wavs(&as_paths(&narrations), &wav, 0)?;
        let mp4 = scratch.join("muxed.mp4");
        join::mux_with_audio(&video, &wav, &mp4)?;
        let seconds = audio::wav_seconds(&wav)?;
        Ok(Produced::default()
            .file("video", video)
            .file("narration", wav)
            .file("mp4", mp4)
            .fact("seconds", json!(seconds)))
    }
}

fn as_paths(files: &[PathBuf]) -> Vec<&Path> {
    files.iter().map(PathBuf::as_path).collect()
}
