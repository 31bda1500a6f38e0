//! The scheduler with fake jobs: a real Videofile, lecture, plan, keys and local cache, but a runner that
//! records what it is asked to run and makes small blobs instead of media (milliseconds a build).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::executor::Runner;
use super::scheduler;
use super::state::State;
use super::{Options, Outcome};
use crate::cache::{ActionEntry, Store};
use crate::config::Videofile;
use crate::config::layers::Overrides;
use crate::engine::progress::Progress;
use crate::graph::node::NodeKind;
use crate::lecture::script::{Script, Slide};
use crate::lecture::{self, ChapterSource, Images};
use crate::providers::Clients;
use crate::record::last_keys::LastKeys;
use crate::steps::{Context, Prepared, Speaker, StepError, Tools};
use crate::sys::digest::Digest;
use crate::sys::small_map::SmallMap;

/// A project in a temporary folder: `chapters` chapters, and `extra` TOML after `[course]`.
struct Course {
    /// The folder, when this course made it (a course loaded again from another's folder borrows it).
    _dir: Option<tempfile::TempDir>,
    videofile: Videofile,
    chapters: Vec<ChapterSource>,
    images: Images,
    titles: std::collections::BTreeMap<String, String>,
    store: Store,
    tools: Tools,
    clients: Clients,
}

fn course(chapters: usize, extra: &str) -> Course {
    let dir = tempfile::tempdir().unwrap();
    let lecture: String = (1..=chapters)
        .map(|i| format!("## Chapter {i}\n\nThe text of chapter {i}.\n\n"))
        .collect();
    std::fs::write(
        dir.path().join("lecture.md"),
        format!("# Fake\n\n{lecture}"),
    )
    .unwrap();
    let text = format!("[course]\ntitle = \"Fake\"\nsources = [\"lecture.md\"]\n\n{extra}");
    std::fs::write(dir.path().join("Videofile"), &text).unwrap();
    let mut course = load(dir.path());
    course._dir = Some(dir);
    course
}

/// The course in `dir`, loaded.
fn load(dir: &std::path::Path) -> Course {
    let path = dir.join("Videofile");
    let text = std::fs::read_to_string(&path).unwrap();
    let videofile = Videofile::parse(&path, &text, &Overrides::default()).unwrap();
    let lecture = lecture::load(&videofile, &mut crate::providers::probes::Probes::none()).unwrap();
    let cloud = videofile.providers.contains_key(&videofile.speech.provider);
    let speaker = if cloud {
        Speaker::Cloud {
            voice: "alloy".into(),
            language: "en".into(),
        }
    } else {
        Speaker::Espeak("en-us".into())
    };
    let tools = Tools {
        espeak: "fake espeak".into(),
        speakers: lecture
            .chapters
            .iter()
            .map(|c| (c.language.clone(), speaker.clone()))
            .collect(),
        gstreamer: "fake gstreamer".into(),
    };
    let clients = Clients::connect(&videofile, &|_| None, false).unwrap();
    Course {
        store: Store::open(&dir.join(".vbuild")).unwrap(),
        _dir: None,
        videofile,
        chapters: lecture.chapters,
        images: lecture.images,
        titles: lecture.titles,
        tools,
        clients,
    }
}

/// Jobs that make small blobs: a script node writes a script of `slides` narrations (each followed by the
/// script node's name); `failing` nodes fail.
struct Fake<'a> {
    store: &'a Store,
    slides: Vec<&'static str>,
    failing: BTreeSet<String>,
    /// Every node run, in the order they started.
    ran: Mutex<Vec<String>>,
    /// Each job takes this long.
    work: Duration,
    /// Jobs running now and the most seen at once: all, and those calling a cloud provider.
    now: [AtomicUsize; 2],
    most: [AtomicUsize; 2],
    /// A cloud job and a local job ran at the same time.
    overlapped: AtomicBool,
    /// The progress bar, and its length when the first job started.
    progress: Progress,
    first_total: AtomicUsize,
}

