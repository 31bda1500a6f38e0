//! What is said and when: subtitle cues start when their sentences are heard, read from the built video's
//! audio with silence detection.

use std::path::{Path, PathBuf};

use crate::common::*;

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
    std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
    vbuild_ok(dir.path(), &[]);
    assert_cues_on_speech(dir.path(), "small-course");
}

#[test]
fn espeak_speaks_each_slide_in_one_process_and_every_sentence_keeps_its_time() {
    let dir = small_course();
    std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
    let calls = espeak_calls_of_subtitles(dir.path());
    // Each slide says its title and three or four sentences: two processes that speak, not nine.
    let speaking: Vec<&str> = calls.lines().filter(|c| c.contains(" -w ")).collect();
    assert_eq!(speaking.len(), 2, "{calls}");
    assert!(speaking[0].contains("<break"), "{calls}");
    vbuild_ok(dir.path(), &[]);
    assert_cues_on_speech(dir.path(), "small-course");
    // At espeak-ng's slowest and fastest rates too, where its own pauses grow and the breaks shrink.
    for rate in [80, 450] {
        let dir = small_course();
        std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
        append_to_videofile(dir.path(), &format!("[speech]\nrate = {rate}"));
        let calls = espeak_calls_of_subtitles(dir.path());
        let speaking = calls.lines().filter(|c| c.contains(" -w ")).count();
        assert_eq!(speaking, 2, "rate {rate}: {calls}");
    }
}

#[test]
fn a_chinese_course_is_spoken_and_cued_sentence_by_sentence() {
    let dir = small_course();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# 海洋\n\n## 潮汐\n\n月亮吸引海水。潮汐每天涨落两次。水手们很早就知道这一点。\n\n## 风\n\n空气在流动。暖空气上升，冷空气下沉。\n",
    )
    .unwrap();
    append_to_videofile(dir.path(), "[speech]\nrate = 150");
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(
        &videofile,
        text.replace("[course]\n", "[course]\nlanguage = \"zh\"\n"),
    )
    .unwrap();
    let output = vbuild_ok(dir.path(), &[]);
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("WARN"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let srt = std::fs::read_to_string(dir.path().join("out/small-course.srt")).unwrap();
    // One cue per sentence: the headings and each sentence ended by 。
    for cue in [
        "潮汐。",
        "月亮吸引海水。",
        "潮汐每天涨落两次。",
        "暖空气上升，冷空气下沉。",
    ] {
        assert!(srt.contains(&format!("\n{cue}\n")), "{cue} {srt}");
    }
    assert_cues_on_speech(dir.path(), "small-course");
}

const LECTURE: &str = "# Sea\n\n## Tides\n\nThe moon pulls the sea. Tides rise twice a day. Sailors have known this \
for a very long time, and they plan their trips around it. Spring tides are the largest.\n\n## Winds\n\nAir moves. \
Warm air rises, and cold air sinks under it. That is all.\n";

/// True where piper is installed (`.ci/install-deps` installs it, so CI runs the piper tests); says why not.
fn piper_installed() -> bool {
    let installed = Path::new("/opt/vbuild/piper/bin/python").exists()
        || std::env::var_os("VBUILD_PIPER").is_some();
    if !installed {
        println!(
            "skipped: piper is not installed (./.ci/install-deps installs it in /opt/vbuild/piper)"
        );
    }
    installed
}

/// A small course spoken by piper.
fn piper_course() -> tempfile::TempDir {
    let dir = small_course();
    std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
    append_to_videofile(dir.path(), "[speech]\nprovider = \"piper\"");
    dir
}

