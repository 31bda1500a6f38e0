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

use super::loudness::{Levelled, Leveller, Meter, Target, gain_for};
use super::mp4::read::{self, Track};
use super::mp4::write::{Movie, SOUND, VIDEO};
use super::{MediaError, audio};
use crate::media::audio::AUDIO_RATE;

/// The joiners' version and AAC settings: part of every chapter and course video key.
pub const SETTINGS: &str = "mp4 writer, voaacenc 96k in whole frames with 1024-sample guards, half-second chunks, chpl and a \
     chapter track, R128 levelling to 0.1 LU v5";

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

/// A slide's narration as the chapter's audio holds it: its speech (a WAV in the fixed format), padded with
/// silence to `length` samples (its clip's length).
pub struct Narration {
    pub speech: PathBuf,
    pub length: usize,
}

/// How many times a chapter's levelling is tried before it is written.
const TRIALS: usize = 4;

/// A chapter's audio as encoded: its samples, and how loud it was made.
pub struct ChapterAudio {
    pub samples: usize,
    pub levelled: Levelled,
}

/// Encodes a chapter's audio (its slides' narration, with the guards) to AAC in the MP4 file `out`, in
/// `scratch`, brought to `target`'s loudness. The narration is read several times, so a long chapter is
/// never held in memory: measured; levelled and measured again, the gain corrected by what is missing
/// (the limiter takes a little loudness from speech with strong peaks) until it is within 0.1 LU, at most
/// [`TRIALS`] times; levelled and written.
pub fn encode_chapter_audio(
    slides: &[Narration],
    target: &Target,
    scratch: &Path,
    out: &Path,
) -> Result<ChapterAudio, MediaError> {
    let before = level(slides, None, None)?;
    let mut gain = gain_for(before.loudness(), target);
    for _ in 0..TRIALS {
        let trial = level(slides, Some((gain, target.true_peak)), None)?;
        let missing = gain_for(trial.loudness(), target);
        gain += missing;
        if missing.abs() < 0.1 {
            break;
        }
    }
    let narration: usize = slides.iter().map(|s| s.length).sum();
    let (start, total) = chapter_span(narration);
    // The chapter's audio as the encoder reads it: pre-roll, guard, each slide padded, silence, tail.
    let wav = scratch.join("chapter.wav");
    let mut writer = audio::WavStream::create(&wav)?;
    writer.silence(PRE_ROLL + start)?;
    let after = level(slides, Some((gain, target.true_peak)), Some(&mut writer))?;
    writer.silence(total - start - narration + TAIL)?;
    writer.finish()?;
    encode_aac(&wav, out)?;
    sound_frames(out, total)?;
    Ok(ChapterAudio {
        samples: total,
        levelled: Levelled {
            before: before.loudness(),
            gain,
            loudness: after.loudness(),
            true_peak: after.true_peak(),
        },
    })
}

/// Reads the slides' narration (each padded to its length) through a leveller of (gain, ceiling) if one is
/// given, into `writer` if one is given; returns the meter of what came out (of its loudness only, unless
/// it was written).
fn level(
    slides: &[Narration],
    leveller: Option<(f64, f64)>,
    mut writer: Option<&mut audio::WavStream>,
) -> Result<Meter, MediaError> {
    let mut meter = match writer {
        Some(_) => Meter::default(),
        None => Meter::loudness_only(),
    };
    let mut leveller = leveller.map(|(gain, ceiling)| Leveller::new(gain, ceiling));
    let mut levelled = Vec::new();
    let mut emit = |samples: &[i16]| -> Result<(), MediaError> {
        meter.add(samples);
        match writer.as_deref_mut() {
            Some(writer) => writer.samples(samples),
            None => Ok(()),
        }
    };
    for slide in slides {
        let mut samples = audio::read_wav(&slide.speech)?;
        samples.resize(slide.length, 0);
        match &mut leveller {
            Some(leveller) => {
                leveller.push(&samples, &mut levelled);
                emit(&levelled)?;
                levelled.clear();
            }
            None => emit(&samples)?,
        }
    }
    if let Some(leveller) = leveller {
        leveller.finish(&mut levelled);
        emit(&levelled)?;
    }
    Ok(meter)
}

