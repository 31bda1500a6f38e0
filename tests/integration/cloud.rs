//! Cloud providers against a real HTTP server on 127.0.0.1 that speaks the vendors' request and response
//! shapes (OpenAI chat/speech/images, Google Text-to-Speech, Stability) and injects faults: 429 with
//! Retry-After, 500, slow answers, malformed JSON, a script that fails validation once.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine;
use serde_json::{Value, json};

const KEY: &str = "sk-test-VERYSECRET-0123456789";

/// A fault to answer one request with.
#[derive(Clone)]
enum Fault {
    Status {
        code: u16,
        retry_after: Option<&'static str>,
        body: &'static str,
    },
    Slow(Duration),
    Malformed,
    InvalidScript,
    /// Answers `code` with the request's own headers as the error message, after `pad` characters (so that
    /// a message cut at 300 characters cuts the key).
    Echo {
        code: u16,
        pad: usize,
    },
    /// Answers `code` with `body` as plain text.
    Plain {
        code: u16,
        body: String,
    },
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    body: String,
    headers: BTreeMap<String, String>,
    at: Instant,
}

/// The fake cloud: a tiny_http server on a free port of 127.0.0.1.
struct FakeCloud {
    address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Mutex<BTreeMap<String, VecDeque<Fault>>>>,
    /// Every speech answer is held this long (to interrupt builds mid-way).
    speech_delay: Arc<Mutex<Duration>>,
}

impl FakeCloud {
    fn start() -> FakeCloud {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let address = format!("http://{}", server.server_addr().to_ip().unwrap());
        let cloud = FakeCloud {
            address,
            seen: Arc::default(),
            faults: Arc::default(),
            speech_delay: Arc::default(),
        };
        let (seen, faults, delay) = (
            cloud.seen.clone(),
            cloud.faults.clone(),
            cloud.speech_delay.clone(),
        );
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let (seen, faults, delay) = (seen.clone(), faults.clone(), delay.clone());
                std::thread::spawn(move || answer(request, &seen, &faults, &delay));
            }
        });
        cloud
    }

    /// Queues faults for the next requests to `path`.
    fn fail(&self, path: &str, faults: &[Fault]) {
        self.faults
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default()
            .extend(faults.iter().cloned());
    }

    fn seen(&self, path_part: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.contains(path_part))
            .cloned()
            .collect()
    }
}

fn respond(
    request: tiny_http::Request,
    code: u16,
    content_type: &str,
    body: Vec<u8>,
    extra: Option<(&str, &str)>,
) {
    let mut response = tiny_http::Response::from_data(body).with_status_code(code);
    response.add_header(tiny_http::Header::from_bytes("Content-Type", content_type).unwrap());
    if let Some((name, value)) = extra {
        response.add_header(tiny_http::Header::from_bytes(name, value).unwrap());
    }
    let _ = request.respond(response);
}

/// A WAV of a quiet tone, 30 ms per character of `text`, at 24 kHz mono.
fn wav_for(text: &str) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 24_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
    let samples = (text.chars().count().max(5) * 720) as u32;
    for i in 0..samples {
        writer
            .write_sample(((i as f32 / 9.0).sin() * 3000.0) as i16)
            .unwrap();
    }
    writer.finalize().unwrap();
    cursor.into_inner()
}

fn png() -> Vec<u8> {
    let mut pixmap = resvg::tiny_skia::Pixmap::new(64, 64).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::from_rgba8(200, 40, 40, 255));
    pixmap.encode_png().unwrap()
}

/// A valid script for the chapter named in the prompt, or one that fails validation.
fn script_answer(prompt: &str, valid: bool) -> String {
    let chapter = prompt
        .lines()
        .find_map(|l| l.strip_prefix("Chapter: "))
        .unwrap_or("chapter");
    let notes = if valid {
        format!("This part explains {chapter}.")
    } else {
        String::new()
    };
    json!({"slides": [
        {"id": "1", "title": chapter, "bullets": ["first point"], "visual_prompt": format!("a picture of {chapter}"),
         "estimated_duration_sec": 3.0, "speaker_notes": notes},
        {"id": "2", "title": format!("{chapter}, continued"), "bullets": ["second point"], "visual_prompt": "a chart",
         "estimated_duration_sec": 2.0, "speaker_notes": "That is all for this part."}
    ]})
    .to_string()
}