#[test]
fn piper_speaks_the_course_offline_and_its_settings_are_in_the_key() {
    if !piper_installed() {
        return;
    }
    let dir = piper_course();
    vbuild_ok(dir.path(), &[]);
    // Plausible speech: between one and five words a second.
    let seconds = meta_sum(&report(dir.path()), "audio", "samples") / 24_000.0;
    let words = LECTURE.split_whitespace().count() as f64;
    assert!(
        seconds > words / 5.0 && seconds < words,
        "{seconds} s for {words} words"
    );
    assert_cues_on_speech(dir.path(), "small-course");
    // Loud, but with headroom: the AAC track never reaches full scale (piper normalises to it).
    let samples = vbuild::media::audio::decode(&dir.path().join("out/small-course.mp4")).unwrap();
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!((16_000..32_000).contains(&peak), "peak {peak}");

    vbuild_ok(dir.path(), &[]);
    assert_eq!(report_counts(dir.path()), (0, 16));

    // A slower voice re-speaks every slide and re-makes what depends on the sound, nothing else.
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(&videofile, format!("{text}length_scale = 1.5\n")).unwrap();
    vbuild_ok(dir.path(), &[]);
    let ran = nodes_in(&report(dir.path()), "ran");
    assert!(
        ran.iter().all(|n| {
            [
                "audio:",
                "clip:",
                "chapter-video:",
                "chapter-subtitles:",
                "course-",
            ]
            .iter()
            .any(|k| n.starts_with(k))
        }),
        "{ran:?}"
    );
    let slides = report(dir.path())["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "audio")
        .count();
    assert_eq!(
        ran.iter().filter(|n| n.starts_with("audio:")).count(),
        slides
    );
    let slower = meta_sum(&report(dir.path()), "audio", "samples") / 24_000.0;
    assert!(slower > seconds * 1.25, "{slower} s, was {seconds} s");
}

/// (run, cached) of the last build.
fn report_counts(dir: &Path) -> (u64, u64) {
    let counts = &report(dir)["counts"];
    (
        counts["ran"].as_u64().unwrap(),
        counts["cached"].as_u64().unwrap(),
    )
}

#[test]
fn speaker_notes_are_said_and_never_drawn() {
    let dir = small_course();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Sea\n\n## Tides\n\n- Spring tides\n- Neap tides\n\n<!-- say: Twice a month the sun and the moon pull together. -->\n\n\
         ## Winds\n\nAir moves.\n\n::: notes\nWarm air rises while cold air sinks.\n:::\n",
    )
    .unwrap();
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(&videofile, text.replace("320x180", "1280x720")).unwrap();
    vbuild_ok(dir.path(), &[]);
    let srt = std::fs::read_to_string(dir.path().join("out/small-course.srt"))
        .unwrap()
        .replace('\n', " ");
    assert!(
        srt.contains("Twice a month the sun and the moon pull together."),
        "{srt}"
    );
    assert!(
        srt.contains("Warm air rises while cold air sinks."),
        "{srt}"
    );
    assert!(
        !srt.contains("Spring tides") && !srt.contains("Air moves"),
        "{srt}"
    );
    let video = dir.path().join("out/small-course.mp4");
    let screens: String = slide_times(&report(dir.path()))
        .iter()
        .map(|(_, start, seconds)| ocr(&frame_png(&video, start + seconds / 2.0)))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    assert!(
        screens.contains("spring tides") && screens.contains("air moves"),
        "{screens}"
    );
    for note in ["twice a month", "warm air rises"] {
        assert!(!screens.contains(note), "{note:?} drawn: {screens}");
    }
}

#[test]
fn the_pronunciation_dictionary_changes_what_is_said_not_the_subtitles() {
    let dir = small_course();
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Data\n\n## Queries\n\nSQL reads tables. MySQL is a database.\n\n## Files\n\nFiles hold bytes.\n",
    )
    .unwrap();
    vbuild_ok(dir.path(), &[]);
    let samples = |dir: &Path, name: &str| {
        report(dir)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap()["meta"]["samples"]
            .as_f64()
            .unwrap()
    };
    let before = samples(dir.path(), "audio:01-queries/01");
    append_to_videofile(dir.path(), "[speech.pronounce]\nSQL = \"sequel\"");
    vbuild_ok(dir.path(), &[]);
    let ran = nodes_in(&report(dir.path()), "ran");
    assert!(ran.contains(&"audio:01-queries/01".to_string()), "{ran:?}");
    assert!(!ran.iter().any(|n| n.starts_with("audio:02")), "{ran:?}");
    assert_ne!(samples(dir.path(), "audio:01-queries/01"), before);
    // The key says which entries changed the narration.
    let key = report(dir.path())["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "audio:01-queries/01")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let entry = std::fs::read_to_string(
        dir.path()
            .join(".vbuild/actions")
            .join(&key[..2])
            .join(format!("{key}.json")),
    )
    .unwrap();
    assert!(entry.contains("SQL = sequel"), "{entry}");
    let srt = std::fs::read_to_string(dir.path().join("out/small-course.srt")).unwrap();
    assert!(
        srt.contains("SQL reads tables.") && !srt.contains("sequel"),
        "{srt}"
    );
}

