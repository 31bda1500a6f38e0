//! `image`: one slide drawn by the built-in renderer: its blocks laid out, the lecture's own pictures and a
//! generated picture (if any) composed in.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, StepError, write};
use crate::cache::{Store, io_error};
use crate::graph::node::{Address, NodeKind, SlideId};
use crate::graph::signature::Signature;
use crate::lecture::ImageFile;
use crate::lecture::markdown::Block;
use crate::media::{layout, picture, slide};
use crate::sys::digest::Digest;
use crate::sys::files;

/// Draws a slide to PNG.
struct Draw {
    content: slide::SlideContent,
    style: slide::SlideStyle,
    /// The hash of a generated picture to compose with the text.
    picture: Option<Digest>,
    /// The local images the slide shows, by the path its blocks name, with their signed hashes.
    images: Vec<(String, ImageFile)>,
}

pub fn prepare(at: SlideId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let vf = ctx.videofile;
    let slide = inputs.slide(at);
    let content = slide::SlideContent {
        course_title: inputs.course_title(at.chapter.edition),
        chapter_title: inputs.title(at.chapter),
        title: slide.title.clone(),
        blocks: slide::SlideContent::from_script(&slide.content, &slide.bullets),
        number: at.slide + 1,
    };
    let style = slide::SlideStyle {
        width: vf.video.width,
        height: vf.video.height,
        theme: vf.images.theme,
    };
    let picture = inputs.has(NodeKind::Picture, Address::Slide(at)).then(|| {
        inputs
            .entry(NodeKind::Picture, Address::Slide(at))
            .output("picture")
            .clone()
    });
    // The local images the slide shows, signed by content: editing one redraws exactly its slides.
    let images: Vec<(String, ImageFile)> = content
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Image { src, .. } => ctx.images.get(src).map(|f| (src.clone(), f.clone())),
            _ => None,
        })
        .collect();
    let mut signature = Signature::new(NodeKind::Image, slide::VERSION);
    signature
        .setting("renderer", "slides")
        .setting("layout", layout::VERSION)
        .setting("resolution", format!("{}x{}", style.width, style.height))
        .setting("theme", style.theme)
        .setting("course", &content.course_title)
        .input("chapter", &content.chapter_title)
        .input("title", &content.title)
        .input(
            "blocks",
            serde_json::to_string(&content.blocks).expect("blocks serialise"),
        )
        .input("number", content.number);
    for (src, file) in &images {
        signature.input(&format!("image {src}"), &file.hash);
    }
    if let Some(picture) = &picture {
        let from = inputs.name(NodeKind::Picture, Address::Slide(at));
        signature.input_from("picture", from, picture);
    }
    Prepared::new(
        signature,
        Draw {
            content,
            style,
            picture,
            images,
        },
    )
}

impl Job for Draw {
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let content = &self.content;
        let slide = format!("{}, slide {}", content.chapter_title, content.number);
        let picture = self
            .picture
            .as_ref()
            .map(|hash| store.read_blob(hash))
            .transpose()?;
        if let Some(bytes) = &picture {
            checked(bytes, &format!("the picture generated for {slide}"))?;
        }
        let mut bytes = BTreeMap::new();
        for (src, file) in &self.images {
            let read = files::read(&file.path, files::PICTURE_BYTES)
                .map_err(|err| io_error(&file.path)(err.into()))?;
            if Digest::of(&read).as_str() != file.hash {
                return Err(StepError::Invalid {
                    what: "image",
                    message: format!(
                        "{} changed while the course was building; run vbuild again",
                        file.path.display()
                    ),
                });
            }
            checked(&read, &format!("image {src} on {slide}"))?;
            bytes.insert(src.clone(), read);
        }
        let lookup = |src: &str| bytes.get(src).cloned();
        let rendered = slide::render_png(&self.content, self.style, picture.as_deref(), &lookup)?;
        let mut produced =
            Produced::default().file("slide", write(scratch.join("slide.png"), &rendered.png)?);
        if !rendered.missing.is_empty() {
            let characters: String = rendered.missing.iter().collect();
            log::warn!(
                "{}, slide {}: no bundled font has {characters}; left out",
                content.chapter_title,
                content.number
            );
            produced = produced.fact("missing_glyphs", json!(characters));
        }
        if rendered.overflow {
            log::warn!(
                "{}, slide {}: its content does not fit even at the smallest text size; the bottom is cut",
                content.chapter_title,
                content.number
            );
            produced = produced.fact("overflow", json!(true));
        }
        Ok(produced)
    }
}

/// Checks that `bytes` are a picture the renderer draws ([`picture::check`]); what it leaves out of an SVG
/// is said in a warning naming `what`.
fn checked(bytes: &[u8], what: &str) -> Result<(), StepError> {
    let checked = picture::check(bytes).map_err(|error| StepError::Picture {
        what: what.to_string(),
        error,
    })?;
    for left_out in checked.left_out {
        log::warn!("{what}: left out {left_out}");
    }
    for warning in checked.warnings {
        log::warn!("{what}: {warning}");
    }
    Ok(())
}
