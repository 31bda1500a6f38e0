//! `vbuild serve` and `vbuild watch` (issue 20): the review page in a real headless Chromium, rebuilt on save.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// True where Chromium is installed (`.ci/install-deps` installs it); says why not.
fn chromium_installed() -> bool {
    let installed = Command::new("chromium").arg("--version").output().is_ok();
    if !installed {
        println!("skipped: chromium is not installed (./.ci/install-deps installs it)");
    }
    installed
}

/// A vbuild that runs until the test ends, even a test that fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `vbuild serve --port 0` in `dir`, and the URL it says it serves on.
fn serve(dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["serve", "--port", "0", "-j", "2"])
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|rest| format!("http://{rest}"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"));
    (child, url)
}

/// The page's state, once a build newer than `after` has ended.
fn state_after(url: &str, after: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let state: Value = ureq::get(format!("{url}state.json"))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        if state["generation"].as_u64().unwrap() > after && state["building"] == false {
            return state;
        }
        assert!(Instant::now() < deadline, "no build ended: {state}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One headless Chromium run on `url` with `extra` (`--dump-dom`, `--screenshot=FILE`): real time, not
/// virtual time (a video's pending range request holds virtual time still), at most a minute of it.
fn chromium_run(url: &str, extra: &str) -> String {
    let output = Command::new("timeout")
        .args([
            "60",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,1400",
            "--timeout=4000",
            extra,
            url,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What headless Chromium shows of `url` once its scripts have drawn the build of generation `generation`:
/// the page's DOM, and a screenshot in `screenshot`.
fn chromium(url: &str, generation: u64, screenshot: &Path) -> String {
    let drawn = format!("data-generation=\"{generation}\"");
    let mut dom = String::new();
    for _ in 0..5 {
        dom = chromium_run(url, "--dump-dom");
        if dom.contains(&drawn) {
            break;
        }
    }
    assert!(
        dom.contains(&drawn),
        "the page never drew build {generation}:\n{dom}"
    );
    chromium_run(url, &format!("--screenshot={}", screenshot.display()));
    dom
}

#[test]
fn the_review_page_shows_the_course_and_follows_each_save() {
    if !chromium_installed() {
        return;
    }
    let dir = small_course();
    let (server, url) = serve(dir.path());
    let server = Running(server);
    let state = state_after(&url, 0);
    assert_eq!(state["errors"], serde_json::json!([]), "{state}");
    let generation = state["generation"].as_u64().unwrap();

    // The video is served in ranges, so a browser can seek.
    let video = state["video"]["video"].as_str().unwrap();
    let mut part = ureq::get(format!("{}{}", url.trim_end_matches('/'), video))
        .header("Range", "bytes=100-199")
        .call()
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.body_mut().read_to_vec().unwrap().len(), 100);

    // In Chromium: the video with its tracks, the chapters that seek, every slide's picture, narration and
    // state.
    let shots = tempfile::tempdir().unwrap();
    let dom = chromium(&url, generation, &shots.path().join("first.png"));
    for expected in [
        "<video",
        "kind=\"subtitles\"",
        "kind=\"chapters\"",
        "<button>Tides</button>",
        "<button>Winds</button>",
        "src=\"/out/slides/01-tides/01.png?v=",
        "The moon pulls the sea.",
        "Sun and moon pull together.",
        "image: ran",
    ] {
        assert!(
            dom.contains(expected),
            "the page lacks {expected:?}:\n{dom}"
        );
    }
    let shown = ocr(&std::fs::read(shots.path().join("first.png")).unwrap());
    assert!(shown.contains("Small course"), "{shown}");

    // A save: the page follows with the new slide, and only that slide was drawn again.
    replace_in(
        &dir.path().join("lecture.md"),
        "The moon pulls the sea.",
        "The moon pulls the ocean towards it.",
    );
    let state = state_after(&url, generation + 1);
    let dom = chromium(
        &url,
        state["generation"].as_u64().unwrap(),
        &shots.path().join("second.png"),
    );
    assert!(
        dom.contains("The moon pulls the ocean towards it."),
        "{dom}"
    );
    assert!(!dom.contains("The moon pulls the sea."), "{dom}");
    let slides = &state["chapters"][0]["slides"];
    assert_eq!(slides[0]["states"]["image"], "ran", "{state}");
    assert_eq!(
        state["chapters"][1]["slides"][0]["states"]["image"], "cached",
        "{state}"
    );

    // A mistake: the page says what and where, and keeps the last good video.
    replace_in(&dir.path().join("Videofile"), "fps = 5", "fps = \"fast\"");
    let broken = state_after(&url, state["generation"].as_u64().unwrap() + 1);
    assert!(
        broken["errors"][0]
            .as_str()
            .unwrap()
            .contains("Videofile:7:7: [video] fps"),
        "{broken}"
    );
    assert_eq!(broken["video"], state["video"]);

    // Ctrl-C ends it quietly.
    let mut server = server;
    unsafe { libc::kill(server.0.id() as i32, libc::SIGINT) };
    let status = server.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn watch_rebuilds_what_a_save_changed_and_nothing_when_nothing_did() {
    let dir = small_course();
    let mut watch = Running(
        Command::new(env!("CARGO_BIN_EXE_vbuild"))
            .args(["watch", "script:1"])
            .current_dir(dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(watch.0.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let first = next();
    assert!(first.starts_with("vbuild: 2 run, 0 cached"), "{first}");
    // Chapter 2 is not what the save changed: its script stays as it was.
    replace_in(
        &dir.path().join("lecture.md"),
        "Sun and moon",
        "Sun and the moon",
    );
    let again = next();
    assert!(again.starts_with("vbuild: 2 run, 0 cached"), "{again}");
    let script = std::fs::read_to_string(dir.path().join("out/scripts/01-tides.json")).unwrap();
    assert!(script.contains("Sun and the moon"), "{script}");
    assert!(!dir.path().join("out/scripts/02-winds.json").exists());
    // A save in the output folder or the cache is not a source's.
    std::fs::write(dir.path().join("out/notes.txt"), "mine").unwrap();
    std::thread::sleep(Duration::from_secs(1));
    unsafe { libc::kill(watch.0.id() as i32, libc::SIGINT) };
    let ended = watch.0.wait().unwrap();
    assert_eq!(ended.code(), Some(0));
    assert!(
        lines.next().is_none(),
        "a build ran for a file vbuild wrote"
    );
}