/// Builds the subtitles of the course in `dir` with espeak-ng behind a recorder; returns each call's
/// arguments and the text it read from stdin, a line each.
fn espeak_calls_of_subtitles(dir: &Path) -> String {
    let log = dir.join("espeak-calls.log");
    let recorder = espeak_wrapper(&format!(
        "case \"$*\" in *--stdin*) text=$(cat); echo \"$* :: $text\" >> '{}'; \
         printf '%s' \"$text\" | /usr/bin/espeak-ng \"$@\"; exit $?;; esac",
        log.display()
    ));
    let output = vbuild_with_programs(dir, recorder.path(), &["subtitles"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&log).unwrap()
}

/// The voices (`-v`) of the recorded calls that read `words`.
fn voice_of<'a>(calls: &'a str, words: &str) -> Vec<&'a str> {
    calls
        .lines()
        .filter(|call| call.contains(words))
        .map(|call| call.split_once("-v ").unwrap().1.split(' ').next().unwrap())
        .collect()
}

#[test]
fn a_files_front_matter_language_is_spoken_unless_it_is_the_courses() {
    let dir = small_course();
    // Two files: one whose front matter says French, one that says en-US in this English course.
    std::fs::write(
        dir.path().join("vents.md"),
        "---\ntitle: Vents\nlang: fr\n---\n\n## Vents\n\nL'air va des hautes vers les basses pressions.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tides.md"),
        "---\nlang: en-US\n---\n\n## Tides\n\nThe moon pulls the sea.\n",
    )
    .unwrap();
    replace_in(
        &dir.path().join("Videofile"),
        "sources = [\"lecture.md\"]",
        "sources = [\"vents.md\", \"tides.md\"]",
    );
    // The course's voice is British: en-US in a file's front matter is no reason to change it.
    append_to_videofile(dir.path(), "\n[speech]\nvoice = \"en-gb\"\n");
    let calls = espeak_calls_of_subtitles(dir.path());
    assert_eq!(
        voice_of(&calls, "hautes vers les basses"),
        ["fr"],
        "{calls}"
    );
    assert_eq!(
        voice_of(&calls, "The moon pulls the sea"),
        ["en-gb"],
        "{calls}"
    );
}

#[test]
fn a_chapter_language_reaches_the_engine() {
    let dir = small_course();
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(
        &lecture,
        text.replace(
            "## Winds\n\nAir moves from high to low pressure.",
            "## Vents\n\n<!-- vbuild: language=fr -->\n\nL'air va des hautes vers les basses pressions.",
        ),
    )
    .unwrap();
    let calls = espeak_calls_of_subtitles(dir.path());
    // The French chapter is spoken by espeak-ng's French voice, the rest by the course's (English) voice.
    assert_eq!(
        voice_of(&calls, "hautes vers les basses"),
        ["fr"],
        "{calls}"
    );
    assert_eq!(
        voice_of(&calls, "The moon pulls the sea"),
        ["en-us"],
        "{calls}"
    );

    // A directive that is not a language tag is an error at its line, before any work.
    std::fs::write(
        &lecture,
        "# C\n\n## A\n\nWords.\n\n<!-- vbuild: language=fr_FR -->\n",
    )
    .unwrap();
    let output = vbuild(dir.path(), &["subtitles"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lecture.md:7") && stderr.contains("BCP 47"),
        "{stderr}"
    );
}

#[test]
fn a_voice_espeak_does_not_have_is_a_configuration_error_before_any_work() {
    let dir = small_course();
    append_to_videofile(dir.path(), "[speech]\nvoice = \"xx-nowhere\"");
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"xx-nowhere\"") && stderr.contains("espeak-ng --voices"),
        "{stderr}"
    );
    assert!(action_keys(dir.path()).is_empty(), "no node ran");

    // The same for the voice of a chapter's language.
    let dir = small_course();
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(&lecture, format!("{text}\n<!-- vbuild: language=qq -->\n")).unwrap();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("qq") && stderr.contains("espeak-ng --voices"),
        "{stderr}"
    );
    assert!(action_keys(dir.path()).is_empty(), "no node ran");
}

