//! The author's loop (issue 20): mistakes a new author makes get a message that says what and where, with
//! the exit code the README documents.

use crate::common::*;

/// A course folder with `lecture` (bytes, as an editor saved them) and a quick espeak Videofile.
fn course_of(lecture: &[u8]) -> tempfile::TempDir {
    let dir = small_course();
    std::fs::write(dir.path().join("lecture.md"), lecture).unwrap();
    replace_in(
        &dir.path().join("Videofile"),
        "title = \"Small course\"\n",
        "",
    );
    dir
}

#[test]
fn misspelt_commands_targets_and_chapters_get_a_suggestion() {
    let ran = Test::in_dir(small_course())
        .args(&["tragets"])
        .status(2)
        .stderr_has("hint: did you mean the command `vbuild targets`?")
        .run();
    let ran = Test::in_dir(ran.dir)
        .args(&["-n", "tide"])
        .status(2)
        .stderr_has("hint: did you mean `tides`?")
        .run();
    let ran = Test::in_dir(ran.dir)
        .args(&["-n", "scirpt:winds"])
        .status(2)
        .stderr_has("hint: did you mean `script:winds`?")
        .run();
    // A number on its own and `chapter:` with it are the same chapter, and the same error.
    let alone = Test::in_dir(ran.dir)
        .args(&["-n", "99"])
        .status(2)
        .stderr("vbuild: target \"99\": no chapter \"99\"; the chapters are 01-tides, 02-winds (numbers 1 to 2)\n")
        .run();
    let prefixed = Test::in_dir(alone.dir)
        .args(&["-n", "chapter:99"])
        .status(2)
        .stderr_has("no chapter \"99\"; the chapters are 01-tides, 02-winds (numbers 1 to 2)\n")
        .run();
    let message = |stderr: &str| stderr.split_once("\": ").map(|(_, m)| m.to_string());
    assert_eq!(message(&alone.stderr), message(&prefixed.stderr));
    assert!(
        alone
            .stderr
            .contains("no chapter \"99\"; the chapters are 01-tides, 02-winds"),
        "{}",
        alone.stderr
    );
}

#[test]
fn a_slide_that_does_not_exist_is_an_error() {
    Test::in_dir(small_course())
        .args(&["audio:1/9"])
        .status(2)
        .stderr_has(
            "vbuild: target \"audio:1/9\": chapter 01-tides has 2 slides, so there is no slide 9; ask for audio:1/1 to audio:1/2",
        )
        .run();
}

#[test]
fn a_byte_order_mark_does_not_hide_the_title() {
    let ran = Test::in_dir(course_of(
        "\u{feff}# Tides and winds\n\n## Café\n\nThe moon pulls the sea.\n".as_bytes(),
    ))
    .args(&["targets"])
    .stdout_has("01-cafe")
    .run();
    Test::in_dir(ran.dir)
        .args(&["config"])
        .stdout_has("title = \"Tides and winds\"")
        .run();
}

#[test]
fn text_in_another_encoding_is_named_at_its_line_with_a_hint() {
    Test::in_dir(course_of(b"# Tides\n\n## Two\n\nCaf\xe9 au lait.\n"))
        .args(&["-n"])
        .status(2)
        .stderr(
            "vbuild: lecture.md:5: it is not UTF-8 text: line 5, column 4 holds the byte 0xE9 ('é' in Latin-1); save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)\n",
        )
        .run();
}

#[test]
fn numbered_lessons_are_chapters_in_the_order_of_their_numbers() {
    let dir = small_course();
    std::fs::remove_file(dir.path().join("lecture.md")).unwrap();
    for n in [1, 2, 10] {
        std::fs::write(
            dir.path().join(format!("lesson-{n}.md")),
            format!("## Lesson {n}\n\nThis is lesson {n}.\n"),
        )
        .unwrap();
    }
    replace_in(
        &dir.path().join("Videofile"),
        "[\"lecture.md\"]",
        "[\"lesson-*.md\"]",
    );
    Test::in_dir(dir)
        .args(&["targets"])
        .stdout_has("  1   01-lesson-1 ")
        .stdout_has("  2   02-lesson-2 ")
        .stdout_has("  3   03-lesson-10 ")
        .run();
}

