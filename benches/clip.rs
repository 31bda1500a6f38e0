//! Encoding one narrated slide: vbuild's clip pipeline (still image held by imagefreeze, x264 stillimage,
//! PCM narration muxed as AAC) against the usual ffmpeg command (`-loop 1` over the PNG), on the same slide
//! and narration, printed as a ratio. Run with `cargo bench --bench clip` (needs ffmpeg for the comparison).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use vbuild::media::slide::{SlideContent, SlideStyle, render_png};
use vbuild::media::theme::Theme;
use vbuild::media::{audio, clip, join};

const FPS: u32 = 10;
const SECONDS: usize = 20;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn timed(run: impl Fn()) -> f64 {
    let started = Instant::now();
    run();
    started.elapsed().as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("slide.png");
    let content = SlideContent {
        course_title: "Bench course".into(),
        chapter_title: "Encoding".into(),
        title: "A narrated slide".into(),
        blocks: SlideContent::from_script(
            &[],
            &[
                "Still pictures need few bits".into(),
                "Narration sets the length".into(),
            ],
        ),
        number: 1,
    };
    let style = SlideStyle {
        width: 1920,
        height: 1080,
        theme: Theme::Dark,
    };
    let rendered = render_png(&content, style, None, &|_| None).expect("render");
    std::fs::write(&png, rendered.png).expect("write png");
    let samples: Vec<i16> = (0..SECONDS * 24_000)
        .map(|i| ((i as f32 / 9.0).sin() * 3000.0) as i16)
        .collect();
    let narration = audio::pad_to_frames(samples, FPS, 0);
    let wav = dir.path().join("narration.wav");
    audio::write_wav(&narration.samples, &wav).expect("write wav");
    let frames = (SECONDS as u32 * FPS) as u64;

    let vbuild = |out: &Path| {
        let video = dir.path().join("video.mp4");
        clip::encode(&png, frames, FPS, &video).expect("encode");
        join::mux_with_audio(&video, &wav, out).expect("mux");
    };
    let ffmpeg = |out: &Path| {
        let status = Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-loop",
                "1",
                "-framerate",
                &FPS.to_string(),
                "-i",
            ])
            .arg(&png)
            .arg("-i")
            .arg(&wav)
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-tune",
                "stillimage",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-c:a", "aac", "-b:a", "96k", "-shortest"])
            .arg(out)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success());
    };

    const RUNS: usize = 5;
    let ours = median(
        (0..RUNS)
            .map(|_| timed(|| vbuild(&dir.path().join("vbuild.mp4"))))
            .collect(),
    );
    println!("clip bench: one {SECONDS} s 1080p slide at {FPS} fps, median of {RUNS} runs");
    println!(
        "  vbuild clip + mux:         {ours:7.3} s  ({:.0}x real time)",
        SECONDS as f64 / ours
    );
    if Command::new("ffmpeg").arg("-version").output().is_ok() {
        let theirs = median(
            (0..RUNS)
                .map(|_| timed(|| ffmpeg(&dir.path().join("ffmpeg.mp4"))))
                .collect(),
        );
        println!(
            "  ffmpeg -loop 1 command:    {theirs:7.3} s  ({:.0}x real time)",
            SECONDS as f64 / theirs
        );
        println!("  ffmpeg / vbuild = {:.1}x", theirs / ours);
    } else {
        println!("  (ffmpeg is not installed: `apt-get install ffmpeg` for the comparison)");
    }
}
