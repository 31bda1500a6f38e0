//! Subtitles: cues timed from the measured narration, written as SRT and WebVTT.
//!
//! Each slide's narration is cut into cues of at most two short lines at sentence (or, for long sentences,
//! word) boundaries; the slide's spoken time is shared among its cues by their length in characters.

use serde::{Deserialize, Serialize};

use crate::providers::outline::split_sentences;

/// The cue writer's version: part of every subtitle key.
pub const VERSION: u32 = 2;

/// Longest cue text, in characters (two lines of about 42).
const MAX_CUE_CHARS: usize = 84;

/// One subtitle: text shown from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// A slide's narration and how long it lasts in the video.
#[derive(Debug, Clone)]
pub struct TimedNarration {
    pub text: String,
    /// Seconds of speech.
    pub spoken: f64,
    /// Seconds the slide is on screen (speech plus padding).
    pub length: f64,
}

/// Cues for slides played one after another, starting at 0.
pub fn cues_for(slides: &[TimedNarration]) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut offset = 0.0;
    for slide in slides {
        let pieces = cue_texts(&slide.text);
        let total: usize = pieces.iter().map(|p| p.chars().count()).sum();
        let mut start = offset;
        for piece in pieces {
            let share = piece.chars().count() as f64 / total.max(1) as f64;
            let end = start + share * slide.spoken;
            cues.push(Cue {
                start,
                end,
                text: piece,
            });
            start = end;
        }
        offset += slide.length;
    }
    cues
}

/// Joins cue lists of parts played one after another; `parts` holds each part's cues and length.
pub fn concat(parts: &[(Vec<Cue>, f64)]) -> Vec<Cue> {
    let mut all = Vec::new();
    let mut offset = 0.0;
    for (cues, length) in parts {
        all.extend(cues.iter().map(|c| Cue {
            start: c.start + offset,
            end: c.end + offset,
            text: c.text.clone(),
        }));
        offset += length;
    }
    all
}

/// Cuts narration into cue texts of at most [`MAX_CUE_CHARS`] characters: one per sentence, a long sentence
/// cut into pieces of about equal length.
fn cue_texts(narration: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for sentence in split_sentences(narration) {
        let length = sentence.chars().count();
        let count = length.div_ceil(MAX_CUE_CHARS);
        let target = length.div_ceil(count.max(1));
        let mut line = String::new();
        for word in sentence.split_whitespace() {
            let longer = line.chars().count() + 1 + word.chars().count();
            if !line.is_empty() && (longer > MAX_CUE_CHARS || line.chars().count() >= target) {
                pieces.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            pieces.push(line);
        }
    }
    pieces
}

/// Breaks a cue's text into at most two lines at the space nearest its middle.
fn two_lines(text: &str) -> String {
    if text.chars().count() <= MAX_CUE_CHARS / 2 {
        return text.to_string();
    }
    let middle = text.len() / 2;
    let split = text
        .char_indices()
        .filter(|(_, c)| *c == ' ')
        .min_by_key(|(i, _)| i.abs_diff(middle))
        .map(|(i, _)| i);
    match split {
        Some(i) => format!("{}\n{}", &text[..i], &text[i + 1..]),
        None => text.to_string(),
    }
}

fn timestamp(seconds: f64, separator: char) -> String {
    let millis = (seconds * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000
    )
}

/// The cues as SubRip (SRT) text.
pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (index, cue) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            index + 1,
            timestamp(cue.start, ','),
            timestamp(cue.end, ','),
            two_lines(&cue.text)
        ));
    }
    out
}

/// The cues as WebVTT text.
pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            timestamp(cue.start, '.'),
            timestamp(cue.end, '.'),
            two_lines(&cue.text)
                .replace('&', "&amp;")
                .replace('<', "&lt;")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_follow_the_narration_in_order() {
        let slides = vec![
            TimedNarration {
                text: "One two. Three four five six.".into(),
                spoken: 3.0,
                length: 3.2,
            },
            TimedNarration {
                text: "Next.".into(),
                spoken: 1.0,
                length: 1.1,
            },
        ];
        let cues = cues_for(&slides);
        assert_eq!(cues.len(), 3);
        assert_eq!(cues[0].start, 0.0);
        // The spoken time is shared by length: "One two." has 8 of the slide's 28 characters.
        assert!((cues[0].end - 3.0 * 8.0 / 28.0).abs() < 1e-9);
        assert!((cues[1].end - 3.0).abs() < 1e-9);
        assert!((cues[2].start - 3.2).abs() < 1e-9);
        assert!((cues[2].end - 4.2).abs() < 1e-9);
        let srt = to_srt(&cues);
        assert!(
            srt.starts_with("1\n00:00:00,000 --> 00:00:00,857\nOne two.\n\n"),
            "{srt}"
        );
        assert!(to_vtt(&cues).contains("00:00:03.200 --> 00:00:04.200\nNext."));
    }

    #[test]
    fn long_sentences_become_several_cues_of_two_lines() {
        let text = "word ".repeat(60);
        let cues = cues_for(&[TimedNarration {
            text,
            spoken: 10.0,
            length: 10.0,
        }]);
        assert!(cues.len() >= 3);
        for cue in &cues {
            assert!(cue.text.chars().count() <= MAX_CUE_CHARS);
            assert!(two_lines(&cue.text).lines().count() <= 2);
        }
        let joined = concat(&[(cues.clone(), 10.0), (cues.clone(), 10.0)]);
        assert!((joined[cues.len()].start - 10.0).abs() < 1e-9);
    }
}
