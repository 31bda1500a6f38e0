//! End-to-end builds of the bundled example through the `vbuild` binary: real MP4 files, real subtitles,
//! real cache hits.

use std::path::Path;
use std::process::Stdio;

use crate::common::*;

const COURSE: &str = "out/introduction-to-machine-learning";

/// A subtitle cue read back from a file: start, end (seconds) and text.
type ParsedCue = (f64, f64, String);

fn seconds(stamp: &str) -> f64 {
    let stamp = stamp.trim().replace(',', ".");
    let parts: Vec<f64> = stamp
        .split(':')
        .map(|p| p.parse().expect("a time"))
        .collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// Reads the cues of an SRT or WebVTT file.
fn parse_cues(text: &str) -> Vec<ParsedCue> {
    let mut cues = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let Some(at) = lines.iter().position(|l| l.contains(" --> ")) else {
            continue;
        };
        let (start, end) = lines[at].split_once(" --> ").expect("a cue timing");
        cues.push((seconds(start), seconds(end), lines[at + 1..].join(" ")));
    }
    cues
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// All narration of the course, in order, from the scripts vbuild wrote to the output folder.
fn narration_words(dir: &Path) -> Vec<String> {
    let mut scripts: Vec<_> = std::fs::read_dir(dir.join("out/scripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scripts.sort();
    scripts
        .iter()
        .flat_map(|path| {
            let script: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            script["slides"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| words(s["speaker_notes"].as_str().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn course_video_has_h264_and_aac_and_lasts_as_long_as_the_narration() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let report = report(dir.path());
    assert_eq!(report["counts"]["failed"], 0);

    let course = probe(&dir.path().join(format!("{COURSE}.mp4")));
    assert_eq!(course.video_caps.len(), 1, "{course:?}");
    assert!(
        course.video_caps[0].starts_with("video/x-h264"),
        "{course:?}"
    );
    assert_eq!(course.audio_caps.len(), 1, "{course:?}");
    assert!(
        course.audio_caps[0].starts_with("audio/mpeg")
            && course.audio_caps[0].contains("mpegversion=(int)4")
    );

    // The course lasts as long as its chapters, each its narration as placed on the timeline (each
    // slide's speech padded to whole frames) and its guards of silence (a little over two AAC frames) ...
    let chapters = meta_sum(&report, "chapter-video", "seconds");
    assert!(
        (course.seconds - chapters).abs() < 0.002,
        "video {} s, chapters {chapters} s",
        course.seconds
    );
    let narration = meta_sum(&report, "clip", "seconds");
    assert!(chapters >= narration && chapters - narration < 5.0 * 3.0 * 1024.0 / 24_000.0);
    // ... and the narration is the speech itself plus less than one frame (1/10 s at 10 fps) per slide.
    let spoken = meta_sum(&report, "audio", "samples") / 24_000.0;
    let slides = nodes_in(&report, "ran")
        .iter()
        .filter(|n| n.starts_with("clip:"))
        .count() as f64;
    assert!(narration >= spoken && narration - spoken < slides * 0.1 + 1e-9);

    for chapter in std::fs::read_dir(dir.path().join("out/chapters")).unwrap() {
        let path = chapter.unwrap().path();
        if path.extension().is_some_and(|e| e == "mp4") {
            let probe = probe(&path);
            assert_eq!(
                (probe.video_caps.len(), probe.audio_caps.len()),
                (1, 1),
                "{path:?}"
            );
        }
    }

    // Chapter marks: one WebVTT cue per chapter, back to back, to the end of the video.
    let marks = parse_cues(
        &std::fs::read_to_string(dir.path().join(format!("{COURSE}.chapters.vtt"))).unwrap(),
    );
    let titles: Vec<&str> = marks.iter().map(|m| m.2.as_str()).collect();
    assert_eq!(titles[0], "What is machine learning?");
    assert_eq!(titles.len(), 5);
    assert!(marks.windows(2).all(|p| (p[0].1 - p[1].0).abs() < 1e-9));
    assert!((marks[4].1 - course.seconds).abs() < 0.2);

    for format in ["srt", "vtt"] {
        let text = std::fs::read_to_string(dir.path().join(format!("{COURSE}.{format}"))).unwrap();
        if format == "vtt" {
            assert!(text.starts_with("WEBVTT\n"));
        }
        let cues = parse_cues(&text);
        assert!(cues.len() > 10);
        for pair in cues.windows(2) {
            assert!(
                pair[0].0 < pair[0].1 && pair[0].1 <= pair[1].0 + 0.0015,
                "out of order: {pair:?}"
            );
        }
        assert!(cues.last().unwrap().1 <= course.seconds + 0.001);
        // The cues hold the narration word for word, and one follows another with no blank between them
        // (a cue stays up through the pause after its sentence), so they are shown about as long as the
        // narration lasts.
        let cue_words: Vec<String> = cues.iter().flat_map(|c| words(&c.2)).collect();
        assert_eq!(cue_words, narration_words(dir.path()));
        for pair in cues.windows(2) {
            assert!(pair[1].0 - pair[0].1 < 0.0015, "a blank between {pair:?}");
        }
        let shown: f64 = cues.iter().map(|c| c.1 - c.0).sum();
        assert!(
            shown <= course.seconds && shown > 0.9 * spoken,
            "cues {shown} s, speech {spoken} s"
        );
    }
}

#[test]
fn the_course_audio_plays_in_time_and_joins_chapters_without_a_gap_or_a_click() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let report = report(dir.path());
    // The narration as placed on the timeline: each chapter's guard, then each slide's speech (from the
    // cache) padded to its clip and levelled as the chapter levels it, then silence to the chapter's end.
    let blob = |node: &serde_json::Value, output: &str| {
        let hash = node["key"].as_str().unwrap().to_string();
        let entry: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                dir.path()
                    .join(format!(".vbuild/actions/{}/{hash}.json", &hash[..2])),
            )
            .unwrap(),
        )
        .unwrap();
        let blob = entry["outputs"][output].as_str().unwrap().to_string();
        dir.path()
            .join(format!(".vbuild/cas/{}/{blob}", &blob[..2]))
    };
    let nodes = report["nodes"].as_array().unwrap();
    let of_kind = |kind: &str| {
        let mut found: Vec<&serde_json::Value> =
            nodes.iter().filter(|n| n["kind"] == kind).collect();
        found.sort_by_key(|n| n["name"].as_str().unwrap().to_string());
        found
    };
    let guard = vbuild::media::join::GUARD;
    let mut placed: Vec<i16> = Vec::new();
    let mut joins = Vec::new();
    for chapter in of_kind("chapter-video") {
        let id = chapter["chapter"].as_str().unwrap();
        let start = placed.len();
        let mut leveller =
            vbuild::media::loudness::Leveller::new(chapter["meta"]["gain"].as_f64().unwrap(), -1.5);
        placed.resize(start + guard, 0);
        for audio in of_kind("audio").iter().filter(|a| a["chapter"] == id) {
            let clip = nodes
                .iter()
                .find(|c| c["name"] == audio["name"].as_str().unwrap().replace("audio:", "clip:"))
                .unwrap();
            let length = (clip["meta"]["seconds"].as_f64().unwrap() * 24_000.0).round() as usize;
            let mut speech = vbuild::media::audio::read_wav(&blob(audio, "speech")).unwrap();
            speech.resize(length, 0);
            leveller.push(&speech, &mut placed);
        }
        leveller.finish(&mut placed);
        let total = chapter["meta"]["samples"].as_u64().unwrap() as usize;
        assert!(
            placed.len() - start + guard <= total,
            "at least a guard of silence after"
        );
        placed.resize(start + total, 0);
        joins.push(placed.len());
    }
    vbuild::media::init().unwrap();
    let played = vbuild::media::audio::decode(&dir.path().join("out/small-course.mp4")).unwrap();
    // It lasts exactly as long: the chapters are whole AAC frames, copied one after another.
    assert_eq!(played.len(), placed.len());
    assert_eq!(placed.len() % 1024, 0);
    // Every onset of speech is heard when it was placed (within 1 ms), not after the encoder's priming. An
    // onset is where the level (the mean of 2 ms of samples, which AAC's small errors do not move) first
    // passes a threshold after 200 ms of quiet.
    let onsets = |samples: &[i16]| -> Vec<usize> {
        let mut quiet = 4800;
        let mut out = Vec::new();
        let mut level: u64 = 0;
        for (at, sample) in samples.iter().enumerate() {
            level += u64::from(sample.unsigned_abs());
            if at >= 48 {
                level -= u64::from(samples[at - 48].unsigned_abs());
            }
            if level / 48 > 1500 {
                if quiet >= 4800 {
                    out.push(at);
                }
                quiet = 0;
            } else {
                quiet += 1;
            }
        }
        out
    };
    let (expected, heard) = (onsets(&placed), onsets(&played));
    assert!(expected.len() >= 4, "{expected:?}");
    for p in &expected {
        let nearest = heard.iter().map(|h| h.abs_diff(*p)).min().unwrap();
        assert!(
            nearest <= 24,
            "placed at {p}, heard {nearest} samples away: {heard:?}"
        );
    }
    // Around every join, silence: the frames on both sides encode the guards, so nothing clicks.
    assert!(joins.len() >= 2);
    for join in &joins[..joins.len() - 1] {
        let around = &played[join - guard..join + guard];
        let loudest = around.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(loudest <= 64, "a click of {loudest} at the join at {join}");
    }
    // And the course is its chapters, sample for sample (within the decoder's rounding).
    let mut chapters: Vec<i16> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join("out/chapters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
        .collect();
    files.sort();
    for file in files {
        chapters.extend(vbuild::media::audio::decode(&file).unwrap());
    }
    assert_eq!(chapters.len(), played.len());
    let worst = chapters
        .iter()
        .zip(&played)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(
        worst <= 2,
        "the course differs from its chapters by {worst}"
    );
}

#[test]
fn second_run_runs_nothing_and_a_removed_output_folder_is_restored_from_the_cache() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let first = report(dir.path());
    let total = first["nodes"].as_array().unwrap().len();
    assert_eq!(first["counts"]["ran"], total);
    let video = dir.path().join(format!("{COURSE}.mp4"));
    let original = std::fs::read(&video).unwrap();

    let output = vbuild_ok(dir.path(), &[]);
    let second = report(dir.path());
    assert_eq!(second["counts"]["ran"], 0);
    assert_eq!(second["counts"]["cached"], total);
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 run"));

    vbuild_ok(dir.path(), &["clean"]);
    assert!(!dir.path().join("out").exists());
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
    assert_eq!(std::fs::read(&video).unwrap(), original);
}

#[test]
fn editing_one_slide_reruns_only_its_nodes_and_the_assembly() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    let edited = text.replace("Real data is messy.", "Real data is very messy.");
    assert_ne!(text, edited);
    std::fs::write(&lecture, edited).unwrap();

    vbuild_ok(dir.path(), &[]);
    let report = report(dir.path());
    let chapter = "02-data-and-features";
    assert_eq!(
        nodes_in(&report, "ran"),
        [
            format!("audio:{chapter}/02"),
            format!("chapter-subtitles:{chapter}"),
            format!("chapter-video:{chapter}"),
            format!("chapter:{chapter}"),
            format!("clip:{chapter}/02"),
            "course-subtitles".to_string(),
            "course-video".to_string(),
            format!("image:{chapter}/02"),
            format!("script:{chapter}"),
        ]
    );
    assert!(nodes_in(&report, "cached").contains(&format!("audio:{chapter}/01")));
}

#[test]
fn whitespace_only_edit_stops_at_the_chapter_node() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(
        &lecture,
        text.replace(
            "Every model starts with data.",
            "Every  model starts\nwith data.",
        ),
    )
    .unwrap();
    vbuild_ok(dir.path(), &[]);
    // The Markdown changed, so the chapter is parsed again, but it parses to the same content: early cut-off.
    assert_eq!(
        nodes_in(&report(dir.path()), "ran"),
        ["chapter:02-data-and-features"]
    );
}

#[test]
fn a_killed_build_resumes_without_redoing_finished_nodes() {
    let dir = example_copy();
    let mut child = start_slow_build(dir.path(), &["-q"], Stdio::null());
    wait_for_entries(dir.path(), 20, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let finished_before_kill = action_keys(dir.path());
    assert!(!dir.path().join(format!("{COURSE}.mp4")).exists());

    vbuild_ok(dir.path(), &[]);
    let report = report(dir.path());
    for node in report["nodes"].as_array().unwrap() {
        let key = node["key"].as_str().unwrap().to_string();
        if finished_before_kill.contains(&key) {
            assert_eq!(node["state"], "cached", "{} was redone", node["name"]);
        }
    }
    assert!(report["counts"]["cached"].as_u64().unwrap() >= finished_before_kill.len() as u64);

    // The result is the one an uninterrupted build gives, byte for byte.
    let clean = example_copy();
    vbuild_ok(clean.path(), &[]);
    for ext in ["mp4", "srt", "vtt"] {
        let resumed = std::fs::read(dir.path().join(format!("{COURSE}.{ext}"))).unwrap();
        let uninterrupted = std::fs::read(clean.path().join(format!("{COURSE}.{ext}"))).unwrap();
        assert!(resumed == uninterrupted, "the resumed {ext} differs");
    }
}

#[test]
fn dry_run_lists_what_would_run_and_writes_nothing() {
    let dir = example_copy();
    let output = vbuild_ok(dir.path(), &["-n"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("chapter:01-what-is-machine-learning: new: never built before"),
        "{stdout}"
    );
    assert!(
        stdout.contains("script:01-what-is-machine-learning: its input chapter:01"),
        "{stdout}"
    );
    assert!(action_keys(dir.path()).is_empty());
    assert!(!dir.path().join("out").exists());

    vbuild_ok(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["-n"]).stdout).to_string();
    assert!(stdout.contains("0 would run"), "{stdout}");
}

#[test]
fn graph_prints_every_node_as_dot_and_json() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let dot =
        String::from_utf8(vbuild_ok(dir.path(), &["graph", "--format", "dot"]).stdout).unwrap();
    assert!(dot.starts_with("digraph vbuild {"));
    assert!(dot.contains("label=\"clip:04-gradient-descent/01\", fillcolor=palegreen"));
    let json = vbuild_ok(dir.path(), &["graph", "--format", "json"]).stdout;
    let nodes: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let built = report(dir.path())["nodes"].as_array().unwrap().len();
    assert_eq!(nodes.as_array().unwrap().len(), built);
    let clip = nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "clip:04-gradient-descent/01")
        .unwrap();
    assert_eq!(
        clip["inputs"],
        serde_json::json!([
            "audio:04-gradient-descent/01",
            "image:04-gradient-descent/01"
        ])
    );
}

#[test]
fn keep_going_runs_what_does_not_depend_on_a_failure_and_reports_every_failure() {
    let dir = example_copy();
    let broken = failing_espeak();
    let run = |dir: &Path, args: &[&str]| vbuild_with_programs(dir, broken.path(), args);

    let output = run(dir.path(), &["-k", "-j", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let report = report(dir.path());
    let failed = nodes_in(&report, "failed");
    let ran_with_k = nodes_in(&report, "ran").len();
    let slides = nodes_in(&report, "ran")
        .iter()
        .filter(|n| n.starts_with("image:"))
        .count();
    // Every slide's speech fails; every slide's picture, which does not need speech, is still drawn.
    assert!(slides > 5);
    assert_eq!(failed.len(), slides);
    assert!(failed.iter().all(|n| n.starts_with("audio:")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "failed: audio:01-what-is-machine-learning/01: espeak-ng failed: voice \"en-us\": the test's espeak-ng does not speak"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join(format!("{COURSE}.mp4")).exists());
    // The summary names what failed.
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains(&format!(
            "-> failed: audio:01-what-is-machine-learning/01 and {} more (see above",
            slides - 1
        )),
        "{summary}"
    );

    // Without -k the build stops scheduling at the first failure.
    let stopped = example_copy();
    assert_eq!(run(stopped.path(), &["-j", "1"]).status.code(), Some(1));
    let report = crate::common::report(stopped.path());
    assert_eq!(nodes_in(&report, "failed").len(), 1);
    assert!(nodes_in(&report, "ran").len() < ran_with_k);
    assert!(
        nodes_in(&report, "skipped")
            .iter()
            .any(|n| n.starts_with("image:"))
    );
}

#[test]
fn clean_and_renames_remove_only_files_vbuild_wrote() {
    let dir = example_copy();
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    // The output folder is the project folder itself: nothing of the author's may be touched.
    std::fs::write(
        &videofile,
        text.replace("output = \"out\"", "output = \".\""),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("chapters")).unwrap();
    std::fs::write(dir.path().join("chapters/notes.txt"), "mine").unwrap();
    vbuild_ok(dir.path(), &[]);
    assert!(
        dir.path()
            .join("introduction-to-machine-learning.mp4")
            .is_file()
    );
    assert!(
        dir.path()
            .join("chapters/04-gradient-descent.mp4")
            .is_file()
    );

    // A renamed chapter's old files go; the new ones come.
    let lecture = dir.path().join("lecture.md");
    let markdown = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(
        &lecture,
        markdown.replace("## Gradient descent", "## Descending gradients"),
    )
    .unwrap();
    vbuild_ok(dir.path(), &[]);
    assert!(!dir.path().join("chapters/04-gradient-descent.mp4").exists());
    assert!(
        dir.path()
            .join("chapters/04-descending-gradients.mp4")
            .is_file()
    );

    vbuild_ok(dir.path(), &["clean"]);
    let mut left: Vec<String> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_entry(|e| e.file_name() != ".vbuild")
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "",
            "Videofile",
            "bowl.svg",
            "chapters",
            "chapters/notes.txt",
            "lecture.md"
        ]
    );
}

#[test]
fn a_second_build_is_refused_while_one_runs_but_a_dry_run_may_look() {
    let dir = example_copy();
    let mut child = start_slow_build(dir.path(), &["-q"], Stdio::null());
    wait_for_entries(dir.path(), 3, &mut child);
    let second = vbuild(dir.path(), &["-q"]);
    let looked = vbuild(dir.path(), &["-n"]);
    child.wait().unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another vbuild is already building here")
    );
    assert!(
        looked.status.success(),
        "{}",
        String::from_utf8_lossy(&looked.stderr)
    );
}

