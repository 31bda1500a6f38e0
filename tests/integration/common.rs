//! Helpers for the integration tests: a temp copy of the bundled example, running the real binary ([`Test`]
//! checks its exit status, stdout and stderr), reading the build report and probing media files with
//! GStreamer's discoverer.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer_pbutils as pbutils;
use gstreamer_pbutils::prelude::*;
use serde_json::Value;

/// The bundled example's folder.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/intro-ml")
}

/// The files of the bundled example: its Videofile, Markdown and pictures.
pub const EXAMPLE_FILES: &[&str] = &["Videofile", "lecture.md", "bowl.svg"];

/// A temp folder holding a copy of the example's files (no cache, no outputs). The copy speaks with
/// espeak-ng, which is many times faster than the example's piper voice; tests/speech.rs tests piper.
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in EXAMPLE_FILES {
        std::fs::copy(example_dir().join(name), dir.path().join(name)).expect("copy example");
    }
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).expect("the example's Videofile");
    let espeak = text.replace(
        "provider = \"piper\"",
        "provider = \"espeak\"\nvoice = \"en-us\"\nrate = 175",
    );
    std::fs::write(&videofile, espeak).expect("write the Videofile");
    dir
}

/// One run of `vbuild` in a project folder, and what it must end with: its exit status (0 unless said), its
/// stdout and stderr exactly (empty unless said) or holding given parts. Built up and then [`Test::run`], as
/// just's tests are: a test says what it expects to see.
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    status: i32,
    stdout: Expect,
    stderr: Expect,
}

/// What an output stream must be.
enum Expect {
    Exactly(String),
    Holding(Vec<String>),
}

impl Expect {
    fn check(&self, name: &str, text: &str) {
        match self {
            Expect::Exactly(expected) => assert_eq!(text, expected, "{name}"),
            Expect::Holding(parts) => {
                for part in parts {
                    assert!(
                        text.contains(part.as_str()),
                        "{name} lacks {part:?}:\n{text}"
                    );
                }
            }
        }
    }

    fn holding(self, part: &str) -> Expect {
        match self {
            Expect::Holding(mut parts) => {
                parts.push(part.to_string());
                Expect::Holding(parts)
            }
            _ => Expect::Holding(vec![part.to_string()]),
        }
    }
}

/// A finished [`Test`]: its folder (for what it wrote) and what vbuild printed.
pub struct Ran {
    pub dir: tempfile::TempDir,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    /// A run in a fresh copy of the example.
    pub fn new() -> Test {
        Test::in_dir(example_copy())
    }

    /// A run in `dir`.
    pub fn in_dir(dir: tempfile::TempDir) -> Test {
        Test {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            status: 0,
            stdout: Expect::Exactly(String::new()),
            stderr: Expect::Exactly(String::new()),
        }
    }

