//! Joining: a chapter's clips and speech into the chapter video, the chapter videos into the course video.
//! Video is never re-encoded, and the course's audio is not either: an edit re-encodes the audio of its own
//! chapter only, and the course is a copy of its chapters' samples.
//!
//! How AAC joins without a gap or a click. An AAC encoder delays its output by priming samples (voaacenc:
//! 1600 at 24 kHz) and works in frames of 1024 samples, each overlapping the next; players skip priming only
//! at the start of a file (multi-entry edit lists, which would skip it at every join, are not honoured by
//! ffmpeg, and so not by Chrome, nor fully by GStreamer: measured). So each chapter's audio is made to need
//! nothing skipped:
//! - it is a whole number of frames: its narration, with [`GUARD`] samples of silence before it and at least
//!   [`GUARD`] after, up to the next multiple of 1024;
//! - it is encoded after a pre-roll of 448 samples of silence, so that priming and pre-roll are exactly two
//!   frames, which are dropped: the chapter's first kept frame starts its first sample;
//! - the frames on either side of a join both encode silence (the guards), so the decoder's overlap of one
//!   chapter's last frame with the next chapter's first sums silence with silence: no click.
//!
//! The chapter's pictures are held to match: its first frame [`GUARD`] samples longer, its last frame as long
//! as the silence after the narration. Audio and pictures then start every chapter together, exactly, and
//! the course is its chapters one after another, sample for sample.

use std::path::{Path, PathBuf};

use super::mp4::read::{self, Sample, Track};
use super::mp4::write::{Movie, TrackOut};
use super::{MediaError, audio};
use crate::media::audio::AUDIO_RATE;

/// The joiners' version and AAC settings: part of every chapter and course video key.
pub const SETTINGS: &str = "mp4 writer, voaacenc 96k in whole frames with 1024-sample guards v4";

/// Silence before every chapter's narration, and at least as much after it (samples).
pub const GUARD: usize = 1024;

/// Samples in an AAC frame.
const FRAME: usize = 1024;

/// The samples voaacenc puts before the audio at 24 kHz (measured: a click comes out 1600 samples late).
const PRIMING: usize = 1600;

/// Silence encoded before a chapter's audio so that priming and pre-roll fill exactly two frames.
const PRE_ROLL: usize = 2 * FRAME - PRIMING;

/// Silence encoded after a chapter's audio, so that the encoder's last kept frame holds all of it.
const TAIL: usize = 2 * FRAME;

/// Where the narration of a chapter (`narration` samples) starts in the chapter's audio, and how many
/// samples that audio has.
pub fn chapter_span(narration: usize) -> (usize, usize) {
    (GUARD, (GUARD + narration + GUARD).div_ceil(FRAME) * FRAME)
}

/// A slide of a chapter: its clip (a video-only MP4) and its speech (a WAV in the fixed format), which the
/// chapter pads with silence to `length` samples (the clip's length).
pub struct Slide {
    pub clip: PathBuf,
    pub speech: PathBuf,
    pub length: usize,
}

