//! Nothing the disk, a picture or a remote says is trusted: linked cache and output folders, picture bombs,
//! entry facts, passwords in URLs, special files, numbers from flags and servers. Each test reproduces what
//! was measured from outside and checks that it ends in a clear message or a correct video, and that nothing
//! outside vbuild's own files is removed or written.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::common::*;

/// Every file under `dir`, with its content, to see that nothing changed there.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let content = std::fs::read(e.path()).unwrap();
            (e.path().display().to_string(), content)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_cache_folder_linked_to_a_users_folder_is_refused_and_gc_never_removes_what_vbuild_did_not_make()
 {
    let dir = small_course();
    let disk = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(disk.path().join("docs")).unwrap();
    std::fs::write(disk.path().join("docs/a.txt"), "data").unwrap();
    std::fs::create_dir_all(disk.path().join(".ssh")).unwrap();
    std::fs::write(disk.path().join(".ssh/id_rsa"), "key").unwrap();
    let before = snapshot(disk.path());
    std::fs::create_dir(dir.path().join(".vbuild")).unwrap();
    symlink(disk.path(), dir.path().join(".vbuild/cas")).unwrap();
    for args in [
        &[][..],
        &["gc"],
        &["gc", "-n"],
        &["cache", "verify", "--repair"],
        &["-n"],
    ] {
        let output = vbuild(dir.path(), args);
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "vbuild {args:?}: {said}");
        assert!(
            said.contains("which holds \".ssh\" and 1 more that vbuild did not make"),
            "{said}"
        );
        assert!(
            said.contains("hint: link ./.vbuild/cas to an empty folder"),
            "{said}"
        );
    }
    assert_eq!(
        snapshot(disk.path()),
        before,
        "nothing changed in the user's folder"
    );

    // `.vbuild/actions` linked to `/`: no folder is created there.
    std::fs::remove_file(dir.path().join(".vbuild/cas")).unwrap();
    symlink("/", dir.path().join(".vbuild/actions")).unwrap();
    let root_before: Vec<_> = std::fs::read_dir("/")
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let root_after: Vec<_> = std::fs::read_dir("/")
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(root_before.len(), root_after.len());

    // An empty folder is taken (and marked); later a user's file put in it is never removed, and gc -n
    // names every file it would remove.
    std::fs::remove_file(dir.path().join(".vbuild/actions")).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    symlink(fresh.path(), dir.path().join(".vbuild/cas")).unwrap();
    vbuild_ok(dir.path(), &[]);
    std::fs::write(fresh.path().join("notes.txt"), "mine").unwrap();
    let shard = std::fs::read_dir(fresh.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_type().unwrap().is_dir())
        .unwrap()
        .path();
    std::fs::write(shard.join("draft.txt"), "mine too").unwrap();
    // An edit makes garbage.
    replace_in(
        &dir.path().join("lecture.md"),
        "pulls the sea",
        "pulls the oceans",
    );
    vbuild_ok(dir.path(), &[]);
    let left = ["vbuild did not make it (remove it yourself if it is not needed)"];
    let dry = vbuild_ok_warning(dir.path(), &["gc", "-n"], &left).stdout;
    let dry = String::from_utf8_lossy(&dry).to_string();
    let named = dry
        .lines()
        .filter(|l| l.starts_with("would remove .vbuild/"))
        .count();
    let counted: usize = dry
        .split("would remove ")
        .last()
        .and_then(|s| s.split(" entries, ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(counted > 0, "{dry}");
    assert!(named >= counted, "every file is named:\n{dry}");
    vbuild_ok_warning(dir.path(), &["gc"], &left);
    vbuild_ok(dir.path(), &["cache", "verify", "--repair"]);
    assert_eq!(
        std::fs::read_to_string(fresh.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(shard.join("draft.txt")).unwrap(),
        "mine too"
    );
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
}

#[test]
fn numbers_from_flags_are_checked_and_name_the_flag() {
    for days in ["-1", "NaN", "1e300", "inf", "ten"] {
        let ran = Test::new()
            .args(&["gc", &format!("--older-than={days}")])
            .status(2)
            .stderr_has("--older-than")
            .run();
        assert!(!ran.stderr.contains("internal error"), "{}", ran.stderr);
    }
    Test::new()
        .args(&["gc", "--older-than=0.5", "-n"])
        .stdout_has("vbuild: gc would remove 0 entries")
        .run();
}

#[test]
fn cache_verify_without_a_cache_says_there_is_none() {
    let ran = Test::new()
        .args(&["cache", "verify"])
        .stdout("vbuild: cache verify: there is no cache at .vbuild yet; nothing to check\n")
        .run();
    assert!(!ran.dir.path().join(".vbuild").exists());
}

#[test]
fn a_linked_folder_inside_the_output_folder_is_refused_never_written_through() {
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("01-tides.mp4"), "a user's file").unwrap();
    let before = snapshot(elsewhere.path());
    let dir = small_course();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    symlink(elsewhere.path(), dir.path().join("out/chapters")).unwrap();
    let output = vbuild(dir.path(), &[]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("out/chapters is a link to"), "{said}");
    assert!(said.contains("hint: remove"), "{said}");
    assert!(
        !dir.path().join(".vbuild/actions").exists(),
        "refused before any work"
    );
    assert_eq!(snapshot(elsewhere.path()), before);
    vbuild_ok(dir.path(), &["clean"]);
    assert_eq!(snapshot(elsewhere.path()), before);

    // Removed, the folder is made and the build goes on.
    std::fs::remove_file(dir.path().join("out/chapters")).unwrap();
    vbuild_ok(dir.path(), &[]);
    assert!(dir.path().join("out/chapters/01-tides.mp4").is_file());
}

#[test]
fn an_output_folder_that_is_a_file_or_inside_the_cache_is_refused_before_any_work() {
    for (output, why) in [
        ("Videofile", "that is a file, not a folder"),
        ("lecture.md", "that is a file, not a folder"),
        (".vbuild/cas", "that is inside vbuild's cache"),
        ("./.vbuild", "that is inside vbuild's cache"),
    ] {
        let dir = small_course();
        replace_in(
            &dir.path().join("Videofile"),
            "sources = [\"lecture.md\"]",
            &format!("sources = [\"lecture.md\"]\noutput = \"{output}\""),
        );
        let ran = Test::in_dir(dir)
            .status(2)
            .stderr_has(&format!(
                "Videofile:4:10: [course] output = \"{output}\": {why}"
            ))
            .run();
        assert!(
            !ran.dir.path().join(".vbuild").exists(),
            "{output}: nothing ran"
        );
    }
}

/// Makes a named pipe at `path`.
fn make_fifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

/// Files to put beside a lecture: their names and bytes.
type Files<'a> = &'a [(&'a str, &'a [u8])];

/// A small course whose second section shows `![picture](src)`, with `files` (name, bytes) beside it.
fn course_showing(src: &str, files: Files) -> tempfile::TempDir {
    let dir = small_course();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    replace_in(
        &dir.path().join("lecture.md"),
        "Sun and moon pull together.",
        &format!("Sun and moon pull together.\n\n![picture]({src})"),
    );
    dir
}

/// A PNG of 1 x 1 pixel.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// [`PIXEL_PNG`] with its header saying it is `width` x `height` pixels.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = PIXEL_PNG.to_vec();
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png
}

