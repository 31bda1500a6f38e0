//! One source, many languages: a course with `[course] languages` built against a local translation server
//! (the OpenAI chat shape, on 127.0.0.1) that counts every segment it is sent and answers each in capitals.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use crate::common::*;
use serde_json::{Value, json};

/// One request as the translator saw it: its language, its segments and whether it was answered.
#[derive(Clone, Debug)]
struct Request {
    language: String,
    segments: Vec<String>,
    answered: bool,
}

/// The fake translator: answers `{"segments": [...]}`, each segment in capitals (placeholders are not
/// letters, so they stay), after `refuse_after` answered requests refuses the others with 400, and gives
/// `short_answers` answers one segment short first.
struct Translator {
    address: String,
    requests: Arc<Mutex<Vec<Request>>>,
    refuse_after: Arc<Mutex<Option<usize>>>,
    short_answers: Arc<Mutex<usize>>,
    /// After this many answered requests, the others are held unanswered until it is `None` again, then
    /// dropped without an answer (a build killed while it waits).
    hold_after: Arc<Mutex<Option<usize>>>,
    /// How long each answer takes.
    delay: Arc<Mutex<std::time::Duration>>,
}

impl Translator {
    fn start() -> Translator {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let translator = Translator {
            address: format!("http://{}", server.server_addr().to_ip().unwrap()),
            requests: Arc::default(),
            refuse_after: Arc::default(),
            short_answers: Arc::default(),
            hold_after: Arc::default(),
            delay: Arc::default(),
        };
        let (requests, refuse_after, short, hold, delay) = (
            translator.requests.clone(),
            translator.refuse_after.clone(),
            translator.short_answers.clone(),
            translator.hold_after.clone(),
            translator.delay.clone(),
        );
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let (requests, refuse_after, short, hold) = (
                    requests.clone(),
                    refuse_after.clone(),
                    short.clone(),
                    hold.clone(),
                );
                let delay = *delay.lock().unwrap();
                // Each request on its own thread, as a server answers several clients at once.
                std::thread::spawn(move || {
                    let mut body = String::new();
                    request.as_reader().read_to_string(&mut body).unwrap();
                    let body: Value = serde_json::from_str(&body).unwrap();
                    // The first user message: instructions, then the JSON object on its own.
                    let content = body["messages"][1]["content"].as_str().unwrap().to_string();
                    let (_, object) = content.rsplit_once("\n\n").unwrap();
                    let asked: Value = serde_json::from_str(object).unwrap();
                    let segments: Vec<String> = (asked["segments"].as_array().unwrap().iter())
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect();
                    let answered = |requests: &Mutex<Vec<Request>>| {
                        requests
                            .lock()
                            .unwrap()
                            .iter()
                            .filter(|r| r.answered)
                            .count()
                    };
                    if hold
                        .lock()
                        .unwrap()
                        .is_some_and(|n| answered(&requests) >= n)
                    {
                        while hold.lock().unwrap().is_some() {
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        return;
                    }
                    let answered_so_far = answered(&requests);
                    let mut seen = requests.lock().unwrap();
                    let refused = refuse_after
                        .lock()
                        .unwrap()
                        .is_some_and(|n| answered_so_far >= n);
                    let is_repair = body["messages"].as_array().unwrap().len() > 2;
                    let short_now = !refused && !is_repair && {
                        let mut left = short.lock().unwrap();
                        let now = *left > 0;
                        *left = left.saturating_sub(1);
                        now
                    };
                    seen.push(Request {
                        language: asked["target_language"].as_str().unwrap().to_string(),
                        segments: segments.clone(),
                        answered: !refused && !short_now,
                    });
                    drop(seen);
                    if refused {
                        let refusal = tiny_http::Response::from_string(
                            r#"{"error": {"message": "quota exceeded"}}"#,
                        )
                        .with_status_code(400);
                        let _ = request.respond(refusal);
                        return;
                    }
                    std::thread::sleep(delay);
                    let mut translated: Vec<String> =
                        segments.iter().map(|s| s.to_uppercase()).collect();
                    if short_now {
                        translated.pop();
                    }
                    let answer = json!({
                        "choices": [{"message": {"role": "assistant",
                            "content": json!({"segments": translated}).to_string()}}],
                        "usage": {"prompt_tokens": 10 * segments.len(), "completion_tokens": 5 * segments.len()}
                    });
                    let _ = request.respond(tiny_http::Response::from_string(answer.to_string()));
                });
            }
        });
        translator
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The segments answered in `language`, in the order they were sent.
    fn answered(&self, language: &str) -> Vec<String> {
        (self.requests().into_iter())
            .filter(|r| r.answered && r.language == language)
            .flat_map(|r| r.segments)
            .collect()
    }

    fn forget(&self) {
        self.requests.lock().unwrap().clear();
    }
}