/// Every file under `dir`, with its size and modification time.
fn snapshot(
    dir: &Path,
) -> std::collections::BTreeMap<std::path::PathBuf, (u64, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                (meta.len(), meta.modified().unwrap()),
            )
        })
        .collect()
}

#[test]
fn a_dry_run_writes_nothing_and_a_no_op_only_a_small_record() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &["-n"]);
    assert!(
        !dir.path().join(".vbuild").exists(),
        "a dry run made .vbuild/"
    );
    vbuild_ok(dir.path(), &[]);
    let before = snapshot(dir.path());
    vbuild_ok(dir.path(), &[]);
    let after = snapshot(dir.path());
    let changed: Vec<String> = after
        .iter()
        .filter(|(path, stamp)| before.get(*path) != Some(stamp))
        .map(|(path, (size, _))| format!("{} ({size} bytes)", path.display()))
        .collect();
    assert_eq!(
        changed
            .iter()
            .map(|c| c.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        [".vbuild/builds/latest.json", ".vbuild/stats.json"],
        "{changed:?}"
    );
    for path in [".vbuild/builds/latest.json", ".vbuild/stats.json"] {
        assert!(after[Path::new(path)].0 < 8 * 1024, "{changed:?}");
    }
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
    // An output whose bytes change (its size staying the same) is found by its stamp and restored.
    let srt = dir.path().join(format!("{COURSE}.srt"));
    let original = std::fs::read(&srt).unwrap();
    let mut changed = original.clone();
    changed[0] ^= 1;
    std::fs::write(&srt, changed).unwrap();
    vbuild_ok(dir.path(), &[]);
    assert_eq!(std::fs::read(&srt).unwrap(), original);
}