    /// Replaces the folder's Videofile with `text`.
    pub fn videofile(self, text: &str) -> Test {
        std::fs::write(self.dir.path().join("Videofile"), text).expect("write the Videofile");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Test {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Sets an environment variable for the run (`PATH` included).
    pub fn env(mut self, name: &str, value: &str) -> Test {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// The exit status it must end with.
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    pub fn stdout(mut self, exactly: &str) -> Test {
        self.stdout = Expect::Exactly(exactly.to_string());
        self
    }

    pub fn stderr(mut self, exactly: &str) -> Test {
        self.stderr = Expect::Exactly(exactly.to_string());
        self
    }

    /// Stdout must hold `part` (repeatable).
    pub fn stdout_has(mut self, part: &str) -> Test {
        self.stdout = self.stdout.holding(part);
        self
    }

    /// Stderr must hold `part` (repeatable).
    pub fn stderr_has(mut self, part: &str) -> Test {
        self.stderr = self.stderr.holding(part);
        self
    }

    /// Runs vbuild and checks what it ended with.
    pub fn run(self) -> Ran {
        let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("vbuild runs");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(
            output.status.code(),
            Some(self.status),
            "vbuild {:?}:\n{stdout}\n{stderr}",
            self.args
        );
        self.stdout.check("stdout", &stdout);
        self.stderr.check("stderr", &stderr);
        Ran {
            dir: self.dir,
            stdout,
            stderr,
        }
    }
}

/// Runs `vbuild ARGS` in `dir`.
pub fn vbuild(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("vbuild runs")
}

/// Runs `vbuild ARGS` in `dir` and fails the test unless it exits 0 and logs no warning or error (a test that
/// expects some names them with [`vbuild_ok_warning`]).
#[track_caller]
pub fn vbuild_ok(dir: &Path, args: &[&str]) -> Output {
    vbuild_ok_warning(dir, args, &[])
}

/// [`vbuild_ok`], where every warning or error logged must hold one of `expected` (and may be absent).
#[track_caller]
pub fn vbuild_ok_warning(dir: &Path, args: &[&str], expected: &[&str]) -> Output {
    let output = vbuild(dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "vbuild {args:?} failed ({:?}):\n{}\n{stderr}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
    );
    let unexpected = (stderr.lines())
        .filter(|l| l.starts_with("[WARN") || l.starts_with("[ERROR"))
        .find(|l| !expected.iter().any(|part| l.contains(part)));
    assert!(
        unexpected.is_none(),
        "vbuild {args:?} said what the test does not expect: {unexpected:?}\n{stderr}"
    );
    output
}

/// The last build's report.
pub fn report(dir: &Path) -> Value {
    let bytes = std::fs::read(dir.join(".vbuild/builds/latest.json")).expect("a build report");
    serde_json::from_slice(&bytes).expect("the report is JSON")
}

/// The action entry file of the node called `name` in the last build of `dir` (by the key `nodes.json`
/// records for it).
pub fn entry_file(dir: &Path, name: &str) -> PathBuf {
    let keys: Value =
        serde_json::from_slice(&std::fs::read(dir.join(".vbuild/nodes.json")).unwrap()).unwrap();
    let key = keys[name].as_str().unwrap();
    dir.join(".vbuild/actions")
        .join(&key[..2])
        .join(format!("{key}.json"))
}

/// The blob of output `output` of the node called `name` in the last build of `dir`.
pub fn blob_file(dir: &Path, name: &str, output: &str) -> PathBuf {
    let entry: Value =
        serde_json::from_slice(&std::fs::read(entry_file(dir, name)).unwrap()).unwrap();
    let hash = entry["outputs"][output].as_str().unwrap().to_string();
    dir.join(".vbuild/cas").join(&hash[..2]).join(hash)
}

/// Makes a (read-only) cache blob writable, so that a test can damage or remove it.
pub fn make_writable(path: &Path) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(path, permissions).unwrap();
}

/// Names of the report's nodes in `state` (ran, cached, failed, skipped), sorted.
pub fn nodes_in(report: &Value, state: &str) -> Vec<String> {
    let mut names: Vec<String> = report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["state"] == state)
        .map(|n| n["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

/// Sum of a number in the meta of every node of `kind`.
pub fn meta_sum(report: &Value, kind: &str, field: &str) -> f64 {
    report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == kind)
        .map(|n| n["meta"][field].as_f64().expect("meta field"))
        .sum()
}

/// What GStreamer's discoverer reads from a media file.
#[derive(Debug)]
pub struct Probe {
    pub seconds: f64,
    pub video_caps: Vec<String>,
    pub audio_caps: Vec<String>,
}

/// Reads a media file back with GStreamer's discoverer.
pub fn probe(path: &Path) -> Probe {
    gst::init().expect("GStreamer");
    let discoverer =
        pbutils::Discoverer::new(gst::ClockTime::from_seconds(30)).expect("discoverer");
    let uri = gst::glib::filename_to_uri(path, None).expect("file URI");
    let info = discoverer.discover_uri(&uri).expect("discoverable media");
    let caps = |caps: Option<gst::Caps>| caps.map(|c| c.to_string()).unwrap_or_default();
    Probe {
        seconds: info.duration().expect("a duration").nseconds() as f64 / 1e9,
        video_caps: info
            .video_streams()
            .iter()
            .map(|s| caps(s.caps()))
            .collect(),
        audio_caps: info
            .audio_streams()
            .iter()
            .map(|s| caps(s.caps()))
            .collect(),
    }
}

/// The cache's action keys present now.
pub fn action_keys(dir: &Path) -> Vec<String> {
    let mut keys: Vec<String> = walkdir::WalkDir::new(dir.join(".vbuild/actions"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.path().file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    keys.sort();
    keys
}

/// Starts `vbuild -j 1 ARGS` in `dir` in the background (stdout discarded), to interrupt or race it.
pub fn start_slow_build(dir: &Path, args: &[&str], stderr: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(["-j", "1"])
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("vbuild runs")
}

/// Waits until the cache of `dir` holds `count` entries while `build` is still running.
pub fn wait_for_entries(dir: &Path, count: usize, build: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while action_keys(dir).len() < count {
        assert!(Instant::now() < deadline, "the build made no progress");
        assert!(
            build.try_wait().unwrap().is_none(),
            "the build finished too early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `vbuild ARGS` in `dir` with `envs`, killing it (and failing the test) if it runs longer than
/// `limit`; returns its output and the peak memory (VmHWM, bytes) it was seen to use.
pub fn vbuild_within(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    limit: Duration,
) -> (Output, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vbuild runs");
    let deadline = Instant::now() + limit;
    let mut peak = 0;
    // The pipes are drained on threads so that a chatty build never blocks on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let status_file = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
        if let Some(kib) = status_file.ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(kib * 1024);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let said = String::from_utf8_lossy(&stderr.join().unwrap()).to_string();
            panic!("vbuild {args:?} ran longer than {limit:?}; it said:\n{said}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, peak)
}

/// Reads `pipe` to its end on a thread.
fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut bytes).unwrap();
        }
        bytes
    })
}

/// A small course (two chapters of two short sections each) at a low resolution, quick to build.
pub fn small_course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("lecture.md"),
        "# Small course\n\n## Tides\n\nThe moon pulls the sea.\n\n### Spring tides\n\nSun and moon pull together.\n\n\
         ## Winds\n\nAir moves from high to low pressure.\n\n### Trade winds\n\nThey blow towards the equator.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Videofile"),
        "[course]\ntitle = \"Small course\"\nsources = [\"lecture.md\"]\n\n[video]\nresolution = \"320x180\"\nfps = 5\n",
    )
    .unwrap();
    dir
}

/// Edits the JSON file at `path` (a cache entry, say) in place.
pub fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut json: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(path, json.to_string()).unwrap();
}

