//! A bad Videofile stops vbuild before any work, with exit code 2 and a message naming the file and line.

mod common;

use common::*;

/// Writes `videofile` next to the example's lecture, runs vbuild, and returns its stderr.
fn fails_with_code_2(videofile: &str) -> String {
    let dir = example_copy();
    std::fs::write(dir.path().join("Videofile"), videofile).unwrap();
    let output = vbuild(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        !dir.path().join(".vbuild/actions").exists(),
        "nothing may run"
    );
    stderr
}

const HEAD: &str = "[course]\ntitle = \"T\"\nsources = [\"lecture.md\"]\n";

#[test]
fn syntax_error() {
    let stderr = fails_with_code_2("[course]\ntitle = \"T\nsources = [\"lecture.md\"]\n");
    assert!(stderr.contains("Videofile:2:"), "{stderr}");
}

#[test]
fn unknown_key() {
    let stderr = fails_with_code_2(&format!("{HEAD}\n[video]\nframerate = 30\n"));
    assert!(
        stderr.contains("Videofile:6:1:") && stderr.contains("framerate"),
        "{stderr}"
    );
}

#[test]
fn missing_source() {
    let stderr = fails_with_code_2("[course]\ntitle = \"T\"\n\nsources = [\"nowhere.md\"]\n");
    assert!(
        stderr.contains("Videofile:4:") && stderr.contains("nowhere.md"),
        "{stderr}"
    );
}

#[test]
fn bad_resolution() {
    let stderr = fails_with_code_2(&format!("{HEAD}[video]\nresolution = \"wide\"\n"));
    assert!(
        stderr.contains("Videofile:5:") && stderr.contains("WIDTHxHEIGHT"),
        "{stderr}"
    );
}

#[test]
fn missing_videofile() {
    let dir = tempfile::tempdir().unwrap();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("Videofile: cannot read the Videofile")
    );
}
