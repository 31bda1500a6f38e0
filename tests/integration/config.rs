//! A bad Videofile, a missing key or a missing program stops vbuild before any work, with exit code 2 and one
//! line saying what and where (file:line:column), and where there is something to do, a hint.

use crate::common::*;

const HEAD: &str = "[course]\ntitle = \"T\"\nsources = [\"lecture.md\"]\n";

/// A run on the example's lecture with `videofile` that must end with exit code 2, `stderr` exactly, and
/// nothing in the cache.
fn refused(videofile: &str, stderr: &str) {
    let ran = Test::new()
        .videofile(videofile)
        .status(2)
        .stdout("")
        .stderr(stderr)
        .run();
    assert!(
        !ran.dir.path().join(".vbuild").exists(),
        "nothing may be written"
    );
}

#[test]
fn syntax_error() {
    refused(
        "[course]\ntitle = \"T\nsources = [\"lecture.md\"]\n",
        "vbuild: Videofile:2:11: invalid basic string, expected `\"`\n",
    );
}

#[test]
fn unknown_key() {
    refused(
        &format!("{HEAD}\n[video]\nframerate = 30\n"),
        "vbuild: Videofile:6:1: [video] framerate: unknown key; [video] takes resolution, fps, min_slide_seconds, subtitles\n",
    );
    refused(
        &format!("{HEAD}\n[vidoe]\nfps = 30\n"),
        "vbuild: Videofile:5:2: [vidoe]: unknown section; the sections are profile.NAME, course, video, translate, script, speech, images, prices, providers, cache\n",
    );
}

#[test]
fn missing_source() {
    refused(
        "[course]\ntitle = \"T\"\n\nsources = [\"nowhere.md\"]\n",
        "vbuild: Videofile:4:11: source \"nowhere.md\" matches no file in .\n",
    );
}

#[test]
fn bad_resolution() {
    refused(
        &format!("{HEAD}[video]\nresolution = \"wide\"\n"),
        "vbuild: Videofile:5:14: [video] resolution = \"wide\": expected WIDTHxHEIGHT with even numbers from 16 to 7680, e.g. \"1920x1080\"\n",
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named_in_plain_words() {
    refused(
        &format!("{HEAD}[video]\nfps = \"ten\"\n"),
        "vbuild: Videofile:5:7: [video] fps: expected a whole number, got \"ten\"\n",
    );
    Test::new()
        .args(&["-n", "--set", "video.fps=\"ten\""])
        .status(2)
        .stderr(
            "vbuild: --set video.fps=\"ten\": [video] fps: expected a whole number, got \"ten\"\n",
        )
        .run();
}

#[test]
fn missing_videofile() {
    Test::in_dir(tempfile::tempdir().unwrap())
        .status(2)
        .stderr(
            "vbuild: Videofile: cannot read the Videofile: there is no such file\n  \
             hint: run vbuild in a course folder, name one with -C DIR or -f FILE, or create one with vbuild init\n",
        )
        .run();
}

#[test]
fn a_missing_key_says_which_variable_to_export() {
    refused(
        &format!(
            "{HEAD}[speech]\nprovider = \"cloud\"\n\n[providers.cloud]\napi = \"openai\"\napi_key_env = \"VBUILD_TEST_UNSET_KEY\"\n"
        ),
        "vbuild: Videofile: [providers.cloud] needs the environment variable VBUILD_TEST_UNSET_KEY, which is not set\n  \
         hint: export VBUILD_TEST_UNSET_KEY=... before vbuild, or put VBUILD_TEST_UNSET_KEY=... in a .env file next to the Videofile\n",
    );
}

#[test]
fn a_missing_program_names_the_package_to_install() {
    let empty = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["-n", "--set", "speech.provider=\"espeak\""])
        .env("PATH", &empty.path().display().to_string())
        .status(2)
        .stderr(
            "vbuild: cannot run espeak-ng: No such file or directory (os error 2)\n  \
             hint: install it: apt-get install espeak-ng\n",
        )
        .run();
}

#[test]
fn a_file_the_command_line_names_is_named_when_it_cannot_be_written() {
    Test::new()
        .args(&["-q", "--metrics-file", "no-such-folder/metrics.prom"])
        .status(1)
        .stderr("vbuild: cannot write the metrics file no-such-folder/metrics.prom: No such file or directory (os error 2)\n")
        .run();
}
