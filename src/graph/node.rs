//! Node kinds and node addresses. [`KINDS`] has one row per kind: its name, what it belongs to (the course,
//! a chapter or a slide), the kinds it reads, its outputs, whether shards build it, which Videofile section
//! names its provider and how a command line asks for it. The plan, the targets, the shards, the cache's
//! checks and the prices all read this table; what a kind's node does is in `steps/<kind>.rs`.

use std::fmt;

use serde::Serialize;

/// What a node makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A chapter's Markdown, parsed.
    Chapter,
    /// A chapter's Markdown, parsed and translated into another of the course's languages.
    Translation,
    /// The course's title translated into another of its languages (every slide's footer shows it).
    CourseTitle,
    /// A chapter's slide script.
    Script,
    /// One slide's narration audio.
    Audio,
    /// One slide's generated picture (cloud image providers only).
    Picture,
    /// One slide's picture.
    Image,
    /// One slide's encoded video and frame-aligned narration.
    Clip,
    /// A chapter's clips joined.
    ChapterVideo,
    /// A chapter's subtitles, timed by its narration.
    ChapterSubtitles,
    /// The chapter videos joined.
    CourseVideo,
    /// The chapters' subtitles joined, and the chapter marks.
    CourseSubtitles,
}

/// What a kind's nodes belong to: one node for the course, one per chapter, or one per slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Course,
    Chapter,
    Slide,
}

/// The Videofile section whose `provider` does a kind's work (and is paid for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Translate,
    Script,
    Speech,
    Images,
}

impl Section {
    /// Every section that names a provider.
    pub const ALL: [Section; 4] = [
        Section::Translate,
        Section::Script,
        Section::Speech,
        Section::Images,
    ];

    /// The section's name in the Videofile: `script` for `[script]`.
    pub fn key(self) -> &'static str {
        match self {
            Section::Translate => "translate",
            Section::Script => "script",
            Section::Speech => "speech",
            Section::Images => "images",
        }
    }
}

/// How a command line asks for a kind's nodes: `word` (a course node) or `word:CHAPTER[/SLIDE]`.
#[derive(Debug, Clone, Copy)]
pub struct TargetSpelling {
    pub word: &'static str,
    /// What `vbuild targets` says the target builds.
    pub builds: &'static str,
}

/// One kind's row of [`KINDS`].
#[derive(Debug)]
pub struct KindInfo {
    pub kind: NodeKind,
    /// As in node names and reports: `audio` in `audio:02-gradient-descent/03`.
    pub name: &'static str,
    pub scope: Scope,
    /// The kinds whose nodes it reads: of its own chapter or slide, or all of a narrower scope within it
    /// (a chapter video reads every clip of its chapter).
    pub inputs: &'static [NodeKind],
    /// The names of its outputs: a cache entry of the kind must hold exactly these.
    pub outputs: &'static [&'static str],
    /// The expensive work each shard of a sharded build takes its share of (joins run everywhere).
    pub shardable: bool,
    /// The section whose provider does the work, for kinds that can call a paid provider.
    pub provider: Option<Section>,
    /// Its command-line target, if it has one.
    pub target: Option<TargetSpelling>,
    /// Its nodes exist only when the course uses a cloud image provider.
    pub needs_pictures: bool,
    /// Finishing a node of this kind tells how many slides its chapter has.
    pub expands: bool,
    /// The editions it has nodes in: the source's, the translations, or all.
    pub editions: Editions,
}

/// Which of the course's editions a kind has nodes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editions {
    All,
    /// The source's language only (the Markdown as written).
    Source,
    /// The other languages only (the Markdown translated).
    Translated,
}

impl Editions {
    /// True when a kind of these editions has nodes in `edition`.
    pub fn has(self, edition: Edition) -> bool {
        match self {
            Editions::All => true,
            Editions::Source => edition.is_source(),
            Editions::Translated => !edition.is_source(),
        }
    }
}

const fn row(kind: NodeKind, name: &'static str, scope: Scope) -> KindInfo {
    KindInfo {
        kind,
        name,
        scope,
        inputs: &[],
        outputs: &[],
        shardable: false,
        provider: None,
        target: None,
        needs_pictures: false,
        expands: false,
        editions: Editions::All,
    }
}

const fn spelled(word: &'static str, builds: &'static str) -> Option<TargetSpelling> {
    Some(TargetSpelling { word, builds })
}

