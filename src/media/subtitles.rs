//! Subtitles: cues timed from the measured narration, written as SRT and WebVTT.
//!
//! Each slide's narration is cut into cues of at most two short lines at sentence (or, for long sentences,
//! word) boundaries. A cue starts when its sentence is spoken: the audio node records where each sentence
//! starts and ends, and a long sentence's cues share its time by their length. Narration recorded without
//! sentence times (a cache entry of an older vbuild) shares the slide's spoken time by length instead.

use serde::{Deserialize, Serialize};

use crate::providers::outline::split_sentences;

/// The cue writer's version: part of every subtitle key.
pub const VERSION: u32 = 3;

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
    /// When each sentence is spoken (start, end seconds), if known.
    pub sentences: Vec<(f64, f64)>,
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
        let sentences: Vec<Vec<String>> = split_sentences(&slide.text)
            .iter()
            .map(|s| cue_texts(s))
            .collect();
        let times: Vec<(f64, f64)> = if slide.sentences.len() == sentences.len() {
            slide.sentences.clone()
        } else {
            // No sentence times: the whole speech shared by length.
            let lengths: Vec<usize> = sentences
                .iter()
                .map(|pieces| pieces.iter().map(|p| p.chars().count()).sum())
                .collect();
            shares(&lengths, 0.0, slide.spoken)
        };
        for (pieces, (start, end)) in sentences.into_iter().zip(times) {
            let lengths: Vec<usize> = pieces.iter().map(|p| p.chars().count()).collect();
            for (piece, (from, to)) in pieces.into_iter().zip(shares(&lengths, start, end)) {
                cues.push(Cue {
                    start: offset + from,
                    end: offset + to,
                    text: piece,
                });
            }
        }
        offset += slide.length;
    }
    cues
}

/// Splits the time from `start` to `end` among parts of the given lengths.
fn shares(lengths: &[usize], start: f64, end: f64) -> Vec<(f64, f64)> {
    let total: usize = lengths.iter().sum::<usize>().max(1);
    let mut from = start;
    lengths
        .iter()
        .map(|length| {
            let to = from + (end - start) * *length as f64 / total as f64;
            let share = (from, to);
            from = to;
            share
        })
        .collect()
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

/// Cuts a sentence into cue texts of at most [`MAX_CUE_CHARS`] characters, of about equal length.
fn cue_texts(sentence: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
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
    fn cues_start_when_their_sentences_are_spoken() {
        let slides = vec![
            TimedNarration {
                text: "One two. Three four five six.".into(),
                sentences: vec![(0.1, 0.9), (1.4, 2.9)],
                spoken: 3.0,
                length: 3.2,
            },
            TimedNarration {
                text: "Next.".into(),
                sentences: Vec::new(),
                spoken: 1.0,
                length: 1.1,
            },
        ];
        let cues = cues_for(&slides);
        assert_eq!(cues.len(), 3);
        assert_eq!((cues[0].start, cues[0].end), (0.1, 0.9));
        assert_eq!((cues[1].start, cues[1].end), (1.4, 2.9));
        // Without sentence times the spoken time is shared by length.
        assert!((cues[2].start - 3.2).abs() < 1e-9);
        assert!((cues[2].end - 4.2).abs() < 1e-9);
        let srt = to_srt(&cues);
        assert!(
            srt.starts_with("1\n00:00:00,100 --> 00:00:00,900\nOne two.\n\n"),
            "{srt}"
        );
        assert!(to_vtt(&cues).contains("00:00:03.200 --> 00:00:04.200\nNext."));
    }

    #[test]
    fn long_sentences_become_several_cues_of_two_lines() {
        let text = "word ".repeat(60);
        let cues = cues_for(&[TimedNarration {
            text,
            sentences: vec![(0.0, 10.0)],
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
