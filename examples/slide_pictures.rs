//! Draws the pictures of the README's "Writing a lecture" section from `docs/slides.md`: the first slide of
//! each chapter, at 960x540, into `docs/`. Run with `cargo run --example slide_pictures`.

use std::path::Path;

use vbuild::config::Split;
use vbuild::lecture::{How, slug, split_chapters};
use vbuild::media::slide::{SlideContent, SlideStyle, render_png};
use vbuild::media::theme::Theme;
use vbuild::providers::outline::{OutlineSettings, write_script};

fn main() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let markdown = std::fs::read_to_string(docs.join("slides.md")).expect("docs/slides.md");
    let settings = OutlineSettings {
        max_slides: 8,
        max_bullets: 5,
        words_per_slide: 90,
    };
    let style = SlideStyle {
        width: 960,
        height: 540,
        theme: Theme::Dark,
    };
    for (chapter, _) in split_chapters(&markdown, How::document(Split::H2), "docs") {
        let script = write_script(&chapter, "01", settings);
        let slide = &script.slides[0];
        let content = SlideContent {
            course_title: "Writing a lecture".into(),
            chapter_title: chapter.title.clone(),
            title: slide.title.clone(),
            blocks: SlideContent::from_script(&slide.content, &slide.bullets),
            number: 1,
        };
        let rendered = render_png(&content, style, None, &|_| None).expect("a slide");
        let path = docs.join(format!("{}.png", slug(&chapter.title)));
        std::fs::write(&path, rendered.png).expect("write the picture");
        println!("wrote {}", path.display());
    }
}