/// Every kind, in the order of [`NodeKind`].
pub const KINDS: [KindInfo; 12] = {
    use NodeKind::*;
    [
        KindInfo {
            outputs: &["chapter"],
            editions: Editions::Source,
            ..row(Chapter, "chapter", Scope::Chapter)
        },
        KindInfo {
            // It reads its chapter's source, as the chapter node does, not the source edition's node.
            outputs: &["chapter"],
            shardable: true,
            provider: Some(Section::Translate),
            target: spelled(
                "translation",
                "a chapter's translation, in a course of several languages",
            ),
            editions: Editions::Translated,
            ..row(Translation, "translation", Scope::Chapter)
        },
        KindInfo {
            outputs: &["chapter"],
            shardable: true,
            provider: Some(Section::Translate),
            target: spelled(
                "title",
                "the course title's translation, in a course of several languages",
            ),
            editions: Editions::Translated,
            ..row(CourseTitle, "course-title", Scope::Course)
        },
        KindInfo {
            inputs: &[Chapter, Translation],
            outputs: &["script"],
            shardable: true,
            provider: Some(Section::Script),
            target: spelled("script", "a chapter's slide script"),
            expands: true,
            ..row(Script, "script", Scope::Chapter)
        },
        KindInfo {
            inputs: &[Script],
            outputs: &["speech"],
            shardable: true,
            provider: Some(Section::Speech),
            target: spelled(
                "audio",
                "a chapter's narration audio (all slides, or /SLIDE)",
            ),
            ..row(Audio, "audio", Scope::Slide)
        },
        KindInfo {
            inputs: &[Script],
            outputs: &["picture"],
            shardable: true,
            provider: Some(Section::Images),
            target: spelled(
                "picture",
                "a chapter's generated pictures, with a cloud [images] provider (all slides, or /SLIDE)",
            ),
            needs_pictures: true,
            ..row(Picture, "picture", Scope::Slide)
        },
        KindInfo {
            inputs: &[Script, Picture, CourseTitle],
            outputs: &["slide"],
            shardable: true,
            // The renderer [images] names, or the cloud provider whose picture it composes in.
            provider: Some(Section::Images),
            target: spelled(
                "image",
                "a chapter's slide pictures (all slides, or /SLIDE)",
            ),
            ..row(Image, "image", Scope::Slide)
        },
        KindInfo {
            inputs: &[Audio, Image],
            outputs: &["video"],
            shardable: true,
            target: spelled("clip", "a chapter's encoded clips (all slides, or /SLIDE)"),
            ..row(Clip, "clip", Scope::Slide)
        },
        KindInfo {
            // The script too: the chapter video waits for its chapter's slides to be known. It reads the
            // speech itself (PCM is stored once, by the audio nodes); its video is laid out, not stored.
            inputs: &[Script, Clip, Audio],
            outputs: &["aac", "layout"],
            target: spelled("video", "a chapter's video"),
            ..row(ChapterVideo, "chapter-video", Scope::Chapter)
        },
        KindInfo {
            inputs: &[Script, Audio],
            outputs: &["cues", "srt", "vtt"],
            target: spelled("subtitles", "a chapter's subtitles"),
            ..row(ChapterSubtitles, "chapter-subtitles", Scope::Chapter)
        },
        KindInfo {
            inputs: &[ChapterVideo],
            outputs: &["layout"],
            target: spelled("video", "the course video"),
            ..row(CourseVideo, "course-video", Scope::Course)
        },
        KindInfo {
            inputs: &[ChapterSubtitles],
            outputs: &["chapters", "srt", "vtt"],
            target: spelled("subtitles", "the course subtitles and chapter marks"),
            ..row(CourseSubtitles, "course-subtitles", Scope::Course)
        },
    ]
};

impl NodeKind {
    /// Every kind.
    pub fn all() -> impl Iterator<Item = NodeKind> {
        KINDS.iter().map(|row| row.kind)
    }

    /// This kind's row of [`KINDS`].
    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }

    /// The kind's name as used in node names and reports.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The kind named `name`.
    pub fn named(name: &str) -> Option<NodeKind> {
        NodeKind::all().find(|k| k.name() == name)
    }

    /// The kind of a node name such as `audio:02-gradient-descent/03` or `audio@fr:02-gradient-descent/03`.
    pub fn of_node(name: &str) -> Option<NodeKind> {
        let word = name.split(':').next()?;
        NodeKind::named(word.split('@').next()?)
    }

    pub fn scope(self) -> Scope {
        self.info().scope
    }

    /// True for the kinds with one node per slide, which exist once their chapter's script is known.
    pub fn per_slide(self) -> bool {
        self.scope() == Scope::Slide
    }

    /// The names of the outputs a node of this kind makes.
    pub fn outputs(self) -> &'static [&'static str] {
        self.info().outputs
    }
}

/// One language's build of the course: 0 is the language its sources are written in, the others are
/// `[course] languages` after the first, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Edition(pub usize);