/// The AAC frames of a chapter's audio of `total` samples in the file `aac` (as [`encode_chapter_audio`]
/// wrote it): all but the two of priming and pre-roll.
fn sound_frames(aac: &Path, total: usize) -> Result<Track, MediaError> {
    let mut track = read::track(aac, b"soun")?;
    let frames = total / FRAME;
    if track.samples.len() < 2 + frames || track.timescale != AUDIO_RATE {
        return Err(MediaError::Mp4(format!(
            "{}: the AAC encoder gave {} frames at {} Hz for {frames} frames of audio",
            aac.display(),
            track.samples.len(),
            track.timescale
        )));
    }
    track.samples = track.samples[2..2 + frames].to_vec();
    Ok(track)
}

/// What a chapter video is made of: its slides' clips (video-only MP4s at `fps`), each held for its
/// narration's `lengths` (samples), and its audio as [`encode_chapter_audio`] encoded it.
pub struct ChapterParts {
    /// The chapter's title, marked in a course video's chapter list.
    pub title: String,
    pub clips: Vec<PathBuf>,
    pub lengths: Vec<usize>,
    pub aac: PathBuf,
    pub fps: u32,
}

/// Writes the chapter video of `chapter` to `out`: its clips' pictures and its AAC frames, nothing encoded.
pub fn write_chapter(chapter: &ChapterParts, out: &Path) -> Result<(), MediaError> {
    laid_out(std::slice::from_ref(chapter))?.write(out)
}

/// Writes the course video of `chapters` to `out`: each chapter as [`write_chapter`] lays it out, one after
/// another, so the course is its chapters sample for sample, with a chapter list that marks where each
/// starts.
pub fn write_course(chapters: &[ChapterParts], out: &Path) -> Result<(), MediaError> {
    laid_out(chapters)?.write(out)
}

/// Seconds of one track written at most before the other's: a player reading the file in order (a browser
/// over HTTP) has both tracks as it plays, and a seek reads little of either beyond its point.
const INTERLEAVE: u64 = AUDIO_RATE as u64 / 2;

/// Checks that `chapters` lay out as one video (every clip and audio encoded alike), reading only their
/// sample tables.
pub fn check(chapters: &[ChapterParts]) -> Result<(), MediaError> {
    laid_out(chapters).map(drop)
}

/// Checks that chapters, each of which [`check`] passed alone, lay out as one video: that each chapter's
/// first clip and its audio are encoded like the first chapter's (a chapter's clips are alike, as its own
/// check found). It reads two files a chapter, so an edit of a long course does not read every clip twice.
pub fn check_alike(chapters: &[ChapterParts]) -> Result<(), MediaError> {
    let Some(first) = chapters.first() else {
        return Err(MediaError::Mp4("a course without chapters".into()));
    };
    let movie = start_movie(first)?;
    for chapter in &chapters[1..] {
        let clip = chapter
            .clips
            .first()
            .ok_or_else(|| MediaError::Mp4("a chapter without clips".into()))?;
        if !movie.fits(VIDEO, &read::track(clip, b"vide")?) {
            return Err(not_alike(clip));
        }
        if !movie.fits(SOUND, &read::track(&chapter.aac, b"soun")?) {
            return Err(not_alike(&chapter.aac));
        }
    }
    Ok(())
}

/// The movie of `chapters` one after another.
fn laid_out(chapters: &[ChapterParts]) -> Result<Movie, MediaError> {
    let Some(first) = chapters.first() else {
        return Err(MediaError::Mp4("a course without chapters".into()));
    };
    let mut movie = start_movie(first)?;
    for chapter in chapters {
        lay_out(&mut movie, chapter)?;
    }
    Ok(movie)
}

/// A movie encoded like `chapter`'s first clip and its audio.
fn start_movie(chapter: &ChapterParts) -> Result<Movie, MediaError> {
    let Some(clip) = chapter.clips.first() else {
        return Err(MediaError::Mp4("a chapter without clips".into()));
    };
    Ok(Movie::new(
        read::track(clip, b"vide")?,
        read::track(&chapter.aac, b"soun")?,
    ))
}