fn answer(
    mut request: tiny_http::Request,
    seen: &Mutex<Vec<Seen>>,
    faults: &Mutex<BTreeMap<String, VecDeque<Fault>>>,
    speech_delay: &Mutex<Duration>,
) {
    let mut body = Vec::new();
    request.as_reader().read_to_end(&mut body).unwrap();
    let path = request.url().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|h| (h.field.to_string().to_lowercase(), h.value.to_string()))
        .collect();
    let text = String::from_utf8_lossy(&body).to_string();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        body: text.clone(),
        headers,
        at: Instant::now(),
    });
    let fault = faults
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    match fault {
        Some(Fault::Status {
            code,
            retry_after,
            body,
        }) => {
            return respond(
                request,
                code,
                "application/json",
                body.as_bytes().to_vec(),
                retry_after.map(|r| ("Retry-After", r)),
            );
        }
        Some(Fault::Slow(delay)) => std::thread::sleep(delay),
        Some(Fault::Echo { code, pad }) => {
            let headers: Vec<String> = request
                .headers()
                .iter()
                .map(|h| format!("{}: {}", h.field, h.value))
                .collect();
            let message = format!("{}{}", "x".repeat(pad), headers.join(", "));
            let body = json!({"error": {"message": message}}).to_string();
            return respond(request, code, "application/json", body.into_bytes(), None);
        }
        Some(Fault::Plain { code, body }) => {
            return respond(request, code, "text/plain", body.into_bytes(), None);
        }
        Some(Fault::Malformed) => {
            return respond(
                request,
                200,
                "application/json",
                b"{\"choices\": [".to_vec(),
                None,
            );
        }
        _ => {}
    }
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if path.ends_with("/chat/completions") {
        let prompt = json["messages"][1]["content"].as_str().unwrap_or_default();
        let valid = !matches!(fault, Some(Fault::InvalidScript));
        let answer = json!({
            "choices": [{"message": {"role": "assistant", "content": script_answer(prompt, valid)}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50}
        });
        respond(
            request,
            200,
            "application/json",
            answer.to_string().into_bytes(),
            None,
        );
    } else if path.ends_with("/audio/speech") {
        std::thread::sleep(*speech_delay.lock().unwrap());
        respond(
            request,
            200,
            "audio/wav",
            wav_for(json["input"].as_str().unwrap_or_default()),
            None,
        );
    } else if path.ends_with("text:synthesize") {
        let audio = base64::engine::general_purpose::STANDARD
            .encode(wav_for(json["input"]["text"].as_str().unwrap_or_default()));
        respond(
            request,
            200,
            "application/json",
            json!({"audioContent": audio}).to_string().into_bytes(),
            None,
        );
    } else if path.ends_with("/images/generations") {
        let image = base64::engine::general_purpose::STANDARD.encode(png());
        respond(
            request,
            200,
            "application/json",
            json!({"data": [{"b64_json": image}]})
                .to_string()
                .into_bytes(),
            None,
        );
    } else if path.contains("/stable-image/generate/") {
        respond(request, 200, "image/png", png(), None);
    } else {
        respond(
            request,
            404,
            "application/json",
            br#"{"error": {"message": "no such endpoint"}}"#.to_vec(),
            None,
        );
    }
}

/// A one-chapter project using the fake cloud for `sections` (TOML for [script], [speech], [images]) and
/// `providers` (the [providers.*] TOML).
fn project(sections: &str, providers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Cloud course\n\n## Clouds\n\nClouds are water. They float.\n\n- cumulus\n- stratus\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Videofile"),
        format!("[course]\ntitle = \"Cloud course\"\nsources = [\"lecture.md\"]\n\n[video]\nresolution = \"320x180\"\nfps = 5\n\n{sections}\n\n{providers}\n"),
    )
    .unwrap();
    dir
}

fn openai(cloud: &FakeCloud, extra: &str) -> String {
    format!(
        "[providers.openai]\napi = \"openai\"\nbase_url = \"{}/v1\"\napi_key_env = \"FAKE_KEY\"\nbackoff_sec = 0.05\n{extra}",
        cloud.address
    )
}