/// The start of a lossless WebP declaring `width` x `height` pixels, as a 10 KB file.
fn webp_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut body = b"VP8L".to_vec();
    body.extend_from_slice(&(10_000u32).to_le_bytes());
    body.push(0x2F);
    body.extend_from_slice(&((width - 1) | ((height - 1) << 14)).to_le_bytes());
    body.resize(10_008, 0);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBP");
    webp.extend(body);
    webp
}

#[test]
fn picture_bombs_and_files_that_are_no_pictures_are_refused_before_any_work() {
    let bomb = png_declaring(50_000, 50_000);
    let webp = webp_declaring(16_383, 16_383);
    let cases: [(&str, Files, &str); 8] = [
        (
            "bomb.png",
            &[("bomb.png", &bomb)],
            "image bomb.png: it is 50000 x 50000 pixels; pictures of at most 32 megapixels",
        ),
        (
            "big.webp",
            &[("big.webp", &webp)],
            "image big.webp: it is 16383 x 16383 pixels",
        ),
        (
            "/dev/zero",
            &[],
            "image /dev/zero: it is a device, not a regular file",
        ),
        (
            "pipe.png",
            &[],
            "image pipe.png: it is a named pipe, not a regular file",
        ),
        (
            "docs",
            &[],
            "image docs: it is a folder, not a regular file",
        ),
        (
            "/etc/passwd",
            &[],
            "image /etc/passwd: it is not a PNG, JPEG, GIF, WebP or SVG picture",
        ),
        (
            "empty.png",
            &[("empty.png", b"")],
            "image empty.png: it is empty",
        ),
        (
            "missing.png",
            &[],
            "image missing.png not found; add the file or fix the path",
        ),
    ];
    for (src, files, said) in cases {
        let dir = course_showing(src, files);
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        make_fifo(&dir.path().join("pipe.png"));
        let peak = refused(dir.path(), &[], &format!("lecture.md:11: {said}"));
        assert!(peak < 200 << 20, "{src}: peak memory {} MiB", peak >> 20);
        assert!(
            !dir.path().join(".vbuild/actions").exists(),
            "{src}: no work was done"
        );
    }
}

