//! Subtitles: cues timed from the measured narration, written as SRT and WebVTT.
//!
//! Each slide's narration is cut into cues of at most two short lines at sentence (or, for long sentences,
//! word) boundaries. A cue starts when its sentence is spoken: the audio node records where each sentence
//! starts and ends, and a long sentence's cues share its time by their length. Narration recorded without
//! sentence times (a cache entry of an older vbuild) shares the slide's spoken time by length instead.

use serde::{Deserialize, Serialize};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::lecture::sentences;

/// The cue writer's version: part of every subtitle key.
pub const VERSION: u32 = 6;

/// Widest cue text, in columns (two lines of about 42; a Chinese or Japanese character takes two).
const MAX_CUE_WIDTH: usize = 84;

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
        let sentences: Vec<Vec<String>> = sentences::split(&slide.text)
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
        let first = cues.len();
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
        // Within a slide each cue stays up until the next one starts: no blank flash in the pauses.
        for at in first + 1..cues.len() {
            cues[at - 1].end = cues[at].start;
        }
        // A slide's first cue starts with its speech; the cue before it (the last slide's last) stays up
        // until then unless the slide starts with a long silence.
        bridge(&mut cues, first);
        offset += slide.length;
    }
    cues
}

/// The longest blank between two slides' (or chapters') cues that the first cue is held over, so that the
/// silence around a slide change does not flash a blank line; a longer silence is left blank (seconds).
const BRIDGE: f64 = 1.0;

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
/// The last cue of a part stays up until the next part's first starts, as between slides.
pub fn concat(parts: &[(Vec<Cue>, f64)]) -> Vec<Cue> {
    let mut all: Vec<Cue> = Vec::new();
    let mut offset = 0.0;
    for (cues, length) in parts {
        let first = all.len();
        all.extend(cues.iter().map(|c| Cue {
            start: c.start + offset,
            end: c.end + offset,
            text: c.text.clone(),
        }));
        bridge(&mut all, first);
        offset += length;
    }
    all
}

/// Holds the cue before `cues[first]` up until it starts, if the blank between them is at most [`BRIDGE`].
fn bridge(cues: &mut [Cue], first: usize) {
    if first > 0 && first < cues.len() && cues[first].start - cues[first - 1].end <= BRIDGE {
        cues[first - 1].end = cues[first].start;
    }
}

/// The chapter marks of chapters (title, seconds) played one after another: each from its chapter's start to
/// the next one's, rounded up to the millisecond. A browser seeking to a mark shows the frame at that time
/// exactly, so a mark rounded down by a fraction of a millisecond would show the previous chapter's last
/// slide.
pub fn chapter_marks(chapters: &[(String, f64)]) -> Vec<Cue> {
    let up = |seconds: f64| ((seconds * 1000.0) - 1e-6).ceil() / 1000.0;
    let mut marks = Vec::new();
    let mut start = 0.0;
    for (title, seconds) in chapters {
        marks.push(Cue {
            start: up(start),
            end: up(start + seconds),
            text: title.clone(),
        });
        start += seconds;
    }
    marks
}

/// A piece of text a cue or a line may break after: a word, or in Chinese, Japanese and Korean text one
/// character with the punctuation that closes on it.
struct Token<'a> {
    text: &'a str,
    /// Whether a space comes before it (between words; none between CJK characters).
    spaced: bool,
}

/// Punctuation no line may start with.
fn closes(c: char) -> bool {
    "。、，．！？）」』】〕〉》：；…ー・.,!?;:)]}\"'".contains(c)
}

/// Punctuation no line may end with.
fn opens(c: char) -> bool {
    "（「『【〔〈《([{".contains(c)
}

fn is_wide(c: char) -> bool {
    c.width() == Some(2)
}

/// `text` cut where a cue or a line may break: at spaces, and between wide characters.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut start = 0;
        let mut spaced = true;
        let mut chars = word.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            let Some(&(next_at, next)) = chars.peek() else {
                break;
            };
            if (is_wide(c) || is_wide(next)) && !closes(next) && !opens(c) {
                out.push(Token {
                    text: &word[start..next_at],
                    spaced,
                });
                spaced = false;
                start = next_at;
            }
        }
        out.push(Token {
            text: &word[start..],
            spaced,
        });
    }
    out
}

/// Cuts a sentence into cue texts at most [`MAX_CUE_WIDTH`] columns wide, of about equal width, and where a
/// colon is followed by a capital (the text after a block the narration skips).
fn cue_texts(sentence: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let width = sentence.width();
    let count = width.div_ceil(MAX_CUE_WIDTH);
    let target = width.div_ceil(count.max(1));
    let mut line = String::new();
    let mut after_block = false;
    for token in tokens(sentence) {
        let gap = usize::from(token.spaced && !line.is_empty());
        let longer = line.width() + gap + token.text.width();
        let new_block = after_block && token.text.starts_with(char::is_uppercase);
        if !line.is_empty() && (longer > MAX_CUE_WIDTH || line.width() >= target || new_block) {
            pieces.push(std::mem::take(&mut line));
        }
        // A paragraph that ends in a colon introduces a block the narration does not read (code, a table):
        // what follows it is said after the block is shown, so it starts a cue of its own.
        after_block = token.text.ends_with(':');
        if token.spaced && !line.is_empty() {
            line.push(' ');
        }
        line.push_str(token.text);
    }
    if !line.is_empty() {
        pieces.push(line);
    }
    pieces
}