/// Joins `slides` (their clips at `fps`) into the chapter video `out`, encoding its audio once, in
/// `scratch`; returns the samples of its audio.
pub fn join_chapter(
    slides: &[Slide],
    fps: u32,
    scratch: &Path,
    out: &Path,
) -> Result<usize, MediaError> {
    let narration: usize = slides.iter().map(|s| s.length).sum();
    let (start, total) = chapter_span(narration);

    // The chapter's audio as the encoder reads it: pre-roll, guard, each slide padded, silence, tail.
    let wav = scratch.join("chapter.wav");
    let mut writer = audio::WavStream::create(&wav)?;
    writer.silence(PRE_ROLL + start)?;
    for slide in slides {
        let speech = audio::read_wav(&slide.speech)?;
        let spoken = speech.len().min(slide.length);
        writer.samples(&speech[..spoken])?;
        writer.silence(slide.length - spoken)?;
    }
    writer.silence(total - start - narration + TAIL)?;
    writer.finish()?;
    let encoded = scratch.join("aac.mp4");
    encode_aac(&wav, &encoded)?;
    let aac = read::track(&encoded, b"soun")?;
    let frames = total / FRAME;
    if aac.samples.len() < 2 + frames || aac.timescale != AUDIO_RATE {
        return Err(MediaError::Mp4(format!(
            "the AAC encoder gave {} frames at {} Hz for {frames} frames of audio",
            aac.samples.len(),
            aac.timescale
        )));
    }

    let mut sources: Vec<PathBuf> = slides.iter().map(|s| s.clip.clone()).collect();
    sources.push(encoded);
    let aac_source = slides.len();
    let per_frame = AUDIO_RATE / fps;
    let clips = (slides.iter())
        .map(|slide| read::track(&slide.clip, b"vide"))
        .collect::<Result<Vec<Track>, MediaError>>()?;
    let Some(video_like) = clips.first() else {
        return Err(MediaError::Mp4("a chapter without clips".into()));
    };
    if let Some((clip, _)) = (slides.iter().zip(&clips)).find(|(_, c)| !video_like.same_codec(c)) {
        return Err(MediaError::Mp4(format!(
            "{}: not encoded like the chapter's first clip",
            clip.clip.display()
        )));
    }
    let mut movie = Movie {
        sources: &sources,
        tracks: [
            TrackOut::new(video_like, AUDIO_RATE),
            TrackOut::new(&aac, AUDIO_RATE),
        ],
        chunks: Vec::new(),
    };
    // Each clip's pictures (the first and last held through the silences around the narration), then the
    // sound frames that start before the clip ends.
    let sound = &aac.samples[2..2 + frames];
    let mut heard = 0;
    for (index, clip) in clips.iter().enumerate() {
        let last = clip.samples.len().saturating_sub(1);
        let held = |i: usize| {
            let mut duration = per_frame;
            if index == 0 && i == 0 {
                duration += start as u32;
            }
            if index == clips.len() - 1 && i == last {
                duration += (total - start - narration) as u32;
            }
            duration
        };
        movie.append(0, index, &clip.samples, held);
        let clock = movie.tracks[0].duration() as usize;
        let until = clock.div_ceil(FRAME).min(frames);
        if until > heard {
            movie.append(1, aac_source, &sound[heard..until], |_| FRAME as u32);
            heard = until;
        }
    }
    movie.write(out)?;
    Ok(total)
}

/// Encodes the WAV `wav` to AAC in the MP4 file `out`.
fn encode_aac(wav: &Path, out: &Path) -> Result<(), MediaError> {
    let pipeline = super::parse(
        "encode-aac",
        "filesrc name=src ! wavparse ! audioconvert ! voaacenc bitrate=96000 ! mp4mux ! filesink name=sink",
    )?;
    super::set_location(&pipeline, "src", wav)?;
    super::set_location(&pipeline, "sink", out)?;
    super::run(&pipeline)
}

/// Joins the chapter videos `chapters` (as [`join_chapter`] writes them) into the course video `out`: their
/// samples one after another, nothing decoded.
pub fn join_course(chapters: &[PathBuf], out: &Path) -> Result<(), MediaError> {
    let Some(first) = chapters.first() else {
        return Err(MediaError::Mp4("a course without chapters".into()));
    };
    let (video_like, sound_like) = (read::track(first, b"vide")?, read::track(first, b"soun")?);
    let mut movie = Movie {
        sources: chapters,
        tracks: [
            TrackOut::new(&video_like, video_like.timescale),
            TrackOut::new(&sound_like, sound_like.timescale),
        ],
        chunks: Vec::new(),
    };
    for (index, chapter) in chapters.iter().enumerate() {
        let video = read::track(chapter, b"vide")?;
        let sound = read::track(chapter, b"soun")?;
        if !(video_like.same_codec(&video) && sound_like.same_codec(&sound)) {
            return Err(MediaError::Mp4(format!(
                "{}: not encoded like the first chapter",
                chapter.display()
            )));
        }
        // The chapter's samples in its file's order, so pictures and sound stay interleaved as they are.
        let mut order: Vec<(usize, &Sample)> = (video.samples.iter().map(|s| (0, s)))
            .chain(sound.samples.iter().map(|s| (1, s)))
            .collect();
        order.sort_by_key(|(_, sample)| sample.offset);
        for (track, sample) in order {
            movie.append(track, index, std::slice::from_ref(sample), |_| {
                sample.duration
            });
        }
    }
    movie.write(out)
}
