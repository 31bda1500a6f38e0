//! `clip`: one slide's picture held for as long as its narration, encoded to H.264, with the narration
//! padded to whole video frames (kept as PCM, so joins never drift).

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError};
use crate::digest::Digest;
use crate::media::{audio, clip};
use crate::node::{Address, NodeKind, SlideId};
use crate::signature::Signature;
use crate::store::Store;

/// Encodes a slide's clip.
struct Encode {
    audio: Digest,
    image: Digest,
    fps: u32,
    /// The slide is held at least this many samples of audio.
    min_samples: usize,
}

pub fn prepare(slide: SlideId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let video = &ctx.videofile.video;
    let at = Address::Slide(slide);
    let audio = inputs.entry(NodeKind::Audio, at).output("speech").clone();
    let image = inputs.entry(NodeKind::Image, at).output("slide").clone();
    let min_samples = audio::samples_in(video.min_slide_seconds);
    let mut signature = Signature::new("clip", 1);
    signature
        .setting("encoder", clip::SETTINGS)
        .setting("gstreamer", &ctx.tools.gstreamer)
        .setting("fps", video.fps)
        .setting("min samples", min_samples)
        .input_from("audio", inputs.name(NodeKind::Audio, at), &audio)
        .input_from("image", inputs.name(NodeKind::Image, at), &image);
    Prepared::new(
        signature,
        Encode {
            audio,
            image,
            fps: video.fps,
            min_samples,
        },
    )
}

impl Job for Encode {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let speech = audio::read_wav(&store.verified_blob(&self.audio)?)?;
        let narration = audio::pad_to_frames(speech, self.fps, self.min_samples);
        let wav = scratch.join("narration.wav");
        audio::write_wav(&narration.samples, &wav)?;
        let frames = (narration.seconds() * f64::from(self.fps)).round() as u64;
        let video = scratch.join("video.mp4");
        clip::encode(&store.verified_blob(&self.image)?, frames, self.fps, &video)?;
        Ok(Produced::default()
            .file("video", video)
            .file("narration", wav)
            .fact("spoken_seconds", json!(narration.spoken_seconds()))
            .fact("seconds", json!(narration.seconds()))
            .fact("frames", json!(frames)))
    }
}
