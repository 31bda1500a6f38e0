//! A slide's narration as audio with its timing: where every sentence starts and ends, which the subtitles are
//! timed by.
//!
//! Engines that speak one sentence at a time (espeak-ng, piper) give exact times: each sentence's audio is
//! trimmed of its silence and the sentences are joined with a fixed pause. Audio spoken in one piece (a cloud
//! voice) is aligned instead: its sentence boundaries are put in the pauses nearest to where the sentences'
//! lengths say they fall.

use crate::media::audio::AUDIO_RATE;

/// The pause between two sentences, and after the last, in seconds.
pub const PAUSE_SECONDS: f64 = 0.35;

/// How sentences spoken one at a time are joined: part of those engines' audio keys.
pub const TIMING: &str = "sentences trimmed at -38 dBFS, 0.35 s pauses";

/// A sample quieter than this (about -38 dBFS) is silence.
const SILENCE: i32 = 400;

/// Audio kept around a sentence's first and last loud sample, in seconds (soft onsets, breath).
const MARGIN_SECONDS: f64 = 0.02;

/// A pause long enough to be between sentences, in seconds.
const MIN_PAUSE_SECONDS: f64 = 0.15;

/// Speech and where its sentences are, in samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    pub samples: Vec<i16>,
    /// Each sentence's first and one-past-last sample of speech.
    pub sentences: Vec<(usize, usize)>,
}

fn seconds_to_samples(seconds: f64) -> usize {
    (seconds * f64::from(AUDIO_RATE)).round() as usize
}

/// The part of `samples` between its first and last loud sample, with a small margin.
fn trimmed(samples: &[i16]) -> &[i16] {
    let loud = |s: &i16| i32::from(*s).abs() >= SILENCE;
    let (Some(first), Some(last)) = (
        samples.iter().position(loud),
        samples.iter().rposition(loud),
    ) else {
        return &[];
    };
    let margin = seconds_to_samples(MARGIN_SECONDS);
    &samples[first.saturating_sub(margin)..(last + 1 + margin).min(samples.len())]
}

/// Joins sentences spoken one at a time: each trimmed of its silence, a pause after each.
pub fn join<S: AsRef<[i16]>>(sentences: &[S]) -> Speech {
    let pause = vec![0i16; seconds_to_samples(PAUSE_SECONDS)];
    let mut samples = Vec::new();
    let mut times = Vec::new();
    for sentence in sentences {
        let speech = trimmed(sentence.as_ref());
        let start = samples.len();
        samples.extend_from_slice(speech);
        times.push((start, samples.len()));
        samples.extend_from_slice(&pause);
    }
    Speech {
        samples,
        sentences: times,
    }
}

/// Cuts audio of `count` sentences spoken in one piece, with a long pause asked for after each but the last,
/// into those sentences, at the middle of each such pause. The pauses asked for are the `count - 1` longest
/// quiet runs within the audio; they must be at least [`MIN_BREAK_SECONDS`] and half as long again as any
/// other (an engine's own pauses grow at slow rates, and the breaks shrink at fast ones, so no fixed length
/// tells them apart). `None` when they cannot be told apart: the caller then speaks the sentences one at a
/// time.
pub fn cut_at_breaks(samples: &[i16], count: usize) -> Option<Vec<&[i16]>> {
    if count <= 1 {
        return (count == 1).then(|| vec![samples]);
    }
    // Quiet runs within the audio (not before its first sound or after its last): (start, end).
    let mut runs = Vec::new();
    let mut quiet_from = None;
    for (at, sample) in samples.iter().enumerate() {
        let quiet = i32::from(*sample).abs() < SILENCE;
        match (quiet, quiet_from) {
            (true, None) => quiet_from = Some(at),
            (false, Some(from)) => {
                if from > 0 {
                    runs.push((from, at));
                }
                quiet_from = None;
            }
            _ => {}
        }
    }
    // Longest first.
    runs.sort_by_key(|&(from, to)| std::cmp::Reverse(to - from));
    let shortest_break = runs.get(count - 2).map(|&(from, to)| to - from)?;
    let longest_other = runs.get(count - 1).map_or(0, |&(from, to)| to - from);
    if shortest_break < seconds_to_samples(MIN_BREAK_SECONDS)
        || (shortest_break as f64) < 1.5 * longest_other as f64
    {
        return None;
    }
    let mut cuts: Vec<usize> = (runs[..count - 1].iter())
        .map(|&(from, to)| (from + to) / 2)
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::with_capacity(count);
    let mut from = 0;
    for cut in cuts {
        pieces.push(&samples[from..cut]);
        from = cut;
    }
    pieces.push(&samples[from..]);
    Some(pieces)
}

/// The shortest pause that can be a break asked for between sentences, in seconds.
const MIN_BREAK_SECONDS: f64 = 0.25;

