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

#[test]
fn a_value_of_the_wrong_type_is_named_in_plain_words() {
    let stderr = fails_with_code_2(&format!("{HEAD}[video]\nfps = \"ten\"\n"));
    assert!(
        stderr.contains(
            "Videofile:5:7: [video] fps: expected a whole number of 0 or more, got \"ten\""
        ),
        "{stderr}"
    );
}

#[test]
fn a_missing_key_says_which_variable_to_export() {
    let stderr = fails_with_code_2(&format!(
        "{HEAD}[speech]\nprovider = \"cloud\"\n\n[providers.cloud]\napi = \"openai\"\napi_key_env = \"VBUILD_TEST_UNSET_KEY\"\n"
    ));
    assert!(
        stderr.contains(
            "[providers.cloud] needs the environment variable VBUILD_TEST_UNSET_KEY, which is not set"
        ) && stderr.contains("  hint: export VBUILD_TEST_UNSET_KEY=... before vbuild"),
        "{stderr}"
    );
}

#[test]
fn a_missing_program_names_the_package_to_install() {
    let dir = example_copy();
    let empty = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-n", "--set", "speech.provider=\"espeak\""])
        .current_dir(dir.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("vbuild: cannot run espeak-ng: ")
            && stderr.contains("  hint: install it: apt-get install espeak-ng"),
        "{stderr}"
    );
}

#[test]
fn a_file_the_command_line_names_is_named_when_it_cannot_be_written() {
    let dir = example_copy();
    let output = vbuild(
        dir.path(),
        &["-q", "--metrics-file", "no-such-folder/metrics.prom"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("vbuild: cannot write the metrics file no-such-folder/metrics.prom: "),
        "{stderr}"
    );
}
