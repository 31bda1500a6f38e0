//! The make-like command line through the binary: targets, dry runs that match real builds, explain, graph,
//! build history and metrics, structured logs, configuration layers, init and gc.

use std::process::Command;

use crate::common::*;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Replaces `from` with `to` in the file `name` of `dir`.
fn edit(dir: &std::path::Path, name: &str, from: &str, to: &str) {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} is not in {name}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn targets_build_only_what_they_need() {
    let dir = example_copy();
    let listed = stdout(&vbuild_ok(dir.path(), &["targets"]));
    assert!(
        listed.contains("chapter:CHAPTER") && listed.contains("02-data-and-features"),
        "{listed}"
    );

    vbuild_ok(dir.path(), &["chapter:data-and-features"]);
    let report = report(dir.path());
    let ran = nodes_in(&report, "ran");
    assert!(
        ran.iter().all(|n| n.contains("02-data-and-features")),
        "{ran:?}"
    );
    assert!(ran.contains(&"chapter-video:02-data-and-features".to_string()));
    assert!(
        dir.path()
            .join("out/chapters/02-data-and-features.mp4")
            .is_file()
    );
    assert!(
        !dir.path()
            .join("out/introduction-to-machine-learning.mp4")
            .exists()
    );

    vbuild_ok(dir.path(), &["audio:3/1"]);
    assert_eq!(
        nodes_in(&report_of(dir.path()), "ran"),
        [
            "audio:03-linear-regression/01",
            "chapter:03-linear-regression",
            "script:03-linear-regression"
        ]
    );

    // Subtitles need the narration, not the pictures.
    vbuild_ok(dir.path(), &["subtitles"]);
    let ran = nodes_in(&report_of(dir.path()), "ran");
    assert!(ran.contains(&"course-subtitles".to_string()));
    assert!(
        !ran.iter()
            .any(|n| n.starts_with("image:") || n.starts_with("clip:")),
        "{ran:?}"
    );
    assert!(
        dir.path()
            .join("out/introduction-to-machine-learning.srt")
            .is_file()
    );
    // A partial build keeps what earlier builds wrote.
    assert!(
        dir.path()
            .join("out/chapters/02-data-and-features.mp4")
            .is_file()
    );

    let bad = vbuild(dir.path(), &["script:99"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("the chapters are 01-what-is-machine-learning")
    );
}

fn report_of(dir: &std::path::Path) -> serde_json::Value {
    report(dir)
}

/// Node names a dry run lists as would-run.
fn dry_run_nodes(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["graph", "--format", "json"];
    all.extend_from_slice(args);
    let nodes: serde_json::Value = serde_json::from_slice(&vbuild_ok(dir, &all).stdout).unwrap();
    let mut names: Vec<String> = nodes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["state"] == "would-run")
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn dry_run_predicts_the_nodes_and_cost_of_the_real_build_and_writes_nothing() {
    let dir = example_copy();
    edit(
        dir.path(),
        "Videofile",
        "[images]",
        "[prices.espeak]\nper_million_characters = 1000.0\n\n[images]",
    );
    vbuild_ok(dir.path(), &[]);
    let spent_first = report(dir.path())["cost"].as_f64().unwrap();
    assert!(spent_first > 0.0);

    // A new speaking rate: every audio node and what depends on it would run, with the setting named.
    edit(dir.path(), "Videofile", "rate = 175", "rate = 180");
    let before = action_keys(dir.path());
    let plan = stdout(&vbuild_ok(dir.path(), &["-n"]));
    assert!(
        plan.contains(
            "audio:01-what-is-machine-learning/01: setting rate changed: \"175\" -> \"180\""
        ),
        "{plan}"
    );
    let predicted = dry_run_nodes(dir.path(), &[]);
    assert_eq!(action_keys(dir.path()), before, "a dry run writes nothing");

    vbuild_ok(dir.path(), &[]);
    let report = report(dir.path());
    assert_eq!(nodes_in(&report, "ran"), predicted);
    // The estimate is the cost the build then recorded: the same characters at the same price.
    let estimate: f64 = plan
        .split("estimated cost ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|cost| cost.strip_suffix(" USD"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (estimate - report["cost"].as_f64().unwrap()).abs() < 1e-4,
        "{plan}"
    );
    assert!((estimate - spent_first).abs() < 1e-4);
}

#[test]
fn explain_names_the_changed_input_before_and_after_the_build() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    edit(
        dir.path(),
        "lecture.md",
        "Real data is messy.",
        "Real data is very messy.",
    );
    let now = stdout(&vbuild_ok(dir.path(), &["explain", "chapter:2"]));
    assert!(
        now.contains("chapter:02-data-and-features: would run now: input markdown changed: ")
            && now.contains("Real data is very messy."),
        "{now}"
    );
    vbuild_ok(dir.path(), &[]);
    let id = report(dir.path())["id"].as_str().unwrap().to_string();
    let after = stdout(&vbuild_ok(dir.path(), &["explain", "audio:2/2"]));
    assert!(
        after.contains(&format!(
            "audio:02-data-and-features/02: up to date; ran in build {id}"
        )),
        "{after}"
    );
    assert!(
        after.contains("input narration changed: \"Real data is messy."),
        "{after}"
    );
    assert!(after.contains("-> \"Real data is very messy."), "{after}");
    // What another node made is named by that node, not by two hashes.
    let clip = stdout(&vbuild_ok(dir.path(), &["explain", "clip:2/2"]));
    assert!(
        clip.contains("input frames changed: audio:02-data-and-features/02 made a new output"),
        "{clip}"
    );
}

