//! What each node kind does, one file per kind: its signature (what goes into its key) and its job (the work
//! that makes its outputs). A kind's `prepare` makes both from the same values, so the key covers exactly
//! what the job uses. The static facts of each kind (scope, inputs, outputs, provider) are in
//! [`crate::graph::node::KINDS`].

mod audio;
mod chapter;
mod chapter_subtitles;
mod clip;
mod course_subtitles;
mod image;
mod join;
mod picture;
mod script;
mod translation;

pub use script::limits as script_limits;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use petgraph::graph::NodeIndex;

use crate::cache::{ActionEntry, Store, StoreError, io_error};
use crate::config::Videofile;
use crate::graph::node::{Address, ChapterId, Edition, Node, NodeKind, Section, SlideId};
use crate::graph::plan::Plan;
use crate::graph::signature::Signature;
use crate::lecture::script::{Script, Slide};
use crate::lecture::{ChapterSource, Images};
use crate::media::MediaError;
use crate::providers::apis::{Api, Signed};
use crate::providers::{Clients, ProviderError};
use crate::record::cost::Usage;
use crate::sys::digest::Digest;
use crate::sys::small_map::SmallMap;

pub use join::write_video;
pub use tools::{Speaker, Tools};

/// A node's work failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job panicked (a bug in vbuild); the build goes on as after any failure.
    #[error("internal error (please report it): {0}")]
    Panic(String),
    /// A picture the slide shows cannot be drawn.
    #[error("{what}: {error}")]
    Picture {
        what: String,
        error: crate::media::picture::PictureError,
    },
    /// A cached chapter, script or cue list could not be read back.
    #[error("invalid {what}: {message}")]
    Invalid { what: &'static str, message: String },
}

/// Everything a node's signature and job are made from, besides its inputs.
pub struct Context<'a> {
    pub videofile: &'a Videofile,
    pub chapters: &'a [ChapterSource],
    /// The local images the lecture shows.
    pub images: &'a Images,
    pub tools: &'a Tools,
    pub clients: &'a Clients,
    /// The script prompt template (the Videofile's file, or the built-in one).
    pub script_template: &'a str,
    /// The course's title by language, as its author translated it (the title of `lecture.fr.md`).
    pub titles: &'a BTreeMap<String, String>,
}

/// The finished nodes a node can read: their cache entries and the parsed scripts.
pub trait Finished {
    /// The entry of a finished node.
    fn entry(&self, node: NodeIndex) -> &ActionEntry;
    /// The script of a chapter whose script node has finished.
    fn script(&self, chapter: ChapterId) -> &Script;
}

/// What a preparing node reads: the context, and its finished inputs by kind and address.
pub struct Inputs<'a> {
    pub ctx: &'a Context<'a>,
    plan: &'a Plan,
    done: &'a dyn Finished,
}

