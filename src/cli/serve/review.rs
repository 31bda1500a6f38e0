//! What the review page shows of a build: the course video and its tracks, every slide's picture beside its
//! narration and its nodes' states, the build's summary, errors and cost.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::cli::describe;
use crate::engine::{Outcome, State};
use crate::lecture::ChapterSource;
use crate::lecture::script::Script;
use crate::outputs::{self, SLIDES};
use crate::project::{Build, Project};
use crate::record::report::NodeState;
use crate::sys::secrets;

/// The page's state: the last build's, and whether another is running.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    /// Bumped when a build starts and when one ends: the page redraws when it changes.
    pub generation: u64,
    pub building: bool,
    pub title: String,
    /// `3 run, 40 cached, 0 failed, 0 skipped in 2.1 s`; `None` before the first build ends.
    pub summary: Option<String>,
    /// What the last build spent, with its currency (`0.00 USD`).
    pub cost: Option<String>,
    /// What went wrong in the last build (or in reading the Videofile and lecture): one line each.
    pub errors: Vec<String>,
    /// The last good course video and its tracks, as URLs of this server (the video changes only when a
    /// build writes a new one; a failed build keeps the last).
    pub video: Option<Media>,
    pub chapters: Vec<ChapterReview>,
}

/// The course video's URLs: each carries the version of its file, so the browser fetches a new one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Media {
    pub video: String,
    pub subtitles: Option<String>,
    pub chapters: Option<String>,
    /// Where each chapter starts, from the chapter marks: the list that seeks.
    pub marks: Vec<Mark>,
}

/// A chapter mark: where a chapter starts in the course video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub seconds: f64,
    pub title: String,
}

/// The cues of a WebVTT file vbuild wrote (`HH:MM:SS.mmm --> ...` and the text under it).
fn marks(vtt: &str) -> Vec<Mark> {
    let lines: Vec<&str> = vtt.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((start, _)) = line.split_once("-->") else {
            continue;
        };
        let seconds = (start.trim().split(':'))
            .map(|part| part.parse::<f64>().ok())
            .try_fold(0.0, |total, part| Some(total * 60.0 + part?));
        let title = (lines[index + 1..].iter())
            .take_while(|l| !l.trim().is_empty())
            .copied()
            .collect::<Vec<&str>>()
            .join(" ");
        if let Some(seconds) = seconds {
            found.push(Mark { seconds, title });
        }
    }
    found
}

/// One chapter on the page.
#[derive(Debug, Clone, Serialize)]
pub struct ChapterReview {
    pub id: String,
    pub title: String,
    pub slides: Vec<SlideReview>,
}

/// One slide on the page.
#[derive(Debug, Clone, Serialize)]
pub struct SlideReview {
    pub number: usize,
    pub title: String,
    /// What is said while it is shown.
    pub narration: String,
    /// Its picture's URL, when the build drew it.
    pub picture: Option<String>,
    /// Its nodes' states by kind: `image: cached`, `audio: ran`, `clip: failed`.
    pub states: BTreeMap<String, String>,
    /// Its nodes' errors.
    pub errors: Vec<String>,
}

/// The URL of `path`, a file of the output folder `out`, at the version `version` (a hash or a time).
fn url_of(out: &Path, path: &Path, version: &str) -> Option<String> {
    let inside = path.strip_prefix(out).ok()?;
    let parts: Vec<String> = inside
        .components()
        .map(|c| url::form_urlencoded::byte_serialize(c.as_os_str().as_encoded_bytes()).collect())
        .collect();
    Some(format!("/out/{}?v={version}", parts.join("/")))
}

/// The version of the file at `path` as the browser should see it: its size and modification time.
fn file_version(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}-{}", meta.len(), modified.as_millis()))
}

/// A per-slide node as the page shows it.
struct SlideNode {
    kind: &'static str,
    state: NodeState,
    key: Option<String>,
    error: Option<String>,
}

