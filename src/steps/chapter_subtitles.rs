//! `chapter-subtitles`: a chapter's cues, each sentence shown while it is spoken (times from the audio
//! nodes), offset by the padded lengths of the slides before it.

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError, write};
use crate::media::audio;
use crate::media::audio::AUDIO_RATE;
use crate::media::subtitles::{self, Cue, TimedNarration};
use crate::node::{Address, ChapterId, NodeKind};
use crate::signature::Signature;
use crate::store::Store;

/// Times a chapter's cues and writes them as JSON, SRT and WebVTT.
struct TimeCues {
    slides: Vec<TimedNarration>,
}

pub fn prepare(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let video = &inputs.ctx.videofile.video;
    let seconds = |n: usize| n as f64 / f64::from(AUDIO_RATE);
    let slides: Vec<TimedNarration> = inputs
        .slides(chapter)
        .map(|slide| {
            // Timed from the speech alone: the padding to whole frames is arithmetic.
            let entry = inputs.entry(NodeKind::Audio, Address::Slide(slide));
            let samples = entry.number("samples") as usize;
            let sentences: Vec<(usize, usize)> = entry
                .meta
                .get("sentences")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            TimedNarration {
                text: inputs.slide(slide).speaker_notes.clone(),
                sentences: sentences
                    .into_iter()
                    .map(|(start, end)| (seconds(start), seconds(end)))
                    .collect(),
                spoken: seconds(samples),
                length: seconds(audio::padded_len(
                    samples,
                    video.fps,
                    audio::samples_in(video.min_slide_seconds),
                )),
            }
        })
        .collect();
    let mut signature = Signature::new("chapter-subtitles", subtitles::VERSION);
    for ((i, s), slide) in slides.iter().enumerate().zip(inputs.slides(chapter)) {
        let times: Vec<String> = s
            .sentences
            .iter()
            .map(|(start, end)| format!("{start:.6}-{end:.6}"))
            .collect();
        signature.input_from(
            &format!("slide {}", i + 1),
            inputs.name(NodeKind::Audio, Address::Slide(slide)),
            format!(
                "{:.6} {:.6} [{}] {}",
                s.spoken,
                s.length,
                times.join(" "),
                s.text
            ),
        );
    }
    Prepared::new(signature, TimeCues { slides })
}

impl Job for TimeCues {
    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let cues = subtitles::cues_for(&self.slides);
        let seconds: f64 = self.slides.iter().map(|s| s.length).sum();
        let cues_json = serde_json::to_vec(&cues).expect("cues always serialise");
        let produced =
            Produced::default().file("cues", write(scratch.join("cues.json"), &cues_json)?);
        subtitle_files(produced, scratch, &cues, seconds)
    }
}

/// Adds the SRT and WebVTT files of `cues` (lasting `seconds`) to what a job produced.
pub(super) fn subtitle_files(
    produced: Produced,
    scratch: &Path,
    cues: &[Cue],
    seconds: f64,
) -> Result<Produced, StepError> {
    Ok(produced
        .file(
            "srt",
            write(
                scratch.join("subtitles.srt"),
                subtitles::to_srt(cues).as_bytes(),
            )?,
        )
        .file(
            "vtt",
            write(
                scratch.join("subtitles.vtt"),
                subtitles::to_vtt(cues).as_bytes(),
            )?,
        )
        .fact("seconds", json!(seconds))
        .fact("cues", json!(cues.len())))
}
