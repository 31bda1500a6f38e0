//! `script`: a chapter's slide script, by the outline writer (offline, deterministic) or a language model
//! (which falls back to the outline writer only when the Videofile asks for it).

use std::path::Path;

use serde_json::json;

use super::{Context, Inputs, Job, Prepared, Produced, StepError, read_json, sign_api, write};
use crate::cache::Store;
use crate::graph::node::{Address, ChapterId, NodeKind, Section};
use crate::graph::signature::Signature;
use crate::lecture::script::{self as schema};
use crate::lecture::{Chapter, slug};
use crate::media::layout;
use crate::providers::apis::Signed;
use crate::providers::llm::ScriptRequest;
use crate::providers::outline::{self, OutlineSettings};
use crate::record::cost::Usage;
use crate::sys::digest::Digest;

/// Writes a chapter's script from its parsed blocks.
struct WriteScript {
    chapter: Digest,
    /// What the outline writer starts its slide ids with.
    slide_ids: String,
    writer: Writer,
}

/// Who writes a chapter's script.
enum Writer {
    Outline(OutlineSettings),
    /// A language model; on failure, the outline writer when the Videofile asks for it.
    Model {
        request: ScriptRequest,
        fallback: Option<OutlineSettings>,
        /// The tokens the request is expected to use (for dry-run estimates).
        estimate: Usage,
    },
}

/// What chapter `chapter`'s script may hold, whoever wrote it and wherever it came from: a model's at most
/// `max_slides`; the outline writer's (the provider, or a model's fallback) as many as it needs to show
/// everything, which is at most a slide per word of the chapter.
pub fn limits(chapter: ChapterId, ctx: &Context) -> schema::Limits {
    let vf = ctx.videofile;
    let requested = schema::Limits::of_model(
        vf.script.max_slides as usize,
        vf.script.max_bullets as usize,
    );
    if vf.script.provider != "outline" && !vf.script.fallback_to_outline {
        return requested;
    }
    let words = ctx.chapters[chapter.index]
        .markdown
        .split_whitespace()
        .count();
    schema::Limits {
        max_slides: requested.max_slides.max(words + 1),
        complete: false,
        ..requested
    }
}

pub fn prepare(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let vf = ctx.videofile;
    let parsed = inputs.parsed(chapter);
    let chapter_blob = inputs
        .entry(parsed, Address::Chapter(chapter))
        .output("chapter")
        .clone();
    let source = inputs.chapter(chapter);
    let settings = OutlineSettings {
        max_slides: vf.script.max_slides as usize,
        max_bullets: vf.script.max_bullets as usize,
        words_per_slide: vf.script.words_per_slide as usize,
    };
    let mut signature = Signature::new(NodeKind::Script, schema::SCHEMA_VERSION);
    signature
        .setting("max slides", settings.max_slides)
        .setting("max bullets", settings.max_bullets);
    // The outline writer numbers its slides after the chapter, so its key signs the chapter number; a model's
    // script does not depend on where the chapter stands, so inserting a chapter re-bills nothing (a fallback
    // outline names its slides after the chapter's title instead).
    let (writer, slide_ids) = if vf.script.provider == "outline" {
        signature
            .setting("writer", "outline")
            .setting("writer version", outline::VERSION)
            .setting("layout version", layout::VERSION)
            .setting("words per slide", settings.words_per_slide)
            .input("chapter number", chapter)
            .input_from(
                "chapter",
                inputs.name(parsed, Address::Chapter(chapter)),
                &chapter_blob,
            );
        (
            Writer::Outline(settings),
            format!("{:02}", chapter.index + 1),
        )
    } else {
        let fallback = vf.script.fallback_to_outline.then_some(settings);
        let api = vf.providers[&vf.script.provider].api;
        sign_api(
            &mut signature,
            "writer",
            api,
            Section::Script,
            |setting| match setting {
                Signed::Model => vf.script.model.clone(),
                _ => unreachable!("scripts sign their model"),
            },
        );
        signature
            .setting("prompt template", ctx.script_template)
            .setting(
                "fallback",
                if fallback.is_some() {
                    "outline"
                } else {
                    "none"
                },
            );
        let request = ScriptRequest {
            client: ctx.clients.get(&vf.script.provider),
            model: vf.script.model.clone(),
            template: ctx.script_template.to_string(),
            course_title: vf.course.title.clone(),
            max_slides: settings.max_slides,
            max_bullets: settings.max_bullets,
            max_attempts: vf.script.max_attempts,
        };
        let writer = Writer::Model {
            request,
            fallback,
            estimate: model_estimate(chapter, ctx),
        };
        // A model reads the chapter as text: that text is what its script depends on (a translation's text
        // is its chapter's).
        if chapter.edition.is_source() {
            signature.input("chapter text", source.chapter.to_text());
        } else {
            signature.input_from(
                "chapter",
                inputs.name(parsed, Address::Chapter(chapter)),
                &chapter_blob,
            );
        }
        (writer, slug(&source.chapter.title))
    };
    Prepared::new(
        signature,
        WriteScript {
            chapter: chapter_blob,
            slide_ids,
            writer,
        },
    )
}

/// What a chapter's script is expected to ask of a model before the chapter is parsed (dry runs).
pub fn estimate(chapter: ChapterId, ctx: &Context) -> Usage {
    if ctx.videofile.script.provider == "outline" {
        Usage::default()
    } else {
        model_estimate(chapter, ctx)
    }
}

/// About four characters a token: the prompt holds the template and the chapter, the answer about as much as
/// the chapter.
fn model_estimate(chapter: ChapterId, ctx: &Context) -> Usage {
    let chapter_chars = ctx.chapters[chapter.index].markdown.chars().count() as u64;
    Usage {
        input_tokens: (ctx.script_template.chars().count() as u64 + chapter_chars) / 4,
        output_tokens: chapter_chars / 4,
        requests: 1,
        ..Usage::default()
    }
}

impl Job for WriteScript {
    fn usage(&self) -> Usage {
        match &self.writer {
            Writer::Model { estimate, .. } => *estimate,
            Writer::Outline(_) => Usage::default(),
        }
    }

    fn provider(&self) -> Option<&str> {
        match &self.writer {
            Writer::Model { request, .. } => Some(&request.client.name),
            Writer::Outline(_) => None,
        }
    }

    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let chapter: Chapter = read_json(store, &self.chapter, "chapter")?;
        let outline = |settings: &OutlineSettings| {
            (
                outline::write_script(&chapter, &self.slide_ids, *settings),
                Usage::default(),
            )
        };
        let (script, usage) = match &self.writer {
            Writer::Outline(settings) => outline(settings),
            Writer::Model {
                request, fallback, ..
            } => match (request.write(&chapter.title, &chapter.to_text()), fallback) {
                (Ok(written), _) => written,
                (Err(err), Some(settings)) => {
                    log::warn!(
                        "{err}; writing this chapter with the outline writer, as the Videofile asks"
                    );
                    outline(settings)
                }
                (Err(err), None) => return Err(err.into()),
            },
        };
        Ok(Produced::using(usage)
            .file(
                "script",
                write(scratch.join("script.json"), &script.to_json())?,
            )
            .fact("slides", json!(script.slides.len())))
    }
}