#[test]
fn graph_shows_states_as_text_and_as_dot_that_graphviz_renders() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &["chapter:1"]);
    let text = stdout(&vbuild_ok(dir.path(), &["graph", "--format", "text"]));
    assert!(
        text.contains("clip:01-what-is-machine-learning/01 [cached]\n"),
        "{text}"
    );
    assert!(
        text.contains("    <- audio:01-what-is-machine-learning/01\n"),
        "{text}"
    );
    assert!(
        text.contains("chapter-video:02-data-and-features [would-run]"),
        "{text}"
    );

    let dot = vbuild_ok(dir.path(), &["graph", "--format", "dot"]).stdout;
    let svg = dir.path().join("graph.svg");
    let rendered = Command::new("dot")
        .args(["-Tsvg", "-o"])
        .arg(&svg)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), &dot)?;
            child.wait()
        })
        .expect("Graphviz's dot runs (the README's set-up command installs it)");
    assert!(rendered.success());
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("clip:01&#45;what&#45;is&#45;machine&#45;learning/01")
    );
}

#[test]
fn history_reports_metrics_and_json_logs() {
    let dir = example_copy();
    let first = vbuild_ok(dir.path(), &["--log-format", "json"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&first.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let built = lines
        .iter()
        .find(|l| l["node"] == "clip:02-data-and-features/01")
        .expect("a log line for the clip");
    assert_eq!(built["chapter"], "02-data-and-features");
    assert_eq!(built["level"], "INFO");
    assert!(
        built["timestamp"].as_str().unwrap().ends_with('Z')
            && built["module"] == "vbuild::engine::scheduler"
    );

    let metrics = dir.path().join("metrics.prom");
    vbuild_ok(dir.path(), &["--metrics-file", metrics.to_str().unwrap()]);
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(prom.contains("vbuild_cache_hit_ratio 1\n"), "{prom}");
    assert!(prom.contains("vbuild_nodes{state=\"ran\"} 0\n"), "{prom}");
    assert!(
        prom.contains("vbuild_chapter_seconds{chapter=\"02-data-and-features\"} 0\n"),
        "{prom}"
    );

    let runs = stdout(&vbuild_ok(dir.path(), &["runs"]));
    assert_eq!(runs.lines().count(), 3, "{runs}");
    let first_id = runs
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let json: serde_json::Value =
        serde_json::from_slice(&vbuild_ok(dir.path(), &["report", &first_id, "--json"]).stdout)
            .unwrap();
    assert_eq!(json["id"], first_id.as_str());
    assert_eq!(json["counts"]["cached"], 0);
    // chapter, script, 2 x (audio, image, clip), video, subtitles
    assert_eq!(json["chapters"]["02-data-and-features"]["ran"], 10);
    let audio = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "audio")
        .unwrap();
    assert_eq!(audio["provider"], "espeak");
    assert!(audio["bytes"].as_u64().unwrap() > 1000);
    let human = stdout(&vbuild_ok(dir.path(), &["report"]));
    assert!(
        human.contains("cache hit rate 100.0%") && human.contains("02-data-and-features"),
        "{human}"
    );
}

#[test]
fn configuration_layers_override_in_order_and_say_where_values_came_from() {
    let dir = example_copy();
    // The example's draft profile renders small and speaks with espeak at 175 words a minute; 200 here.
    edit(dir.path(), "Videofile", "rate = 175", "rate = 200");
    std::fs::write(
        dir.path().join(".env"),
        "VBUILD_SPEECH_VOICE=en-gb\nVBUILD_VIDEO_FPS=2\n",
    )
    .unwrap();
    let config = |envs: &[(&str, &str)], args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vbuild"));
        command.arg("config").args(args).current_dir(dir.path());
        for (k, v) in envs {
            command.env(k, v);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout(&output)
    };
    let line = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let videofile = std::fs::read_to_string(dir.path().join("Videofile")).unwrap();
    let line_of = |text: &str| videofile.lines().position(|l| l == text).unwrap() + 1;
    let plain = config(&[], &[]);
    let base = line_of("resolution = \"1280x720\"");
    assert_eq!(
        line(&plain, "resolution"),
        format!("resolution = \"1280x720\" # Videofile:{base}")
    );
    assert_eq!(
        line(&plain, "voice"),
        "voice = \"en-gb\" # VBUILD_SPEECH_VOICE in .env"
    );
    assert_eq!(line(&plain, "fps"), "fps = 2 # VBUILD_VIDEO_FPS in .env");
    assert_eq!(line(&plain, "max_bullets"), "max_bullets = 5 # default");

    let profiled = config(
        &[("VBUILD_PROFILE", "draft"), ("VBUILD_VIDEO_FPS", "4")],
        &[],
    );
    let draft = line_of("resolution = \"640x360\"");
    assert_eq!(
        line(&profiled, "resolution"),
        format!("resolution = \"640x360\" # profile draft (Videofile:{draft})")
    );
    let rate = line_of("rate = 200");
    assert_eq!(
        line(&profiled, "rate"),
        format!("rate = 200 # profile draft (Videofile:{rate})")
    );
    // The real environment wins over .env and over the profile.
    assert_eq!(
        line(&profiled, "fps"),
        "fps = 4 # environment VBUILD_VIDEO_FPS"
    );

    let flagged = config(
        &[("VBUILD_VIDEO_FPS", "4")],
        &["--profile", "draft", "--set", "video.fps=5"],
    );
    assert_eq!(line(&flagged, "fps"), "fps = 5 # --set video.fps=5");

    let bad = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .arg("config")
        .env("VBUILD_VIDEO_FPS", "7")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("environment VBUILD_VIDEO_FPS: [video] fps = 7")
    );

    // The layers reach the build: the draft profile renders small.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    vbuild_ok(dir.path(), &["--profile", "draft", "chapter:1"]);
    let video = probe(
        &dir.path()
            .join("out/draft/chapters/01-what-is-machine-learning.mp4"),
    );
    assert!(video.video_caps[0].contains("width=(int)640"), "{video:?}");
}

