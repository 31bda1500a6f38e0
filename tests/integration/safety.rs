//! A user's work is safe from hostile caches and careless hands: cache entries and output lists that name
//! files outside the project, secrets echoed by servers, remotes that send too much too slowly, damaged
//! cache folders, partial builds followed by gc, failed and interrupted builds, stray environment variables.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::*;
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

/// What the fake remote sends for a blob.
#[derive(Clone, Copy)]
enum Blob {
    /// 404.
    Missing,
    /// Announces `length` bytes and sends 64 bytes a second.
    Trickle { length: u64 },
    /// Sends `length` zero bytes as fast as it can, to the first request only (404 after).
    Flood { length: u64 },
    /// Sends `length` bytes that are not the blob asked for, to every request.
    Wrong { length: u64 },
    /// Sends `length` zero bytes to every request without saying how many (the connection's end tells).
    Unannounced { length: u64 },
}

/// A remote cache on 127.0.0.1 that answers every entry request with an entry naming `outputs` (output name
/// to whatever "hash" text the test wants) and every blob request as `blob` says. It speaks plain HTTP/1.1
/// over its own socket, one request a connection, so that it can send bodies as fast or as slowly as asked.
struct FakeRemote {
    url: String,
}

impl FakeRemote {
    fn start(outputs: serde_json::Value, bytes: u64, blob: Blob) -> FakeRemote {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/vbuild", listener.local_addr().unwrap());
        let flooded = Arc::new(AtomicBool::new(false));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (outputs, flooded) = (outputs.clone(), flooded.clone());
                std::thread::spawn(move || {
                    let _ = answer(stream, &outputs, bytes, blob, &flooded);
                });
            }
        });
        FakeRemote { url }
    }
}

fn answer(
    mut stream: TcpStream,
    outputs: &serde_json::Value,
    bytes: u64,
    blob: Blob,
    flooded: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    std::io::copy(&mut reader.by_ref().take(length), &mut std::io::sink())?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head = |status: &str, length: u64| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
    };
    if method == "PUT" {
        return stream.write_all(head("201 Created", 0).as_bytes());
    }
    if let Some(key) = path.strip_prefix("/vbuild/ac/") {
        let entry = json!({"key": key, "node": "chapter:01-tides", "outputs": outputs, "meta": {},
            "seconds": 0.0, "bytes": bytes, "signature": []})
        .to_string();
        stream.write_all(head("200 OK", entry.len() as u64).as_bytes())?;
        return stream.write_all(entry.as_bytes());
    }
    match blob {
        Blob::Trickle { length } => {
            stream.write_all(head("200 OK", length).as_bytes())?;
            loop {
                stream.write_all(&[b'x'; 64])?;
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Blob::Flood { length } if !flooded.swap(true, Ordering::SeqCst) => {
            stream.write_all(head("200 OK", length).as_bytes())?;
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..length / chunk.len() as u64 {
                stream.write_all(&chunk)?;
            }
            Ok(())
        }
        Blob::Wrong { length } => {
            stream.write_all(head("200 OK", length).as_bytes())?;
            stream.write_all(&vec![b'w'; length as usize])
        }
        Blob::Unannounced { length } => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..length / chunk.len() as u64 {
                stream.write_all(&chunk)?;
            }
            Ok(())
        }
        _ => stream.write_all(head("404 Not Found", 0).as_bytes()),
    }
}

/// A course of `chapters` one-sentence chapters at a low resolution.
fn course_of(chapters: usize) -> tempfile::TempDir {
    let dir = small_course();
    let lecture: String = (1..=chapters)
        .map(|i| format!("## Part {i}\n\nThis is part {i}.\n\n"))
        .collect();
    std::fs::write(
        dir.path().join("lecture.md"),
        format!("# Small course\n\n{lecture}"),
    )
    .unwrap();
    dir
}