impl<'a> Fake<'a> {
    fn new(store: &'a Store, slides: &[&'static str]) -> Fake<'a> {
        Fake {
            store,
            slides: slides.to_vec(),
            failing: BTreeSet::new(),
            ran: Mutex::default(),
            work: Duration::ZERO,
            now: Default::default(),
            most: Default::default(),
            overlapped: AtomicBool::new(false),
            progress: Progress::hidden(),
            first_total: AtomicUsize::new(0),
        }
    }

    fn ran(&self) -> Vec<String> {
        self.ran.lock().unwrap().clone()
    }

    fn blob(&self, bytes: &[u8]) -> Digest {
        let mut file = self.store.scratch_file().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        let (_, path) = file.keep().unwrap();
        self.store.put_file(&path).unwrap()
    }
}

impl Runner for Fake<'_> {
    fn run(&self, name: &str, key: &Digest, prepared: Prepared) -> Result<ActionEntry, StepError> {
        let mut ran = self.ran.lock().unwrap();
        if ran.is_empty() {
            self.first_total
                .store(self.progress.total() as usize, Ordering::SeqCst);
        }
        ran.push(name.to_string());
        drop(ran);
        let cloud = usize::from(prepared.job.provider().is_some());
        for counter in [0, cloud] {
            let now = self.now[counter].fetch_add(1, Ordering::SeqCst) + 1;
            self.most[counter].fetch_max(now, Ordering::SeqCst);
        }
        if self.now[0].load(Ordering::SeqCst) > self.now[1].load(Ordering::SeqCst)
            && self.now[1].load(Ordering::SeqCst) > 0
        {
            self.overlapped.store(true, Ordering::SeqCst);
        }
        std::thread::sleep(self.work);
        for counter in [0, cloud] {
            self.now[counter].fetch_sub(1, Ordering::SeqCst);
        }
        if self.failing.contains(name) {
            return Err(StepError::Invalid {
                what: "fake",
                message: format!("{name} fails"),
            });
        }
        let kind = NodeKind::of_node(name).unwrap();
        let mut outputs = SmallMap::new();
        for output in kind.outputs() {
            let bytes = if *output == "script" {
                let slides = self.slides.iter().enumerate().map(|(i, notes)| Slide {
                    id: format!("s{i}"),
                    title: format!("Slide {i}"),
                    bullets: Vec::new(),
                    content: Vec::new(),
                    visual_prompt: String::new(),
                    estimated_duration_sec: 1.0,
                    // Each chapter says its own words.
                    speaker_notes: format!("{notes} ({name})"),
                });
                Script {
                    slides: slides.collect(),
                }
                .to_json()
            } else {
                let mut bytes = format!("{name} {output} {key}").into_bytes();
                // A speech "WAV" of a whole number of samples after its header, as its facts say.
                if *output == "speech" && bytes.len() % 2 == 1 {
                    bytes.push(b' ');
                }
                bytes
            };
            outputs.insert(output.to_string(), self.blob(&bytes));
        }
        // The facts later nodes read, as they hold for the blobs above.
        let mut meta = SmallMap::new();
        if let Some(hash) = outputs.get("speech") {
            let size = std::fs::metadata(self.store.blob_path(hash)).unwrap().len();
            meta.insert("samples".into(), serde_json::json!((size - 44) / 2));
        }
        if matches!(kind, NodeKind::ChapterVideo | NodeKind::ChapterSubtitles) {
            meta.insert("seconds".into(), serde_json::json!(0.0));
        }
        let entry = ActionEntry {
            key: key.clone(),
            node: name.to_string(),
            outputs,
            meta,
            seconds: 0.0,
            bytes: None,
            usage: prepared.job.usage(),
            signature: prepared.signature.fields().to_vec(),
        };
        self.store.record(&entry).unwrap();
        Ok(entry)
    }
}

fn options(jobs: usize, keep_going: bool) -> Options {
    Options {
        jobs,
        dry_run: false,
        keep_going,
        targets: Vec::new(),
        shard: None,
        always: false,
        slide_pictures: false,
    }
}

/// Builds `course` with `runner`; `stop` says when to act as if interrupted.
fn build(
    course: &Course,
    options: &Options,
    runner: &Fake,
    stop: &(dyn Fn() -> bool + Sync),
) -> Outcome {
    build_after(course, options, runner, stop, &LastKeys::default())
}

