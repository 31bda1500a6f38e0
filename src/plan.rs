//! The build graph: a petgraph DAG of nodes, known in two stages.
//!
//! At first the graph holds, per chapter, the chapter text, its script, its video and its subtitles, and the
//! course video and subtitles. The per-slide nodes (audio, image, clip) exist only once a chapter's script is
//! known; [`Plan::expand`] adds them, like ninja's dyndep.

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::lecture::ChapterSource;

/// What a node makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A chapter's Markdown, parsed.
    Chapter,
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
    ChapterSubtitles,
    /// The chapter videos joined.
    CourseVideo,
    CourseSubtitles,
}

impl NodeKind {
    /// Every kind.
    pub const ALL: [NodeKind; 10] = [
        NodeKind::Chapter,
        NodeKind::Script,
        NodeKind::Audio,
        NodeKind::Picture,
        NodeKind::Image,
        NodeKind::Clip,
        NodeKind::ChapterVideo,
        NodeKind::ChapterSubtitles,
        NodeKind::CourseVideo,
        NodeKind::CourseSubtitles,
    ];

    /// The kind of a node name such as `audio:02-gradient-descent/03`.
    pub fn of_node(name: &str) -> Option<NodeKind> {
        let kind = name.split(':').next()?;
        NodeKind::ALL.into_iter().find(|k| k.name() == kind)
    }

    /// The kind's name as used in node names and reports.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Chapter => "chapter",
            NodeKind::Script => "script",
            NodeKind::Audio => "audio",
            NodeKind::Picture => "picture",
            NodeKind::Image => "image",
            NodeKind::Clip => "clip",
            NodeKind::ChapterVideo => "chapter-video",
            NodeKind::ChapterSubtitles => "chapter-subtitles",
            NodeKind::CourseVideo => "course-video",
            NodeKind::CourseSubtitles => "course-subtitles",
        }
    }

    /// True for the kinds with one node per slide, which exist once their chapter's script is known.
    pub fn per_slide(self) -> bool {
        matches!(
            self,
            NodeKind::Audio | NodeKind::Picture | NodeKind::Image | NodeKind::Clip
        )
    }

    /// The names of the outputs a node of this kind makes: a cache entry of the kind must hold exactly these.
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            NodeKind::Chapter => &["chapter"],
            NodeKind::Script => &["script"],
            NodeKind::Audio => &["speech"],
            NodeKind::Picture => &["picture"],
            NodeKind::Image => &["slide"],
            NodeKind::Clip => &["narration", "video"],
            NodeKind::ChapterVideo | NodeKind::CourseVideo => &["mp4", "narration", "video"],
            NodeKind::ChapterSubtitles => &["cues", "srt", "vtt"],
            NodeKind::CourseSubtitles => &["chapters", "srt", "vtt"],
        }
    }
}

/// A node: a kind, and the chapter and slide it belongs to (0-based indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub chapter: Option<usize>,
    pub slide: Option<usize>,
}

/// The per-slide nodes of one slide.
#[derive(Debug, Clone, Copy)]
pub struct SlideNodes {
    pub audio: NodeIndex,
    /// Only when a cloud provider draws pictures.
    pub picture: Option<NodeIndex>,
    pub image: NodeIndex,
    pub clip: NodeIndex,
}

/// The nodes of one chapter.
#[derive(Debug, Clone)]
pub struct ChapterNodes {
    pub text: NodeIndex,
    pub script: NodeIndex,
    pub video: NodeIndex,
    pub subtitles: NodeIndex,
    /// Empty until the script is known.
    pub slides: Vec<SlideNodes>,
}

/// The build graph.
#[derive(Debug, Clone)]
pub struct Plan {
    pub graph: DiGraph<Node, ()>,
    pub chapters: Vec<ChapterNodes>,
    pub course_video: NodeIndex,
    pub course_subtitles: NodeIndex,
    chapter_ids: Vec<String>,
    /// Whether slides get a generated picture node.
    pictures: bool,
}