#[test]
fn a_damaged_picture_is_refused_before_any_work_at_its_line() {
    // A JPEG header (100 x 100 pixels) with no picture data after it.
    let mut jpeg: Vec<u8> = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x64, 0x00, 0x64, 0x03]);
    jpeg.extend_from_slice(&[0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    jpeg.extend_from_slice(&[0x55; 64]);
    let cut = &PIXEL_PNG[..PIXEL_PNG.len() - 20];
    let svg_cut: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect";
    for (src, bytes) in [
        ("photo.jpg", &jpeg[..]),
        ("cut.png", cut),
        ("cut.svg", svg_cut),
    ] {
        let dir = course_showing(src, &[(src, bytes)]);
        let output = vbuild(dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{src}: {stderr}");
        assert!(
            stderr.contains(&format!("lecture.md:11: image {src}: it cannot be decoded")),
            "{src}: {stderr}"
        );
        assert!(!stderr.contains("Failed to decode"), "{stderr}");
        assert!(
            !dir.path().join(".vbuild/actions").exists(),
            "{src}: no work was done"
        );
    }
    // Whole pictures draw, with nothing to warn about (an SVG's text among them).
    let svg = std::fs::read(example_dir().join("bowl.svg")).unwrap();
    for (src, bytes) in [("pixel.png", PIXEL_PNG), ("bowl.svg", &svg[..])] {
        let dir = course_showing(src, &[(src, bytes)]);
        let output = vbuild_ok(dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("[WARN"), "{src}: {stderr}");
    }
}

/// Runs vbuild in `dir` with `args`, which must stop within a minute with exit 2 saying `said`; returns the
/// peak memory it was seen to use.
fn refused(dir: &Path, args: &[&str], said: &str) -> u64 {
    let (output, peak) = vbuild_within(dir, args, &[], std::time::Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(said), "{stderr}");
    peak
}

#[test]
fn settings_files_that_are_devices_pipes_or_huge_are_refused_at_once() {
    let dir = small_course();
    append_to_videofile(dir.path(), "[speech]\npronounce = \"/dev/zero\"");
    let said = "pronounce = \"/dev/zero\": it is a device, not a regular file";
    let peak = refused(dir.path(), &[], said);
    assert!(peak < 100 << 20, "peak memory {} MiB", peak >> 20);
    let said = "/dev/zero: cannot read the Videofile: it is a device, not a regular file";
    refused(small_course().path(), &["-f", "/dev/zero"], said);

    // A table of 300,000 columns.
    let dir = small_course();
    let columns = 300_000;
    let row = |cell: &str| format!("|{}|\n", vec![cell; columns].join("|"));
    let table = format!("{}{}{}", row("c"), row("-"), row("x"));
    let table = format!("together.\n\n{table}");
    replace_in(&dir.path().join("lecture.md"), "together.\n", &table);
    let said = "lecture.md:11: a table of 300000 columns; at most 40 fit on a slide";
    let peak = refused(dir.path(), &[], said);
    assert!(peak < 300 << 20, "peak memory {} MiB", peak >> 20);
}

#[test]
fn an_entry_whose_facts_do_not_hold_is_a_miss_never_a_wrong_video() {
    let dir = small_course();
    append_to_videofile(dir.path(), "[script]\nmax_slides = 4");
    vbuild_ok(dir.path(), &[]);
    let video = dir.path().join("out/small-course.mp4");
    let length = probe(&video).seconds;

    // Bit rot in one narration's samples (the course was 471 s instead of 97 s).
    let audio = entry_file(dir.path(), "audio:01-tides/01");
    edit_json(&audio, |e| {
        e["meta"]["samples"] = serde_json::json!(9_000_000)
    });
    let verify = vbuild(dir.path(), &["cache", "verify"]);
    let said = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{said}");
    assert!(
        said.contains("its fact \"samples\" does not hold: 9000000 samples, but its speech holds"),
        "{said}"
    );
    let build = vbuild_ok_warning(dir.path(), &[], &["its fact \"samples\" does not hold"]);
    assert!(String::from_utf8_lossy(&build.stderr).contains("the node runs again"));
    assert_eq!(nodes_in(&report(dir.path()), "ran"), ["audio:01-tides/01"]);
    assert!((probe(&video).seconds - length).abs() < 0.01);

    // A script of 2,000 slides where a chapter of 9 words can have at most 10.
    let entry = entry_file(dir.path(), "script:01-tides");
    let script: serde_json::Value = serde_json::from_slice(
        &std::fs::read(blob_file(dir.path(), "script:01-tides", "script")).unwrap(),
    )
    .unwrap();
    let slide = script["slides"][0].clone();
    let slides: Vec<serde_json::Value> = (0..2000)
        .map(|i| {
            let mut slide = slide.clone();
            slide["id"] = serde_json::json!(format!("01-{i}"));
            slide
        })
        .collect();
    let bytes = serde_json::to_vec(&serde_json::json!({ "slides": slides })).unwrap();
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let blob = dir.path().join(".vbuild/cas").join(&hash[..2]).join(&hash);
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, &bytes).unwrap();
    edit_json(&entry, |e| {
        e["outputs"]["script"] = serde_json::json!(hash);
        e["bytes"] = serde_json::json!(bytes.len());
        e["meta"]["slides"] = serde_json::json!(2000);
    });
    let build = vbuild_ok_warning(dir.path(), &[], &["invalid script: there are 2000 slides"]);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(
        stderr.contains("invalid script: there are 2000 slides; write at most"),
        "{stderr}"
    );
    let ran = nodes_in(&report(dir.path()), "ran");
    assert!(ran.contains(&"script:01-tides".to_string()), "{ran:?}");
    assert!((probe(&video).seconds - length).abs() < 0.01);
}

#[test]
fn facts_of_the_wrong_type_or_range_from_a_remote_drop_it_and_the_build_is_right() {
    let mut nginx = crate::remote::Nginx::start();
    let first = small_course();
    append_to_videofile(
        first.path(),
        &format!("[cache]\nremote = \"{}\"", nginx.url),
    );
    vbuild_ok(first.path(), &[]);
    let length = probe(&first.path().join("out/small-course.mp4")).seconds;
    // Every narration says it holds 100 samples, as text; every chapter video lasts 1e300 s.
    for entry in walkdir::WalkDir::new(nginx.store().join("ac"))
        .into_iter()
        .flatten()
    {
        if !entry.file_type().is_file() {
            continue;
        }
        edit_json(entry.path(), |e| {
            let node = e["node"].as_str().unwrap().to_string();
            if node.starts_with("audio:") {
                e["meta"]["samples"] = serde_json::json!("100");
            } else if node.starts_with("chapter-video:") {
                e["meta"]["seconds"] = serde_json::json!(1e300);
            }
        });
    }
    let second = small_course();
    append_to_videofile(
        second.path(),
        &format!("[cache]\nremote = \"{}\"", nginx.url),
    );
    let build = vbuild_ok_warning(second.path(), &[], &["does not fit its node"]);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(
        stderr.contains("does not fit its node (its fact"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("going on with the local cache only").count(),
        1,
        "{stderr}"
    );
    assert!((probe(&second.path().join("out/small-course.mp4")).seconds - length).abs() < 0.01);
    // Without the remote, the next build has nothing to do.
    nginx.stop();
    replace_in(
        &second.path().join("Videofile"),
        "[cache]\nremote",
        "[cache]\n# remote",
    );
    vbuild_ok(second.path(), &[]);
    assert_eq!(report(second.path())["counts"]["ran"], 0);
}

#[test]
fn passwords_and_tokens_in_urls_are_printed_nowhere_however_the_url_is_written() {
    let urls = [
        (
            "http://user:S3cret/PassW0rd@127.0.0.1:9/v1",
            "http://127.0.0.1:9/vbuild",
        ),
        (
            "http://127.0.0.1:9/v1",
            "https://T0KENASUSER99@127.0.0.1:9/vbuild",
        ),
        (
            "http:/user:Pass1234word@127.0.0.1:9/v1",
            "http://127.0.0.1:9/vbuild",
        ),
        (
            "http://user:Pass 5678word@127.0.0.1:9/v1",
            "http://127.0.0.1:9/vbuild",
        ),
    ];
    let secrets = ["S3cret", "PassW0rd", "T0KENASUSER", "Pass1234", "5678word"];
    for (base_url, remote) in urls {
        let dir = small_course();
        append_to_videofile(
            dir.path(),
            &format!(
                "[speech]\nprovider = \"openai\"\nvoice = \"alloy\"\n\n[providers.openai]\napi = \"openai\"\n\
                 base_url = \"{base_url}\"\napi_key_env = \"KEY\"\nmax_retries = 0\n\n[cache]\nremote = \"{remote}\""
            ),
        );
        let mut said = String::new();
        for args in [&["-v"][..], &["config"], &["report"], &["-n"], &["runs"]] {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_vbuild"))
                .args(args)
                .current_dir(dir.path())
                .env("KEY", "sk-key-0123456789")
                .output()
                .unwrap();
            said.push_str(&String::from_utf8_lossy(&output.stdout));
            said.push_str(&String::from_utf8_lossy(&output.stderr));
        }
        assert!(said.contains("<redacted>@"), "{said}");
        for secret in secrets {
            assert!(
                !said.contains(secret),
                "{base_url} {remote}: {secret} in\n{said}"
            );
            let files = walkdir::WalkDir::new(dir.path().join(".vbuild"))
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .filter(|e| {
                    String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).contains(secret)
                })
                .map(|e| e.path().display().to_string())
                .collect::<Vec<_>>();
            assert_eq!(files, Vec::<String>::new(), "{secret}");
        }
    }
}

/// A program called `name` in a folder of its own, running `script` (sh).
fn program(name: &str, script: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn a_speech_engine_killed_mid_sentence_fails_its_node_saying_how_it_ended() {
    // espeak-ng killed while it speaks.
    let killed = espeak_wrapper("case \"$*\" in *-w*) kill -9 $$;; esac");
    let dir = small_course();
    let output = vbuild_with_programs(dir.path(), killed.path(), &["-j", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "espeak-ng failed: voice \"en-us\": it was killed by signal 9 (SIGKILL: stopped from outside, or out of memory) and said nothing"
        ),
        "{stderr}"
    );

    // A piper worker that starts, then dies at its first sentence.
    let python = program(
        "python",
        "case \"$2\" in\n  *importlib*) echo '{\"version\": \"1.8.0\", \"voice\": \"\", \"package\": \"/dev/null\"}';;\n  \
         *) echo '{\"rate\": 22050}'; read line; kill -9 $$;;\nesac",
    );
    let dir = small_course();
    // Files shaped as a voice (an ONNX header, piper's settings), for the fake piper to "load".
    std::fs::write(dir.path().join("voice.onnx"), b"\x08\x08 a model").unwrap();
    std::fs::write(
        dir.path().join("voice.onnx.json"),
        r#"{"num_symbols": 2, "audio": {"sample_rate": 22050}, "phoneme_id_map": {}}"#,
    )
    .unwrap();
    append_to_videofile(
        dir.path(),
        &format!(
            "[speech]\nprovider = \"piper\"\nmodel = \"voice.onnx\"\npiper = \"{}\"",
            python.path().join("python").display()
        ),
    );
    let output = vbuild(dir.path(), &["-j", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "piper failed: the worker stopped before it answered: it was killed by signal 9"
        ),
        "{stderr}"
    );
}

/// Runs vbuild in `dir` with files limited to `kib` KiB (a write past it fails as on a full disk).
fn vbuild_with_files_of_at_most(dir: &Path, kib: u32) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {kib}; exec \"{}\" -j 1 -q",
            env!("CARGO_BIN_EXE_vbuild")
        ))
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn a_write_that_fails_says_which_file() {
    // Whatever write fails first (a slide, a narration, a clip, a join, a report), its message names it.
    for kib in [10, 40, 300] {
        let dir = small_course();
        let output = vbuild_with_files_of_at_most(dir.path(), kib);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{kib} KiB: {stderr}");
        let failures: Vec<&str> = (stderr.lines())
            .filter(|l| {
                l.starts_with("[ERROR]") || (l.starts_with("vbuild: ") && !l.contains(" run, "))
            })
            .collect();
        assert!(!failures.is_empty(), "{kib} KiB: {stderr}");
        for line in failures {
            assert!(
                line.contains("/.vbuild/") || line.contains("/out/"),
                "{kib} KiB: {line}"
            );
        }
    }
    // Outputs written from the cache into a folder where they do not fit.
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let output = vbuild_with_files_of_at_most(dir.path(), 100);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("vbuild: output ./out/chapters/01-tides.mp4: File too large"),
        "{stderr}"
    );
}