/// Builds `course` with `runner`, the last build's keys being `last_keys`.
fn build_after(
    course: &Course,
    options: &Options,
    runner: &Fake,
    stop: &(dyn Fn() -> bool + Sync),
    last_keys: &LastKeys,
) -> Outcome {
    let ctx = context(course);
    scheduler::run(
        &ctx,
        &course.store,
        last_keys,
        options,
        &runner.progress,
        runner,
        stop,
    )
}

/// What a build of `course` works from.
fn context(course: &Course) -> Context<'_> {
    Context {
        videofile: &course.videofile,
        chapters: &course.chapters,
        images: &course.images,
        tools: &course.tools,
        clients: &course.clients,
        script_template: "",
        titles: &course.titles,
    }
}

/// The names of the nodes in states that `pick` selects.
fn nodes(outcome: &Outcome, pick: impl Fn(&State) -> bool) -> Vec<String> {
    outcome
        .plan
        .graph
        .node_indices()
        .filter(|n| pick(outcome.state(*n)))
        .map(|n| outcome.plan.name(n))
        .collect()
}

fn never() -> bool {
    false
}

#[test]
fn a_script_expands_into_its_slides_which_all_run_and_join() {
    let course = course(2, "");
    let fake = Fake::new(&course.store, &["One.", "Two.", "Three."]);
    let outcome = build(&course, &options(2, false), &fake, &never);
    assert!(outcome.succeeded());
    // Per chapter: chapter, script, 3 x (audio, image, clip), video, subtitles; and the course's two.
    assert_eq!(outcome.plan.graph.node_count(), 2 * (2 + 9 + 2) + 2);
    assert_eq!(fake.ran().len(), outcome.plan.graph.node_count());
    assert!(fake.ran().contains(&"clip:02-chapter-2/03".to_string()));
    // A second build finds everything in the cache.
    let again = Fake::new(&course.store, &["One.", "Two.", "Three."]);
    let outcome = build(&course, &options(2, false), &again, &never);
    assert!(outcome.succeeded() && again.ran().is_empty());
}

#[test]
fn slides_that_say_the_same_words_are_spoken_once() {
    let course = course(1, "");
    let fake = Fake::new(
        &course.store,
        &["Same words.", "Other words.", "Same words."],
    );
    let outcome = build(&course, &options(2, false), &fake, &never);
    assert!(outcome.succeeded());
    let spoken: Vec<String> = fake
        .ran()
        .into_iter()
        .filter(|n| n.starts_with("audio:"))
        .collect();
    assert_eq!(spoken.len(), 2, "{spoken:?}");
    // The twin that did not run took the same entry.
    let audio = nodes(&outcome, |s| matches!(s, State::Done { .. }))
        .into_iter()
        .filter(|n| n.starts_with("audio:"))
        .count();
    assert_eq!(audio, 3);
}

#[test]
fn a_failure_stops_the_build_unless_keep_going() {
    let course = course(3, "");
    let failing = "script:01-chapter-1".to_string();
    let mut fake = Fake::new(&course.store, &["One."]);
    fake.failing.insert(failing.clone());
    let outcome = build(&course, &options(1, false), &fake, &never);
    assert!(!outcome.succeeded());
    let ran = fake.ran();
    // With one job, nothing starts after the failure.
    assert_eq!(ran.last(), Some(&failing), "{ran:?}");
    assert_eq!(
        nodes(&outcome, |s| matches!(s, State::Failed { .. })),
        std::slice::from_ref(&failing)
    );
    assert!(nodes(&outcome, |s| matches!(s, State::Skipped)).contains(&"course-video".to_string()));

    // With -k, everything that does not read the failed script still runs.
    let course = self::course(3, "");
    let mut fake = Fake::new(&course.store, &["One."]);
    fake.failing.insert(failing.clone());
    let outcome = build(&course, &options(1, true), &fake, &never);
    let done = nodes(&outcome, |s| matches!(s, State::Done { .. }));
    for chapter in ["02-chapter-2", "03-chapter-3"] {
        assert!(
            done.contains(&format!("chapter-video:{chapter}")),
            "{done:?}"
        );
    }
    let skipped = nodes(&outcome, |s| matches!(s, State::Skipped));
    assert_eq!(
        skipped,
        [
            "course-video",
            "course-subtitles",
            "chapter-video:01-chapter-1",
            "chapter-subtitles:01-chapter-1"
        ]
    );
}

