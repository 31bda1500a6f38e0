//! `clip`: one slide's picture held for as long as its narration (padded to whole video frames), encoded to
//! H.264. The clip signs how many frames it holds, not the narration itself: re-spoken words that take as
//! many frames leave the clip as it was. The chapter video puts the narration beside it.

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError};
use crate::cache::Store;
use crate::graph::node::{Address, NodeKind, SlideId};
use crate::graph::signature::Signature;
use crate::media::audio::{self, AUDIO_RATE};
use crate::media::clip;
use crate::sys::digest::Digest;

/// Encodes a slide's clip.
struct Encode {
    image: Digest,
    frames: u64,
    fps: u32,
}

pub fn prepare(slide: SlideId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let video = &ctx.videofile.video;
    let at = Address::Slide(slide);
    let spoken = inputs.entry(NodeKind::Audio, at).number("samples") as usize;
    let image = inputs.entry(NodeKind::Image, at).output("slide").clone();
    let min_samples = audio::samples_in(video.min_slide_seconds);
    let length = audio::padded_len(spoken, video.fps, min_samples);
    let frames = (length / (AUDIO_RATE / video.fps) as usize) as u64;
    let mut signature = Signature::new(NodeKind::Clip, 2);
    signature
        .setting("pipeline", clip::pipeline(frames, video.fps))
        .setting("gstreamer", &ctx.tools.gstreamer)
        .setting("fps", video.fps)
        .input_from("frames", inputs.name(NodeKind::Audio, at), frames)
        .input_from("image", inputs.name(NodeKind::Image, at), &image);
    Prepared::new(
        signature,
        Encode {
            image,
            frames,
            fps: video.fps,
        },
    )
}

impl Job for Encode {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let video = scratch.join("video.mp4");
        clip::encode(
            &store.verified_blob(&self.image)?,
            self.frames,
            self.fps,
            &video,
        )?;
        Ok(Produced::default()
            .file("video", video)
            .fact("seconds", json!(self.frames as f64 / f64::from(self.fps)))
            .fact("frames", json!(self.frames)))
    }
}