const ALL_OPENAI: &str = "[script]\nprovider = \"openai\"\n\n[speech]\nprovider = \"openai\"\nvoice = \"alloy\"\n\n[images]\nprovider = \"openai\"";

/// Runs vbuild with the fake key in its environment.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(args)
        .current_dir(dir)
        .env("FAKE_KEY", KEY)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "vbuild failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            std::fs::read(e.path())
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .map(|e| e.path().display().to_string())
        .collect()
}

#[test]
fn openai_builds_the_course_then_a_rebuild_sends_nothing_and_the_key_is_nowhere() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    let first = ok(run(dir.path(), &[]));

    let chats = cloud.seen("/v1/chat/completions");
    assert_eq!(chats.len(), 1, "one chapter, one chat request");
    let request: Value = serde_json::from_str(&chats[0].body).unwrap();
    assert_eq!(request["model"], "gpt-4o-mini");
    assert!(
        request["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("Clouds are water.")
    );
    assert_eq!(chats[0].headers["authorization"], format!("Bearer {KEY}"));
    let speech = cloud.seen("/v1/audio/speech");
    assert_eq!(speech.len(), 2, "two slides");
    assert_eq!(
        serde_json::from_str::<Value>(&speech[0].body).unwrap()["voice"],
        "alloy"
    );
    assert_eq!(cloud.seen("/v1/images/generations").len(), 2);

    let built = report(dir.path());
    let script = built["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "script")
        .unwrap();
    // 100 prompt and 50 completion tokens at gpt-4o-mini's list price.
    assert!((script["cost"].as_f64().unwrap() - (100.0 * 0.15 + 50.0 * 0.60) / 1e6).abs() < 1e-12);
    let video = probe(&dir.path().join("out/cloud-course.mp4"));
    assert!(video.seconds > 1.0 && video.audio_caps.len() == 1);

    let before = cloud.seen("").len();
    let second = ok(run(dir.path(), &[]));
    assert_eq!(cloud.seen("").len(), before, "a rebuild sends no request");
    assert_eq!(report(dir.path())["counts"]["ran"], 0);

    let config = ok(run(dir.path(), &["config"]));
    let dry = ok(run(dir.path(), &["-n", "-v"]));
    for output in [&first, &second, &config, &dry] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!String::from_utf8_lossy(stream).contains(KEY));
        }
    }
    assert_eq!(files_holding(dir.path(), KEY), Vec::<String>::new());
    assert_eq!(
        files_holding(dir.path(), "VERYSECRET"),
        Vec::<String>::new()
    );
}

#[test]
fn retries_honour_retry_after_and_5xx_then_succeed() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    cloud.fail(
        "/v1/chat/completions",
        &[
            Fault::Status {
                code: 429,
                retry_after: Some("1"),
                body: r#"{"error": {"message": "slow down"}}"#,
            },
            Fault::Status {
                code: 500,
                retry_after: None,
                body: r#"{"error": {"message": "oops"}}"#,
            },
        ],
    );
    ok(run(dir.path(), &[]));
    let chats = cloud.seen("/v1/chat/completions");
    assert_eq!(chats.len(), 3);
    let waited = chats[1].at.duration_since(chats[0].at);
    assert!(
        waited >= Duration::from_millis(990),
        "Retry-After: 1 was not honoured ({waited:?})"
    );
    assert_eq!(report(dir.path())["counts"]["failed"], 0);
}

#[test]
fn a_retry_after_too_long_or_endless_fails_the_request_with_a_message() {
    for asked in ["inf", "1e300", "86400", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let cloud = FakeCloud::start();
        let dir = project(ALL_OPENAI, &openai(&cloud, ""));
        cloud.fail(
            "/v1/chat/completions",
            &[Fault::Status {
                code: 429,
                retry_after: Some(asked),
                body: r#"{"error": {"message": "slow down"}}"#,
            }],
        );
        let output = run(dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{asked}: {stderr}");
        assert!(
            stderr.contains("the server asks to wait"),
            "{asked}: {stderr}"
        );
        assert!(
            stderr.contains("longer than vbuild waits (10m): giving up"),
            "{asked}: {stderr}"
        );
        assert!(!stderr.contains("internal error"), "{asked}: {stderr}");
        assert_eq!(cloud.seen("/v1/chat/completions").len(), 1, "{asked}");
    }
}

#[test]
fn a_client_error_fails_at_once_with_the_servers_message() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    cloud.fail(
        "/v1/chat/completions",
        &[Fault::Status {
            code: 400,
            retry_after: None,
            body: r#"{"error": {"message": "model gpt-4o-mini does not exist"}}"#,
        }],
    );
    let output = run(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        cloud.seen("/v1/chat/completions").len(),
        1,
        "no retry on 400"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "provider openai: POST chat/completions: HTTP 400: model gpt-4o-mini does not exist"
        ),
        "{stderr}"
    );
}