#[test]
fn full_reports_are_kept_for_the_last_builds_that_did_work_and_statistics_for_all() {
    let dir = small_course();
    append_to_videofile(dir.path(), "[cache]\nreports = 2");
    for word in ["one", "two", "three"] {
        let lecture = dir.path().join("lecture.md");
        let text = std::fs::read_to_string(&lecture).unwrap();
        std::fs::write(&lecture, format!("{text}\nAnd {word}.\n")).unwrap();
        vbuild_ok(dir.path(), &[]);
        // The full report is written once: latest.json is a second name for builds/ID.json.
        use std::os::unix::fs::MetadataExt;
        let builds = dir.path().join(".vbuild/builds");
        let id = report(dir.path())["id"].as_str().unwrap().to_string();
        let inode = |name: &str| std::fs::metadata(builds.join(name)).unwrap().ino();
        assert_eq!(inode("latest.json"), inode(&format!("{id}.json")));
    }
    let before = report(dir.path());
    vbuild_ok(dir.path(), &[]);
    // The small record of a no-op replaces the name latest.json, not the last full report's bytes.
    let id = before["id"].as_str().unwrap();
    let kept = std::fs::read(dir.path().join(format!(".vbuild/builds/{id}.json"))).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&kept).unwrap(),
        before
    );
    assert!(
        report(dir.path())["nodes"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    let full: Vec<_> = std::fs::read_dir(dir.path().join(".vbuild/builds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n != "latest.json")
        .collect();
    assert_eq!(full.len(), 2, "{full:?}");
    let runs = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["runs"]).stdout).to_string();
    assert_eq!(runs.lines().count(), 1 + 4, "{runs}");
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(".vbuild/stats.json")).unwrap())
            .unwrap();
    assert!(
        stats["kinds"]["audio"]["ran"].as_u64().unwrap() >= 3,
        "{stats}"
    );
}

