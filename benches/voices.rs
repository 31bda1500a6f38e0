//! Speech speed: the bundled example built with espeak-ng and with piper (realtime factors of the speech
//! alone and of the whole build), and the cost of starting a piper worker (loading the voice).
//!
//! Run with `cargo bench --bench voices` (piper from `./.ci/install-deps`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use vbuild::config::Delivery;
use vbuild::providers::piper;

/// Builds a fresh copy of the example with `speech` as its speech provider; returns (wall seconds, seconds
/// of speech, seconds the audio nodes took, seconds of video).
fn build(speech: &str) -> (f64, f64, f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/intro-ml");
    for name in ["Videofile", "lecture.md", "bowl.svg"] {
        std::fs::copy(example.join(name), dir.path().join(name)).expect("copy the example");
    }
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-q", "--set", &format!("speech.provider=\"{speech}\"")])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("vbuild runs");
    assert!(status.success(), "vbuild failed with {speech}");
    let wall = started.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(".vbuild/builds/latest.json")).expect("a report"),
    )
    .expect("JSON");
    let nodes = report["nodes"].as_array().expect("nodes");
    let audio = nodes.iter().filter(|n| n["kind"] == "audio");
    let speech_seconds: f64 = audio
        .clone()
        .map(|n| n["meta"]["samples"].as_f64().unwrap_or(0.0) / 24_000.0)
        .sum();
    let work: f64 = audio.map(|n| n["seconds"].as_f64().unwrap_or(0.0)).sum();
    let video = nodes
        .iter()
        .find(|n| n["kind"] == "course-video")
        .and_then(|n| n["meta"]["seconds"].as_f64())
        .unwrap_or(0.0);
    (wall, speech_seconds, work, video)
}

fn main() {
    println!("vbuild voice bench: the bundled example, release build, 2 cores");
    for speech in ["espeak", "piper"] {
        let (wall, speech_seconds, work, video) = build(speech);
        println!(
            "  {speech:<7} {video:>6.1} s of video in {wall:>5.2} s: {:>5.1}x realtime; speech alone {speech_seconds:.1} s in {work:.2} s of work: {:>6.1}x realtime",
            video / wall,
            speech_seconds / work
        );
    }
    let voice = piper::find(
        None,
        std::env::var("VBUILD_PIPER").ok().as_deref(),
        None,
        &mut vbuild::providers::probes::Probes::none(),
    )
    .expect("piper is installed (./.ci/install-deps)");
    let sentence = "Gradient descent finds good weights step by step.";
    let cold = Instant::now();
    voice.speak(sentence, Delivery::default()).expect("speech");
    let cold = cold.elapsed().as_secs_f64();
    let warm = Instant::now();
    voice.speak(sentence, Delivery::default()).expect("speech");
    let warm = warm.elapsed().as_secs_f64();
    println!(
        "  piper worker: first sentence {cold:.2} s, the same sentence again {warm:.2} s: start-up {:.2} s",
        cold - warm
    );
}
