//! Slide drawing speed: the milliseconds one 1080p slide takes (writing its script page and drawing it), for
//! the bundled example, the test fixture with every Markdown construct, and pathological text (one unbroken
//! 4 KB, 8 KB and 200 KB word, one 200 KB sentence), whose layout must stay linear.
//!
//! Run with `cargo bench --bench slides`.

use std::path::Path;
use std::time::Instant;

use vbuild::config::Split;
use vbuild::lecture::{How, split_chapters};
use vbuild::media::slide::{SlideContent, SlideStyle, render_png};
use vbuild::media::theme::Theme;
use vbuild::providers::outline::{OutlineSettings, write_script};

/// Writes the scripts of `markdown` and draws every slide at 1080p; returns (slides, milliseconds per slide).
fn draw_all(markdown: &str, split: Split, folder: &Path) -> (usize, f64) {
    let started = Instant::now();
    let settings = OutlineSettings {
        max_slides: 8,
        max_bullets: 5,
        words_per_slide: 90,
    };
    let style = SlideStyle {
        width: 1920,
        height: 1080,
        theme: Theme::Dark,
    };
    let images = |src: &str| std::fs::read(folder.join(src)).ok();
    let mut slides = 0;
    for (chapter, _) in split_chapters(markdown, How::document(split), "bench") {
        let script = write_script(&chapter, "01", settings);
        for (index, slide) in script.slides.iter().enumerate() {
            let content = SlideContent {
                course_title: "Bench".into(),
                chapter_title: chapter.title.clone(),
                title: slide.title.clone(),
                blocks: SlideContent::from_script(&slide.content, &slide.bullets),
                number: index + 1,
            };
            render_png(&content, style, None, &images).expect("a slide");
            slides += 1;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0 / slides.max(1) as f64;
    (slides, ms)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("examples/intro-ml");
    let showcase = root.join("tests/fixtures/showcase");
    let cases: Vec<(&str, String, Split, &Path)> = vec![
        (
            "bundled example",
            std::fs::read_to_string(example.join("lecture.md")).expect("the example"),
            Split::H2,
            &example,
        ),
        (
            "showcase fixture",
            std::fs::read_to_string(showcase.join("lecture.md")).expect("the fixture"),
            Split::H2,
            &showcase,
        ),
        (
            "one 4 KB word",
            format!("# W\n\n{}\n", "w".repeat(4 << 10)),
            Split::File,
            root,
        ),
        (
            "one 8 KB word",
            format!("# W\n\n{}\n", "w".repeat(8 << 10)),
            Split::File,
            root,
        ),
        (
            "one 200 KB word",
            format!("# W\n\n{}\n", "w".repeat(200_000)),
            Split::File,
            root,
        ),
        (
            "one 200 KB sentence",
            format!("# S\n\n{}\n", "all work and no play ".repeat(200_000 / 21)),
            Split::File,
            root,
        ),
    ];
    println!("vbuild slide bench: 1920x1080, script page and drawing per slide");
    for (name, markdown, split, folder) in cases {
        let (slides, ms) = draw_all(&markdown, split, folder);
        println!("  {name:<22} {slides:>5} slides  {ms:>8.1} ms per slide");
    }
}
