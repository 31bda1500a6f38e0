//! Planning and scheduling at many chapters, through the real binary: lectures of N chapters of one short
//! paragraph each (1,000 and 5,000 by default; `VBUILD_BENCH_CHAPTERS=500,1000,2000` for others) and one
//! lecture of about 10 MB.
//! - `vbuild -n` on an empty cache (parse, plan, dry run);
//! - the scripts of every chapter (`script:1 ... script:N`, one target per chapter): the engine with N
//!   chapters, its CPU time in vbuild itself (user) apart from the file system's (system: creating files);
//! - `vbuild -n` once the scripts are known (every slide's nodes planned);
//! - peak RSS of each.
//!
//! Linear means the time per chapter stays put as N grows: the last column is the user time per chapter
//! against the smallest N's. Run with `cargo bench --bench planning` (needs Debian's `time`).

mod common;

use std::path::Path;

use common::{Run, vbuild};

/// Writes a lecture of `chapters` chapters into `dir`, each `padding` extra sentences long.
fn generate(dir: &Path, chapters: usize, padding: usize) {
    let mut lecture = String::from("# Many\n\n");
    for c in 1..=chapters {
        lecture.push_str(&format!(
            "## Topic {c}\n\nTopic {c} says one short thing. It has a second sentence too."
        ));
        for p in 0..padding {
            lecture.push_str(&format!(
                " Sentence {p} of topic {c} adds a few more words to it."
            ));
        }
        lecture.push_str("\n\n");
    }
    std::fs::write(dir.join("lecture.md"), lecture).expect("lecture");
    std::fs::write(
        dir.join("Videofile"),
        "[course]\ntitle = \"Many\"\nsources = [\"lecture.md\"]\n\n\
         [video]\nresolution = \"320x180\"\nfps = 1\n\n[speech]\nprovider = \"espeak\"\n",
    )
    .expect("Videofile");
}

/// The figures of one lecture: dry run, scripts, dry run with every slide planned.
fn measure(chapters: usize, padding: usize) -> (u64, [Run; 3]) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), chapters, padding);
    let size = std::fs::metadata(dir.path().join("lecture.md")).map_or(0, |m| m.len());
    let empty = vbuild(dir.path(), &["-n", "-q"]);
    let targets: Vec<String> = (1..=chapters).map(|c| format!("script:{c}")).collect();
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let scripts = vbuild(dir.path(), &[&["-q"][..], &targets].concat());
    let planned = vbuild(dir.path(), &["-n", "-q"]);
    (size, [empty, scripts, planned])
}

fn main() {
    let counts: Vec<usize> = std::env::var("VBUILD_BENCH_CHAPTERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 5000]);
    println!("vbuild planning bench: lectures of N one-paragraph chapters; 2 cores");
    println!(
        "  {:>6}  {:>22}  {:>34}  {:>22}  {:>9}",
        "N", "dry run (empty)", "scripts: wall / user / system", "dry run (planned)", "user/ch"
    );
    let mut first_per_chapter = None;
    for chapters in counts {
        let (_, [empty, scripts, planned]) = measure(chapters, 0);
        let per_chapter = scripts.user / chapters as f64;
        let ratio = per_chapter / *first_per_chapter.get_or_insert(per_chapter);
        println!(
            "  {chapters:>6}  {:>8.2} s {:>6} MiB  {:>6.2} s / {:>5.2} s / {:>5.2} s {:>5} MiB  {:>8.2} s {:>6} MiB  {ratio:>8.2}x",
            empty.wall,
            empty.rss_kib / 1024,
            scripts.wall,
            scripts.user,
            scripts.system,
            scripts.rss_kib / 1024,
            planned.wall,
            planned.rss_kib / 1024,
        );
    }
    // About 10 MB: 5,000 chapters of about 2 KB.
    let (size, [empty, scripts, planned]) = measure(5000, 36);
    println!(
        "  a {:.1} MB lecture (5000 chapters): dry run {:.2} s {} MiB; scripts {:.2} s {} MiB; planned dry run {:.2} s {} MiB",
        size as f64 / 1e6,
        empty.wall,
        empty.rss_kib / 1024,
        scripts.wall,
        scripts.rss_kib / 1024,
        planned.wall,
        planned.rss_kib / 1024
    );
}