/// Replaces `from` by `to` in the text file at `path` (a lecture, a Videofile).
pub fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Appends `text` to the Videofile of `dir`.
pub fn append_to_videofile(dir: &Path, text: &str) {
    let path = dir.join("Videofile");
    let before = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{before}\n{text}\n")).unwrap();
}

/// The frame of `video` shown at `seconds`, as PNG bytes.
pub fn frame_png(video: &Path, seconds: f64) -> Vec<u8> {
    use gstreamer_app as gst_app;
    gst::init().expect("GStreamer");
    let description = format!(
        "filesrc location=\"{}\" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! \
         video/x-raw,format=RGBA ! appsink name=sink sync=false",
        video.display()
    );
    let pipeline = gst::parse::launch(&description)
        .expect("a frame pipeline")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
    let sink = pipeline
        .by_name("sink")
        .expect("the sink")
        .downcast::<gst_app::AppSink>()
        .expect("an app sink");
    pipeline.set_state(gst::State::Paused).expect("paused");
    pipeline
        .state(gst::ClockTime::from_seconds(10))
        .0
        .expect("prerolled");
    pipeline
        .seek_simple(
            gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
            gst::ClockTime::from_nseconds((seconds * 1e9) as u64),
        )
        .expect("a seek");
    let sample = sink.pull_preroll().expect("a frame");
    let caps = sample.caps().expect("caps");
    let structure = caps.structure(0).expect("a structure");
    let width = structure.get::<i32>("width").expect("a width") as u32;
    let height = structure.get::<i32>("height").expect("a height") as u32;
    let buffer = sample.buffer().expect("a buffer");
    let map = buffer.map_readable().expect("readable");
    let size = resvg::tiny_skia::IntSize::from_wh(width, height).expect("a size");
    let pixmap = resvg::tiny_skia::Pixmap::from_vec(map.as_slice().to_vec(), size).expect("pixels");
    pipeline.set_state(gst::State::Null).expect("stopped");
    pixmap.encode_png().expect("a PNG")
}