#[test]
fn a_remote_whose_blobs_keep_failing_their_hashes_is_dropped() {
    let hash = blake3::hash(b"the real chapter").to_hex().to_string();
    let remote = FakeRemote::start(json!({ "chapter": hash }), 100, Blob::Wrong { length: 100 });
    let dir = course_of(30);
    append_to_videofile(dir.path(), &format!("[cache]\nremote = \"{}\"", remote.url));
    let (output, _) = vbuild_within(dir.path(), &[], &[], MINUTE);
    let said = stderr(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(
            "blobs in a row did not match their hashes; going on with the local cache only"
        ),
        "{said}"
    );
    let mismatches = said.matches("does not match its hash").count();
    assert!(
        (3..=11).contains(&mismatches),
        "{mismatches} mismatches:\n{said}"
    );
}

#[test]
fn a_remotes_scratch_is_bounded_whatever_its_entries_declare() {
    let hash = blake3::hash(b"the real chapter").to_hex().to_string();
    // Entries that record no size, and bodies of 256 MiB that do not say how long they are.
    let remote = FakeRemote::start(
        json!({ "chapter": hash }),
        0,
        Blob::Unannounced { length: 256 << 20 },
    );
    let dir = course_of(16);
    append_to_videofile(
        dir.path(),
        &format!(
            "[cache]\nremote = \"{}\"\nmax_blob_size = \"32M\"",
            remote.url
        ),
    );
    let tmp = dir.path().join(".vbuild/tmp");
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (tmp, done) = (tmp.clone(), done.clone());
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::SeqCst) {
                let held: u64 = walkdir::WalkDir::new(&tmp)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum();
                peak = peak.max(held);
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let (output, _) = vbuild_within(dir.path(), &[], &[], MINUTE);
    done.store(true, Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        peak <= (32 << 20) + (1 << 20),
        "{} MiB of scratch at once",
        peak >> 20
    );
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn hostile_cache_entries_and_output_lists_never_touch_a_file_outside_the_project() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("thesis.md");
    std::fs::write(&victim, "years of work").unwrap();
    let dir = small_course();
    vbuild_ok(dir.path(), &["script:1"]);

    // A local entry whose output "hash" is a path to the victim, relative and absolute.
    let script = entry_file(dir.path(), "script:01-tides");
    let relative = format!("../../../../../../../..{}", victim.display());
    for hash in [relative.as_str(), &victim.display().to_string(), "é9"] {
        edit_json(&script, |e| e["outputs"]["script"] = json!(hash));
        let output = vbuild(dir.path(), &["script:1"]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(nodes_in(&report(dir.path()), "ran"), ["script:01-tides"]);
    }

    // A list of written outputs that names the victim and the author's own lecture.
    std::fs::write(
        dir.path().join(".vbuild/outputs.json"),
        json!([relative, victim, "lecture.md", "out/../lecture.md"]).to_string(),
    )
    .unwrap();
    vbuild_ok(dir.path(), &["clean"]);
    vbuild_ok(dir.path(), &[]);

    // A lock file that is a link to the victim.
    let lock = dir.path().join(".vbuild/lock");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    vbuild_ok_warning(
        dir.path(),
        &["script:1"],
        &["./.vbuild/lock was a link; replaced by a lock file"],
    );

    // A remote that serves entries naming the victim (and one with a hash that is not ASCII).
    for hash in [
        relative.clone(),
        victim.display().to_string(),
        "é".repeat(32),
    ] {
        let remote = FakeRemote::start(json!({ "chapter": hash }), 0, Blob::Missing);
        let copy = small_course();
        append_to_videofile(
            copy.path(),
            &format!("[cache]\nremote = \"{}\"", remote.url),
        );
        let (output, _) = vbuild_within(copy.path(), &[], &[], MINUTE);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(copy.path().join("out/small-course.mp4").is_file());
        let dropped = stderr(&output).matches("is malformed (").count();
        assert_eq!(dropped, 1, "the remote is dropped at its first bad entry");
    }

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "years of work");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        1,
        "nothing else appeared next to the victim"
    );
    assert!(dir.path().join("lecture.md").is_file());
}