#[test]
fn videos_are_written_from_the_cache_not_stored_in_it() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let cache = dir.path().join(".vbuild/cas");
    let mut videos: Vec<_> = walkdir::WalkDir::new(dir.path().join("out"))
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "mp4"))
        .map(|e| e.path().to_path_buf())
        .collect();
    videos.sort();
    assert!(videos.len() >= 3, "{videos:?}");
    let mut written = Vec::new();
    for video in &videos {
        // No blob holds a video's bytes: the chapters and the course are copies of clips and audio.
        let hash = vbuild::sys::digest::Digest::of_file(video).unwrap();
        assert!(
            !cache.join(hash.shard()).join(hash.as_str()).exists(),
            "{} is stored in the cache too",
            video.display()
        );
        written.push(std::fs::read(video).unwrap());
    }
    // Written again from the cache, they are the same bytes, and nothing runs.
    vbuild_ok(dir.path(), &["clean"]);
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
    for (video, bytes) in videos.iter().zip(&written) {
        assert!(
            &std::fs::read(video).unwrap() == bytes,
            "{}",
            video.display()
        );
    }
}

/// Runs `vbuild -v` in `dir` after the files it would stamp have settled; returns whether the seal of the
/// last build told the result (no node was looked up) and the nodes that ran.
fn sealed_build(dir: &Path) -> (bool, Vec<String>) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // One of the changes damages an entry in place, which is said.
    let output = vbuild_ok_warning(dir, &["-v"], &["unreadable entry: EOF while parsing"]);
    let said = String::from_utf8_lossy(&output.stderr).to_string();
    let sealed = said.contains("seal of build");
    assert_eq!(sealed, !said.contains("cached ("), "{said}");
    (sealed, nodes_in(&report(dir), "ran"))
}