const LECTURE: &str = "# Languages course\n\n## Tides\n\nThe moon pulls the sea. The sun helps a little.\n\n\
- Spring tides are high\n- Neap tides are low\n\n```python\nprint(\"SECRET_CODE_LINE\")\n```\n\n\
Run `tide --secret-flag` to see the tide.\n\n## Winds\n\nAir moves from high to low pressure.\n\n\
| Wind | Where |\n|---|---|\n| Trade | Tropics |\n";

/// The segments of [`LECTURE`] with words, each once: its chapters', then the course title.
const SEGMENTS: [&str; 13] = [
    "Tides",
    "The moon pulls the sea.",
    "The sun helps a little.",
    "Spring tides are high",
    "Neap tides are low",
    "Run ⟦1⟧ to see the tide.",
    "Winds",
    "Air moves from high to low pressure.",
    "Wind",
    "Where",
    "Trade",
    "Tropics",
    "Languages course",
];

/// A two-chapter course in `languages` (espeak voices), translated by `translator` with `extra` lines in
/// its `[translate]` and its provider.
fn course(translator: &Translator, languages: &[&str], extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
    let languages: Vec<String> = languages.iter().map(|l| format!("{l:?}")).collect();
    std::fs::write(
        dir.path().join("Videofile"),
        format!(
            "[course]\ntitle = \"Languages course\"\nsources = [\"lecture.md\"]\nlanguages = [{}]\n\n\
             [video]\nresolution = \"320x180\"\nfps = 5\n\n[translate]\nprovider = \"local\"\nmodel = \"llama3\"\n\
             {extra}\n\n[providers.local]\napi = \"openai\"\nbase_url = \"{}/v1\"\napi_key_env = \"LOCAL_KEY\"\n\
             max_retries = 0\n",
            languages.join(", "),
            translator.address
        ),
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(args)
        .current_dir(dir)
        .env("LOCAL_KEY", "sk-local-test-key")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[track_caller]
fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let output = run(dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "vbuild {args:?} failed:\n{stderr}");
    assert!(
        !stderr.contains("[WARN") && !stderr.contains("[ERROR"),
        "vbuild {args:?} warned:\n{stderr}"
    );
    output
}

fn owned(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| s.to_string()).collect()
}

/// The segments in order, whatever order the chapters were translated in.
fn sorted(mut segments: Vec<String>) -> Vec<String> {
    segments.sort();
    segments
}

#[test]
fn a_full_build_sends_each_segment_once_per_language_and_code_never_goes_out() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr", "de"], "");
    run_ok(dir.path(), &[]);
    for language in ["fr", "de"] {
        assert_eq!(
            sorted(translator.answered(language)),
            sorted(owned(&SEGMENTS)),
            "{language}: each segment once"
        );
    }
    assert_eq!(
        translator.requests().len(),
        6,
        "one request per chapter and language, and one for the course title"
    );
    let everything: String = (translator.requests().iter())
        .flat_map(|r| r.segments.clone())
        .collect();
    assert!(!everything.contains("SECRET") && !everything.contains("secret-flag"));
    // Every slide's footer names the course in its language.
    let entry = std::fs::read_to_string(entry_file(dir.path(), "image@fr:01-tides/01")).unwrap();
    assert!(entry.contains("\"LANGUAGES COURSE\""), "{entry}");
    // One MP4 per language, each with its own subtitles in its language.
    for (folder, language) in [("out", "en"), ("out/fr", "fr"), ("out/de", "de")] {
        let video = dir.path().join(folder).join("languages-course.mp4");
        let probed = probe(&video);
        assert!(probed.seconds > 3.0, "{language}: {probed:?}");
        assert_eq!((probed.video_caps.len(), probed.audio_caps.len()), (1, 1));
        let srt =
            std::fs::read_to_string(dir.path().join(folder).join("languages-course.srt")).unwrap();
        let chapters = std::fs::read_to_string(
            dir.path()
                .join(folder)
                .join("languages-course.chapters.vtt"),
        )
        .unwrap();
        if language == "en" {
            assert!(srt.contains("The moon pulls the sea."), "{srt}");
            assert!(chapters.contains("Tides"), "{chapters}");
        } else {
            assert!(srt.contains("THE MOON PULLS THE SEA."), "{language}: {srt}");
            assert!(!srt.contains("The moon"), "{language}: {srt}");
            assert!(
                chapters.contains("TIDES") && chapters.contains("WINDS"),
                "{chapters}"
            );
        }
        let script =
            std::fs::read_to_string(dir.path().join(folder).join("scripts/01-tides.json")).unwrap();
        assert!(
            script.contains("SECRET_CODE_LINE"),
            "the code is shown as written"
        );
        assert!(script.contains("tide --secret-flag"), "inline code is kept");
    }
    let report = report(dir.path());
    let ran = nodes_in(&report, "ran");
    for name in [
        "translation@fr:01-tides",
        "translation@de:02-winds",
        "course-video@fr",
        "course-video",
    ] {
        assert!(ran.contains(&name.to_string()), "{name} not in {ran:?}");
    }
    // The translations' usage is billed by the translator's answers.
    let translations: Vec<&Value> = (report["nodes"].as_array().unwrap().iter())
        .filter(|n| n["kind"] == "translation")
        .collect();
    assert_eq!(translations.len(), 4);
    // A build of nothing new sends nothing.
    translator.forget();
    run_ok(dir.path(), &[]);
    assert!(translator.requests().is_empty());
    assert_eq!(
        nodes_in(&super::common::report(dir.path()), "ran"),
        Vec::<String>::new()
    );
}

