//! Files every player and platform takes as they are, read back with ffprobe (libavformat, the reader of
//! mpv, VLC and Chromium's file playback): colour tags, chapters in the MP4 and marks never before their
//! chapter, tracks interleaved in short chunks, true bitrates, no edit list.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

/// What `ffprobe -of json` says of `path`, asked with `args`.
fn ffprobe(path: &Path, args: &[&str]) -> Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe runs (apt-get install ffmpeg)");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("ffprobe's JSON")
}

fn number(value: &Value) -> f64 {
    match value {
        Value::String(text) => text.parse().expect("a number"),
        other => other.as_f64().expect("a number"),
    }
}

/// The bytes of `path` before its `mdat` box: the `ftyp` and the `moov`.
fn head_of(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let mdat = bytes
        .windows(4)
        .position(|w| w == b"mdat")
        .expect("an mdat");
    bytes[..mdat].to_vec()
}

#[test]
fn the_course_video_is_bt709_with_its_chapters_interleaved_and_its_bitrates_true() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let mp4 = dir.path().join("out/small-course.mp4");
    let info = ffprobe(&mp4, &["-show_streams", "-show_chapters"]);

    // BT.709 at 320x180 too, where GStreamer left alone would take BT.601's matrix and sRGB's transfer.
    let video = &info["streams"][0];
    assert_eq!(video["codec_type"], "video");
    for tag in ["color_space", "color_transfer", "color_primaries"] {
        assert_eq!(video[tag], "bt709", "{tag}: {video}");
    }

    // Chapters in the file, each starting at (not before) its first frame: the second starts where the
    // first chapter's samples end (to the sample in the chapter track ffmpeg reads; rounded up to the next
    // 100 ns in the Nero list), the WebVTT marks likewise to the ms.
    let chapters = info["chapters"].as_array().expect("chapters");
    let titles: Vec<&str> = chapters
        .iter()
        .map(|c| c["tags"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Tides", "Winds"]);
    let report = report(dir.path());
    let first = (report["nodes"].as_array().unwrap().iter())
        .find(|n| n["name"] == "chapter-video:01-tides")
        .map(|n| number(&n["meta"]["samples"]))
        .expect("the first chapter's samples");
    let (numerator, denominator) = (chapters[1]["time_base"].as_str().unwrap())
        .split_once('/')
        .map(|(n, d)| (n.parse::<f64>().unwrap(), d.parse::<f64>().unwrap()))
        .unwrap();
    let second = number(&chapters[1]["start"]) * numerator * 24_000.0 / denominator;
    assert!(
        second >= first && second < first + 1.0,
        "chapter 2 at {second} samples, the first chapter is {first} samples"
    );
    // Both lists are there: a QuickTime chapter track (Apple's players read it), referred to by the
    // video track, and a Nero chpl list.
    let streams = info["streams"].as_array().unwrap();
    assert!(
        streams
            .iter()
            .any(|s| s["codec_tag_string"] == "text" && s["codec_type"] == "data"),
        "no chapter track: {streams:?}"
    );
    let marks = std::fs::read_to_string(dir.path().join("out/small-course.chapters.vtt")).unwrap();
    let mark = (marks.lines())
        .filter_map(|line| line.split_once(" --> "))
        .nth(1)
        .map(|(start, _)| start.to_string())
        .expect("a second mark");
    let mark: f64 = mark.split(':').fold(0.0, |total, part| {
        total * 60.0 + part.parse::<f64>().unwrap()
    });
    let start = first / 24_000.0;
    assert!(
        mark >= start && mark < start + 0.001,
        "mark {mark} s, chapter {start} s"
    );

    // Interleaved: in file order, no track runs more than a second ahead of the other.
    let packets = ffprobe(
        &mp4,
        &[
            "-show_entries",
            "packet=stream_index,pos,pts_time,duration_time",
        ],
    );
    let mut packets: Vec<(u64, i64, f64, f64)> = (packets["packets"].as_array().unwrap().iter())
        .map(|p| {
            (
                number(&p["pos"]) as u64,
                p["stream_index"].as_i64().unwrap(),
                number(&p["pts_time"]),
                number(&p["duration_time"]),
            )
        })
        .collect();
    packets.sort_by_key(|p| p.0);
    let mut longest: f64 = 0.0;
    for run in packets.chunk_by(|a, b| a.1 == b.1) {
        let last = run.last().unwrap();
        longest = longest.max(last.2 + last.3 - run[0].2);
    }
    assert!(
        longest <= 1.0,
        "a run of one track of {longest} s in the file"
    );

    // The bitrate box says what the stream holds, and there is no edit list (one that does nothing is
    // still one that some platforms' checks refuse).
    let head = head_of(&mp4);
    for kind in [b"chpl", b"chap"] {
        assert!(
            head.windows(4).any(|w| w == kind),
            "no {}",
            String::from_utf8_lossy(kind)
        );
    }
    let btrt = head
        .windows(4)
        .position(|w| w == b"btrt")
        .expect("a btrt box")
        + 4;
    let average = u32::from_be_bytes(head[btrt + 8..btrt + 12].try_into().unwrap()) as f64;
    let measured = number(&video["bit_rate"]);
    assert!(
        (average - measured).abs() <= 0.02 * measured,
        "btrt says {average} b/s, the stream is {measured} b/s"
    );
    assert!(!head.windows(4).any(|w| w == b"edts"), "an edit list");
}

/// The integrated loudness (LUFS) and true peak (dBTP) of `path`'s audio, as ffmpeg's EBU R128 meter reads it.
fn loudness_of(path: &Path) -> (f64, f64) {
    let output = Command::new("ffmpeg")
        .args(["-nostats", "-i"])
        .arg(path)
        .args(["-vn", "-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let text = String::from_utf8_lossy(&output.stderr);
    let summary = text.rsplit("Summary:").next().expect("a summary");
    let figure = |label: &str| -> f64 {
        let line = summary
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .expect(label);
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (figure("I:"), figure("Peak:"))
}

#[test]
fn every_voice_is_brought_to_the_loudness_asked_under_the_true_peak_ceiling() {
    // espeak at the default -18 LUFS; piper (the example) at -16 LUFS with a ceiling of -2 dBTP.
    let espeak = small_course();
    vbuild_ok(espeak.path(), &[]);
    let piper = example_copy();
    vbuild_ok(
        piper.path(),
        &[
            "--set",
            "speech.loudness=-16",
            "--set",
            "speech.true_peak=-2",
        ],
    );
    for (dir, course, target, ceiling) in [
        (espeak.path(), "small-course", -18.0, -1.5),
        (
            piper.path(),
            "introduction-to-machine-learning",
            -16.0,
            -2.0,
        ),
    ] {
        let (loudness, peak) = loudness_of(&dir.join(format!("out/{course}.mp4")));
        assert!(
            (loudness - target).abs() <= 1.0,
            "{course}: {loudness} LUFS"
        );
        assert!(
            peak <= ceiling + 0.5 && peak <= -1.0,
            "{course}: {peak} dBTP"
        );
        // Each chapter's figures are in the report.
        let report = report(dir);
        for node in report["nodes"].as_array().unwrap() {
            if node["kind"] == "chapter-video" {
                let meta = &node["meta"];
                let after = number(&meta["loudness"]);
                assert!((after - target).abs() <= 0.5, "{node}");
                assert!(number(&meta["true peak"]) <= ceiling, "{node}");
                assert!(number(&meta["loudness before"]) < after, "{node}");
            }
        }
    }
}
