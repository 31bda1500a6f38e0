//! Provider pools: a course whose narration comes from a slow cloud voice that takes one request at a time
//! (`concurrency = 1`), built with `-j 4`. A job waiting for the provider must not hold a local worker, so
//! the slides are drawn and the clips encoded while the narration is still being fetched.
//!
//! Run with `cargo bench --bench pools`. Prints the wall time, the time the speech requests alone take
//! back to back, and how much of the drawing and encoding overlapped them.

use std::io::Cursor;
use std::process::Command;
use std::time::{Duration, Instant};

/// Each speech request is answered after this long.
const DELAY: Duration = Duration::from_millis(600);
const SLIDES: usize = 12;

/// A WAV of a quiet tone, 60 ms per character, 24 kHz mono.
fn wav_for(text: &str) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 24_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("a WAV writer");
    for i in 0..text.chars().count() * 1440 {
        writer
            .write_sample(((i as f32 / 9.0).sin() * 3000.0) as i16)
            .expect("a sample");
    }
    writer.finalize().expect("a WAV");
    cursor.into_inner()
}

/// A fake OpenAI speech endpoint on 127.0.0.1 that answers one request at a time, each after [`DELAY`].
fn start_server() -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("a port");
    let address = format!(
        "http://{}",
        server.server_addr().to_ip().expect("an IP address")
    );
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            let input: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            std::thread::sleep(DELAY);
            let wav = wav_for(input["input"].as_str().unwrap_or("hello"));
            let _ = request.respond(tiny_http::Response::from_data(wav));
        }
    });
    address
}

fn main() {
    let address = start_server();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lecture = String::from("# Pools\n\n");
    for i in 1..=SLIDES {
        lecture.push_str(&format!(
            "## Part {i}\n\nThis is part number {i} of the course, spoken by a slow voice.\n\n- one point\n- another point\n\n"
        ));
    }
    std::fs::write(dir.path().join("lecture.md"), lecture).expect("lecture");
    std::fs::write(
        dir.path().join("Videofile"),
        format!(
            "[course]\ntitle = \"Pools\"\nsources = [\"lecture.md\"]\n\n[video]\nresolution = \"1920x1080\"\nfps = 10\n\n\
             [speech]\nprovider = \"cloud\"\n\n\
             [providers.cloud]\napi = \"openai\"\nbase_url = \"{address}/v1\"\napi_key_env = \"POOLS_KEY\"\nconcurrency = 1\n"
        ),
    )
    .expect("Videofile");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-q", "-j", "4"])
        .env("POOLS_KEY", "sk-bench")
        .current_dir(dir.path())
        .status()
        .expect("vbuild runs");
    assert!(status.success(), "the build failed");
    let wall = started.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(".vbuild/builds/latest.json")).expect("a report"),
    )
    .expect("JSON");
    let nodes = report["nodes"].as_array().expect("nodes");
    let seconds = |kind: &str| -> f64 {
        nodes
            .iter()
            .filter(|n| n["kind"] == kind)
            .map(|n| n["seconds"].as_f64().unwrap_or(0.0))
            .sum()
    };
    let speech = SLIDES as f64 * DELAY.as_secs_f64();
    let local = seconds("image") + seconds("clip");
    println!(
        "vbuild pools bench: {SLIDES} slides, a cloud voice taking one request at a time, -j 4"
    );
    println!(
        "  whole build {wall:.2} s; speech requests back to back {speech:.2} s; drawing and encoding {local:.2} s of work"
    );
    println!(
        "  after the last speech answer: {:.2} s ({:.0}% of the local work overlapped the requests)",
        wall - speech,
        100.0 * (1.0 - ((wall - speech).max(0.0) / local).min(1.0))
    );
}