#[test]
fn a_one_word_edit_sends_only_that_sentence_and_reruns_only_its_slide_in_every_language() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    run_ok(dir.path(), &[]);
    translator.forget();
    replace_in(
        &dir.path().join("lecture.md"),
        "helps a little",
        "helps a lot",
    );
    run_ok(dir.path(), &[]);
    assert_eq!(translator.answered("fr"), ["The sun helps a lot."]);
    let report = report(dir.path());
    let ran = nodes_in(&report, "ran");
    for kind in [
        "audio:",
        "audio@fr:",
        "image:",
        "image@fr:",
        "clip:",
        "clip@fr:",
    ] {
        let slides = ran.iter().filter(|n| n.starts_with(kind)).count();
        assert_eq!(slides, 1, "one slide's {kind} in {ran:?}");
    }
    assert!(
        ran.contains(&"translation@fr:01-tides".to_string()),
        "{ran:?}"
    );
    assert!(
        !ran.iter().any(|n| n.contains("02-winds")),
        "the other chapter is untouched: {ran:?}"
    );
    let srt = std::fs::read_to_string(dir.path().join("out/fr/languages-course.srt")).unwrap();
    assert!(srt.contains("THE SUN HELPS A LOT."), "{srt}");
}

#[test]
fn a_stopped_build_resumes_without_paying_twice() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "batch = 2");
    *translator.refuse_after.lock().unwrap() = Some(2);
    let failed = run(dir.path(), &["-j", "1"]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("quota exceeded"), "{stderr}");
    let paid = translator.answered("fr");
    assert_eq!(paid.len(), 4, "two batches of two were answered");
    translator.forget();
    *translator.refuse_after.lock().unwrap() = None;
    run_ok(dir.path(), &[]);
    let resumed = translator.answered("fr");
    assert_eq!(resumed.len(), SEGMENTS.len() - paid.len(), "{resumed:?}");
    let all: Vec<String> = paid.into_iter().chain(resumed).collect();
    assert_eq!(
        sorted(all),
        sorted(owned(&SEGMENTS)),
        "every segment paid for once"
    );
    assert!(dir.path().join("out/fr/languages-course.mp4").is_file());
}

#[test]
fn an_answer_of_the_wrong_count_is_repaired() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    *translator.short_answers.lock().unwrap() = 1;
    let output = run(dir.path(), &["-j", "1", "translation@fr:1"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("answer 1 is not a valid translation: there are 5 segments; translate all 6"),
        "{stderr}"
    );
    let requests = translator.requests();
    assert_eq!(requests.len(), 2, "the first answer and its repair");
    assert!(requests[1].answered);
}