#[test]
fn a_failed_job_fails_its_twins_too() {
    let course = course(1, "");
    let mut fake = Fake::new(&course.store, &["Same.", "Same."]);
    fake.failing.insert("audio:01-chapter-1/01".into());
    fake.failing.insert("audio:01-chapter-1/02".into());
    let outcome = build(&course, &options(2, true), &fake, &never);
    let failed = nodes(&outcome, |s| matches!(s, State::Failed { .. }));
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(
        fake.ran()
            .iter()
            .filter(|n| n.starts_with("audio:"))
            .count(),
        1
    );
}

#[test]
fn an_interrupt_starts_nothing_new_and_skips_the_rest() {
    let course = course(4, "");
    let mut fake = Fake::new(&course.store, &["One.", "Two."]);
    fake.work = Duration::from_millis(5);
    let stop = || fake.ran.lock().unwrap().len() >= 5;
    let outcome = build(&course, &options(1, false), &fake, &stop);
    assert!(outcome.interrupted);
    assert!(!outcome.succeeded());
    // The one job running when the stop came was let finish; nothing started after it.
    assert!(fake.ran().len() <= 6, "{:?}", fake.ran());
    assert!(outcome.states.iter().all(State::is_final));
}

#[test]
fn a_job_waiting_for_its_provider_holds_no_local_worker() {
    let course = course(
        1,
        "[speech]\nprovider = \"cloud\"\n\n[providers.cloud]\napi = \"openai\"\napi_key_env = \"FAKE_KEY\"\nconcurrency = 1\n",
    );
    let narrations = ["One.", "Two.", "Three.", "Four.", "Five.", "Six."];
    let mut fake = Fake::new(&course.store, &narrations);
    fake.work = Duration::from_millis(30);
    let outcome = build(&course, &options(2, false), &fake, &never);
    assert!(outcome.succeeded());
    // One request at a time, as the provider allows, while the two local workers drew and encoded.
    assert_eq!(fake.most[1].load(Ordering::SeqCst), 1);
    assert!(fake.overlapped.load(Ordering::SeqCst));
    assert!(
        fake.most[0].load(Ordering::SeqCst) >= 3,
        "a cloud job and two local jobs at once"
    );
}

/// The keys of every node that calls a provider, for a course whose providers are `providers`.
fn paid_keys(sections: &str) -> Vec<(String, String)> {
    let course = course(1, sections);
    let fake = Fake::new(&course.store, &["Paid words."]);
    let outcome = build(&course, &options(1, false), &fake, &never);
    assert!(outcome.succeeded());
    outcome
        .plan
        .graph
        .node_indices()
        .filter(|n| outcome.plan.graph[*n].kind.info().provider.is_some())
        .filter_map(|n| {
            let entry = outcome.entry(n)?;
            Some((outcome.plan.name(n), entry.key.to_string()))
        })
        .collect()
}