#[test]
fn slow_answers_time_out_and_are_retried() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, "read_timeout_sec = 0.5\n"));
    // The first answer would come after a minute: the retry must be sent long before it.
    cloud.fail(
        "/v1/chat/completions",
        &[Fault::Slow(Duration::from_secs(60))],
    );
    ok(run(dir.path(), &["script:1"]));
    let seen = cloud.seen("/v1/chat/completions");
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].at.duration_since(seen[0].at) < Duration::from_secs(60),
        "the retry waited for the slow answer"
    );
}

#[test]
fn a_malformed_answer_fails_with_a_clear_error() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    cloud.fail("/v1/chat/completions", &[Fault::Malformed]);
    let output = run(dir.path(), &["script:1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("provider openai: the chat answer is not JSON"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_script_is_repaired_with_the_validation_errors() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    cloud.fail("/v1/chat/completions", &[Fault::InvalidScript]);
    ok(run(dir.path(), &["script:1"]));
    let chats = cloud.seen("/v1/chat/completions");
    assert_eq!(chats.len(), 2);
    let repair: Value = serde_json::from_str(&chats[1].body).unwrap();
    let messages = repair["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "prompt, answer, repair request");
    let repair_text = messages[3]["content"].as_str().unwrap();
    assert!(
        repair_text.contains("slide 1 (\"1\"): \"speaker_notes\" is empty"),
        "{repair_text}"
    );
    let script = std::fs::read_to_string(dir.path().join("out/scripts/01-clouds.json")).unwrap();
    assert!(script.contains("This part explains Clouds."));
}

#[test]
fn a_missing_key_is_a_configuration_error_naming_the_variable() {
    let cloud = FakeCloud::start();
    let dir = project(ALL_OPENAI, &openai(&cloud, ""));
    let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .current_dir(dir.path())
        .env_remove("FAKE_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("environment variable FAKE_KEY"));
    assert!(cloud.seen("").is_empty());
    assert!(!dir.path().join(".vbuild/actions").exists() || action_keys(dir.path()).is_empty());
}

#[test]
fn google_speech_and_stability_pictures_speak_their_apis() {
    let cloud = FakeCloud::start();
    let providers = format!(
        "[providers.google]\napi = \"google\"\nbase_url = \"{0}/google/v1\"\napi_key_env = \"FAKE_KEY\"\n\n\
         [providers.stability]\napi = \"stability\"\nbase_url = \"{0}/stability\"\napi_key_env = \"FAKE_KEY\"\n",
        cloud.address
    );
    let sections = "[speech]\nprovider = \"google\"\nvoice = \"en-GB-Standard-A\"\n\n[images]\nprovider = \"stability\"";
    let dir = project(sections, &providers);
    ok(run(dir.path(), &[]));
    let speech = cloud.seen("/google/v1/text:synthesize");
    assert!(!speech.is_empty());
    assert_eq!(speech[0].headers["x-goog-api-key"], KEY);
    let body: Value = serde_json::from_str(&speech[0].body).unwrap();
    assert_eq!(
        body["voice"],
        json!({"languageCode": "en-GB", "name": "en-GB-Standard-A"})
    );
    assert_eq!(body["audioConfig"]["audioEncoding"], "LINEAR16");
    let pictures = cloud.seen("/stability/v2beta/stable-image/generate/core");
    assert!(!pictures.is_empty());
    assert!(pictures[0].headers["content-type"].starts_with("multipart/form-data; boundary="));
    assert!(pictures[0].body.contains("name=\"prompt\""));
    assert_eq!(
        pictures[0].headers["authorization"],
        format!("Bearer {KEY}")
    );
}

#[test]
fn cloud_voices_speak_each_chapters_language_and_say_the_dictionarys_words() {
    let cloud = FakeCloud::start();
    let providers = format!(
        "[providers.google]\napi = \"google\"\nbase_url = \"{0}/google/v1\"\napi_key_env = \"FAKE_KEY\"\n",
        cloud.address
    );
    let sections = "[speech]\nprovider = \"google\"\n\n[speech.pronounce]\nSQL = \"sequel\"";
    let dir = project(sections, &providers);
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Cloud course\n\n## Tables\n\nSQL reads tables.\n\n## Nuages\n\n<!-- vbuild: language=fr -->\n\nLes nuages flottent.\n",
    )
    .unwrap();
    ok(run(dir.path(), &[]));
    let voice_for = |words: &str| -> Value {
        let seen = cloud.seen("/google/v1/text:synthesize");
        let body: Value = seen
            .iter()
            .map(|s| serde_json::from_str::<Value>(&s.body).unwrap())
            .find(|b| b["input"]["text"].as_str().unwrap().contains(words))
            .unwrap_or_else(|| panic!("no request says {words:?}"));
        body["voice"].clone()
    };
    // The course's language with the default voice; the French chapter with Google's default French voice.
    assert_eq!(
        voice_for("sequel reads tables"),
        json!({"languageCode": "en-US", "name": "en-US-Standard-C"})
    );
    assert_eq!(voice_for("Les nuages"), json!({"languageCode": "fr"}));
    let srt = std::fs::read_to_string(dir.path().join("out/cloud-course.srt")).unwrap();
    assert!(
        srt.contains("SQL reads tables.") && !srt.contains("sequel"),
        "{srt}"
    );
}

#[test]
fn requests_are_paced_and_limited_per_provider() {
    let cloud = FakeCloud::start();
    let dir = project(
        ALL_OPENAI,
        &openai(&cloud, "requests_per_second = 4\nconcurrency = 1\n"),
    );
    ok(run(dir.path(), &["-j", "4"]));
    let mut starts: Vec<Instant> = cloud.seen("/v1/").iter().map(|s| s.at).collect();
    starts.sort();
    assert!(starts.len() >= 5);
    for pair in starts.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(240),
            "requests {gap:?} apart at 4 per second"
        );
    }
}