#[test]
fn a_dry_run_says_which_chapters_would_be_translated_and_writes_nothing() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    let output = run_ok(dir.path(), &["-n"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for chapter in ["01-tides", "02-winds"] {
        assert!(
            stdout.contains(&format!(
                "  translation@fr:{chapter}: new: never built before\n    (machine-translated by local, estimated "
            )),
            "{stdout}"
        );
    }
    assert!(translator.requests().is_empty());
    assert!(!dir.path().join(".vbuild").exists() && !dir.path().join("out").exists());
}

#[test]
fn one_language_is_built_on_its_own_and_languages_are_checked() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    let built = run_ok(dir.path(), &["--language", "fr"]);
    let said = String::from_utf8_lossy(&built.stdout);
    assert!(said.ends_with("-> out/fr/languages-course.mp4\n"), "{said}");
    assert!(dir.path().join("out/fr/languages-course.mp4").is_file());
    assert!(!dir.path().join("out/languages-course.mp4").exists());
    run_ok(dir.path(), &["en"]);
    assert!(dir.path().join("out/languages-course.mp4").is_file());
    let unknown = run(dir.path(), &["--language", "ja"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("the course is built in en, fr, not in \"ja\""),
        "{stderr}"
    );
}

#[test]
fn more_languages_need_a_translator() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
    std::fs::write(
        dir.path().join("Videofile"),
        "[course]\ntitle = \"T\"\nsources = [\"lecture.md\"]\nlanguages = [\"en\", \"fr\"]\n",
    )
    .unwrap();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[translate] provider must name a [providers.NAME] chat provider"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("Videofile"),
        "[course]\ntitle = \"T\"\nsources = [\"lecture.md\"]\nlanguage = \"de\"\nlanguages = [\"en\", \"fr\"]\n",
    )
    .unwrap();
    let stderr = String::from_utf8_lossy(&vbuild(dir.path(), &[]).stderr).to_string();
    assert!(
        stderr.contains("Videofile:5:") && stderr.contains("the first is the sources' language"),
        "{stderr}"
    );
}

#[test]
fn the_authors_own_translation_is_used_and_only_the_rest_is_sent() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    replace_in(
        &dir.path().join("Videofile"),
        "[\"lecture.md\"]",
        "[\"*.md\"]",
    );
    std::fs::write(
        dir.path().join("lecture.fr.md"),
        "# Cours\n\n## Marées\n\nLa lune attire la mer.\n",
    )
    .unwrap();
    let planned = String::from_utf8_lossy(&run_ok(dir.path(), &["-n"]).stdout).to_string();
    assert!(
        planned.contains("translation@fr:01-tides: new: never built before\n    (as its author translated it in lecture.fr.md)")
            && planned.contains("translation@fr:02-winds: new: never built before\n    (machine-translated by local"),
        "{planned}"
    );
    run_ok(dir.path(), &[]);
    // The second chapter alone went to the translator; the first and the course title ("# Cours") are the
    // author's, as written.
    assert_eq!(
        sorted(translator.answered("fr")),
        sorted(owned(&SEGMENTS[6..12]))
    );
    let entry = std::fs::read_to_string(entry_file(dir.path(), "image@fr:02-winds/01")).unwrap();
    assert!(entry.contains("\"Cours\""), "{entry}");
    let srt = std::fs::read_to_string(dir.path().join("out/fr/languages-course.srt")).unwrap();
    assert!(srt.contains("La lune attire la mer."), "{srt}");
    assert!(
        srt.contains("AIR MOVES FROM HIGH TO LOW PRESSURE."),
        "{srt}"
    );
    let chapters =
        std::fs::read_to_string(dir.path().join("out/fr/languages-course.chapters.vtt")).unwrap();
    assert!(
        chapters.contains("Marées") && chapters.contains("WINDS"),
        "{chapters}"
    );
    // The translation is no source of its own: the English course has its two chapters.
    assert!(!dir.path().join("out/chapters/03-marees.mp4").exists());
    assert_eq!(
        std::fs::read_dir(dir.path().join("out/chapters"))
            .unwrap()
            .count(),
        6
    );
    // An edit of the author's translation redraws that chapter in French alone, and sends nothing (after a
    // build that found everything done and sealed it, once the files it wrote have settled).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run_ok(dir.path(), &[]);
    assert!(dir.path().join(".vbuild/seal").exists());
    translator.forget();
    replace_in(&dir.path().join("lecture.fr.md"), "attire", "tire");
    run_ok(dir.path(), &[]);
    assert!(translator.requests().is_empty());
    let ran = nodes_in(&super::common::report(dir.path()), "ran");
    assert!(
        ran.contains(&"translation@fr:01-tides".to_string()),
        "{ran:?}"
    );
    assert!(
        ran.iter()
            .all(|n| n.contains("@fr") && !n.contains("02-winds")),
        "{ran:?}"
    );
}