#[test]
fn a_remote_that_sends_too_much_or_too_slowly_is_dropped_and_the_build_goes_on() {
    let hash = blake3::hash(b"some blob").to_hex().to_string();

    // 2 GiB announced, 64 bytes a second: the request's deadline drops the remote.
    let slow = FakeRemote::start(
        json!({ "chapter": hash }),
        0,
        Blob::Trickle { length: 2 << 30 },
    );
    let dir = small_course();
    append_to_videofile(
        dir.path(),
        &format!("[cache]\nremote = \"{}\"\ntimeout = \"2s\"", slow.url),
    );
    // (At 64 bytes a second the body would take years: only the 2 s deadline ends it.)
    let (output, _) = vbuild_within(dir.path(), &[], &[], MINUTE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output)
            .matches("going on with the local cache only")
            .count(),
        1,
        "{}",
        stderr(&output)
    );

    // More than the entry says its outputs hold: refused before a byte is read.
    let liar = FakeRemote::start(
        json!({ "chapter": hash }),
        100,
        Blob::Trickle { length: 2 << 30 },
    );
    let dir = small_course();
    append_to_videofile(dir.path(), &format!("[cache]\nremote = \"{}\"", liar.url));
    let (output, _) = vbuild_within(dir.path(), &[], &[], MINUTE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("bytes where at most 100 are expected"),
        "{}",
        stderr(&output)
    );

    // A 768 MiB body streams to disk, never into memory.
    let flood = FakeRemote::start(
        json!({ "chapter": hash }),
        0,
        Blob::Flood { length: 768 << 20 },
    );
    let dir = small_course();
    append_to_videofile(dir.path(), &format!("[cache]\nremote = \"{}\"", flood.url));
    let (output, peak) = vbuild_within(dir.path(), &[], &[], MINUTE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not match its hash; discarded"),
        "{}",
        stderr(&output)
    );
    assert!(
        peak > 0 && peak < 300 << 20,
        "peak memory {} MiB",
        peak >> 20
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join(".vbuild/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn gc_after_a_partial_build_keeps_what_a_full_build_needs_and_dry_runs_remove_nothing() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let full = action_keys(dir.path());
    vbuild_ok(dir.path(), &["script:1"]);
    vbuild_ok(dir.path(), &["subtitles:2"]);

    // Nothing a full build needs is garbage, whatever was built last.
    let gc = vbuild_ok(dir.path(), &["gc"]);
    let said = String::from_utf8_lossy(&gc.stdout);
    assert!(said.contains("gc removed 0 entries"), "{said}");
    assert_eq!(action_keys(dir.path()), full);
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);

    // An edit leaves stale entries: gc -n names them and removes nothing; clean -n removes nothing.
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(&lecture, text.replace("pulls the sea", "pulls the oceans")).unwrap();
    vbuild_ok(dir.path(), &[]);
    let before = action_keys(dir.path());
    let outputs = |dir: &Path| {
        walkdir::WalkDir::new(dir.join("out"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count()
    };
    let written = outputs(dir.path());
    let dry = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["gc", "-n"]).stdout).to_string();
    assert!(dry.contains("would remove the cache entry of"), "{dry}");
    assert!(!dry.contains("would remove 0 entries"), "{dry}");
    let dry = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["clean", "-n"]).stdout).to_string();
    assert!(
        dry.contains(&format!("clean would remove {written} files")),
        "{dry}"
    );
    assert_eq!(action_keys(dir.path()), before);
    assert_eq!(outputs(dir.path()), written);

    vbuild_ok(dir.path(), &["gc"]);
    assert!(action_keys(dir.path()).len() < before.len());
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
}

#[test]
fn a_failed_build_keeps_the_previous_good_outputs() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let video = dir.path().join("out/small-course.mp4");
    let chapter = dir.path().join("out/chapters/02-winds.mp4");
    let before = (
        std::fs::read(&video).unwrap(),
        std::fs::read(&chapter).unwrap(),
    );

    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(&lecture, text.replace("Air moves", "Warm air moves")).unwrap();
    let broken = failing_espeak();
    let output = vbuild_with_programs(dir.path(), broken.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("-> failed"), "{summary}");
    assert!(!summary.contains(".json"), "{summary}");
    assert_eq!(
        (
            std::fs::read(&video).unwrap(),
            std::fs::read(&chapter).unwrap()
        ),
        before,
        "the failed build left the previous outputs as they were"
    );
    assert!(dir.path().join("out/small-course.srt").is_file());
    assert!(dir.path().join("out/chapters/02-winds.vtt").is_file());
}