/// Keys of paid work must not change when vbuild's code is reorganised: a changed key asks the provider
/// (and the user's account) again. A change here must be deliberate (a kind's version bump).
#[test]
fn the_keys_of_paid_work_stay_as_they_were() {
    let openai = "[script]\nprovider = \"cloud\"\n\n[speech]\nprovider = \"cloud\"\n\n[images]\nprovider = \"cloud\"\n\n\
                  [providers.cloud]\napi = \"openai\"\napi_key_env = \"FAKE_KEY\"\n";
    let others = "[speech]\nprovider = \"g\"\n\n[images]\nprovider = \"s\"\n\n\
                  [providers.g]\napi = \"google\"\napi_key_env = \"FAKE_KEY\"\n\n\
                  [providers.s]\napi = \"stability\"\napi_key_env = \"FAKE_KEY\"\n";
    let short = |keys: Vec<(String, String)>| -> Vec<(String, String)> {
        keys.into_iter()
            .map(|(name, key)| (name, key[..16].to_string()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(n, k)| (n.to_string(), k.to_string()))
            .collect()
    };
    assert_eq!(
        short(paid_keys(openai)),
        pairs(&[
            ("script:01-chapter-1", "008782874a7b12aa"),
            ("audio:01-chapter-1/01", "281b04b288cdebd1"),
            ("picture:01-chapter-1/01", "66caf8919b44e7c8"),
            ("image:01-chapter-1/01", "bdea750026db22c5"),
        ])
    );
    assert_eq!(
        short(paid_keys(others)),
        pairs(&[
            ("script:01-chapter-1", "c2b2a2a81205e7db"),
            ("audio:01-chapter-1/01", "655107021b37664f"),
            ("picture:01-chapter-1/01", "7ac5fd04f923e387"),
            ("image:01-chapter-1/01", "9398c2eb63ea3268"),
        ])
    );
}

#[test]
fn the_progress_bar_counts_the_slides_the_last_build_had_before_any_script_is_read() {
    let course = course(2, "");
    let fake = Fake::new(&course.store, &["One.", "Two.", "Three."]);
    let outcome = build(&course, &options(1, false), &fake, &never);
    let all = outcome.plan.graph.node_count();
    // A first build knows no slides until its scripts run.
    assert_eq!(fake.first_total.load(Ordering::SeqCst), 2 * 4 + 2);
    let mut last_keys = LastKeys::default();
    for node in outcome.plan.graph.node_indices() {
        last_keys.record(&outcome.plan.name(node), &outcome.entry(node).unwrap().key);
    }
    // The next build, from scratch, counts them from the start.
    let fresh = self::course(2, "");
    let again = Fake::new(&fresh.store, &["One.", "Two.", "Three."]);
    build_after(&fresh, &options(1, false), &again, &never, &last_keys);
    assert_eq!(again.first_total.load(Ordering::SeqCst), all);
}

#[test]
fn always_make_runs_the_named_nodes_again_and_what_their_outputs_change() {
    let course = course(2, "");
    let fake = Fake::new(&course.store, &["One."]);
    build(&course, &options(1, false), &fake, &never);
    let chapters: Vec<ChapterSource> = course.chapters.clone();
    let target = crate::graph::target::Target::parse("script:1", &chapters).unwrap();
    let again = Fake::new(&course.store, &["One."]);
    let outcome = build(
        &course,
        &Options {
            always: true,
            targets: vec![target],
            ..options(1, false)
        },
        &again,
        &never,
    );
    // The script ran again; it wrote the same script, so nothing after it did.
    assert_eq!(again.ran(), ["script:01-chapter-1"]);
    let reasons: Vec<String> = outcome
        .plan
        .graph
        .node_indices()
        .filter_map(|n| match outcome.state(n) {
            State::Done {
                ran: Some(reason), ..
            } => Some(format!("{} {reason}", outcome.plan.name(n))),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, ["script:01-chapter-1 asked to run again (-B)"]);
}

/// The seal hashes the context's `Debug` text, which is stable only while no hash map (whose order changes
/// with each one made) is part of it: the same course loaded twice, with maps of several entries, must give
/// the same digest, and a word changed in one of them another.
#[test]
fn the_seal_inputs_of_a_course_loaded_twice_are_the_same() {
    let maps = "[speech.pronounce]\nSQL = \"sequel\"\nGUI = \"gooey\"\nYAML = \"yamel\"\n\
                [speech.voices]\nfr = \"fr\"\nde = \"de\"\nit = \"it\"\n";
    let first = course(3, maps);
    let dir = first._dir.as_ref().unwrap().path();
    let again = load(dir);
    let inputs = |course: &Course| super::seal::inputs(&context(course));
    assert_eq!(inputs(&first), inputs(&again));
    let videofile = dir.join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(&videofile, text.replace("gooey", "gooee")).unwrap();
    assert_ne!(inputs(&first), inputs(&load(dir)));
}
