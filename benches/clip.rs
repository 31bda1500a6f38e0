//! Encoding one narrated slide: vbuild's clip pipeline (still image held by imagefreeze, x264 stillimage)
//! and a one-slide chapter (its narration encoded to AAC, both written into an MP4) against the usual ffmpeg
//! command (`-loop 1` over the PNG), on the same slide and narration, printed as a ratio; and the encode
//! floor of a still slide (its one key frame: every other frame repeats it) against the clip's encode; and
//! what each file holds: bytes per minute, and the PSNR (luma) of its first frame and of a late one against
//! the slide picture converted as the stream says it is.
//! Run with `cargo bench --bench clip` (needs ffmpeg for the comparison).

use std::path::Path;

use gstreamer::prelude::*;
use std::process::Command;
use std::time::Instant;

use vbuild::media::slide::{SlideContent, SlideStyle, render_png};
use vbuild::media::theme::Theme;
use vbuild::media::{audio, clip, join, loudness};

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

/// The frames a pipeline ending in `appsink name=sink` gives, with the colorimetry of the first.
fn frames_of(description: &str) -> (String, Vec<Vec<u8>>) {
    gstreamer::init().expect("GStreamer");
    let pipeline = gstreamer::parse::launch(description)
        .expect("a pipeline")
        .downcast::<gstreamer::Pipeline>()
        .expect("a pipeline");
    let sink = (pipeline.by_name("sink").expect("a sink"))
        .downcast::<gstreamer_app::AppSink>()
        .expect("an app sink");
    pipeline
        .set_state(gstreamer::State::Playing)
        .expect("playing");
    let mut colorimetry = String::new();
    let mut frames = Vec::new();
    while let Ok(sample) = sink.pull_sample() {
        if colorimetry.is_empty() {
            let caps = sample.caps().expect("caps");
            colorimetry = (caps.structure(0).expect("a structure"))
                .get::<String>("colorimetry")
                .unwrap_or_else(|_| "bt601".into());
        }
        let buffer = sample.buffer().expect("a buffer");
        frames.push(buffer.map_readable().expect("readable").as_slice().to_vec());
    }
    pipeline.set_state(gstreamer::State::Null).expect("stopped");
    (colorimetry, frames)
}

/// PSNR of the luma of two I420 frames of `pixels` pixels.
fn luma_psnr(a: &[u8], b: &[u8], pixels: usize) -> f64 {
    let squared: f64 = (a[..pixels].iter().zip(&b[..pixels]))
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    10.0 * (255.0f64.powi(2) / (squared / pixels as f64).max(1e-10)).log10()
}

/// Kilobytes per minute of `video` (its duration `seconds`), and the PSNR of its first frame and of the
/// frame `late` frames in, against `png` converted with the stream's own colorimetry.
fn quality(video: &Path, seconds: f64, png: &Path, late: usize, pixels: usize) -> String {
    let (colorimetry, frames) = frames_of(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! video/x-raw,format=I420 \
         ! appsink name=sink sync=false",
        video.display()
    ));
    let (_, reference) = frames_of(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! video/x-raw,format=I420,colorimetry={colorimetry} \
         ! appsink name=sink sync=false",
        png.display()
    ));
    let bytes = std::fs::metadata(video).expect("the video").len() as f64;
    format!(
        "{:6.0} kB/min, first frame {:.1} dB, frame {late} {:.1} dB ({colorimetry})",
        bytes / 1000.0 / (seconds / 60.0),
        luma_psnr(&frames[0], &reference[0], pixels),
        luma_psnr(&frames[late], &reference[0], pixels),
    )
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
    let narration_length = narration.samples.len();

    let video = dir.path().join("video.mp4");
    let vbuild = |out: &Path| {
        clip::encode(&png, frames, FPS, &video).expect("encode");
        let narration = join::Narration {
            speech: wav.clone(),
            length: narration.samples.len(),
        };
        let aac = dir.path().join("aac.mp4");
        let target = loudness::Target {
            loudness: -18.0,
            true_peak: -1.5,
        };
        join::encode_chapter_audio(&[narration], &target, dir.path(), &aac).expect("encode audio");
        let chapter = join::ChapterParts {
            title: "Encoding".into(),
            clips: vec![video.clone()],
            lengths: vec![narration_length],
            aac,
            fps: FPS,
        };
        join::write_chapter(&chapter, out).expect("join");
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
    let clip_only = median(
        (0..RUNS)
            .map(|_| timed(|| clip::encode(&png, frames, FPS, &video).expect("encode")))
            .collect(),
    );
    let floor = median(
        (0..RUNS)
            .map(|_| timed(|| clip::encode(&png, 1, FPS, &video).expect("encode")))
            .collect(),
    );
    println!("clip bench: one {SECONDS} s 1080p slide at {FPS} fps, median of {RUNS} runs");
    println!(
        "  vbuild clip + chapter:     {ours:7.3} s  ({:.0}x real time)",
        SECONDS as f64 / ours
    );
    println!(
        "  clip alone ({frames} frames):   {clip_only:7.3} s; the floor, its one key frame: {floor:.3} s \
         (the clip takes {:.1}x the floor)",
        clip_only / floor
    );
    let pixels = (style.width * style.height) as usize;
    let late = frames as usize - 5;
    println!(
        "  vbuild's file:  {}",
        quality(
            &dir.path().join("vbuild.mp4"),
            SECONDS as f64,
            &png,
            late,
            pixels
        )
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
        println!(
            "  ffmpeg's file:  {}",
            quality(
                &dir.path().join("ffmpeg.mp4"),
                SECONDS as f64,
                &png,
                late,
                pixels
            )
        );
    } else {
        println!("  (ffmpeg is not installed: `apt-get install ffmpeg` for the comparison)");
    }
}