#[test]
fn damaged_cache_states_are_repaired_in_the_same_run() {
    let dir = small_course();
    vbuild_ok(dir.path(), &[]);
    let video = std::fs::read(dir.path().join("out/small-course.mp4")).unwrap();
    let cache = dir.path().join(".vbuild");
    let blob_of = |name: &str, output: &str| blob_file(dir.path(), name, output);
    type Damage<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let damages: Vec<Damage> = vec![
        (
            "an entry with no outputs",
            Box::new(|| {
                edit_json(&entry_file(dir.path(), "script:02-winds"), |e| {
                    e["outputs"] = json!({})
                })
            }),
        ),
        (
            "an entry naming another node's valid blob",
            Box::new(|| {
                let speech = blob_of("audio:01-tides/01", "speech");
                let name = speech.file_name().unwrap().to_string_lossy().to_string();
                edit_json(&entry_file(dir.path(), "image:01-tides/01"), |e| {
                    e["outputs"]["slide"] = json!(name)
                })
            }),
        ),
        (
            "a blob replaced by a folder",
            Box::new(|| {
                let blob = blob_of("clip:02-winds/01", "video");
                make_writable(&blob);
                std::fs::remove_file(&blob).unwrap();
                std::fs::create_dir(&blob).unwrap();
            }),
        ),
        (
            "a shard folder replaced by a file",
            Box::new(|| {
                let blob = blob_of("audio:02-winds/02", "speech");
                let shard = blob.parent().unwrap();
                std::fs::remove_dir_all(shard).unwrap();
                std::fs::write(shard, "not a folder").unwrap();
            }),
        ),
        (
            "the scratch folder replaced by a file",
            Box::new(|| {
                std::fs::remove_dir_all(cache.join("tmp")).unwrap();
                std::fs::write(cache.join("tmp"), "not a folder").unwrap();
            }),
        ),
    ];
    for (what, damage) in damages {
        damage();
        let output = vbuild(dir.path(), &[]);
        assert!(output.status.success(), "{what}: {}", stderr(&output));
        let again = vbuild(dir.path(), &[]);
        assert!(again.status.success(), "{what}: {}", stderr(&again));
        assert_eq!(report(dir.path())["counts"]["ran"], 0, "{what}: repaired");
        assert_eq!(
            std::fs::read(dir.path().join("out/small-course.mp4")).unwrap(),
            video,
            "{what}: the same video"
        );
    }

    // cache verify finds damage, --repair removes it, and the next build runs exactly what it held.
    let verified = vbuild(dir.path(), &["cache", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    edit_json(&entry_file(dir.path(), "audio:01-tides/02"), |e| {
        e["outputs"] = json!({"video": e["outputs"]["speech"]})
    });
    let blob = blob_of("chapter:02-winds", "chapter");
    make_writable(&blob);
    std::fs::write(&blob, "not the chapter").unwrap();
    let found = vbuild(dir.path(), &["cache", "verify"]);
    assert_eq!(found.status.code(), Some(1));
    let said = String::from_utf8_lossy(&found.stdout);
    assert!(said.contains("3 problems"), "{said}");
    vbuild_ok(dir.path(), &["cache", "verify", "--repair"]);
    vbuild_ok(dir.path(), &["cache", "verify"]);
    vbuild_ok(dir.path(), &[]);
    let ran = nodes_in(&report(dir.path()), "ran");
    assert!(ran.contains(&"audio:01-tides/02".to_string()), "{ran:?}");
    assert!(ran.contains(&"chapter:02-winds".to_string()), "{ran:?}");
}

#[test]
fn stray_vbuild_variables_and_secret_variables_are_not_settings() {
    let dir = small_course();
    append_to_videofile(
        dir.path(),
        "[cache]\nremote = \"http://127.0.0.1:9/vbuild\"\ntoken_env = \"VBUILD_CACHE_TOKEN\"",
    );
    let stray = [
        ("VBUILD_CACHE_TOKEN", "secret-token-123"),
        ("VBUILD_FOO", "1"),
        ("VBUILD_VIDEO_FRAMERATE", "3"),
        ("VBUILD_AUDIO_VOICE", "x"),
    ];
    for args in [&["config"][..], &["-n"], &["targets"]] {
        let (output, _) = vbuild_within(dir.path(), args, &stray, MINUTE);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(!said.contains("secret-token-123"), "{said}");
    }
    // A known key is still a setting.
    let (output, _) = vbuild_within(
        dir.path(),
        &["config"],
        &[("VBUILD_VIDEO_FPS", "2")],
        MINUTE,
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.lines()
            .any(|l| l.starts_with("fps = 2 ") && l.ends_with("# environment VBUILD_VIDEO_FPS")),
        "{said}"
    );
}

#[test]
fn an_interrupted_build_stops_with_130_a_report_and_no_scratch_files() {
    let dir = example_copy();
    for signal in ["-INT", "-TERM"] {
        let mut child = start_slow_build(dir.path(), &[], Stdio::piped());
        let count = action_keys(dir.path()).len();
        wait_for_entries(dir.path(), count + 3, &mut child);
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("interrupted"),
            "{}",
            stderr(&output)
        );
        let report = report(dir.path());
        assert_eq!(report["interrupted"], true);
        assert!(report["counts"]["skipped"].as_u64().unwrap() > 0);
        assert_eq!(
            std::fs::read_dir(dir.path().join(".vbuild/tmp"))
                .unwrap()
                .count(),
            0
        );
        let runs = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["runs"]).stdout).to_string();
        assert!(runs.contains("interrupted"), "{runs}");
    }
    // The next build goes on where they stopped.
    vbuild_ok(dir.path(), &[]);
    assert_eq!(
        nodes_in(&report(dir.path()), "failed"),
        Vec::<String>::new()
    );
    assert!(report(dir.path())["counts"]["cached"].as_u64().unwrap() >= 6);
}