#[test]
fn a_course_its_author_translated_needs_no_translator_and_a_longer_translation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# T\n\n## Tides\n\nThe moon pulls the sea.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lecture.fr.md"),
        "# T\n\n## Marées\n\nLa lune attire la mer.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Videofile"),
        "[course]\ntitle = \"T\"\nsources = [\"lecture.md\"]\nlanguages = [\"en\", \"fr\"]\n\n\
         [video]\nresolution = \"320x180\"\nfps = 5\n",
    )
    .unwrap();
    vbuild_ok(dir.path(), &[]);
    let srt = std::fs::read_to_string(dir.path().join("out/fr/t.srt")).unwrap();
    assert!(srt.contains("La lune attire la mer."), "{srt}");
    std::fs::write(
        dir.path().join("lecture.fr.md"),
        "# T\n\n## Marées\n\nLa lune.\n\n## Vents\n\nL'air.\n",
    )
    .unwrap();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lecture.fr.md:1: it has 2 chapters, and lecture.md has 1"),
        "{stderr}"
    );
}

#[test]
fn each_language_says_words_by_its_own_dictionary() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    replace_in(
        &dir.path().join("Videofile"),
        "[translate]",
        "[speech]\npronounce = \"pronounce.toml\"\n\n[translate]",
    );
    std::fs::write(dir.path().join("pronounce.toml"), "moon = \"mune\"\n").unwrap();
    std::fs::write(dir.path().join("pronounce.fr.toml"), "MOON = \"lune\"\n").unwrap();
    run_ok(dir.path(), &[]);
    let said = |node: &str| std::fs::read_to_string(entry_file(dir.path(), node)).unwrap();
    let english = said("audio:01-tides/01");
    let french = said("audio@fr:01-tides/01");
    assert!(english.contains("moon = mune"), "{english}");
    assert!(
        french.contains("MOON = lune") && !french.contains("mune"),
        "{french}"
    );
}

#[test]
fn gc_keeps_the_segments_of_the_translations_it_keeps() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    run_ok(dir.path(), &[]);
    // An edit, then a gc before the next build: the last build's translation stays, and with it the
    // segments it was made of, so the edit still sends one sentence.
    replace_in(
        &dir.path().join("lecture.md"),
        "helps a little",
        "helps a lot",
    );
    let collected = run_ok(dir.path(), &["gc"]);
    let said = String::from_utf8_lossy(&collected.stdout);
    assert!(!said.contains("segment"), "{said}");
    let verified = run(dir.path(), &["cache", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    translator.forget();
    run_ok(dir.path(), &[]);
    assert_eq!(translator.answered("fr"), ["The sun helps a lot."]);
}

#[test]
fn a_killed_build_resumes_without_paying_twice() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "batch = 2");
    *translator.hold_after.lock().unwrap() = Some(2);
    let mut build = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-j", "1"])
        .current_dir(dir.path())
        .env("LOCAL_KEY", "sk-local-test-key")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Killed once the two answered batches are remembered, while later requests wait for their answers.
    while remembered(dir.path()) < 4 {
        assert!(
            started.elapsed().as_secs() < 60,
            "two batches were never remembered"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    build.kill().unwrap();
    build.wait().unwrap();
    *translator.hold_after.lock().unwrap() = None;
    let paid = translator.answered("fr");
    translator.forget();
    run_ok(dir.path(), &[]);
    let resumed = translator.answered("fr");
    assert_eq!(
        resumed.len(),
        SEGMENTS.len() - paid.len(),
        "{paid:?} then {resumed:?}"
    );
    let all: Vec<String> = paid.into_iter().chain(resumed).collect();
    assert_eq!(
        sorted(all),
        sorted(owned(&SEGMENTS)),
        "every segment paid for once"
    );
}

/// How many translated segments the cache of `dir` remembers.
fn remembered(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir.join(".vbuild/actions"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("\"node\": \"segment\""))
        })
        .count()
}