/// Tokens written out, with their spaces.
fn joined(tokens: &[Token]) -> String {
    let mut out = String::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.spaced && index > 0 {
            out.push(' ');
        }
        out.push_str(token.text);
    }
    out
}

/// Breaks a cue's text into at most two lines where it may break nearest its middle.
fn two_lines(text: &str) -> String {
    let width = text.width();
    if width <= MAX_CUE_WIDTH / 2 {
        return text.to_string();
    }
    let tokens = tokens(text);
    let split =
        (1..tokens.len()).min_by_key(|&count| joined(&tokens[..count]).width().abs_diff(width / 2));
    match split {
        Some(count) => format!("{}\n{}", joined(&tokens[..count]), joined(&tokens[count..])),
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
        // The first cue stays up through the pause until the second starts, the slide's last until the
        // next slide's speech starts.
        assert_eq!((cues[0].start, cues[0].end), (0.1, 1.4));
        assert_eq!((cues[1].start, cues[1].end), (1.4, 3.2));
        // Without sentence times the spoken time is shared by length.
        assert!((cues[2].start - 3.2).abs() < 1e-9);
        assert!((cues[2].end - 4.2).abs() < 1e-9);
        let srt = to_srt(&cues);
        assert!(
            srt.starts_with("1\n00:00:00,100 --> 00:00:01,400\nOne two.\n\n"),
            "{srt}"
        );
        assert!(to_vtt(&cues).contains("00:00:03.200 --> 00:00:04.200\nNext."));
    }

    #[test]
    fn chapter_marks_are_rounded_up_to_the_millisecond_never_before_their_chapter() {
        // 489,490 samples at 24 kHz: the second chapter starts at 20.395416... s.
        let first = 489_490.0 / 24_000.0;
        let marks = chapter_marks(&[("One".into(), first), ("Two".into(), 10.0)]);
        assert_eq!((marks[0].start, marks[1].text.as_str()), (0.0, "Two"));
        assert!(marks[1].start >= first && marks[1].start - first < 0.001);
        assert_eq!(marks[0].end, marks[1].start);
        let vtt = to_vtt(&marks);
        assert!(vtt.contains("00:00:20.396 --> 00:00:30.396\nTwo"), "{vtt}");
        // A start on a whole millisecond stays where it is.
        assert_eq!(
            chapter_marks(&[("A".into(), 2.5), ("B".into(), 1.0)])[1].start,
            2.5
        );
    }

    #[test]
    fn text_after_a_skipped_block_starts_a_cue_of_its_own() {
        // "A loop over a list of numbers:" then a code block, then "The loop keeps a running total."
        let pieces = cue_texts("A loop over a list of numbers: The loop keeps a running total.");
        assert_eq!(
            pieces,
            [
                "A loop over a list of numbers:",
                "The loop keeps a running total."
            ]
        );
        // A colon within a sentence is not a block.
        assert_eq!(cue_texts("Two kinds: caches and buffers.").len(), 1);
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
            assert!(cue.text.width() <= MAX_CUE_WIDTH);
            assert!(two_lines(&cue.text).lines().count() <= 2);
        }
        let joined = concat(&[(cues.clone(), 10.0), (cues.clone(), 10.0)]);
        assert!((joined[cues.len()].start - 10.0).abs() < 1e-9);
        // The first part's last cue ended with its speech at 10 s: nothing to bridge. A part that ends in
        // silence has its last cue held over it, up to a second.
        let mut short = cues.clone();
        short.last_mut().unwrap().end = 9.5;
        let joined = concat(&[(short.clone(), 10.0), (cues.clone(), 10.0)]);
        assert_eq!(joined[cues.len() - 1].end, 10.0);
        short.last_mut().unwrap().end = 8.5;
        let joined = concat(&[(short, 11.0), (cues.clone(), 10.0)]);
        assert_eq!(joined[cues.len() - 1].end, 8.5);
    }

    #[test]
    fn chinese_and_japanese_cues_break_between_characters_and_never_before_closing_punctuation() {
        let sentence = "機械学習は、データから規則を見つけて、まだ見ていないデータについて予測する方法であり、\
                        統計学と計算機科学の両方に基づいています。";
        let pieces = cue_texts(sentence);
        assert!(pieces.len() >= 2, "{pieces:?}");
        assert_eq!(
            pieces.concat(),
            sentence,
            "nothing lost and no spaces added"
        );
        for piece in &pieces {
            assert!(piece.width() <= MAX_CUE_WIDTH, "{piece}");
            let lines = two_lines(piece);
            assert!(lines.lines().count() <= 2);
            for line in lines.lines() {
                assert!(line.width() <= MAX_CUE_WIDTH / 2 + 2, "{lines}");
                assert!(!line.starts_with(['、', '。']), "{lines}");
            }
        }
        // Words keep their spaces; a mixed sentence breaks at both.
        assert_eq!(
            two_lines("Python は、データを扱うためのとても人気のある言語のひとつです")
                .replace('\n', ""),
            "Python は、データを扱うためのとても人気のある言語のひとつです"
        );
    }
}
