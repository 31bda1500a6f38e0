//! The video shows the lecture as written: a fixture with every Markdown construct the slides draw is built,
//! frames are taken from the course MP4 at every slide, and tesseract reads them back.

use std::path::Path;

use crate::common::*;

/// What the showcase says of its one character no bundled font has.
const CRAB: &str = "Pictures and other scripts, slide 1: no bundled font has 🦀; left out";

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/showcase")
}

const MAGENTA: [u8; 3] = [230, 20, 230];

/// A copy of the fixture with its picture drawn.
fn showcase() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["Videofile", "lecture.md"] {
        std::fs::copy(fixture_dir().join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(
        dir.path().join("diagram.png"),
        picture(600, 300, MAGENTA, [250, 220, 0]),
    )
    .unwrap();
    dir
}

#[test]
fn every_construct_of_the_lecture_is_on_screen_and_read_back() {
    let dir = showcase();
    let output = vbuild_ok_warning(dir.path(), &[], &[CRAB]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    // The title is the lecture's level-1 heading (the Videofile sets none).
    let video = dir.path().join("out/caching-in-practice.mp4");
    assert!(video.is_file(), "{stderr}");
    assert!(stderr.contains("no bundled font has 🦀"), "{stderr}");

    let report = report(dir.path());
    let slides = slide_times(&report);
    let mut screens: Vec<(String, String)> = Vec::new();
    let mut picture_pixels = 0;
    for (name, start, seconds) in &slides {
        let frame = frame_png(&video, start + seconds / 2.0);
        if name.contains("pictures-and-other-scripts") {
            picture_pixels = picture_pixels.max(pixels_like(&frame, MAGENTA));
        }
        screens.push((name.clone(), ocr(&frame)));
    }
    let text: String = screens
        .iter()
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let all = squash(&text);
    let on_screen = |wanted: &str| {
        assert!(
            read_back(&all, &squash(wanted)),
            "not on screen: {wanted:?}\n--- read back:\n{text}"
        )
    };

    // Whole sentences of the 300-word paragraph, on consecutive slides.
    for sentence in [
        "Caches keep copies of data close to where it is used.",
        "Least recently used eviction drops the entry nobody touched for the longest time.",
        "Write back caches delay the write until the entry is evicted in round 2.",
    ] {
        on_screen(sentence);
    }
    // Code lines, exactly (spaces included), in three languages; a comment in code is code.
    for line in [
        "from functools import lru_cache",
        "@lru_cache(maxsize=128)",
        "# a comment is code, not a heading",
        "return n if n < 2 else fib(n - 1) + fib(n - 2)",
        "fn cached(map: &mut HashMap<u64, u64>, key: u64) -> u64 {",
        "for f in *.log; do gzip \"$f\"; done",
    ] {
        on_screen(line);
    }
    // Every cell of the wide table, and every row of the long one.
    for cell in [
        "Strategy",
        "Writes go to",
        "Typical use",
        "Risk",
        "Latency",
        "write-through",
        "cache and store",
        "session data",
        "slow writes",
        "12 ms",
        "write-back",
        "cache first",
        "counters",
        "lost writes",
        "write-around",
        "store only",
        "cold reads",
    ] {
        on_screen(cell);
    }
    for i in 1..=30 {
        on_screen(&format!("region {i:02} {}", i * 37));
    }
    // Lists keep their numbers and nesting; task boxes; the quote and its author; the footnote.
    for text in [
        "1. Measure the hit rate",
        "per endpoint",
        "per hour",
        "2. Size the cache",
        "start with the working set",
        "3. Choose an eviction policy",
        "add metrics",
        "tune the time to live",
        "There are only two hard things in computer science: cache invalidation and naming things.",
        "Phil Karlton",
        "Even your CPU has three levels of them.",
        "A diagram of the cache layers",
    ] {
        on_screen(text);
    }
    on_screen("日本語のテキストもスライドに表示されます。");
    assert!(!text.contains('…'), "an ellipsis on screen:\n{text}");
    // The picture's own pixels are on its slide.
    assert!(picture_pixels > 20_000, "{picture_pixels} magenta pixels");

    // Heading-only chapters are title cards held for at least three seconds.
    for chapter in ["summary", "questions"] {
        let (_, _, seconds) = slides
            .iter()
            .find(|(name, _, _)| name.contains(chapter))
            .unwrap();
        assert!(*seconds >= 3.0, "{chapter}: {seconds} s");
        let (_, text) = screens
            .iter()
            .find(|(name, _)| name.contains(chapter))
            .unwrap();
        assert!(
            read_back(&squash(text), &squash(chapter)),
            "{chapter}: {text}"
        );
    }
    // Code and tables are shown, not read out.
    let subtitles = std::fs::read_to_string(dir.path().join("out/caching-in-practice.srt"))
        .unwrap()
        .replace('\n', " ");
    assert!(!subtitles.contains("lru_cache") && !subtitles.contains("region 07"));
    assert!(subtitles.contains("Python keeps the result of a call with a decorator"));
}

#[test]
fn editing_a_picture_redraws_exactly_its_slide_and_a_missing_one_stops_the_build() {
    let dir = showcase();
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(&videofile, text.replace("1920x1080", "640x360")).unwrap();
    vbuild_ok_warning(dir.path(), &[], &[CRAB]);
    std::fs::write(
        dir.path().join("diagram.png"),
        picture(600, 300, [0, 160, 255], [250, 220, 0]),
    )
    .unwrap();
    vbuild_ok_warning(dir.path(), &[], &[CRAB]);
    let ran = nodes_in(&report(dir.path()), "ran");
    assert_eq!(
        ran,
        [
            "chapter-video:05-pictures-and-other-scripts",
            "clip:05-pictures-and-other-scripts/01",
            "course-video",
            "image:05-pictures-and-other-scripts/01",
        ]
    );

    std::fs::remove_file(dir.path().join("diagram.png")).unwrap();
    let missing = vbuild(dir.path(), &[]);
    assert_eq!(missing.status.code(), Some(2));
    let line = std::fs::read_to_string(dir.path().join("lecture.md"))
        .unwrap()
        .lines()
        .position(|l| l.contains("(diagram.png)"))
        .unwrap()
        + 1;
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains(&format!("lecture.md:{line}: image diagram.png not found")),
        "{stderr}"
    );
    assert_eq!(nodes_in(&report(dir.path()), "ran").len(), 4, "nothing ran");
}

#[test]
fn what_the_svg_library_says_of_a_picture_names_the_picture_and_its_slide() {
    let dir = small_course();
    std::fs::write(
        dir.path().join("d.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><text x="10" y="50" font-family="Helvetica" font-size="20" fill="notacolor">LABEL</text></svg>"#,
    )
    .unwrap();
    replace_in(
        &dir.path().join("lecture.md"),
        "The moon pulls the sea.",
        "The moon pulls the sea.\n\n![A diagram](d.svg)",
    );
    let output = vbuild_ok_warning(
        dir.path(),
        &[],
        &["Failed to parse fill value: 'notacolor'"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("image d.svg on Tides, slide 1: Failed to parse fill value: 'notacolor'"),
        "{stderr}"
    );
    // Said once, at the picture's check, never as a line naming no picture; and its Helvetica text has a font.
    assert_eq!(stderr.matches("notacolor").count(), 1, "{stderr}");
    assert!(!stderr.contains("font-family"), "{stderr}");
}

#[test]
fn control_characters_and_raw_html_are_reported_and_the_build_goes_on() {
    let dir = small_course();
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(
        &lecture,
        text.replace("The moon pulls", "The \u{1b}[1mmoon\u{0} pulls")
            + "\n<div class=\"note\">\nraw\n</div>\n",
    )
    .unwrap();
    let output = vbuild_ok_warning(
        dir.path(),
        &[],
        &[
            "a raw HTML block is not drawn on slides",
            "removed 2 control characters",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lecture.md:5: removed 2 control characters"),
        "{stderr}"
    );
    let line = std::fs::read_to_string(&lecture)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("<div"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("lecture.md:{line}: a raw HTML block is not drawn")),
        "{stderr}"
    );
}

#[test]
fn a_200_kb_word_and_a_200_kb_sentence_become_slides_that_show_all_of_them() {
    use vbuild::config::Split;
    use vbuild::lecture::markdown::{Block, plain};
    use vbuild::lecture::{How, split_chapters};
    use vbuild::media::slide::{SlideContent, SlideStyle, render_png};
    use vbuild::media::theme::Theme;
    use vbuild::providers::outline::{OutlineSettings, write_script};

    let word = "w".repeat(200_000);
    let sentence = "all work and no play ".repeat(200_000 / 21);
    for text in [word, sentence] {
        let markdown = format!("# Long\n\n{text}\n");
        let chapter = split_chapters(&markdown, How::document(Split::File), "x")
            .remove(0)
            .0;
        let settings = OutlineSettings {
            max_slides: 8,
            max_bullets: 5,
            words_per_slide: 90,
        };
        let script = write_script(&chapter, "01", settings);
        let shown: String = script
            .slides
            .iter()
            .flat_map(|s| &s.content)
            .map(|b| match b {
                Block::Paragraph { text } => plain(text),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        assert!(
            squash(&shown) == squash(&text),
            "{} of {} characters shown",
            shown.len(),
            text.len()
        );
        let style = SlideStyle {
            width: 1920,
            height: 1080,
            theme: Theme::Dark,
        };
        let count = script.slides.len();
        for index in [0, count / 2, count - 1] {
            let slide = &script.slides[index];
            let content = SlideContent {
                course_title: "Course".into(),
                chapter_title: "Long".into(),
                title: slide.title.clone(),
                blocks: slide.content.clone(),
                number: index + 1,
            };
            let rendered = render_png(&content, style, None, &|_| None).unwrap();
            assert!(!rendered.overflow, "slide {index} of {count} overflows");
            assert!(rendered.missing.is_empty());
        }
    }
}
