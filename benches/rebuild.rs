//! Rebuild speed of the bundled example: a full build from an empty cache, a no-op rebuild, and the rebuild
//! after editing one chapter, each run through the real `vbuild` binary and printed with their ratios.
//!
//! Run with `cargo bench --bench rebuild`. Figures depend on the machine; the ratios are what to compare.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/intro-ml");
    for name in ["Videofile", "lecture.md", "bowl.svg"] {
        std::fs::copy(example.join(name), dir.path().join(name)).expect("copy the example");
    }
    dir
}

/// Runs vbuild in `dir` and returns the wall time in seconds.
fn timed_build(dir: &Path) -> f64 {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .arg("-q")
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("vbuild runs");
    assert!(status.success(), "vbuild failed");
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    const RUNS: usize = 5;
    let mut full = Vec::new();
    let mut noop = Vec::new();
    let mut edit = Vec::new();
    for run in 0..RUNS {
        let dir = example_copy();
        full.push(timed_build(dir.path()));
        noop.push(timed_build(dir.path()));
        let lecture = dir.path().join("lecture.md");
        let text = std::fs::read_to_string(&lecture).expect("lecture");
        let edited = text.replace(
            "Real data is messy.",
            &format!("Real data is messy (edit {run})."),
        );
        std::fs::write(&lecture, edited).expect("edit the lecture");
        edit.push(timed_build(dir.path()));
    }
    let (full, noop, edit) = (median(full), median(noop), median(edit));
    println!("vbuild rebuild bench, bundled example, median of {RUNS} runs");
    println!("  full build (empty cache):     {full:8.3} s");
    println!(
        "  one-chapter edit rebuild:     {edit:8.3} s   = {:6.1}% of full",
        100.0 * edit / full
    );
    println!(
        "  no-op rebuild:                {noop:8.3} s   = {:6.2}% of full",
        100.0 * noop / full
    );
    println!(
        "  full / no-op = {:.0}x, full / edit = {:.1}x",
        full / noop,
        full / edit
    );
}