/// The installed joe voice's model (`.onnx`), whose config is beside it.
fn joe_voice() -> PathBuf {
    walkdir::WalkDir::new("/opt/vbuild/piper/lib")
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .find(|p| p.extension().is_some_and(|e| e == "onnx") && p.to_string_lossy().contains("joe"))
        .expect("the joe voice that .ci/install-deps installs")
}

#[test]
fn a_voice_file_that_is_not_a_voice_is_named_before_any_work_without_tracebacks() {
    if !piper_installed() {
        return;
    }
    let joe = joe_voice();
    let config = std::fs::read(joe.with_extension("onnx.json")).unwrap();
    let model = std::fs::read(&joe).unwrap();
    // Text saved as a voice; a voice whose settings are another program's; a model cut short.
    let voices: [(&str, &[u8], &[u8], &str); 3] = [
        (
            "text",
            b"not a model",
            &config,
            "voices/text.onnx is not a piper voice: it is not an ONNX model",
        ),
        (
            "settings",
            &model,
            br#"{"audio": {"sample_rate": 22050}}"#,
            "voices/settings.onnx.json is not a piper voice: it has no num_symbols, phoneme_id_map",
        ),
        (
            "cut",
            &model[..100_000],
            &config,
            "voices/cut.onnx is not a piper voice: piper cannot load it (InvalidProtobuf",
        ),
    ];
    for (name, model, config, said) in voices {
        let dir = piper_course();
        std::fs::create_dir(dir.path().join("voices")).unwrap();
        std::fs::write(dir.path().join(format!("voices/{name}.onnx")), model).unwrap();
        std::fs::write(dir.path().join(format!("voices/{name}.onnx.json")), config).unwrap();
        append_to_videofile(dir.path(), &format!("model = \"voices/{name}.onnx\""));
        let ran = Test::in_dir(dir)
            .args(&["-q"])
            .status(2)
            .stderr_has(said)
            .run();
        assert!(!ran.stderr.contains("Traceback"), "{}", ran.stderr);
        assert!(
            !ran.dir.path().join(".vbuild/cas").exists()
                || nodes_in(&report(ran.dir.path()), "ran").is_empty()
        );
        // The doctor loads the voice as a build does, and says the same.
        let ran = Test::in_dir(ran.dir)
            .args(&["doctor"])
            .status(2)
            .stdout_has(said)
            .run();
        assert!(!ran.stderr.contains("Traceback"), "{}", ran.stderr);
    }
}

#[test]
fn ctrl_c_during_a_piper_build_is_quiet() {
    if !piper_installed() {
        return;
    }
    let dir = piper_course();
    // As a terminal sends it: SIGINT to vbuild's whole process group, once a worker speaks.
    let mut build = std::process::Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-j", "2"])
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_entries(dir.path(), 4, &mut build);
    let group = build.id() as i32;
    assert_eq!(unsafe { libc::kill(-group, libc::SIGINT) }, 0);
    let output = build.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        !stderr.contains("Traceback") && !stderr.contains("KeyboardInterrupt"),
        "{stderr}"
    );
}

#[test]
fn a_language_piper_has_no_voice_for_is_spoken_by_espeak() {
    if !piper_installed() {
        return;
    }
    let dir = piper_course();
    replace_in(
        &dir.path().join("lecture.md"),
        "## Winds\n\nAir moves.",
        "## Winds\n\n<!-- vbuild: language=fr -->\n\nL'air bouge.",
    );
    let output = vbuild_ok(dir.path(), &[]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("fr is spoken by espeak-ng's fr voice: piper has none for it"),
        "{said}"
    );
    let signed = |node: &str| std::fs::read_to_string(entry_file(dir.path(), node)).unwrap();
    assert!(signed("audio:02-winds/01").contains("\"espeak\""));
    assert!(signed("audio:01-tides/01").contains("\"piper\""));
}