#[test]
fn an_interrupted_build_does_not_repeat_paid_requests() {
    let cloud = FakeCloud::start();
    *cloud.speech_delay.lock().unwrap() = Duration::from_millis(400);
    let sections =
        "[script]\nprovider = \"outline\"\nwords_per_slide = 10\n\n[speech]\nprovider = \"openai\"";
    // One request in flight at a time (a provider's concurrency, not -j, bounds its requests).
    let dir = project(sections, &openai(&cloud, "concurrency = 1\n"));
    let sentences: Vec<String> = (1..=12)
        .map(|i| format!("Sentence number {i} has a few words in it."))
        .collect();
    let lecture = format!("# C\n\n## Long\n\n{}\n", sentences.join(" "));
    std::fs::write(dir.path().join("lecture.md"), lecture).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-j", "1", "-q"])
        .current_dir(dir.path())
        .env("FAKE_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while cloud.seen("/audio/speech").len() < 3 {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "no time to interrupt"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = cloud.seen("/audio/speech").len();
    *cloud.speech_delay.lock().unwrap() = Duration::ZERO;
    ok(run(dir.path(), &[]));
    let slides = nodes_in(&report(dir.path()), "cached")
        .iter()
        .filter(|n| n.starts_with("audio:"))
        .count()
        + nodes_in(&report(dir.path()), "ran")
            .iter()
            .filter(|n| n.starts_with("audio:"))
            .count();
    let all = cloud.seen("/audio/speech");
    let mut texts: Vec<String> = all
        .iter()
        .map(|s| serde_json::from_str::<Value>(&s.body).unwrap()["input"].to_string())
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), slides, "every slide was spoken");
    // Only the request that was in flight when the build was killed may be sent again.
    assert!(
        all.len() <= slides + 1,
        "{} requests for {slides} slides ({before} before the kill)",
        all.len()
    );
    let audio_cached = nodes_in(&report(dir.path()), "cached")
        .iter()
        .filter(|n| n.starts_with("audio:"))
        .count();
    assert!(audio_cached >= before - 1, "finished speech was not reused");
}