/// Appends `chapter` to `movie`: each clip's pictures (the first and last held through the silences around
/// the narration), then the sound frames that start before the clip ends.
fn lay_out(movie: &mut Movie, chapter: &ChapterParts) -> Result<(), MediaError> {
    let narration: usize = chapter.lengths.iter().sum();
    let (start, total) = chapter_span(narration);
    let frames = total / FRAME;
    let sound = sound_frames(&chapter.aac, total)?;
    if !movie.fits(SOUND, &sound) {
        return Err(not_alike(&chapter.aac));
    }
    let aac = movie.source(&chapter.aac);
    let per_frame = AUDIO_RATE / chapter.fps;
    let chapter_start = movie.duration(VIDEO);
    movie.mark_chapter(&chapter.title);
    let mut heard = 0;
    for (index, path) in chapter.clips.iter().enumerate() {
        let clip = read::track(path, b"vide")?;
        if !movie.fits(VIDEO, &clip) {
            return Err(not_alike(path));
        }
        let last = clip.samples.len().saturating_sub(1);
        let held = |i: usize| {
            let mut duration = per_frame;
            if index == 0 && i == 0 {
                duration += start as u32;
            }
            if index == chapter.clips.len() - 1 && i == last {
                duration += (total - start - narration) as u32;
            }
            duration
        };
        let source = movie.source(path);
        // Half a second of pictures, then the sound that starts by then, and so on.
        let mut from = 0;
        while from < clip.samples.len() {
            let mut clock = movie.duration(VIDEO) - chapter_start;
            let until_clock = clock + INTERLEAVE;
            let mut to = from;
            while to < clip.samples.len() && clock < until_clock {
                clock += u64::from(held(to));
                to += 1;
            }
            movie.append(VIDEO, source, &clip.samples[from..to], |i| held(from + i));
            from = to;
            let until = (clock as usize).div_ceil(FRAME).min(frames);
            if until > heard {
                movie.append(SOUND, aac, &sound.samples[heard..until], |_| FRAME as u32);
                heard = until;
            }
        }
    }
    Ok(())
}

fn not_alike(path: &Path) -> MediaError {
    MediaError::Mp4(format!(
        "{}: not encoded like the first clip and audio of the course",
        path.display()
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-slide chapter in `dir` whose clip is `width` x `height`, named `name`.
    fn chapter(dir: &Path, name: &str, width: u32, height: u32) -> ChapterParts {
        let png = crate::media::clip::tests::slide_png(dir, width, height);
        let clip = dir.join(format!("{name}.mp4"));
        crate::media::clip::encode(&png, 5, 5, &clip).unwrap();
        let speech = dir.join(format!("{name}.wav"));
        let samples: Vec<i16> = (0..24_000)
            .map(|i| ((i % 50) * 200 - 5000) as i16)
            .collect();
        audio::write_wav(&samples, &speech).unwrap();
        let narration = Narration {
            speech,
            length: 24_000,
        };
        let target = Target {
            loudness: -18.0,
            true_peak: -1.5,
        };
        let aac = dir.join(format!("{name}.aac.mp4"));
        encode_chapter_audio(&[narration], &target, dir, &aac).unwrap();
        ChapterParts {
            title: name.into(),
            clips: vec![clip],
            lengths: vec![24_000],
            aac,
            fps: 5,
        }
    }

    #[test]
    fn chapters_encoded_alike_join_and_one_encoded_otherwise_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let one = chapter(dir.path(), "one", 320, 180);
        let two = chapter(dir.path(), "two", 320, 180);
        let small = chapter(dir.path(), "small", 160, 90);
        check_alike(&[one, two]).unwrap();
        let one = chapter(dir.path(), "one", 320, 180);
        let err = check_alike(&[one, small]).unwrap_err().to_string();
        assert!(
            err.contains("small.mp4") && err.contains("not encoded like"),
            "{err}"
        );
    }
}
