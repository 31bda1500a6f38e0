//! Cost at scale: a generated course (default 200 slides; `VBUILD_BENCH_SLIDES=2000` for the 2,000-slide
//! figures), 8 slides a chapter, at 320x180 and 1 fps with espeak-ng, built through the real binary:
//! - a full build, with its peak RSS (`/usr/bin/time -v`);
//! - a no-op `vbuild -q` against `ninja` on a build.ninja of the same graph (from `vbuild graph --format json`):
//!   one that walks the graph (the seal removed) and one told by the seal of the last; and `vbuild -n`;
//! - a one-word edit: its wall time and the nodes it ran, with the time of the slowest;
//! - the cache's bytes per slide.
//!
//! Run with `cargo bench --bench scale` (needs Debian's ninja-build and time). Each figure is a median of runs
//! made one after another in one process; the ratios are what to compare.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{median, timed, vbuild};

const SLIDES_PER_CHAPTER: usize = 8;

/// Writes a course of `chapters` chapters of [`SLIDES_PER_CHAPTER`] slides each into `dir`.
fn generate(dir: &Path, chapters: usize) {
    let mut lecture = String::from("# Scale\n\n");
    for c in 1..=chapters {
        lecture.push_str(&format!("## Chapter {c}\n\n"));
        for s in 1..=SLIDES_PER_CHAPTER {
            lecture.push_str(&format!(
                "### Part {s}\n\nThis is part {s} of chapter {c}. It says a few plain words about the topic, \
                 enough for one slide. Another sentence follows it here.\n\n"
            ));
        }
    }
    std::fs::write(dir.join("lecture.md"), lecture).expect("lecture");
    std::fs::write(
        dir.join("Videofile"),
        "[course]\ntitle = \"Scale\"\nsources = [\"lecture.md\"]\n\n\
         [video]\nresolution = \"320x180\"\nfps = 1\nmin_slide_seconds = 0\n\n\
         [script]\nmax_slides = 8\nwords_per_slide = 30\n\n\
         [speech]\nprovider = \"espeak\"\nrate = 175\n",
    )
    .expect("Videofile");
}

