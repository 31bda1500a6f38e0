//! `chapter`: a chapter's Markdown, parsed into blocks (signed by its Markdown text and how chapters split).

use std::path::Path;

use super::{Inputs, Job, Prepared, Produced, StepError, write};
use crate::cache::Store;
use crate::graph::node::ChapterId;
use crate::graph::node::NodeKind;
use crate::graph::signature::Signature;
use crate::lecture::{Chapter, ChapterSource};

/// Writes the parsed chapter as JSON.
struct ParsedChapter(Chapter);

pub fn prepare(chapter: ChapterId, inputs: &Inputs) -> Prepared {
    let source = inputs.chapter(chapter);
    let mut signature = Signature::new(NodeKind::Chapter, 4);
    sign_source(&mut signature, source);
    Prepared::new(signature, ParsedChapter(source.chapter.clone()))
}

/// Signs what a chapter is parsed from: its Markdown, the files it includes, how it was cut and read.
pub fn sign_source(signature: &mut Signature, source: &ChapterSource) {
    signature
        .setting("split", source.split)
        .setting("dialect", source.dialect)
        .input("markdown", &source.markdown);
    for (path, hash) in &source.included {
        signature.input(&format!("included {path}"), hash);
    }
}

impl Job for ParsedChapter {
    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let json = serde_json::to_vec_pretty(&self.0).expect("a chapter always serialises");
        Ok(Produced::default().file("chapter", write(scratch.join("chapter.json"), &json)?))
    }
}