#[test]
fn init_scaffolds_a_course_that_builds_offline() {
    let dir = tempfile::tempdir().unwrap();
    vbuild_ok(dir.path(), &["init", "course"]);
    let course = dir.path().join("course");
    // The Videofile speaks with piper where it is installed, and its draft profile with espeak-ng.
    let videofile = std::fs::read_to_string(course.join("Videofile")).unwrap();
    let piper = std::path::Path::new("/opt/vbuild/piper/bin/python").exists();
    assert_eq!(
        videofile.contains("provider = \"piper\""),
        piper,
        "{videofile}"
    );
    assert!(videofile.contains("[profile.draft.speech]\nprovider = \"espeak\""));
    vbuild_ok(&course, &["--profile", "draft"]);
    let video = probe(&course.join("out/draft/my-first-course.mp4"));
    assert!(video.seconds > 5.0);
    let audio = report_of(&course)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "audio")
        .unwrap()
        .clone();
    assert_eq!(audio["provider"], "espeak");
    let again = vbuild(dir.path(), &["init", "course"]);
    assert_eq!(again.status.code(), Some(2), "init must not overwrite");
    let dry = vbuild_ok(dir.path(), &["init", "-n", "other"]);
    assert!(stdout(&dry).contains("would write other/Videofile"));
    assert!(!dir.path().join("other").exists(), "init -n writes nothing");
}