#[test]
fn the_bilingual_example_builds_offline_in_english_and_french() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bilingual");
    for name in ["Videofile", "lecture.md", "lecture.fr.md"] {
        std::fs::copy(example.join(name), dir.path().join(name)).unwrap();
    }
    // Smaller pictures than the example's, quicker to build, still legible.
    let small = ["--set", "video.resolution=640x360", "--set", "video.fps=5"];
    vbuild_ok(dir.path(), &small);
    let base = "machine-learning-in-two-minutes";
    for (folder, heard) in [
        ("out", "Machine learning is the study of programs"),
        (
            "out/fr",
            "L'apprentissage automatique étudie les programmes",
        ),
    ] {
        let video = dir.path().join(folder).join(format!("{base}.mp4"));
        let probed = probe(&video);
        assert!(probed.seconds > 10.0, "{folder}: {probed:?}");
        let srt = std::fs::read_to_string(dir.path().join(folder).join(format!("{base}.srt")));
        let srt = srt.unwrap().replace('\n', " ");
        assert!(srt.contains(heard), "{folder}: {srt}");
    }
    // The French slide is drawn in French: read back from the video.
    let french = ocr(&frame_png(
        &dir.path().join(format!("out/fr/{base}.mp4")),
        1.0,
    ));
    assert!(french.contains("apprentissage automatique"), "{french}");
}

#[test]
fn a_chapter_written_in_the_language_already_is_kept_as_written() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    replace_in(
        &dir.path().join("lecture.md"),
        "## Winds\n\nAir moves from high to low pressure.",
        "## Vents\n\n<!-- vbuild: language=fr -->\n\nL'air va des hautes vers les basses pressions.",
    );
    let planned = String::from_utf8_lossy(&run_ok(dir.path(), &["-n"]).stdout).to_string();
    assert!(
        planned.contains("translation@fr:02-vents: new: never built before\n    (as written: it is in fr already)"),
        "{planned}"
    );
    run_ok(dir.path(), &[]);
    let sent = translator.answered("fr");
    assert!(sent.contains(&"Tides".to_string()), "{sent:?}");
    assert!(
        !sent
            .iter()
            .any(|s| s.contains("Vents") || s.contains("air")),
        "{sent:?}"
    );
    let srt = std::fs::read_to_string(dir.path().join("out/fr/languages-course.srt")).unwrap();
    let srt = srt.replace('\n', " ");
    assert!(
        srt.contains("L'air va des hautes vers les basses pressions."),
        "{srt}"
    );
}

#[test]
fn a_sentence_two_chapters_share_is_sent_once_while_both_are_translated() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Languages course\n\n## Tides\n\nRead this first. The moon pulls the sea.\n\n\
         ## Winds\n\nRead this first. Air moves.\n",
    )
    .unwrap();
    // Slow answers: both chapters' requests are out at once.
    *translator.delay.lock().unwrap() = std::time::Duration::from_millis(300);
    run_ok(dir.path(), &[]);
    let sent = translator.answered("fr");
    let shared = sent.iter().filter(|s| *s == "Read this first.").count();
    assert_eq!(shared, 1, "{sent:?}");
    for chapter in ["01-tides", "02-winds"] {
        let script =
            std::fs::read_to_string(dir.path().join(format!("out/fr/scripts/{chapter}.json")));
        assert!(script.unwrap().contains("READ THIS FIRST."), "{chapter}");
    }
}

#[test]
fn doctor_checks_the_translators_key() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    let output = vbuild(dir.path(), &["doctor"]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("[providers.local] key for [translate]: export LOCAL_KEY=..."),
        "{said}"
    );
    let output = run(dir.path(), &["doctor"]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("[providers.local] key for [translate]"),
        "{said}"
    );
    assert!(said.contains("speech in fr: eSpeak NG"), "{said}");
}

#[test]
fn a_translator_of_a_course_in_one_language_is_said_to_do_nothing_and_needs_no_key() {
    let translator = Translator::start();
    let dir = course(&translator, &["en"], "");
    // No LOCAL_KEY: the translator is not used, so its key is not asked for.
    vbuild_ok_warning(
        dir.path(),
        &[],
        &["Videofile:12: [translate] model does nothing: [course] languages lists one language"],
    );
    assert!(translator.requests().is_empty());
}

#[test]
fn a_file_named_after_a_language_without_its_source_is_a_source_of_its_own() {
    let translator = Translator::start();
    let dir = course(&translator, &["en", "fr"], "");
    replace_in(
        &dir.path().join("Videofile"),
        "[\"lecture.md\"]",
        "[\"*.md\"]",
    );
    // `notes.fr.md` translates nothing (there is no notes.md): the glob takes it as a source.
    std::fs::write(dir.path().join("notes.fr.md"), "## Notes\n\nA last word.\n").unwrap();
    run_ok(dir.path(), &[]);
    assert!(dir.path().join("out/chapters/03-notes.mp4").is_file());
}
