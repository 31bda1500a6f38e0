//! The build graph: a petgraph DAG of nodes, known in two stages.
//!
//! At first the graph holds the course's and the chapters' nodes. The per-slide nodes exist only once a
//! chapter's script is known; [`Plan::expand`] adds them, like ninja's dyndep. Edges come from the kinds'
//! inputs in [`crate::graph::node::KINDS`]: a node reads the nodes of its input kinds at its own address, around it
//! (a slide's audio reads its chapter's script) or inside it (a chapter video reads the chapter's clips).

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::graph::node::{Address, ChapterId, Edition, Node, NodeKind, Scope, SlideId};
use crate::graph::target::Targets;

/// The build graph.
#[derive(Debug, Clone)]
pub struct Plan {
    pub graph: DiGraph<Node, ()>,
    /// Every node's index, by kind and address.
    index: HashMap<Node, NodeIndex>,
    chapter_ids: Vec<String>,
    /// The language of each edition: the sources' first, then the translations'.
    languages: Vec<String>,
    /// Each chapter's slide count, 0 until its script is known, by [`Plan::slot`].
    slide_counts: Vec<usize>,
    /// The kinds this course has nodes of.
    kinds: Vec<NodeKind>,
}

impl Plan {
    /// The first-stage graph of a course whose chapters have ids `chapter_ids`, built in `languages` (the
    /// sources' first); `pictures` when a cloud provider draws a picture per slide.
    pub fn new(chapter_ids: Vec<String>, languages: Vec<String>, pictures: bool) -> Plan {
        assert!(!languages.is_empty(), "a course has its sources' language");
        let kinds = NodeKind::all()
            .filter(|k| pictures || !k.info().needs_pictures)
            .collect();
        let mut plan = Plan {
            graph: DiGraph::new(),
            index: HashMap::new(),
            slide_counts: vec![0; chapter_ids.len() * languages.len()],
            chapter_ids,
            languages,
            kinds,
        };
        for edition in plan.editions() {
            for kind in plan.kinds_of(Scope::Course, edition) {
                plan.add(Node::new(kind, Address::Course(edition)));
            }
            for chapter in plan.chapters_of(edition) {
                for kind in plan.kinds_of(Scope::Chapter, edition) {
                    plan.add(Node::new(kind, Address::Chapter(chapter)));
                }
            }
        }
        plan
    }

    /// The kinds of `scope` this course has in `edition`, in table order.
    fn kinds_of(&self, scope: Scope, edition: Edition) -> Vec<NodeKind> {
        self.kinds
            .iter()
            .copied()
            .filter(|k| k.scope() == scope && k.info().editions.has(edition))
            .collect()
    }

    /// Adds `node` with its edges to the nodes already in the graph that it reads or that read it.
    fn add(&mut self, node: Node) -> NodeIndex {
        let index = self.graph.add_node(node);
        self.index.insert(node, index);
        for input in node.kind.info().inputs {
            for from in self.related(*input, node.at) {
                self.graph.add_edge(from, index, ());
            }
        }
        let readers: Vec<NodeKind> = self
            .kinds
            .iter()
            .copied()
            .filter(|k| k.info().inputs.contains(&node.kind))
            .collect();
        for reader in readers {
            for to in self.related(reader, node.at) {
                self.graph.add_edge(index, to, ());
            }
        }
        index
    }

    /// The nodes of `kind` already in the graph that belong with `at`: the one around it or at it, or every
    /// one inside it (always of its own edition).
    fn related(&self, kind: NodeKind, at: Address) -> Vec<NodeIndex> {
        if kind.scope() <= at.scope() {
            return self
                .node(kind, at.within(kind.scope()))
                .into_iter()
                .collect();
        }
        let chapters: Vec<ChapterId> = match at {
            Address::Course(edition) => self.chapters_of(edition).collect(),
            Address::Chapter(chapter) => vec![chapter],
            Address::Slide(_) => Vec::new(),
        };
        chapters
            .into_iter()
            .flat_map(|chapter| match kind.scope() {
                Scope::Slide => self.slides(chapter).map(Address::Slide).collect::<Vec<_>>(),
                _ => vec![Address::Chapter(chapter)],
            })
            .filter_map(|inside| self.node(kind, inside))
            .collect()
    }

    /// Adds the per-slide nodes of `chapter` once its script, with `slide_count` slides, is known.
    pub fn expand(&mut self, chapter: ChapterId, slide_count: usize) -> Vec<NodeIndex> {
        let mut added = Vec::new();
        let slot = self.slot(chapter);
        for slide in 0..slide_count {
            self.slide_counts[slot] = slide + 1;
            let at = Address::Slide(SlideId { chapter, slide });
            for kind in self.kinds_of(Scope::Slide, chapter.edition) {
                added.push(self.add(Node::new(kind, at)));
            }
        }
        added
    }

