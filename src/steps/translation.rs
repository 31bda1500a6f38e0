//! `translation`: a chapter in its edition's language. Its author's own translation (`lecture.fr.md`) when
//! there is one; else the chapter of the sources, parsed, then translated by a model segment by segment
//! ([`crate::lecture::translate`]). Each segment's translation is remembered under its own key
//! ([`crate::cache::memo`]) as soon as its batch is answered, so an edit re-sends only the segments it
//! changed and a stopped build never pays twice for one.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::chapter::sign_source;
use super::{Inputs, Job, Prepared, Produced, StepError, sign_api, write};
use crate::cache::Store;
use crate::cache::memo::SEGMENTS;
use crate::graph::node::{ChapterId, Edition, NodeKind, Section};
use crate::graph::signature::Signature;
use crate::lecture::translate::{self, Segment};
use crate::lecture::{Chapter, Given};
use crate::providers::apis::Signed;
use crate::providers::translator::{INSTRUCTIONS, Translator};
use crate::record::cost::Usage;
use crate::sys::digest::Digest;

/// The version of the segment keys and of the way a chapter is cut into segments.
const VERSION: u32 = 1;

/// Writes the chapter its author translated.
struct Supplied(Chapter);

/// Translates one chapter with a model.
struct Translate {
    chapter: Chapter,
    segments: Vec<Segment>,
    /// Each segment's key, in order.
    keys: Vec<Digest>,
    translator: Translator,
    batch: usize,
}

pub fn prepare(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let source = inputs.chapter(chapter);
    let target = inputs.language(chapter);
    let mut signature = Signature::new(NodeKind::Translation, VERSION);
    match source.given_in(target) {
        Some(Given::ByAuthor(supplied)) => {
            signature
                .setting("translator", "the author")
                .setting("split", source.split)
                .setting("dialect", source.dialect)
                .input(
                    &format!("markdown of {}", supplied.file),
                    &supplied.markdown,
                );
            for (path, hash) in &supplied.included {
                signature.input(&format!("included {path}"), hash);
            }
            return Prepared::new(signature, Supplied(supplied.chapter.clone()));
        }
        Some(Given::AsWritten) => {
            signature.setting("translator", "none: written in the language");
            sign_source(&mut signature, source);
            return Prepared::new(signature, Supplied(source.chapter.clone()));
        }
        None => {}
    }
    let job = by_model(
        &mut signature,
        &source.chapter,
        &source.language,
        target,
        inputs,
    );
    sign_source(&mut signature, source);
    Prepared::new(signature, job)
}

/// The course title in `edition`'s language: the title of its author's translation of the first source
/// (`lecture.fr.md`'s), else a model's translation of it, as a chapter with a title and nothing else.
pub fn prepare_title(edition: Edition, inputs: &Inputs) -> Prepared {
    let vf = inputs.ctx.videofile;
    let target = inputs.edition_language(edition);
    let mut signature = Signature::new(NodeKind::CourseTitle, VERSION);
    let title = |title: &str| Chapter {
        title: title.to_string(),
        blocks: Vec::new(),
        deck: false,
    };
    if let Some(supplied) = inputs.ctx.titles.get(target) {
        signature
            .setting("translator", "the author")
            .input("title", supplied);
        return Prepared::new(signature, Supplied(title(supplied)));
    }
    let course = title(&vf.course.title);
    let job = by_model(
        &mut signature,
        &course,
        vf.course.language(),
        target,
        inputs,
    );
    signature.input("title", &vf.course.title);
    Prepared::new(signature, job)
}

/// A model's translation of `chapter` from `source` into `target`, with the translator, its instructions,
/// the glossary and the language pair signed.
fn by_model(
    signature: &mut Signature,
    chapter: &Chapter,
    source: &str,
    target: &str,
    inputs: &Inputs,
) -> Translate {
    let ctx = inputs.ctx;
    let vf = ctx.videofile;
    let api = vf.providers[&vf.translate.provider].api;
    // The translator is signed into the node's key, and on its own into every segment's.
    let mut translator_only = Signature::new(NodeKind::Translation, VERSION);
    for signed in [&mut *signature, &mut translator_only] {
        sign_api(
            signed,
            "translator",
            api,
            Section::Translate,
            |setting| match setting {
                Signed::Model => vf.translate.model.clone(),
                _ => unreachable!("translators sign their model"),
            },
        );
    }
    signature
        .setting("instructions", INSTRUCTIONS)
        .setting("glossary", vf.translate.glossary.join("\n"))
        .setting("from", source)
        .setting("into", target);
    // A segment's key: what it says, in which languages, by which translator: wherever it stands.
    let translator: Vec<String> = (translator_only.fields().iter())
        .map(|field| format!("{}={}", field.name, field.value))
        .collect();
    let segments = translate::segments(chapter, &vf.translate.glossary);
    let keys = segments
        .iter()
        .map(|segment| {
            let fields = json!([
                VERSION,
                translator,
                INSTRUCTIONS,
                source,
                target,
                segment.text
            ]);
            Digest::of(fields.to_string().as_bytes())
        })
        .collect();
    Translate {
        chapter: chapter.clone(),
        segments,
        keys,
        translator: Translator {
            client: ctx.clients.get(&vf.translate.provider),
            model: vf.translate.model.clone(),
            source: source.to_string(),
            target: target.to_string(),
            max_attempts: vf.translate.max_attempts,
        },
        batch: vf.translate.batch as usize,
    }
}