/// Finds the sentences of audio spoken in one piece: `lengths` are the sentences' lengths in characters.
/// Boundaries go in the pauses nearest to where the lengths put them (or there, when no pause is near).
pub fn align(samples: &[i16], lengths: &[usize]) -> Vec<(usize, usize)> {
    let loud = |s: &i16| i32::from(*s).abs() >= SILENCE;
    let (Some(first), Some(last)) = (
        samples.iter().position(loud),
        samples.iter().rposition(loud),
    ) else {
        return lengths.iter().map(|_| (0, 0)).collect();
    };
    // Pauses: runs of quiet 10 ms windows, as (start, end) samples.
    let window = seconds_to_samples(0.01).max(1);
    let mut pauses: Vec<(usize, usize)> = Vec::new();
    let mut quiet_from: Option<usize> = None;
    for (index, chunk) in samples[first..=last].chunks(window).enumerate() {
        let at = first + index * window;
        let quiet = !chunk.iter().any(loud);
        match (quiet, quiet_from) {
            (true, None) => quiet_from = Some(at),
            (false, Some(from)) => {
                if at - from >= seconds_to_samples(MIN_PAUSE_SECONDS) {
                    pauses.push((from, at));
                }
                quiet_from = None;
            }
            _ => {}
        }
    }
    let total: usize = lengths.iter().sum::<usize>().max(1);
    let span = (last - first) as f64;
    let mut boundaries: Vec<(usize, usize)> = Vec::new();
    let mut used = 0;
    let mut characters = 0;
    for length in &lengths[..lengths.len().saturating_sub(1)] {
        characters += length;
        let expected = first + (span * characters as f64 / total as f64) as usize;
        let nearest = pauses[used..]
            .iter()
            .enumerate()
            .min_by_key(|(_, (from, to))| ((from + to) / 2).abs_diff(expected));
        match nearest {
            Some((offset, &pause)) => {
                boundaries.push(pause);
                used += offset + 1;
            }
            None => boundaries.push((expected, expected)),
        }
    }
    let starts = std::iter::once(first).chain(boundaries.iter().map(|(_, to)| *to));
    let ends = boundaries
        .iter()
        .map(|(from, _)| *from)
        .chain(std::iter::once(last + 1));
    starts.zip(ends).map(|(s, e)| (s, e.max(s))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_spoken_in_one_piece_are_cut_at_the_breaks_asked_for() {
        let tone = |n: usize| -> Vec<i16> {
            (0..n)
                .map(|i| if i % 2 == 0 { 3000 } else { -3000 })
                .collect()
        };
        // Leading silence, a sentence with a short pause inside, a long break, a sentence, trailing silence.
        let samples = [
            vec![0; 500],
            tone(1000),
            vec![0; 300],
            tone(800),
            vec![0; 12_000],
            tone(600),
            vec![0; 700],
        ]
        .concat();
        let pieces = cut_at_breaks(&samples, 2).unwrap();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].len(), 500 + 1000 + 300 + 800 + 6000);
        let speech = join(&pieces);
        let first = speech.sentences[0];
        assert_eq!(first.1 - first.0, 1000 + 300 + 800 + 2 * 480);
        // A break that is not there is told, not guessed: the third longest quiet run (the sentence's own
        // pause) is not half as long again as any other.
        assert!(cut_at_breaks(&samples, 3).is_none());
        // Nor one among pauses as long as itself.
        let even = [
            tone(500),
            vec![0; 12_000],
            tone(500),
            vec![0; 11_000],
            tone(500),
        ]
        .concat();
        assert!(cut_at_breaks(&even, 2).is_none());
        assert_eq!(cut_at_breaks(&even, 3).unwrap().len(), 3);
    }

    fn tone(seconds: f64) -> Vec<i16> {
        (0..seconds_to_samples(seconds))
            .map(|i| ((i as f32 / 7.0).sin() * 8000.0) as i16)
            .collect()
    }

    fn silence(seconds: f64) -> Vec<i16> {
        vec![0; seconds_to_samples(seconds)]
    }

    #[test]
    fn sentences_are_trimmed_and_joined_with_a_pause() {
        let first = [silence(0.2), tone(1.0), silence(0.5)].concat();
        let second = [silence(0.1), tone(0.5)].concat();
        let speech = join(&[first, second]);
        let margin = seconds_to_samples(MARGIN_SECONDS);
        let (a, b) = (speech.sentences[0], speech.sentences[1]);
        assert_eq!(a.0, 0);
        // (A tone starts at a zero crossing: its first loud sample is one later.)
        assert!((a.1 - a.0).abs_diff(seconds_to_samples(1.0) + 2 * margin) <= 2);
        assert_eq!(b.0, a.1 + seconds_to_samples(PAUSE_SECONDS));
        assert_eq!(
            speech.samples.len(),
            b.1 + seconds_to_samples(PAUSE_SECONDS)
        );
    }

    #[test]
    fn audio_in_one_piece_is_aligned_at_its_pauses() {
        // Three sentences of 10, 30 and 10 characters; a short pause inside the second is not a boundary.
        let audio = [
            silence(0.3),
            tone(1.0),
            silence(0.4),
            tone(1.4),
            silence(0.05),
            tone(1.6),
            silence(0.4),
            tone(1.0),
        ]
        .concat();
        let times = align(&audio, &[10, 30, 10]);
        let at = |s: f64| seconds_to_samples(s);
        let close = |sample: usize, seconds: f64| sample.abs_diff(at(seconds)) <= at(0.02);
        assert!(close(times[0].0, 0.3), "{times:?}");
        assert!(close(times[1].0, 1.7), "{times:?}");
        assert!(close(times[2].0, 5.15), "{times:?}");
        assert!(close(times[2].1, 6.15), "{times:?}");
    }
}