#[test]
fn gc_keeps_what_the_last_build_needs_and_removes_the_rest() {
    let dir = example_copy();
    vbuild_ok(dir.path(), &[]);
    let first = action_keys(dir.path());
    edit(
        dir.path(),
        "lecture.md",
        "Real data is messy.",
        "Real data is very messy.",
    );
    vbuild_ok(dir.path(), &[]);
    let used: Vec<String> = report(dir.path())["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap().to_string())
        .collect();
    let stale: Vec<&String> = first.iter().filter(|k| !used.contains(k)).collect();
    assert_eq!(stale.len(), 9, "the edit replaced 9 nodes");

    let output = stdout(&vbuild_ok(dir.path(), &["gc"]));
    assert!(output.contains("gc removed 9 entries"), "{output}");
    // Sizes for people: "(1.2 MiB)", not a count of bytes.
    assert!(
        output.contains(" KiB)") || output.contains(" MiB)"),
        "{output}"
    );
    let left = action_keys(dir.path());
    assert!(stale.iter().all(|k| !left.contains(k)));
    let mut expected = used.clone();
    expected.sort();
    assert_eq!(left, expected);

    // What the last build needed is all there: the next build runs nothing.
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
}

#[test]
fn build_options_do_not_go_with_other_commands() {
    for args in [
        &["targets", "-j", "4"][..],
        &["config", "-k"],
        &["runs", "-B"],
    ] {
        Test::new()
            .args(args)
            .status(2)
            .stderr_has("error: unexpected argument")
            .run();
    }
    // Before a command too: refused, not ignored (`-n` would not hold).
    for (args, command) in [
        (
            &["-j", "4", "targets"][..],
            "`targets`; run `vbuild targets` without them",
        ),
        (&["-n", "gc"], "`gc`; run `vbuild gc` without them"),
        (&["-n", "build"], "go after `build`"),
    ] {
        Test::new()
            .args(args)
            .status(2)
            .stderr_has(
                "error: build options (-j, -n, -k, -B, --shard, --metrics-file) and targets",
            )
            .stderr_has(command)
            .run();
    }
    Test::new()
        .args(&["2", "targets"])
        .status(2)
        .stderr("vbuild: target \"targets\": `targets` is a command, and build options (-j, -n, -k, -B, --shard, --metrics-file) do not go with it; run `vbuild targets` without them\n")
        .run();
    // -q: a build that goes well says nothing at all.
    let built = Test::new()
        .stdout_has(" run, 0 cached, 0 failed, 0 skipped in ")
        .stdout_has(" -> out/introduction-to-machine-learning.mp4\n")
        .stderr_has("[INFO ] course-video: built in ")
        .run();
    assert!(built.stdout.starts_with("vbuild: "), "{}", built.stdout);
    Test::in_dir(built.dir)
        .args(&["-q"])
        .stdout("")
        .stderr("")
        .run();
    // Options of every command go before it, as `make -C DIR` and `git -C DIR` take them.
    let elsewhere = example_copy();
    let folder = elsewhere.path().to_str().expect("a UTF-8 path");
    Test::in_dir(tempfile::tempdir().unwrap())
        .args(&["-C", folder, "-q", "targets"])
        .stdout_has("chapter:CHAPTER")
        .run();
    Test::new()
        .args(&["--help"])
        .stdout_has("TARGET (default: course) is one of:")
        .stdout_has("an output file")
        .run();
    let targets = Test::new()
        .args(&["targets", "--help"])
        .stdout_has("Usage: vbuild targets [OPTIONS]\n")
        .run();
    assert!(!targets.stdout.contains("--jobs"), "{}", targets.stdout);
}

#[test]
fn output_files_and_bare_chapters_are_targets() {
    let dir = example_copy();
    let subtitles = dry_run_nodes(dir.path(), &["out/chapters/02-data-and-features.srt"]);
    assert!(
        subtitles.contains(&"chapter-subtitles:02-data-and-features".to_string())
            && !subtitles
                .iter()
                .any(|n| n.starts_with("image:") || n.starts_with("clip:")),
        "{subtitles:?}"
    );
    assert_eq!(
        dry_run_nodes(dir.path(), &["out/scripts/03-linear-regression.json"]),
        [
            "chapter:03-linear-regression",
            "script:03-linear-regression"
        ]
    );
    assert_eq!(
        dry_run_nodes(dir.path(), &["3"]),
        dry_run_nodes(dir.path(), &["chapter:linear-regression"])
    );
    let explained = stdout(&vbuild_ok(dir.path(), &["explain", "1"]));
    assert!(
        explained.contains("chapter-video:01-what-is-machine-learning: would run now"),
        "{explained}"
    );
    let wrong = vbuild(dir.path(), &["-n", "out/nope.mp4"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr)
            .contains("the course video is out/introduction-to-machine-learning.mp4")
    );
}

#[test]
fn always_make_says_what_it_runs_again_then_runs_only_that() {
    let ran = Test::new()
        .args(&["script:2"])
        .stdout_has("vbuild: 2 run, 0 cached, 0 failed, 0 skipped in ")
        .stdout_has(" -> out/scripts/02-data-and-features.json\n")
        .stderr_has("[INFO ] script:02-data-and-features: built in ")
        .run();
    let ran = Test::in_dir(ran.dir)
        .args(&["-B", "script:2"])
        .stdout_has("vbuild: 1 run, 1 cached, 0 failed, 0 skipped in ")
        .stderr_has("vbuild: -B runs 1 node again: script:02-data-and-features; with what they change, estimated cost 0.0000 USD\n")
        .run();
    // The note comes before the build's own lines.
    assert!(ran.stderr.starts_with("vbuild: -B runs"), "{}", ran.stderr);
    assert_eq!(
        nodes_in(&report(ran.dir.path()), "ran"),
        ["script:02-data-and-features"]
    );
}

#[test]
fn init_says_where_the_course_is_and_overwrites_only_when_forced() {
    let ran = Test::in_dir(tempfile::tempdir().unwrap())
        .args(&["init", "course"])
        .stdout("vbuild: wrote course/Videofile\nvbuild: wrote course/lecture.md\nvbuild: a course is ready in course; build it with `vbuild -C course`\n")
        .run();
    let dir = ran.dir;
    std::fs::write(dir.path().join("course/lecture.md"), "mine").unwrap();
    let ran = Test::in_dir(dir)
        .args(&["init", "course"])
        .status(2)
        .stderr("vbuild: course/Videofile already exists; vbuild init does not overwrite files\n  hint: vbuild init --force writes over it, or choose another folder\n")
        .run();
    let ran = Test::in_dir(ran.dir)
        .args(&["init", "--force", "course"])
        .stdout("vbuild: wrote course/Videofile\nvbuild: wrote course/lecture.md\nvbuild: a course is ready in course; build it with `vbuild -C course`\n")
        .run();
    assert_ne!(
        std::fs::read_to_string(ran.dir.path().join("course/lecture.md")).unwrap(),
        "mine"
    );
}

#[test]
fn doctor_checks_what_the_course_needs_and_names_the_fix() {
    Test::new()
        .args(&["doctor", "--set", "speech.provider=\"espeak\""])
        .stdout_has("ok       GStreamer element x264enc: gstreamer1.0-plugins-ugly\n")
        .stdout_has("ok       speech in en: eSpeak NG")
        .stdout_has("vbuild: doctor: everything this course needs is here\n")
        .run();
    let empty = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["doctor", "--set", "speech.provider=\"espeak\""])
        .env("PATH", &empty.path().display().to_string())
        .status(2)
        .stdout_has("missing  speech (espeak, speaking en): cannot run espeak-ng: No such file or directory (os error 2); install it: apt-get install espeak-ng\n")
        .stdout_has("vbuild: doctor: 1 missing; the lines above say what to do\n")
        .run();
}

#[test]
fn a_reader_that_goes_away_ends_vbuild_quietly() {
    let dir = example_copy();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["graph", "--format", "json"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("vbuild runs");
    // The reading end closes before vbuild writes (`vbuild graph | head -0`).
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("vbuild ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
