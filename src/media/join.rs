//! Joining: clips into a chapter video, chapter videos into the course video, without re-encoding video.
//!
//! The H.264 streams are remuxed one after another (every clip has the same caps); the narration, kept as
//! frame-aligned PCM, is joined sample-exactly and encoded to AAC once for the joined video. Audio and video
//! therefore end within one AAC frame of each other, however many clips are joined.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;

use super::{MediaError, audio};
use crate::media::audio::AUDIO_RATE;

/// The joiner's version and AAC settings: part of every chapter and course video key.
pub const SETTINGS: &str =
    "concat-remux voaacenc 96k mp4mux faststart, priming skipped by the edit list v3";

/// Joins the H.264 video streams of the MP4 files `parts`, in order, into the MP4 file `out` (video only).
pub fn join_video(parts: &[&Path], out: &Path) -> Result<(), MediaError> {
    super::init()?;
    let pipeline = gst::Pipeline::with_name("join-video");
    let make = |factory: &str| {
        gst::ElementFactory::make(factory)
            .build()
            .map_err(|e| MediaError::Setup(format!("{factory}: {e}")))
    };
    let concat = make("concat")?;
    let parse = make("h264parse")?;
    let mux = make("mp4mux")?;
    let sink = make("filesink")?;
    sink.set_property("location", out.to_string_lossy().to_string());
    pipeline.add_many([&concat, &parse, &mux, &sink])?;
    gst::Element::link_many([&concat, &parse, &mux, &sink])?;
    // concat plays its inputs in the order their pads were requested: request them all first.
    let pads: Vec<gst::Pad> = parts
        .iter()
        .map(|_| concat.request_pad_simple("sink_%u"))
        .collect::<Option<_>>()
        .ok_or_else(|| MediaError::Setup("concat gave no sink pad".into()))?;
    for (part, concat_pad) in parts.iter().zip(pads) {
        let source = make("filesrc")?;
        source.set_property("location", part.to_string_lossy().to_string());
        let demux = make("qtdemux")?;
        let queue = make("queue")?;
        pipeline.add_many([&source, &demux, &queue])?;
        source.link(&demux)?;
        queue
            .static_pad("src")
            .expect("queue has a src pad")
            .link(&concat_pad)
            .map_err(|e| MediaError::Setup(format!("linking {}: {e:?}", part.display())))?;
        let queue_sink = queue.static_pad("sink").expect("queue has a sink pad");
        demux.connect_pad_added(move |_, pad| {
            if pad.name().starts_with("video") && !queue_sink.is_linked() {
                let _ = pad.link(&queue_sink);
            }
        });
    }
    super::run(&pipeline)?;
    super::mp4::clear_timestamps(out)
}

/// The samples voaacenc puts before the audio at 24 kHz (measured: a click comes out 1600 samples late).
pub const AAC_PRIMING: u64 = 1600;

/// Silence after the narration, so that the encoder's last frame holds all of it (it drops a partial one).
const AAC_TAIL: usize = 2048;

/// Muxes the video-only MP4 `video` with the WAV narration `wav`, encoded to AAC, into the MP4 file `out`.
/// The audio track's edit list skips the encoder's priming and ends with the narration, so the sound plays
/// exactly in time with the pictures.
pub fn mux_with_audio(video: &Path, wav: &Path, out: &Path) -> Result<(), MediaError> {
    let padded = out.with_extension("padded.wav");
    let samples = audio::join_wavs(&[wav], &padded, AAC_TAIL)?;
    let pipeline = super::parse(
        "mux-audio",
        "filesrc name=video ! qtdemux name=demux demux.video_0 ! queue ! mux.video_0 \
         filesrc name=audio ! wavparse ! audioconvert ! voaacenc bitrate=96000 ! queue ! mux.audio_0 \
         mp4mux name=mux faststart=true ! filesink name=sink",
    )?;
    super::set_location(&pipeline, "video", video)?;
    super::set_location(&pipeline, "audio", &padded)?;
    super::set_location(&pipeline, "sink", out)?;
    super::run(&pipeline)?;
    std::fs::remove_file(&padded)?;
    super::mp4::skip_audio_priming(out, AAC_PRIMING, samples as u64, AUDIO_RATE)?;
    super::mp4::clear_timestamps(out)
}