#[test]
fn the_course_is_found_from_a_folder_inside_it() {
    let dir = small_course();
    std::fs::create_dir_all(dir.path().join("notes/drafts")).unwrap();
    let ran = vbuild(&dir.path().join("notes/drafts"), &["-n", "script:1"]);
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success() && stdout.contains("script:01-tides"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    // What it writes is named as seen from where it ran.
    let built = vbuild_ok(&dir.path().join("notes"), &["script:1"]);
    assert!(
        String::from_utf8_lossy(&built.stdout).contains("-> ../out/scripts/01-tides.json"),
        "{}",
        String::from_utf8_lossy(&built.stdout)
    );
}

#[test]
fn init_here_says_where_and_how_to_build() {
    let ran = Test::in_dir(tempfile::tempdir().unwrap())
        .args(&["init"])
        .stdout_has("; build it with `vbuild`\n")
        .run();
    assert!(!ran.stdout.contains("ready in ;"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains(&ran.dir.path().display().to_string()),
        "{}",
        ran.stdout
    );
}

#[test]
fn config_shows_what_the_voice_reads_and_where_each_value_came_from() {
    let dir = small_course();
    replace_in(
        &dir.path().join("Videofile"),
        "title = \"Small course\"\n",
        "",
    );
    append_to_videofile(dir.path(), "[speech]\nprovider = \"piper\"");
    let ran = Test::in_dir(dir)
        .args(&["config", "--set", "speech.rate=200"])
        .stdout_has("title = \"Small course\"                   # from lecture.md's first level-1 heading\n")
        .stdout_has("length_scale = 1.0")
        .stderr_has("--set speech.rate=200: [speech] rate does nothing with the piper voice; piper's pace is length_scale")
        .run();
    // What the voice does not read is shown as a comment, with where it was set and why it does nothing.
    let line = |key: &str| {
        let found = (ran.stdout.lines()).find(|l| l.contains(&format!("{key} = ")));
        found
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("rate"),
        "# rate = 200 # --set speech.rate=200; the piper voice does not read it"
    );
    assert!(line("voice").starts_with("# voice = "), "{}", ran.stdout);
}

#[test]
fn a_short_note_over_a_long_section_warns_that_the_slide_goes_unspoken() {
    let lecture = "# Course\n\n## Tides\n\n<!-- say: Look at this. -->\n\n\
        The moon pulls the sea towards it, and the sea on the far side is left behind, so two bulges of water \
        follow the moon around the earth every day.\n\n## Winds\n\nAir moves from high to low pressure.\n";
    Test::in_dir(course_of(lecture.as_bytes()))
        .args(&["script:1", "script:2"])
        .stderr_has("chapter \"Tides\", slide 1 (\"Tides\"): it shows 30 words of text and says 3 (its section")
        .stdout_has("vbuild: 4 run, 0 cached, 0 failed, 0 skipped in ")
        .stdout_has(" -> out/scripts/01-tides.json\n")
        .run();
}

#[test]
fn a_profiles_outputs_go_to_a_folder_of_their_own() {
    let dir = small_course();
    append_to_videofile(
        dir.path(),
        "[profile.draft.video]\nresolution = \"160x90\"\nfps = 5",
    );
    vbuild_ok(dir.path(), &["-q"]);
    let draft = vbuild_ok(dir.path(), &["--profile", "draft"]);
    assert!(
        String::from_utf8_lossy(&draft.stdout).contains("-> out/draft/small-course.mp4"),
        "{}",
        String::from_utf8_lossy(&draft.stdout)
    );
    let width = |path: &str| {
        let caps = probe(&dir.path().join(path)).video_caps.join(" ");
        caps.split("width=(int)")
            .nth(1)
            .and_then(|w| w.split([',', ' ']).next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(width("out/small-course.mp4"), "320");
    assert_eq!(width("out/draft/small-course.mp4"), "160");
    assert_eq!(width("out/chapters/01-tides.mp4"), "320");
    assert_eq!(width("out/draft/chapters/01-tides.mp4"), "160");
    // The course's own build prunes and cleans its own folder, never the draft's.
    vbuild_ok(dir.path(), &["-q"]);
    let cleaned = vbuild_ok(dir.path(), &["clean"]);
    assert!(!dir.path().join("out/small-course.mp4").exists());
    assert!(
        dir.path().join("out/draft/small-course.mp4").exists(),
        "{}",
        String::from_utf8_lossy(&cleaned.stdout)
    );
    vbuild_ok(dir.path(), &["--profile", "draft", "clean"]);
    assert!(!dir.path().join("out/draft").exists());
}

#[test]
fn slide_pictures_are_files_a_person_can_open() {
    let dir = small_course();
    let built = vbuild_ok(dir.path(), &["image:2"]);
    assert!(
        String::from_utf8_lossy(&built.stdout).contains("-> out/slides/02-winds/01.png"),
        "{}",
        String::from_utf8_lossy(&built.stdout)
    );
    for slide in ["01", "02"] {
        let png =
            std::fs::read(dir.path().join(format!("out/slides/02-winds/{slide}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // 320 x 180, as the Videofile says.
        assert_eq!(&png[16..24], &[0, 0, 1, 64, 0, 0, 0, 180]);
    }
    assert!(!dir.path().join("out/slides/01-tides").exists());
    // A build that does not ask for pictures leaves them; clean removes them with the rest.
    vbuild_ok(dir.path(), &["-q"]);
    assert!(dir.path().join("out/slides/02-winds/02.png").exists());
    vbuild_ok(dir.path(), &["clean"]);
    assert!(!dir.path().join("out").exists() || !dir.path().join("out/slides").exists());
}