impl Plan {
    /// The first-stage graph of a course; `pictures` when a cloud provider draws a picture per slide.
    pub fn new(chapters: &[ChapterSource], pictures: bool) -> Plan {
        let mut graph = DiGraph::new();
        let course_video = graph.add_node(Node {
            kind: NodeKind::CourseVideo,
            chapter: None,
            slide: None,
        });
        let course_subtitles = graph.add_node(Node {
            kind: NodeKind::CourseSubtitles,
            chapter: None,
            slide: None,
        });
        let mut nodes = Vec::new();
        for index in 0..chapters.len() {
            let mut add = |kind| {
                graph.add_node(Node {
                    kind,
                    chapter: Some(index),
                    slide: None,
                })
            };
            let text = add(NodeKind::Chapter);
            let script = add(NodeKind::Script);
            let video = add(NodeKind::ChapterVideo);
            let subtitles = add(NodeKind::ChapterSubtitles);
            for (from, to) in [
                (text, script),
                (script, video),
                (script, subtitles),
                (video, course_video),
                (subtitles, course_subtitles),
            ] {
                graph.add_edge(from, to, ());
            }
            nodes.push(ChapterNodes {
                text,
                script,
                video,
                subtitles,
                slides: Vec::new(),
            });
        }
        Plan {
            graph,
            chapters: nodes,
            course_video,
            course_subtitles,
            chapter_ids: chapters.iter().map(|c| c.id.clone()).collect(),
            pictures,
        }
    }

    /// Adds the per-slide nodes of `chapter` once its script, with `slide_count` slides, is known.
    pub fn expand(&mut self, chapter: usize, slide_count: usize) -> Vec<NodeIndex> {
        let ChapterNodes {
            script,
            video,
            subtitles,
            ..
        } = self.chapters[chapter];
        let mut added = Vec::new();
        for slide in 0..slide_count {
            let mut add = |kind| {
                let index = self.graph.add_node(Node {
                    kind,
                    chapter: Some(chapter),
                    slide: Some(slide),
                });
                added.push(index);
                index
            };
            let picture = self.pictures.then(|| add(NodeKind::Picture));
            let nodes = SlideNodes {
                audio: add(NodeKind::Audio),
                picture,
                image: add(NodeKind::Image),
                clip: add(NodeKind::Clip),
            };
            if let Some(picture) = picture {
                self.graph.add_edge(script, picture, ());
                self.graph.add_edge(picture, nodes.image, ());
            }
            for (from, to) in [
                (script, nodes.audio),
                (script, nodes.image),
                (nodes.audio, nodes.clip),
                (nodes.image, nodes.clip),
                (nodes.clip, video),
                (nodes.audio, subtitles),
            ] {
                self.graph.add_edge(from, to, ());
            }
            self.chapters[chapter].slides.push(nodes);
        }
        added
    }

    /// The node's readable name, e.g. `script:02-gradient-descent` or `clip:02-gradient-descent/03`.
    pub fn name(&self, index: NodeIndex) -> String {
        let node = self.graph[index];
        match (node.chapter, node.slide) {
            (Some(chapter), Some(slide)) => {
                format!(
                    "{}:{}/{:02}",
                    node.kind.name(),
                    self.chapter_ids[chapter],
                    slide + 1
                )
            }
            (Some(chapter), None) => format!("{}:{}", node.kind.name(), self.chapter_ids[chapter]),
            _ => node.kind.name().to_string(),
        }
    }

    /// The id of the chapter a node belongs to, if any.
    pub fn chapter_id(&self, index: NodeIndex) -> Option<&str> {
        self.graph[index]
            .chapter
            .map(|c| self.chapter_ids[c].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::Chapter;
    use petgraph::algo::is_cyclic_directed;

    fn chapters(n: usize) -> Vec<ChapterSource> {
        (1..=n)
            .map(|number| ChapterSource {
                number,
                id: format!("{number:02}-c"),
                chapter: Chapter {
                    title: "c".into(),
                    blocks: Vec::new(),
                },
                markdown: String::new(),
                language: "en".into(),
            })
            .collect()
    }

    #[test]
    fn expansion_adds_three_nodes_per_slide_and_stays_acyclic() {
        let mut plan = Plan::new(&chapters(2), false);
        assert_eq!(plan.graph.node_count(), 2 + 2 * 4);
        let added = plan.expand(1, 3);
        assert_eq!(added.len(), 9);
        assert!(!is_cyclic_directed(&plan.graph));
        let video = plan.chapters[1].video;
        assert_eq!(
            plan.graph
                .neighbors_directed(video, petgraph::Incoming)
                .count(),
            4
        );
        assert_eq!(plan.name(plan.chapters[1].slides[2].clip), "clip:02-c/03");
    }
}