    /// Which nodes `targets` need, by node index: those a target wants, the nodes that tell the slides of a
    /// chapter whose per-slide nodes a target wants, and every node a needed node reads.
    pub fn needed(&self, targets: &Targets) -> Vec<bool> {
        let mut needed = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&n| {
                let node = &self.graph[n];
                let chapter = node.at.chapter();
                targets.near(chapter).any(|t| {
                    t.wants(node)
                        || (node.kind.info().expands
                            && chapter.is_some_and(|c| t.needs_slides_of(c)))
                })
            })
            .collect();
        while let Some(node) = stack.pop() {
            if !std::mem::replace(&mut needed[node.index()], true) {
                stack.extend(self.graph.neighbors_directed(node, Direction::Incoming));
            }
        }
        needed
    }

    /// The node of `kind` at `at`, if the graph has it.
    pub fn node(&self, kind: NodeKind, at: Address) -> Option<NodeIndex> {
        self.index.get(&Node { kind, at }).copied()
    }

    /// The course's editions: the sources' language first.
    pub fn editions(&self) -> impl Iterator<Item = Edition> + use<> {
        Edition::all(self.languages.len())
    }

    /// The language `edition` is in.
    pub fn language(&self, edition: Edition) -> &str {
        &self.languages[edition.0]
    }

    /// The chapters of every edition.
    pub fn chapters(&self) -> impl Iterator<Item = ChapterId> + use<> {
        let count = self.chapter_ids.len();
        self.editions()
            .flat_map(move |edition| (0..count).map(move |index| ChapterId { edition, index }))
    }

    /// The chapters of `edition`.
    pub fn chapters_of(&self, edition: Edition) -> impl Iterator<Item = ChapterId> + use<> {
        (0..self.chapter_ids.len()).map(move |index| ChapterId { edition, index })
    }

    /// Where `chapter` is in lists of every edition's chapters, in the order of [`Plan::chapters`].
    pub fn slot(&self, chapter: ChapterId) -> usize {
        chapter.edition.0 * self.chapter_ids.len() + chapter.index
    }

    /// The slides of `chapter` known so far (none until its script is known).
    pub fn slides(&self, chapter: ChapterId) -> impl Iterator<Item = SlideId> + use<> {
        (0..self.slide_count(chapter)).map(move |slide| SlideId { chapter, slide })
    }

    /// How many slides `chapter` has (0 until its script is known).
    pub fn slide_count(&self, chapter: ChapterId) -> usize {
        self.slide_counts[self.slot(chapter)]
    }

    /// The node's readable name, e.g. `script:02-gradient-descent` or `clip:02-gradient-descent/03`; a
    /// translation's nodes carry their language after the kind: `clip@fr:02-gradient-descent/03`.
    pub fn name(&self, index: NodeIndex) -> String {
        let node = self.graph[index];
        let kind = match node.at.edition() {
            edition if edition.is_source() => node.kind.name().to_string(),
            edition => format!("{}@{}", node.kind.name(), self.language(edition)),
        };
        match node.at {
            Address::Slide(SlideId { chapter, slide }) => format!(
                "{kind}:{}/{:02}",
                self.chapter_ids[chapter.index],
                slide + 1
            ),
            Address::Chapter(chapter) => format!("{kind}:{}", self.chapter_ids[chapter.index]),
            Address::Course(_) => kind,
        }
    }

    /// The id of the chapter a node belongs to, if any.
    pub fn chapter_id(&self, index: NodeIndex) -> Option<&str> {
        self.graph[index]
            .at
            .chapter()
            .map(|c| self.chapter_ids[c.index].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::Direction::Incoming;
    use petgraph::algo::is_cyclic_directed;

    fn en() -> Vec<String> {
        vec!["en".into()]
    }

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|number| format!("{number:02}-c")).collect()
    }

    #[test]
    fn expansion_adds_three_nodes_per_slide_and_stays_acyclic() {
        let mut plan = Plan::new(ids(2), en(), false);
        assert_eq!(plan.graph.node_count(), 2 + 2 * 4);
        let added = plan.expand(ChapterId::source(1), 3);
        assert_eq!(added.len(), 9);
        assert!(!is_cyclic_directed(&plan.graph));
        let video = plan
            .node(
                NodeKind::ChapterVideo,
                Address::Chapter(ChapterId::source(1)),
            )
            .unwrap();
        // The script, the three clips and the three slides' speech.
        assert_eq!(plan.graph.neighbors_directed(video, Incoming).count(), 7);
        let clip = plan
            .node(
                NodeKind::Clip,
                Address::Slide(SlideId {
                    chapter: ChapterId::source(1),
                    slide: 2,
                }),
            )
            .unwrap();
        assert_eq!(plan.name(clip), "clip:02-c/03");
        let inputs: Vec<String> = plan
            .graph
            .neighbors_directed(clip, Incoming)
            .map(|n| plan.name(n))
            .collect();
        assert_eq!(inputs.len(), 2);
        assert!(
            inputs.contains(&"audio:02-c/03".to_string())
                && inputs.contains(&"image:02-c/03".to_string())
        );
    }

    #[test]
    fn each_language_has_its_own_nodes_and_no_edge_crosses_languages() {
        let languages = vec!["en".to_string(), "fr".to_string()];
        let mut plan = Plan::new(ids(1), languages, false);
        let fr = ChapterId {
            edition: Edition(1),
            index: 0,
        };
        plan.expand(ChapterId::source(0), 2);
        plan.expand(fr, 1);
        assert!(!is_cyclic_directed(&plan.graph));
        for edge in plan.graph.edge_indices() {
            let (from, to) = plan.graph.edge_endpoints(edge).unwrap();
            let editions = (plan.graph[from].at.edition(), plan.graph[to].at.edition());
            assert_eq!(
                editions.0,
                editions.1,
                "{} -> {}",
                plan.name(from),
                plan.name(to)
            );
        }
        // The sources have a chapter node and no translation; a translation has both kinds the other way.
        let source = Address::Chapter(ChapterId::source(0));
        assert!(plan.node(NodeKind::Chapter, source).is_some());
        assert!(plan.node(NodeKind::Translation, source).is_none());
        assert!(plan.node(NodeKind::Chapter, Address::Chapter(fr)).is_none());
        let translation = plan
            .node(NodeKind::Translation, Address::Chapter(fr))
            .unwrap();
        assert_eq!(plan.name(translation), "translation@fr:01-c");
        let slide = Address::Slide(SlideId {
            chapter: fr,
            slide: 0,
        });
        let image = plan.node(NodeKind::Image, slide).unwrap();
        assert_eq!(plan.name(image), "image@fr:01-c/01");
        let inputs: Vec<String> = (plan.graph.neighbors_directed(image, Incoming))
            .map(|n| plan.name(n))
            .collect();
        assert!(
            inputs.contains(&"course-title@fr".to_string()),
            "{inputs:?}"
        );
        assert_eq!(
            (plan.slide_count(ChapterId::source(0)), plan.slide_count(fr)),
            (2, 1)
        );
        let video = plan
            .node(NodeKind::CourseVideo, Address::Course(Edition(1)))
            .unwrap();
        assert_eq!(plan.name(video), "course-video@fr");
    }

    #[test]
    fn pictures_are_read_by_their_slides_images_only_when_the_course_draws_them() {
        let mut plan = Plan::new(ids(1), en(), true);
        plan.expand(ChapterId::source(0), 2);
        assert_eq!(plan.graph.node_count(), 2 + 4 + 2 * 4);
        let at = Address::Slide(SlideId {
            chapter: ChapterId::source(0),
            slide: 1,
        });
        let image = plan.node(NodeKind::Image, at).unwrap();
        let picture = plan.node(NodeKind::Picture, at).unwrap();
        assert!(plan.graph.contains_edge(picture, image));
        let course = plan
            .node(NodeKind::CourseVideo, Address::Course(Edition::SOURCE))
            .unwrap();
        assert_eq!(plan.graph.neighbors_directed(course, Incoming).count(), 1);
        assert!(plan.node(NodeKind::Picture, at).is_some());
        assert!(
            Plan::new(ids(1), en(), false)
                .node(NodeKind::Picture, at)
                .is_none()
        );
    }

    #[test]
    fn every_kind_with_a_target_plans_its_nodes_in_every_spelling() {
        let c = crate::graph::target::tests::chapters();
        let languages = vec!["en".to_string(), "fr".to_string()];
        let mut plan = Plan::new(c.iter().map(|c| c.id.clone()).collect(), languages, true);
        for chapter in plan.chapters().collect::<Vec<_>>() {
            plan.expand(chapter, 2);
        }
        for row in crate::graph::node::KINDS.iter() {
            let Some(spelling) = row.target else {
                continue;
            };
            let texts = match row.scope {
                Scope::Course => vec![spelling.word.to_string(), row.name.to_string()],
                Scope::Chapter => vec![
                    format!("{}:2", spelling.word),
                    format!("{}:linear-regression", row.name),
                ],
                Scope::Slide => vec![
                    format!("{}:2", spelling.word),
                    format!("{}:02-linear-regression/2", spelling.word),
                ],
            };
            for text in texts {
                let edition = if row.editions.has(Edition::SOURCE) {
                    Edition::SOURCE
                } else {
                    Edition(1)
                };
                let target = crate::graph::target::Target::parse(&text, &c)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .in_edition(edition, "fr");
                let needed = plan.needed(&Targets::new(vec![target]));
                let planned = plan
                    .graph
                    .node_indices()
                    .filter(|n| needed[n.index()] && plan.graph[*n].kind == row.kind)
                    .count();
                assert!(planned >= 1, "{text} plans no {} node", row.name);
            }
        }
        let listed: Vec<String> = crate::graph::target::spellings()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        for word in [
            "course",
            "video",
            "chapter:CHAPTER",
            "picture:CHAPTER",
            "subtitles:CHAPTER",
        ] {
            assert!(listed.contains(&word.to_string()), "{listed:?}");
        }
    }
}
