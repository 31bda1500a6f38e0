//! What is said and when: subtitle cues start when their sentences are heard, read from the built video's
//! audio with silence detection.

mod common;

use std::path::Path;

use common::*;

/// Seconds at which speech starts after at least 120 ms of silence (or at the start).
fn onsets(samples: &[i16], rate: f64) -> Vec<f64> {
    let window = (rate * 0.01) as usize;
    let mut quiet_windows = 12;
    let mut out = Vec::new();
    for (index, chunk) in samples.chunks(window).enumerate() {
        let power = chunk.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / chunk.len() as f64;
        let loud = power.sqrt() > 330.0;
        if loud && quiet_windows >= 12 {
            out.push(index as f64 * 0.01);
        }
        quiet_windows = if loud { 0 } else { quiet_windows + 1 };
    }
    out
}

/// The start times of an SRT file's cues, in seconds.
fn cue_starts(srt: &str) -> Vec<f64> {
    srt.lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(start, _)| {
            let (hms, millis) = start.split_once(',').unwrap();
            let parts: Vec<f64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
            parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + millis.parse::<f64>().unwrap() / 1000.0
        })
        .collect()
}

/// Every cue of `dir`'s course subtitles starts within 100 ms of speech heard in its video.
fn assert_cues_on_speech(dir: &Path, video: &str) {
    let srt = std::fs::read_to_string(dir.join(format!("out/{video}.srt"))).unwrap();
    vbuild::media::init().unwrap();
    let samples = vbuild::media::audio::decode(&dir.join(format!("out/{video}.mp4"))).unwrap();
    let heard = onsets(&samples, 24_000.0);
    let starts = cue_starts(&srt);
    assert!(starts.len() >= 6, "{srt}");
    for start in starts {
        let nearest = heard
            .iter()
            .map(|h| (h - start).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest <= 0.1,
            "the cue at {start:.2} s is {nearest:.2} s from any speech onset {heard:?}\n{srt}"
        );
    }
}

#[test]
fn cues_start_within_100_ms_of_their_speech_with_espeak() {
    let dir = small_course();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Sea\n\n## Tides\n\nThe moon pulls the sea. Tides rise twice a day. Sailors have known this for a very \
         long time, and they plan their trips around it. Spring tides are the largest.\n\n## Winds\n\nAir moves. \
         Warm air rises, and cold air sinks under it. That is all.\n",
    )
    .unwrap();
    vbuild_ok(dir.path(), &[]);
    assert_cues_on_speech(dir.path(), "small-course");
}