/// The per-slide nodes of `outcome` in the sources' language (the one the page shows) by chapter id and
/// slide number (from 1).
fn slide_nodes(outcome: &Outcome) -> BTreeMap<(String, usize), Vec<SlideNode>> {
    let plan = &outcome.plan;
    let mut by_slide: BTreeMap<(String, usize), Vec<SlideNode>> = BTreeMap::new();
    for index in plan.graph.node_indices() {
        let node = plan.graph[index];
        if !node.at.edition().is_source() {
            continue;
        }
        let (Some(chapter), Some(slide)) = (plan.chapter_id(index), node.at.slide()) else {
            continue;
        };
        let Some(state) = NodeState::of(outcome.state(index)) else {
            continue;
        };
        let (key, error) = match outcome.state(index) {
            State::Done { entry, .. } => (Some(entry.key.to_string()), None),
            State::Failed { error, .. } => (None, Some(secrets::redact(error))),
            _ => (None, None),
        };
        by_slide
            .entry((chapter.to_string(), slide.slide + 1))
            .or_default()
            .push(SlideNode {
                kind: node.kind.name(),
                state,
                key,
                error,
            });
    }
    by_slide
}

/// The slides of `chapter` as its script (in the output folder `out`) and `nodes` tell them.
fn slides_of(
    out: &Path,
    chapter: &ChapterSource,
    nodes: &BTreeMap<(String, usize), Vec<SlideNode>>,
) -> Vec<SlideReview> {
    let script = std::fs::read(out.join("scripts").join(format!("{}.json", chapter.id)))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Script>(&bytes).ok());
    let Some(script) = script else {
        return Vec::new();
    };
    let folder = out.join(SLIDES).join(&chapter.id);
    let none = Vec::new();
    (script.slides.iter().enumerate())
        .map(|(index, slide)| {
            let nodes = nodes.get(&(chapter.id.clone(), index + 1)).unwrap_or(&none);
            // The picture's URL carries its node's key: a redrawn slide is fetched again.
            let version = (nodes.iter())
                .find(|n| n.kind == "image")
                .and_then(|n| n.key.as_ref())
                .map(|key| key.chars().take(16).collect::<String>());
            let picture_path = outputs::slide_path(&folder, index);
            SlideReview {
                number: index + 1,
                title: crate::lecture::markdown::plain(&slide.title),
                narration: slide.speaker_notes.clone(),
                picture: version
                    .filter(|_| picture_path.is_file())
                    .and_then(|v| url_of(out, &picture_path, &v)),
                states: (nodes.iter())
                    .map(|n| (n.kind.to_string(), n.state.to_string()))
                    .collect(),
                errors: (nodes.iter())
                    .filter_map(|n| Some(format!("{}: {}", n.kind, n.error.as_ref()?)))
                    .collect(),
            }
        })
        .collect()
}

/// The review of `built`, a build of `project`.
pub fn review(project: &Project, built: &Build) -> Review {
    let report = &built.report;
    let videofile = &project.videofile;
    let out = videofile.output_dir();
    let mut errors: Vec<String> = report
        .failures()
        .map(|node| {
            format!(
                "{}: {}",
                node.name,
                node.error.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    errors.extend(report.error.iter().cloned());
    let base = outputs::course_base(videofile);
    let media_url = |ext: &str| {
        let path = base.with_extension(ext);
        url_of(&out, &path, &file_version(&path)?)
    };
    let video = media_url("mp4").map(|video| Media {
        video,
        subtitles: media_url("vtt"),
        chapters: media_url("chapters.vtt"),
        marks: std::fs::read_to_string(base.with_extension("chapters.vtt"))
            .map(|vtt| marks(&vtt))
            .unwrap_or_default(),
    });
    let nodes = built.outcome.as_ref().map(slide_nodes).unwrap_or_default();
    let chapters = (project.chapters.iter())
        .map(|chapter| ChapterReview {
            id: chapter.id.clone(),
            title: chapter.chapter.title.clone(),
            slides: slides_of(&out, chapter, &nodes),
        })
        .collect();
    let counts = &report.counts;
    Review {
        generation: 0,
        building: false,
        title: videofile.course.title.clone(),
        summary: Some(format!(
            "{} run, {} cached, {} failed, {} skipped in {}",
            counts.ran,
            counts.cached,
            counts.failed,
            counts.skipped,
            describe::duration(report.seconds)
        )),
        cost: Some(format!("{:.2} {}", report.cost, report.currency)),
        errors,
        video,
        chapters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_marks_are_read_from_the_chapters_track() {
        let vtt = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:20.400\nTides\n\n2\n00:01:20.400 --> 00:01:39.000\nWinds and\nweather\n";
        assert_eq!(
            marks(vtt),
            [
                Mark {
                    seconds: 0.0,
                    title: "Tides".into()
                },
                Mark {
                    seconds: 80.4,
                    title: "Winds and weather".into()
                }
            ]
        );
    }
}