/// A build.ninja with one edge per vbuild node: its inputs' stamp files in, its own stamp file out.
fn write_ninja(dir: &Path, graph: &str) -> (usize, usize) {
    let nodes: serde_json::Value = serde_json::from_str(graph).expect("graph JSON");
    let stamp = |name: &str| format!("stamps/{}", name.replace([':', '/'], "_"));
    let mut ninja = String::from("rule stamp\n  command = touch $out\n\n");
    let mut edges = 0;
    for node in nodes.as_array().expect("nodes") {
        let inputs: Vec<String> = node["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .map(|i| stamp(i.as_str().expect("a name")))
            .collect();
        edges += inputs.len();
        ninja.push_str(&format!(
            "build {}: stamp {}\n",
            stamp(node["name"].as_str().expect("a name")),
            inputs.join(" ")
        ));
    }
    std::fs::create_dir_all(dir.join("stamps")).expect("stamps");
    std::fs::write(dir.join("build.ninja"), ninja).expect("build.ninja");
    (nodes.as_array().map_or(0, Vec::len), edges)
}

fn du(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum()
}

fn main() {
    let slides: usize = std::env::var("VBUILD_BENCH_SLIDES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let chapters = slides.div_ceil(SLIDES_PER_CHAPTER);
    let dir = tempfile::tempdir().expect("temp dir");
    let course = dir.path();
    generate(course, chapters);

    let full_run = vbuild(course, &["-q"]);
    let (full, full_rss) = (full_run.wall, full_run.rss_kib);
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(course.join(".vbuild/builds/latest.json")).expect("a report"),
    )
    .expect("JSON");
    let built_slides = report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "audio")
        .count();
    let video_seconds: f64 = report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "chapter-video")
        .filter_map(|n| n["meta"]["seconds"].as_f64())
        .sum();

    // A no-op that walks the graph (as the first one after a build that ran does): the seal removed first.
    let seal = course.join(".vbuild/seal");
    let noop_runs: Vec<(f64, u64)> = (0..5)
        .map(|_| {
            let _ = std::fs::remove_file(&seal);
            let run = vbuild(course, &["-q"]);
            (run.wall, run.rss_kib)
        })
        .collect();
    let noop = median(noop_runs.iter().map(|r| r.0).collect());
    let noop_rss = noop_runs.iter().map(|r| r.1).max().unwrap_or(0);
    // No-ops told by the seal of the last one (written once the files it stamps are a second old).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    vbuild(course, &["-q"]);
    assert!(seal.is_file(), "a settled no-op seals");
    let sealed_runs: Vec<(f64, u64)> = (0..5)
        .map(|_| {
            let run = vbuild(course, &["-q"]);
            (run.wall, run.rss_kib)
        })
        .collect();
    let sealed = median(sealed_runs.iter().map(|r| r.0).collect());
    let sealed_rss = sealed_runs.iter().map(|r| r.1).max().unwrap_or(0);
    let dry = median((0..3).map(|_| vbuild(course, &["-n"]).wall).collect());

    let ninja_dir = tempfile::tempdir().expect("temp dir");
    let graph = vbuild(course, &["graph", "--format", "json"]).stdout;
    let (nodes, edges) = write_ninja(ninja_dir.path(), &graph);
    timed(ninja_dir.path(), "ninja", &["-j", "2"]);
    let ninja = median(
        (0..5)
            .map(|_| timed(ninja_dir.path(), "ninja", &["-j", "2"]).wall)
            .collect(),
    );

    // One word of one chapter in the middle.
    let lecture = course.join("lecture.md");
    let text = std::fs::read_to_string(&lecture).expect("lecture");
    let middle = chapters / 2 + 1;
    let edited = text.replacen(
        &format!("This is part 3 of chapter {middle}."),
        &format!("This is part three of chapter {middle}."),
        1,
    );
    std::fs::write(&lecture, edited).expect("edit");
    let edited_run = vbuild(course, &["-q"]);
    let (edit, edit_rss) = (edited_run.wall, edited_run.rss_kib);
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(course.join(".vbuild/builds/latest.json")).expect("a report"),
    )
    .expect("JSON");
    let mut ran: BTreeMap<String, f64> = BTreeMap::new();
    for node in report["nodes"].as_array().expect("nodes") {
        if node["state"] == "ran" {
            ran.insert(
                node["name"].as_str().unwrap_or_default().to_string(),
                node["seconds"].as_f64().unwrap_or(0.0),
            );
        }
    }
    let slowest = ran
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(name, s)| format!("{name} {s:.2} s"))
        .unwrap_or_default();

    let cache = du(&course.join(".vbuild"));
    let reports = du(&course.join(".vbuild/builds"));
    println!(
        "vbuild scale bench: {built_slides} slides in {chapters} chapters ({nodes} nodes, {edges} edges), \
         {:.1} h of video at 320x180 1 fps, espeak-ng; 2 cores",
        video_seconds / 3600.0
    );
    println!(
        "  full build            {full:8.2} s   peak RSS {} MiB",
        full_rss / 1024
    );
    println!(
        "  no-op vbuild -q       {noop:8.3} s   peak RSS {} MiB   = {:.1}x ninja ({ninja:.3} s, same graph), graph walked",
        noop_rss / 1024,
        noop / ninja
    );
    println!(
        "  no-op, sealed         {sealed:8.3} s   peak RSS {} MiB   = {:.1}x ninja (the last no-op's seal holds)",
        sealed_rss / 1024,
        sealed / ninja
    );
    println!("  dry run vbuild -n     {dry:8.3} s");
    println!(
        "  one-word edit         {edit:8.2} s   peak RSS {} MiB; {} nodes ran, slowest {slowest}",
        edit_rss / 1024,
        ran.len()
    );
    println!(
        "  cache                 {:8.1} MB   = {:.0} KB per slide (build reports {:.1} MB)",
        cache as f64 / 1e6,
        cache as f64 / 1e3 / built_slides.max(1) as f64,
        reports as f64 / 1e6
    );
}
