//! The commands that only look: `targets`, `explain`, `graph`, `runs` and `report`. Each plans the
//! build as a dry run would, changes nothing, and prints a view from [`super::describe`].

use super::Said;
use super::args::GraphFormat;
use super::describe;
use crate::engine::Options;
use crate::engine::progress::Progress;
use crate::error::Error;
use crate::graph::target;
use crate::project::{Build, Project};
use crate::record::history;

/// The options of a look: a dry run of `targets` that keeps going and writes nothing.
fn look(project: &Project, targets: &[String]) -> Result<Options, Error> {
    Ok(Options {
        jobs: 1,
        dry_run: true,
        keep_going: true,
        targets: project.targets(targets, &[])?,
        shard: None,
        always: false,
        slide_pictures: false,
    })
}

/// `vbuild targets`: the spellings of a target, and this course's chapters with their slides.
pub(super) fn targets(project: &Project) -> Result<Said, Error> {
    let built = project.build(&look(project, &[])?, &Progress::hidden())?;
    Ok(Said::ok(list_targets(project, &built)))
}

/// `vbuild explain TARGET...`: why each node of the targets would run now, or why it last ran.
pub(super) fn explain(project: &Project, targets: &[String]) -> Result<Said, Error> {
    let history = history::reports(&project.videofile.cache_dir());
    let options = look(project, targets)?;
    let built = project.build(&options, &Progress::hidden())?;
    Ok(Said::ok(describe::explain(
        &built.report,
        &options.targets,
        built.walked(),
        &history,
    )))
}

/// `vbuild graph`: the graph with each node's state, as DOT, text or JSON.
pub(super) fn graph(
    project: &Project,
    format: GraphFormat,
    targets: &[String],
) -> Result<Said, Error> {
    let built = project.build(&look(project, targets)?, &Progress::hidden())?;
    Ok(Said::ok(match format {
        GraphFormat::Dot => describe::graph_dot(built.walked()),
        GraphFormat::Text => describe::graph_text(built.walked()),
        GraphFormat::Json => describe::graph_json(&built.report, built.walked()) + "\n",
    }))
}

/// `vbuild runs`: one line per past build.
pub(super) fn runs(project: &Project) -> Result<Said, Error> {
    let stats = history::stats(&project.videofile.cache_dir());
    Ok(Said::ok(describe::runs(&stats)))
}

/// `vbuild report [ID] [--json]`: a past build's report (an id or its start), or the last one; exit code 2
/// when there is none.
pub(super) fn report(project: &Project, id: Option<&str>, json: bool) -> Result<Said, Error> {
    let cache_dir = project.videofile.cache_dir();
    let found = match id {
        Some(id) => history::reports(&cache_dir)
            .into_iter()
            .find(|r| r.id == id || r.id.starts_with(id)),
        None => history::latest(&cache_dir),
    };
    let Some(report) = found else {
        return Ok(Said {
            err: format!(
                "vbuild: no build report {}; `vbuild runs` lists them\n",
                id.unwrap_or("yet")
            ),
            code: 2,
            ..Said::default()
        });
    };
    Ok(Said::ok(if json {
        serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"
    } else {
        describe::report(&report)
    }))
}

/// The targets of this course, with each chapter's slide count where its script is known.
fn list_targets(project: &Project, built: &Build) -> String {
    let mut out = String::new();
    for (spelled, what) in target::spellings() {
        out.push_str(&format!("{spelled:<20} {what}\n"));
    }
    out.push_str("\nCHAPTER is a number, a slug or an id:\n");
    let plan = &built.walked().plan;
    for (chapter, id) in project.chapters.iter().zip(plan.chapters()) {
        let slides = match plan.slide_count(id) {
            0 => "slides known once its script has run".to_string(),
            1 => format!(
                "1 slide: audio:{0}/1, image:{0}/1, clip:{0}/1",
                chapter.number
            ),
            n => format!(
                "{n} slides: audio:{0}/1..{n}, image:{0}/1..{n}, clip:{0}/1..{n}",
                chapter.number
            ),
        };
        out.push_str(&format!(
            "  {:<3} {:<40} {slides}\n",
            chapter.number, chapter.id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::build::{self, tests::args};
    use crate::cli::fixture::{course, shell};

    #[test]
    fn report_says_there_is_none_until_a_build_then_shows_the_last() {
        let (_dir, project) = course("");
        let none = report(&project, None, false).unwrap();
        assert_eq!(
            none,
            Said {
                out: String::new(),
                err: "vbuild: no build report yet; `vbuild runs` lists them\n".into(),
                code: 2,
            }
        );
        let unknown = report(&project, Some("1999"), false).unwrap();
        assert_eq!(unknown.code, 2);
        assert!(unknown.err.contains("no build report 1999;"));
        build::command(&shell(false), &args(&["script:1"]), &project).unwrap();
        let json = report(&project, None, true).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json.out).unwrap();
        assert_eq!(parsed["targets"], serde_json::json!(["script:1"]));
        let id = parsed["id"].as_str().unwrap();
        let text = report(&project, Some(&id[..8]), false).unwrap();
        assert!(text.out.contains(id), "{}", text.out);
        let runs = runs(&project).unwrap();
        assert_eq!(
            runs.out.lines().filter(|l| l.starts_with(&id[..8])).count(),
            1
        );
    }

    #[test]
    fn targets_lists_each_chapter_with_its_slides_once_its_script_is_known() {
        let (_dir, project) = course("");
        let before = targets(&project).unwrap().out;
        assert!(before.contains("  1   01-moon"), "{before}");
        assert!(
            before.contains("slides known once its script has run"),
            "{before}"
        );
        build::command(&shell(false), &args(&["script:1"]), &project).unwrap();
        let after = targets(&project).unwrap().out;
        assert!(
            after.contains("1 slide: audio:1/1, image:1/1, clip:1/1"),
            "{after}"
        );
    }

    #[test]
    fn graph_and_explain_change_nothing() {
        let (dir, project) = course("");
        let dot = graph(&project, GraphFormat::Dot, &[]).unwrap().out;
        assert!(dot.starts_with("digraph"), "{dot}");
        let json = graph(&project, GraphFormat::Json, &["chapter:1".into()]).unwrap();
        serde_json::from_str::<serde_json::Value>(&json.out).unwrap();
        let why = explain(&project, &["script:1".into()]).unwrap().out;
        assert!(why.contains("script:01-moon"), "{why}");
        assert!(!dir.path().join(".vbuild").exists() && !dir.path().join("out").exists());
    }
}