#[test]
fn slides_that_say_the_same_words_are_spoken_once() {
    let cloud = FakeCloud::start();
    *cloud.speech_delay.lock().unwrap() = Duration::from_millis(300);
    let dir = project("[speech]\nprovider = \"openai\"", &openai(&cloud, ""));
    let lecture = "# C\n\n## Chapter\n\n### One\n\nThe same words.\n\n### Two\n\nThe same words.\n\n### Three\n\nThe same words.\n";
    std::fs::write(dir.path().join("lecture.md"), lecture).unwrap();
    ok(run(dir.path(), &["-j", "3"]));
    // "Chapter." for the chapter's title card, "The same words." for each of its three sections.
    assert_eq!(cloud.seen("/audio/speech").len(), 2);
    let report = report(dir.path());
    assert_eq!(
        nodes_in(&report, "ran")
            .iter()
            .filter(|n| n.starts_with("audio:"))
            .count(),
        2
    );
    assert_eq!(
        nodes_in(&report, "cached")
            .iter()
            .filter(|n| n.starts_with("audio:"))
            .count(),
        2
    );
}

#[test]
fn switching_to_a_proxy_or_another_key_rebuilds_nothing_but_a_new_prompt_template_does() {
    let cloud = FakeCloud::start();
    let dir = project(
        "[script]\nprovider = \"openai\"\nprompt = \"prompt.txt\"\n\n[speech]\nprovider = \"openai\"",
        &openai(&cloud, ""),
    );
    std::fs::write(
        dir.path().join("prompt.txt"),
        "Course: {course_title}\nChapter: {chapter_title}\n{chapter_text}\n{schema}",
    )
    .unwrap();
    // A dry run estimates the cost before anything is spent, and sends nothing.
    let plan = String::from_utf8_lossy(&ok(run(dir.path(), &["-n"])).stdout).to_string();
    let estimate: f64 = plan
        .split("estimated cost ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .and_then(|cost| cost.strip_suffix(" USD"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(estimate > 0.0, "{plan}");
    assert!(cloud.seen("").is_empty());

    ok(run(dir.path(), &[]));
    let chat: Value = serde_json::from_str(&cloud.seen("/chat/completions")[0].body).unwrap();
    assert!(
        chat["messages"][1]["content"]
            .as_str()
            .unwrap()
            .starts_with("Course: Cloud course\nChapter: Clouds\n# Clouds")
    );

    // Another host (a proxy) and another key: same keys, nothing is sent again.
    let proxy = FakeCloud::start();
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile)
        .unwrap()
        .replace(&cloud.address, &proxy.address);
    std::fs::write(&videofile, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .current_dir(dir.path())
        .env("FAKE_KEY", "sk-other")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
    assert!(proxy.seen("").is_empty());

    // A new prompt template is a new script: one chat request, explained as a changed setting.
    std::fs::write(
        dir.path().join("prompt.txt"),
        "Chapter: {chapter_title}\n{chapter_text}\n{schema}",
    )
    .unwrap();
    let why =
        String::from_utf8_lossy(&ok(run(dir.path(), &["explain", "script:1"])).stdout).to_string();
    assert!(
        why.contains("script:01-clouds: would run now: setting prompt template changed"),
        "{why}"
    );
    ok(run(dir.path(), &["script:1"]));
    assert_eq!(proxy.seen("/chat/completions").len(), 1);
}

#[test]
fn the_key_is_nowhere_when_a_server_echoes_it_at_any_log_level() {
    let cloud = FakeCloud::start();
    let sections = "[speech]\nprovider = \"openai\"\nvoice = \"alloy\"";
    let dir = project(sections, &openai(&cloud, "max_retries = 1\n"));
    cloud.fail(
        "/v1/audio/speech",
        &[
            Fault::Echo { code: 500, pad: 0 },
            Fault::Echo {
                code: 400,
                pad: 290,
            },
        ],
    );
    let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-vv", "-j", "1"])
        .current_dir(dir.path())
        .env("FAKE_KEY", KEY)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("retrying in") && stderr.contains("<redacted>"),
        "the echo reached the log, redacted: {stderr}"
    );
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(&KEY[..8]), "{text}");
    }
    assert_eq!(files_holding(dir.path(), &KEY[..8]), Vec::<String>::new());
}