#[test]
fn messages_about_bad_values_are_short_and_say_what_is_expected() {
    let long = "x".repeat(1 << 20);
    let cases = [
        (
            format!("[video]\nresolution = \"{long}\""),
            "Videofile:6:14: [video] resolution = \"xxxxxxxxxx",
        ),
        (
            "[video]\nfps = 4294967296".to_string(),
            "Videofile:6:7: [video] fps = 4294967296: expected a frame rate from 1 to 60 that divides 24000",
        ),
        (
            "[speech]\npronounce = 5".to_string(),
            "Videofile:6:13: [speech] pronounce: expected a file name in quotes or a table of words such as { SQL = \"sequel\" }, got 5",
        ),
        (
            "[script]\nmax_slides = -3".to_string(),
            "Videofile:6:14: [script] max_slides = -3: expected a number from 1 to 100",
        ),
    ];
    for (setting, said) in cases {
        let dir = small_course();
        let videofile =
            format!("[course]\ntitle = \"Small\"\nsources = [\"lecture.md\"]\n\n{setting}\n");
        std::fs::write(dir.path().join("Videofile"), videofile).unwrap();
        let output = vbuild(dir.path(), &["-n"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(said),
            "{}",
            &stderr[..stderr.len().min(500)]
        );
        assert!(stderr.len() < 1000, "{} bytes of message", stderr.len());
    }
}

#[test]
fn cache_files_replaced_by_devices_or_pipes_are_damage_not_a_hang() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let cache = dir.path().join(".vbuild");
    let entry = entry_file(dir.path(), "audio:01-tides/01");
    for file in [
        "index",
        "nodes.json",
        "stats.json",
        "tools.json",
        "outputs.json",
        "builds/latest.json",
    ] {
        std::fs::remove_file(cache.join(file)).unwrap();
        symlink("/dev/zero", cache.join(file)).unwrap();
    }
    std::fs::remove_file(&entry).unwrap();
    make_fifo(&entry);
    let (output, peak) = vbuild_within(dir.path(), &[], &[], std::time::Duration::from_secs(60));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(peak < 200 << 20, "peak memory {} MiB", peak >> 20);
    assert_eq!(nodes_in(&report(dir.path()), "ran"), ["audio:01-tides/01"]);
    for args in [&["gc"][..], &["cache", "verify", "--repair"], &["runs"]] {
        let (output, _) = vbuild_within(dir.path(), args, &[], std::time::Duration::from_secs(60));
        assert!(output.status.code().is_some(), "vbuild {args:?} ended");
    }
}

#[test]
fn scratch_and_report_folders_linked_to_a_users_folder_are_refused() {
    for (folder, file) in [("tmp", "thesis.md"), ("builds", "budget.json")] {
        let dir = small_course();
        vbuild_ok(dir.path(), &[]);
        let mine = tempfile::tempdir().unwrap();
        std::fs::write(mine.path().join(file), "mine").unwrap();
        let link = dir.path().join(".vbuild").join(folder);
        std::fs::remove_dir_all(&link).unwrap();
        symlink(mine.path(), &link).unwrap();
        let before = snapshot(mine.path());
        for args in [&[][..], &["gc"], &["cache", "verify", "--repair"]] {
            let output = vbuild(dir.path(), args);
            let said = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{folder} {args:?}: {said}");
            assert!(said.contains(&format!("which holds \"{file}\"")), "{said}");
        }
        assert_eq!(snapshot(mine.path()), before, "{folder}");
    }
}