impl Edition {
    /// The edition of the sources' own language.
    pub const SOURCE: Edition = Edition(0);

    pub fn is_source(self) -> bool {
        self == Edition::SOURCE
    }

    /// The editions of a course built in `languages` languages, the sources' first.
    pub fn all(languages: usize) -> impl Iterator<Item = Edition> {
        (0..languages).map(Edition)
    }
}

/// A chapter of one edition, by its place in the course (0-based; shown 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChapterId {
    pub edition: Edition,
    /// Its place among the course's chapters: its source is `chapters[index]`.
    pub index: usize,
}

impl ChapterId {
    /// Chapter `index` of the source's edition.
    pub fn source(index: usize) -> ChapterId {
        ChapterId {
            edition: Edition::SOURCE,
            index,
        }
    }
}

/// A slide of a chapter, by its place in the chapter's script (0-based; shown 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlideId {
    pub chapter: ChapterId,
    pub slide: usize,
}

/// What a node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// An edition's course as a whole.
    Course(Edition),
    Chapter(ChapterId),
    Slide(SlideId),
}

impl Address {
    pub fn scope(self) -> Scope {
        match self {
            Address::Course(_) => Scope::Course,
            Address::Chapter(_) => Scope::Chapter,
            Address::Slide(_) => Scope::Slide,
        }
    }

    /// The edition it is in.
    pub fn edition(self) -> Edition {
        match self {
            Address::Course(edition) => edition,
            Address::Chapter(chapter) => chapter.edition,
            Address::Slide(slide) => slide.chapter.edition,
        }
    }

    /// The chapter it is in, if any.
    pub fn chapter(self) -> Option<ChapterId> {
        match self {
            Address::Course(_) => None,
            Address::Chapter(chapter) => Some(chapter),
            Address::Slide(slide) => Some(slide.chapter),
        }
    }

    /// The slide it is, if any.
    pub fn slide(self) -> Option<SlideId> {
        match self {
            Address::Slide(slide) => Some(slide),
            _ => None,
        }
    }

    /// The address of `scope` that holds this one (`scope` no narrower than its own).
    pub fn within(self, scope: Scope) -> Address {
        match (scope, self.chapter()) {
            (Scope::Course, _) | (_, None) => Address::Course(self.edition()),
            (Scope::Chapter, Some(chapter)) => Address::Chapter(chapter),
            (Scope::Slide, _) => self,
        }
    }

    /// True when `other` is this address or inside it.
    pub fn holds(self, other: Address) -> bool {
        other.scope() >= self.scope() && other.within(self.scope()) == self
    }
}

/// A node of the graph: a kind at an address of the kind's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub kind: NodeKind,
    pub at: Address,
}

impl Node {
    /// The node of `kind` at `at`; `at` must be of the kind's scope.
    pub fn new(kind: NodeKind, at: Address) -> Node {
        assert_eq!(kind.scope(), at.scope(), "{kind:?} at {at:?}");
        Node { kind, at }
    }
}

impl fmt::Display for ChapterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_kind_order_and_read_only_wider_or_narrower_kinds_that_exist_before_them() {
        for (i, row) in KINDS.iter().enumerate() {
            assert_eq!(row.kind as usize, i, "{}", row.name);
            assert_eq!(NodeKind::named(row.name), Some(row.kind));
            let translated = format!("{}@fr:01-a/02", row.name);
            assert_eq!(NodeKind::of_node(&translated), Some(row.kind));
            for input in row.inputs {
                assert!(
                    (*input as usize) < i,
                    "{} reads {}, listed after it",
                    row.name,
                    input.name()
                );
            }
        }
    }

    #[test]
    fn addresses_hold_what_is_inside_them() {
        let chapter = ChapterId::source(1);
        let slide = Address::Slide(SlideId { chapter, slide: 2 });
        let course = Address::Course(Edition::SOURCE);
        assert!(course.holds(slide));
        assert!(Address::Chapter(chapter).holds(slide));
        assert!(!Address::Chapter(ChapterId::source(0)).holds(slide));
        assert!(!slide.holds(Address::Chapter(chapter)));
        assert_eq!(slide.within(Scope::Chapter), Address::Chapter(chapter));
        assert_eq!(slide.within(Scope::Course), course);
        let translated = Address::Slide(SlideId {
            chapter: ChapterId {
                edition: Edition(1),
                index: 1,
            },
            slide: 2,
        });
        assert!(!course.holds(translated) && !Address::Chapter(chapter).holds(translated));
        assert_eq!(
            translated.within(Scope::Course),
            Address::Course(Edition(1))
        );
    }
}