/// The text tesseract reads in a PNG (English and Japanese).
pub fn ocr(png: &[u8]) -> String {
    let file = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("a temp file");
    std::fs::write(file.path(), png).expect("write the frame");
    let output = Command::new("tesseract")
        .arg(file.path())
        .arg("-")
        .args(["-l", "eng+jpn", "--psm", "3"])
        .stderr(Stdio::null())
        .output()
        .expect("tesseract runs (the README's set-up command installs it)");
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Each slide of the course video in order: its clip node name, when it starts and how long it lasts (each
/// chapter starting with its guard of silence, and lasting as long as its chapter video).
pub fn slide_times(report: &Value) -> Vec<(String, f64, f64)> {
    let nodes = report["nodes"].as_array().expect("nodes");
    let sorted = |kind: &str| {
        let mut found: Vec<&Value> = nodes.iter().filter(|n| n["kind"] == kind).collect();
        found.sort_by_key(|n| n["name"].as_str().expect("a name").to_string());
        found
    };
    let guard = vbuild::media::join::GUARD as f64 / 24_000.0;
    let mut slides = Vec::new();
    let mut chapter_start = 0.0;
    for chapter in sorted("chapter-video") {
        let mut start = chapter_start + guard;
        for clip in sorted("clip")
            .into_iter()
            .filter(|c| c["chapter"] == chapter["chapter"])
        {
            let seconds = clip["meta"]["seconds"].as_f64().expect("seconds");
            slides.push((
                clip["name"].as_str().expect("a name").to_string(),
                start,
                seconds,
            ));
            start += seconds;
        }
        chapter_start += chapter["meta"]["seconds"].as_f64().expect("seconds");
    }
    slides
}

/// A folder holding an `espeak-ng` that runs the shell lines `before` and then the real espeak-ng with the
/// same arguments; put first on PATH (see [`vbuild_with_programs`]).
pub fn espeak_wrapper(before: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("espeak-ng");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n{before}\nexec /usr/bin/espeak-ng \"$@\"\n"),
    )
    .expect("write the script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// An `espeak-ng` that answers like the real one but fails whenever it is asked to write speech: it makes
/// every audio node fail at run time.
pub fn failing_espeak() -> tempfile::TempDir {
    espeak_wrapper(
        "case \"$*\" in *-w*) echo \"Error: the test's espeak-ng does not speak\" >&2; exit 1;; esac",
    )
}

/// Runs `vbuild ARGS` in `dir` with the programs in the folder `programs` found first on PATH.
pub fn vbuild_with_programs(dir: &Path, programs: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        programs.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("RUST_LOG")
        .output()
        .expect("vbuild runs")
}

/// A PNG of `width` x `height` in one colour with a band of another.
pub fn picture(width: u32, height: u32, colour: [u8; 3], band: [u8; 3]) -> Vec<u8> {
    use resvg::tiny_skia::{Color, Paint, Pixmap, Rect, Transform};
    let mut pixmap = Pixmap::new(width, height).unwrap();
    pixmap.fill(Color::from_rgba8(colour[0], colour[1], colour[2], 255));
    let mut paint = Paint::default();
    paint.set_color_rgba8(band[0], band[1], band[2], 255);
    let stripe =
        Rect::from_xywh(0.0, height as f32 / 3.0, width as f32, height as f32 / 3.0).unwrap();
    pixmap.fill_rect(stripe, &paint, Transform::identity(), None);
    pixmap.encode_png().unwrap()
}

/// Pixels of a frame close to `colour`.
pub fn pixels_like(png: &[u8], colour: [u8; 3]) -> usize {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    pixmap
        .pixels()
        .iter()
        .filter(|p| {
            let close = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs() < 40;
            close(p.red(), colour[0]) && close(p.green(), colour[1]) && close(p.blue(), colour[2])
        })
        .count()
}

/// Lower case without white space, for comparing OCR with the lecture.
pub fn squash(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `needle` occurs in `haystack` with at most three characters in twenty read wrong (OCR misreads
/// `l` as `t`, `i` as `1`, and loses underscores): the smallest edit distance of `needle` to any part of
/// `haystack` (Sellers' algorithm).
pub fn read_back(haystack: &[char], needle: &[char]) -> bool {
    let allowed = needle.len() * 3 / 20;
    let mut previous: Vec<usize> = (0..=needle.len()).collect();
    let mut best = previous[needle.len()];
    for &c in haystack {
        let mut current = vec![0; needle.len() + 1];
        for j in 1..=needle.len() {
            let substitute = previous[j - 1] + usize::from(needle[j - 1] != c);
            current[j] = substitute.min(previous[j] + 1).min(current[j - 1] + 1);
        }
        best = best.min(current[needle.len()]);
        previous = current;
    }
    best <= allowed
}
