//! What the benches that run the real binary share: running a command under `/usr/bin/time -v` and taking
//! medians.

#![allow(dead_code)] // each bench uses what it needs

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One run of a command: wall, user and system seconds, peak RSS and what it printed.
pub struct Run {
    pub wall: f64,
    pub user: f64,
    pub system: f64,
    pub rss_kib: u64,
    pub stdout: String,
}

/// Runs `program args` in `dir` under `/usr/bin/time -v`; panics if it fails.
pub fn timed(dir: &Path, program: &str, args: &[&str]) -> Run {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("runs (is Debian's `time` installed?)");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{stderr}"
    );
    let field = |name: &str| -> f64 {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    Run {
        wall,
        user: field("User time (seconds):"),
        system: field("System time (seconds):"),
        rss_kib: field("Maximum resident set size (kbytes):") as u64,
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
    }
}

/// Runs the vbuild binary of this build.
pub fn vbuild(dir: &Path, args: &[&str]) -> Run {
    timed(dir, env!("CARGO_BIN_EXE_vbuild"), args)
}

/// The median of `values`.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