#[test]
fn a_no_op_is_told_by_the_seal_until_anything_it_relied_on_changes() {
    let dir = small_course();
    let root = dir.path();
    vbuild_ok(root, &[]);
    assert!(
        !root.join(".vbuild/seal").exists(),
        "a build that ran seals nothing"
    );
    // The first no-op walks the graph and seals; the next is told by the seal, with the same summary.
    assert_eq!(sealed_build(root), (false, vec![]));
    let walked = report(root);
    assert_eq!(sealed_build(root), (true, vec![]));
    let sealed = report(root);
    assert_eq!(sealed["counts"], walked["counts"]);
    assert_eq!(sealed["outputs"], walked["outputs"]);
    assert_ne!(sealed["id"], walked["id"]);
    // A touched but unchanged Videofile keeps it (its content is what counts).
    std::fs::write(
        root.join("Videofile"),
        std::fs::read(root.join("Videofile")).unwrap(),
    )
    .unwrap();
    assert_eq!(sealed_build(root), (true, vec![]));

    // Each change below breaks the seal: the build walks the graph and does what the change needs.
    type Change<'a> = (&'a str, Box<dyn Fn() + 'a>, Vec<&'a str>);
    let changes: Vec<Change> = vec![
        (
            "an output removed",
            Box::new(|| std::fs::remove_file(root.join("out/chapters/02-winds.srt")).unwrap()),
            vec![],
        ),
        (
            "an entry damaged in place",
            Box::new(|| std::fs::write(entry_file(root, "clip:01-tides/01"), "{").unwrap()),
            vec!["clip:01-tides/01"],
        ),
        (
            "a blob removed",
            Box::new(|| {
                let blob = blob_file(root, "image:02-winds/01", "slide");
                make_writable(&blob);
                std::fs::remove_file(blob).unwrap()
            }),
            vec!["image:02-winds/01"],
        ),
        (
            "a setting changed",
            Box::new(|| {
                let videofile = std::fs::read_to_string(root.join("Videofile")).unwrap();
                std::fs::write(
                    root.join("Videofile"),
                    videofile.replace("fps = 5", "fps = 4"),
                )
                .unwrap()
            }),
            vec!["clip:01-tides/01", "clip:02-winds/02"],
        ),
    ];
    for (what, change, runs) in changes {
        change();
        let (sealed, ran) = sealed_build(root);
        assert!(!sealed, "{what}: the seal broke");
        for node in &runs {
            assert!(
                ran.contains(&node.to_string()),
                "{what}: {node} ran: {ran:?}"
            );
        }
        assert!(root.join("out/chapters/02-winds.srt").is_file(), "{what}");
        // What the repair wrote is too new to stamp: the next no-op walks and seals, the one after is sealed.
        assert_eq!(sealed_build(root), (false, vec![]), "{what}: walked again");
        assert_eq!(sealed_build(root), (true, vec![]), "{what}: sealed again");
    }
    // The lecture edited: the edited slide's nodes run.
    let lecture = root.join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(&lecture, text.replace("pull together", "pull as one")).unwrap();
    let (sealed, ran) = sealed_build(root);
    assert!(
        !sealed && ran.contains(&"audio:01-tides/02".to_string()),
        "{ran:?}"
    );
}