impl Inputs<'_> {
    /// The cache entry of the finished node of `kind` at `at` (an input of the node being prepared).
    pub fn entry(&self, kind: NodeKind, at: Address) -> &ActionEntry {
        let node = self
            .plan
            .node(kind, at)
            .unwrap_or_else(|| panic!("{kind:?} at {at:?} is read but not planned"));
        self.done.entry(node)
    }

    /// The name of the node of `kind` at `at` (an input of the node being prepared): what a reason names.
    pub fn name(&self, kind: NodeKind, at: Address) -> String {
        let node = self
            .plan
            .node(kind, at)
            .unwrap_or_else(|| panic!("{kind:?} at {at:?} is named but not planned"));
        self.plan.name(node)
    }

    /// The chapter's source (in the sources' language, whatever the chapter's edition).
    pub fn chapter(&self, chapter: ChapterId) -> &ChapterSource {
        &self.ctx.chapters[chapter.index]
    }

    /// The kind of the node that parses the chapter for its edition: the sources' `chapter`, or a
    /// translation's `translation`.
    pub fn parsed(&self, chapter: ChapterId) -> NodeKind {
        if chapter.edition.is_source() {
            NodeKind::Chapter
        } else {
            NodeKind::Translation
        }
    }

    /// The chapter's title in its edition's language: as written, or as translated (its translation has
    /// finished: every node that shows a title reads it, through the script at least).
    pub fn title(&self, chapter: ChapterId) -> String {
        if chapter.edition.is_source() {
            return self.chapter(chapter).chapter.title.clone();
        }
        self.translated_title(NodeKind::Translation, Address::Chapter(chapter))
    }

    /// The course's title in `edition`'s language: as the Videofile or the lecture gives it, or as translated
    /// (its translation has finished: the slides that show it read it).
    pub fn course_title(&self, edition: Edition) -> String {
        if edition.is_source() {
            return self.ctx.videofile.course.title.clone();
        }
        self.translated_title(NodeKind::CourseTitle, Address::Course(edition))
    }

    /// The title a finished translation node of `kind` at `at` states.
    fn translated_title(&self, kind: NodeKind, at: Address) -> String {
        let title = self
            .entry(kind, at)
            .meta
            .get("title")
            .and_then(|t| t.as_str());
        title.unwrap_or_default().to_string()
    }

    /// How words are said in the chapter: the dictionary of the sources, or of its translation's language
    /// (none, without a file for it: another language's respellings would be read wrong).
    pub fn pronounce(&self, chapter: ChapterId) -> &BTreeMap<String, String> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        let speech = &self.ctx.videofile.speech;
        if chapter.edition.is_source() {
            return &speech.pronounce;
        }
        speech
            .pronounce_in
            .get(self.language(chapter))
            .unwrap_or(&NONE)
    }

    /// The language of `edition`.
    pub fn edition_language(&self, edition: Edition) -> &str {
        self.plan.language(edition)
    }

    /// The language the chapter is spoken in: its own (a chapter may say it is in another than the course's)
    /// in the sources' edition, the edition's in a translation.
    pub fn language(&self, chapter: ChapterId) -> &str {
        if chapter.edition.is_source() {
            &self.chapter(chapter).language
        } else {
            self.plan.language(chapter.edition)
        }
    }

    /// The script of `chapter`.
    pub fn script(&self, chapter: ChapterId) -> &Script {
        self.done.script(chapter)
    }

    /// One slide of a finished script.
    pub fn slide(&self, slide: SlideId) -> &Slide {
        &self.script(slide.chapter).slides[slide.slide]
    }

    /// The slides of `chapter`.
    pub fn slides(&self, chapter: ChapterId) -> impl Iterator<Item = SlideId> + use<> {
        self.plan.slides(chapter)
    }

    /// The chapters of `edition`.
    pub fn chapters(&self, edition: Edition) -> impl Iterator<Item = ChapterId> + use<> {
        self.plan.chapters_of(edition)
    }

    /// True when the plan has a node of `kind` (a course without cloud pictures has no picture nodes).
    pub fn has(&self, kind: NodeKind, at: Address) -> bool {
        self.plan.node(kind, at).is_some()
    }
}

/// The work a node does, with everything it needs (input blobs by hash).
pub trait Job: Send {
    /// What the job asks of its provider: characters to speak, tokens, pictures to draw.
    fn usage(&self) -> Usage {
        Usage::default()
    }

    /// The cloud provider it calls (by its Videofile name), whose concurrency it counts against; `None` for
    /// local work.
    fn provider(&self) -> Option<&str> {
        None
    }

    /// Does the work in `scratch`, reading input blobs from `store`.
    fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError>;
}

/// A node ready to be looked up in the cache and, on a miss, run.
pub struct Prepared {
    pub signature: Signature,
    pub job: Box<dyn Job>,
}

/// Shows the key, not the job's inputs.
impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("key", &self.signature.key())
            .finish_non_exhaustive()
    }
}