#[test]
fn output_folder_failures_say_output_and_still_save_the_report() {
    let dir = small_course();
    // A folder of the author's where a chapter video belongs.
    std::fs::create_dir_all(dir.path().join("out/chapters/01-tides.mp4/mine")).unwrap();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(said.contains("vbuild: output "), "{said}");
    assert!(!said.contains("cache "), "{said}");
    let report = report(dir.path());
    assert_eq!(report["succeeded"], false);
    assert!(report["counts"]["ran"].as_u64().unwrap() > 10);
    assert!(report["error"].as_str().unwrap().starts_with("output "));
    assert!(dir.path().join("out/chapters/01-tides.mp4/mine").is_dir());
    let partials = walkdir::WalkDir::new(dir.path().join("out"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .count();
    assert_eq!(partials, 0);
}

#[test]
fn linked_markdown_sources_are_read() {
    let dir = small_course();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(
        dir.path().join("lecture.md"),
        elsewhere.path().join("lecture.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("lecture.md"),
        dir.path().join("lecture.md"),
    )
    .unwrap();
    let output = vbuild_ok(dir.path(), &["targets"]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("02-winds"), "{said}");
}

#[test]
fn a_remote_url_with_a_password_is_shown_without_it() {
    let dir = small_course();
    append_to_videofile(
        dir.path(),
        "[cache]\nremote = \"http://bob:hunter2-secret@127.0.0.1:9/vbuild\"",
    );
    let (built, _) = vbuild_within(dir.path(), &["-v"], &[], MINUTE);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(
        stderr(&built).contains("remote cache http://<redacted>@127.0.0.1:9/vbuild"),
        "{}",
        stderr(&built)
    );
    let config = vbuild_ok(dir.path(), &["config"]);
    for output in [&built, &config] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!String::from_utf8_lossy(stream).contains("hunter2"));
        }
    }
    let leaks: Vec<_> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() != "Videofile")
        .filter(|e| std::fs::read(e.path()).is_ok_and(|b| b.windows(7).any(|w| w == b"hunter2")))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
}
