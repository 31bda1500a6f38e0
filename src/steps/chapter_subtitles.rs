//! `chapter-subtitles`: a chapter's cues, each sentence shown while it is spoken (times from the audio
//! nodes), offset by the padded lengths of the slides before it.

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError, write};
use crate::cache::Store;
use crate::graph::node::{Address, ChapterId, NodeKind};
use crate::graph::signature::Signature;
use crate::media::audio::AUDIO_RATE;
use crate::media::subtitles::{self, Cue, TimedNarration};
use crate::media::{audio, join};

/// Times a chapter's cues and writes them as JSON, SRT and WebVTT.
struct TimeCues {
    slides: Vec<TimedNarration>,
    /// Where the narration starts in the chapter video, and how long the video is (seconds): the silence
    /// around the narration is the chapter video's (see [`join::chapter_span`]).
    start: f64,
    seconds: f64,
}

pub fn prepare(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let video = &inputs.ctx.videofile.video;
    let min_samples = audio::samples_in(video.min_slide_seconds);
    let seconds = |n: usize| n as f64 / f64::from(AUDIO_RATE);
    let mut narration = 0;
    let slides: Vec<TimedNarration> = inputs
        .slides(chapter)
        .map(|slide| {
            // Timed from the speech alone: the padding to whole frames is arithmetic.
            let entry = inputs.entry(NodeKind::Audio, Address::Slide(slide));
            let samples = entry.number("samples") as usize;
            let length = audio::padded_len(samples, video.fps, min_samples);
            narration += length;
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
                length: seconds(length),
            }
        })
        .collect();
    let (start, total) = join::chapter_span(narration);
    let mut signature = Signature::new(NodeKind::ChapterSubtitles, subtitles::VERSION);
    signature.setting("chapter span", format!("{start} {total}"));
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
    Prepared::new(
        signature,
        TimeCues {
            slides,
            start: seconds(start),
            seconds: seconds(total),
        },
    )
}

impl Job for TimeCues {
    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let narration = subtitles::cues_for(&self.slides);
        let cues = subtitles::concat(&[(Vec::new(), self.start), (narration, 0.0)]);
        let seconds = self.seconds;
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