/// The segments a job claimed: released when it is done with them, whether it got their answers or failed.
struct Claimed<'a> {
    store: &'a Store,
    keys: Vec<&'a Digest>,
}

impl Drop for Claimed<'_> {
    fn drop(&mut self) {
        for key in &self.keys {
            self.store.release(key);
        }
    }
}

impl Translate {
    /// Asks the model for the segments `wanted` (by index), a batch at a time; each answer is remembered as
    /// soon as its batch is answered (a build stopped after a batch does not ask for it again) and released
    /// to any job awaiting it. Returns what was used.
    fn ask<'a>(
        &'a self,
        store: &Store,
        wanted: &[usize],
        answers: &mut HashMap<&'a Digest, String>,
    ) -> Result<Usage, StepError> {
        let mut usage = Usage::default();
        for batch in wanted.chunks(self.batch) {
            let sent: Vec<&Segment> = batch.iter().map(|&i| &self.segments[i]).collect();
            let (texts, used) = self.translator.translate(&sent)?;
            usage += used;
            for (&i, text) in batch.iter().zip(texts) {
                store.remember(&self.keys[i], &text)?;
                store.release(&self.keys[i]);
                answers.insert(&self.keys[i], text);
            }
        }
        Ok(usage)
    }

    /// The segments a model must be asked for, once each (a sentence said twice is one segment).
    fn to_send(&self) -> Vec<usize> {
        let mut seen = std::collections::HashSet::new();
        (0..self.segments.len())
            .filter(|&i| self.segments[i].has_words() && seen.insert(&self.keys[i]))
            .collect()
    }
}

impl Job for Translate {
    /// About four characters a token, for every segment with words: each is sent with the instructions of
    /// its batch and comes back about as long.
    fn usage(&self) -> Usage {
        let sent = self.to_send();
        let chars: u64 = sent
            .iter()
            .map(|&i| self.segments[i].text.chars().count() as u64 + 4)
            .sum();
        let requests = sent.len().div_ceil(self.batch) as u64;
        Usage {
            input_tokens: (chars + requests * INSTRUCTIONS.len() as u64) / 4,
            output_tokens: chars / 4,
            requests,
            ..Usage::default()
        }
    }

    fn provider(&self) -> Option<&str> {
        Some(&self.translator.client.name)
    }

    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let mut answers: HashMap<&Digest, String> = HashMap::new();
        let mut missing = Vec::new();
        for i in self.to_send() {
            match store.recall(&self.keys[i]) {
                Some(text) => {
                    answers.insert(&self.keys[i], text);
                }
                None => missing.push(i),
            }
        }
        log::debug!(
            "translation into {}: {} segments, {} remembered, {} to send",
            self.translator.target,
            self.segments.len(),
            answers.len(),
            missing.len()
        );
        // A segment another job is asking for (a heading two chapters share) is awaited, not asked again;
        // if that job fails, this one asks for it after its own.
        let (mine, theirs): (Vec<usize>, Vec<usize>) =
            (missing.into_iter()).partition(|&i| store.claim(&self.keys[i]));
        let claims = Claimed {
            store,
            keys: mine.iter().map(|&i| &self.keys[i]).collect(),
        };
        let mut usage = self.ask(store, &mine, &mut answers)?;
        drop(claims);
        let mut unanswered = Vec::new();
        for i in theirs {
            let key = &self.keys[i];
            loop {
                if let Some(text) = store.await_answer(key) {
                    answers.insert(key, text);
                    break;
                }
                if store.claim(key) {
                    unanswered.push(i);
                    break;
                }
            }
        }
        let claims = Claimed {
            store,
            keys: unanswered.iter().map(|&i| &self.keys[i]).collect(),
        };
        usage += self.ask(store, &unanswered, &mut answers)?;
        drop(claims);
        let restored: Vec<String> = (self.segments.iter().zip(&self.keys))
            .map(|(segment, key)| match answers.get(key) {
                Some(answer) => segment.restore(answer),
                None => segment.restore(&segment.text),
            })
            .collect();
        let translated = translate::translated(&self.chapter, &restored, &self.translator.target);
        let keys: Vec<&str> = self.keys.iter().map(Digest::as_str).collect();
        Ok(written(&translated, scratch, usage)?.fact(SEGMENTS, json!(keys)))
    }
}

impl Job for Supplied {
    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        written(&self.0, scratch, Usage::default())
    }
}

/// The outputs of a translated chapter: its JSON, and its title for the nodes that show it.
fn written(chapter: &Chapter, scratch: &Path, usage: Usage) -> Result<Produced, StepError> {
    let json = serde_json::to_vec_pretty(chapter).expect("a chapter always serialises");
    Ok(Produced::using(usage)
        .file("chapter", write(scratch.join("chapter.json"), &json)?)
        .fact("title", json!(chapter.title)))
}