#[test]
fn the_key_is_nowhere_when_a_server_echoes_it_url_encoded_json_escaped_or_cut_at_a_line() {
    let cloud = FakeCloud::start();
    let key = "sk-test/SLASHED+PLUS=0123456789";
    let sections = "[speech]\nprovider = \"openai\"\nvoice = \"alloy\"";
    let dir = project(sections, &openai(&cloud, "max_retries = 3\n"));
    let bodies = [
        "bad key sk-test%2FSLASHED%2BPLUS%3D0123456789 refused".to_string(),
        "bad key sk-test%2fSLASHED%2bPLUS%3d0123456789 refused".to_string(),
        r#"{"key": "sk-test\/SLASHED+PLUS=0123456789"}, said as text"#.to_string(),
        "bad key sk-test/SL\nnext line".to_string(),
    ];
    let faults: Vec<Fault> = (bodies.iter())
        .map(|body| Fault::Plain {
            code: 500,
            body: body.clone(),
        })
        .collect();
    cloud.fail("/v1/audio/speech", &faults);
    let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-vv", "-j", "1"])
        .current_dir(dir.path())
        .env("FAKE_KEY", key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("bad key <redacted> refused").count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"{"key": "<redacted>"}, said as text"#),
        "{stderr}"
    );
    assert!(stderr.contains("failed: audio:01-clouds/01: provider openai: POST audio/speech: HTTP 500: bad key <redacted>\n"), "{stderr}");
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains("SLASHED") && !text.contains("sk-test/SL"),
            "{text}"
        );
    }
    assert_eq!(files_holding(dir.path(), "SLASHED"), Vec::<String>::new());
    assert_eq!(
        files_holding(dir.path(), "sk-test/SL"),
        Vec::<String>::new()
    );
}

#[test]
fn a_key_typed_where_its_variable_name_belongs_is_not_echoed() {
    let dir = project(
        "[speech]\nprovider = \"openai\"",
        "[providers.openai]\napi = \"openai\"\napi_key_env = \"sk-live-TYPEDKEY-123456\"\n",
    );
    let output = run(dir.path(), &["config"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("api_key_env must be the name of an environment variable"),
        "{stderr}"
    );
    assert!(!stderr.contains("TYPEDKEY"), "{stderr}");
}

#[test]
fn inserting_a_chapter_costs_exactly_one_new_script_request() {
    let cloud = FakeCloud::start();
    let dir = project("[script]\nprovider = \"openai\"", &openai(&cloud, ""));
    let lecture = dir.path().join("lecture.md");
    std::fs::write(
        &lecture,
        "# Cloud course\n\n## Clouds\n\nClouds are water.\n\n## Rain\n\nRain falls.\n\n## Snow\n\nSnow is cold.\n",
    )
    .unwrap();
    ok(run(dir.path(), &[]));
    assert_eq!(cloud.seen("/v1/chat/completions").len(), 3);
    std::fs::write(
        &lecture,
        "# Cloud course\n\n## Fog\n\nFog is low cloud.\n\n## Clouds\n\nClouds are water.\n\n## Rain\n\nRain falls.\n\n## Snow\n\nSnow is cold.\n",
    )
    .unwrap();
    ok(run(dir.path(), &[]));
    let chats = cloud.seen("/v1/chat/completions");
    assert_eq!(
        chats.len(),
        4,
        "only the new chapter's script was asked for"
    );
    assert!(chats[3].body.contains("Fog is low cloud."));
}

#[test]
fn picture_targets_draw_only_pictures() {
    let cloud = FakeCloud::start();
    let dir = project("[images]\nprovider = \"openai\"", &openai(&cloud, ""));
    ok(run(dir.path(), &["picture:1/1"]));
    assert_eq!(cloud.seen("/v1/images/generations").len(), 1);
    let ran = nodes_in(&report(dir.path()), "ran");
    assert_eq!(
        ran,
        [
            "chapter:01-clouds",
            "picture:01-clouds/01",
            "script:01-clouds"
        ]
    );
    // Without a cloud image provider there are no pictures to build.
    let offline = project("", "");
    let output = run(offline.path(), &["picture:1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("picture targets need a cloud [images] provider")
    );
}