impl Prepared {
    fn new(signature: Signature, job: impl Job + 'static) -> Prepared {
        Prepared {
            signature,
            job: Box::new(job),
        }
    }
}

/// Makes the signature and the job of `node` from its context and its finished inputs.
pub fn prepare(plan: &Plan, node: NodeIndex, ctx: &Context, done: &dyn Finished) -> Prepared {
    let inputs = Inputs { ctx, plan, done };
    let Node { kind, at } = plan.graph[node];
    match (kind, at) {
        (NodeKind::Chapter, Address::Chapter(c)) => chapter::prepare(c, &inputs),
        (NodeKind::Translation, Address::Chapter(c)) => translation::prepare(c, &inputs),
        (NodeKind::CourseTitle, Address::Course(e)) => translation::prepare_title(e, &inputs),
        (NodeKind::Script, Address::Chapter(c)) => script::prepare(c, &inputs),
        (NodeKind::Audio, Address::Slide(s)) => audio::prepare(s, &inputs),
        (NodeKind::Picture, Address::Slide(s)) => picture::prepare(s, &inputs),
        (NodeKind::Image, Address::Slide(s)) => image::prepare(s, &inputs),
        (NodeKind::Clip, Address::Slide(s)) => clip::prepare(s, &inputs),
        (NodeKind::ChapterVideo, Address::Chapter(c)) => join::prepare_chapter(c, &inputs),
        (NodeKind::ChapterSubtitles, Address::Chapter(c)) => chapter_subtitles::prepare(c, &inputs),
        (NodeKind::CourseVideo, Address::Course(e)) => join::prepare_course(e, &inputs),
        (NodeKind::CourseSubtitles, Address::Course(e)) => course_subtitles::prepare(e, &inputs),
        (kind, at) => {
            unreachable!("a {kind:?} node at {at:?}: nodes are placed by their kind's scope")
        }
    }
}

/// What a node is expected to ask of its provider before its inputs are known (dry runs).
pub fn estimate(plan: &Plan, node: NodeIndex, ctx: &Context) -> Usage {
    match plan.graph[node] {
        Node {
            kind: NodeKind::Script,
            at: Address::Chapter(c),
        } => script::estimate(c, ctx),
        _ => Usage::default(),
    }
}

/// The files a job made (output name to path), the facts it measured and what it consumed.
#[derive(Debug, Default)]
pub struct Produced {
    pub files: Vec<(&'static str, PathBuf)>,
    pub meta: SmallMap<serde_json::Value>,
    pub usage: Usage,
}

impl Produced {
    /// Nothing yet, having consumed `usage`.
    fn using(usage: Usage) -> Produced {
        Produced {
            usage,
            ..Produced::default()
        }
    }

    fn file(mut self, name: &'static str, path: PathBuf) -> Produced {
        self.files.push((name, path));
        self
    }

    fn fact(mut self, name: &str, value: serde_json::Value) -> Produced {
        self.meta.insert(name.to_string(), value);
        self
    }
}

/// Writes a job's output file and returns its path.
fn write(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, StepError> {
    std::fs::write(&path, bytes).map_err(io_error(&path))?;
    Ok(path)
}

/// Reads the JSON blob `hash` (a cached chapter, script or cue list) as a `T`.
fn read_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    hash: &Digest,
    what: &'static str,
) -> Result<T, StepError> {
    serde_json::from_slice(&store.read_blob(hash)?).map_err(|e| StepError::Invalid {
        what,
        message: e.to_string(),
    })
}

/// Signs the cloud API `api` doing `section`'s work: `field` = the name the API signs with, then the settings
/// its descriptor lists, in its order, with their values from `value`.
fn sign_api(
    signature: &mut Signature,
    field: &str,
    api: Api,
    section: Section,
    value: impl Fn(Signed) -> String,
) {
    let (name, signed) = api.signs(section);
    signature.setting(field, name);
    for setting in signed {
        signature.setting(setting.name(), value(*setting));
    }
}
