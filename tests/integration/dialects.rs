//! Lectures as other tools write them build as their authors wrote them: a deck or page per dialect (written
//! from each tool's documentation, in `tests/fixtures/dialects`) is built unchanged with the simplest
//! Videofile; its slides are read back by OCR from frames of the course video, its narration from the
//! subtitles. No front matter, directive, tool syntax or TeX may be seen or heard; notes are heard, not seen.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// A dialect fixture built: its folder, what each slide shows and what the course says.
struct Built {
    dir: tempfile::TempDir,
    stderr: String,
    /// Every slide's title, chapter by chapter, from the scripts.
    titles: Vec<Vec<String>>,
    /// Each slide's name and the text OCR reads on its frame.
    screens: Vec<(String, String)>,
    /// The course subtitles' text.
    subtitles: String,
    video: PathBuf,
}

impl Built {
    /// The course video is `video` (named after the course's title) and its chapters' slides are titled
    /// `titles`.
    fn is_course(&self, video: &str, titles: &[&[&str]]) {
        assert!(self.video.ends_with(video), "{:?}", self.video);
        let expected: Vec<Vec<String>> = titles
            .iter()
            .map(|chapter| chapter.iter().map(|t| t.to_string()).collect())
            .collect();
        assert_eq!(self.titles, expected);
    }

    fn screen_text(&self) -> String {
        self.screens
            .iter()
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What OCR reads on the slide whose name ends with `slide` (`01-x/03`).
    fn screen(&self, slide: &str) -> &str {
        &self
            .screens
            .iter()
            .find(|(name, _)| name.ends_with(slide))
            .unwrap_or_else(|| panic!("no slide {slide} in {:?}", self.screens))
            .1
    }

    fn on_screen(&self, wanted: &str) {
        let text = self.screen_text();
        assert!(
            read_back(&squash(&text), &squash(wanted)),
            "not on screen: {wanted:?}\n--- read back:\n{text}"
        );
    }

    fn said(&self, wanted: &str) {
        assert!(
            squash(&self.subtitles)
                .windows(squash(wanted).len())
                .any(|w| w == squash(wanted).as_slice()),
            "not said: {wanted:?}\n--- subtitles:\n{}",
            self.subtitles
        );
    }

    /// Not drawn (notes): compared without case or white space.
    fn not_on_screen(&self, unwanted: &[&str]) {
        let screen = squash(&self.screen_text());
        for text in unwanted {
            let needle = squash(text);
            assert!(
                !screen.windows(needle.len()).any(|w| w == needle.as_slice()),
                "on screen: {text:?}\n--- read back:\n{}",
                self.screen_text()
            );
        }
    }

    /// Neither drawn nor said (compared without case or white space).
    fn nowhere(&self, unwanted: &[&str]) {
        let screen = squash(&self.screen_text());
        let said = squash(&self.subtitles);
        for text in unwanted {
            let needle = squash(text);
            let found = |hay: &[char]| hay.windows(needle.len()).any(|w| w == needle.as_slice());
            assert!(
                !found(&screen),
                "on screen: {text:?}\n--- read back:\n{}",
                self.screen_text()
            );
            assert!(
                !found(&said),
                "said: {text:?}\n--- subtitles:\n{}",
                self.subtitles
            );
        }
    }

    /// The subtitles hold no TeX or template syntax.
    fn says_no_syntax(&self) {
        for mark in ['$', '\\', '{', '}', '%', '<', '>', '#', '`'] {
            assert!(
                !self.subtitles.contains(mark),
                "{mark:?} in the subtitles:\n{}",
                self.subtitles
            );
        }
    }
}

/// A picture of one colour.
fn plain_picture(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    picture(width, height, colour, colour)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Builds the fixture `name` with `pictures` (path, PNG) added, and reads its video back.
fn build(name: &str, pictures: &[(&str, Vec<u8>)], warnings: &[&str]) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dialects")
        .join(name);
    copy_tree(&fixture, dir.path());
    for (path, png) in pictures {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
    let output = vbuild_ok_warning(dir.path(), &[], warnings);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(dir.path().join("out/scripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scripts.sort();
    let titles = scripts
        .iter()
        .map(|path| {
            let script: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            script["slides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["title"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let course_file = |extension: &str| {
        std::fs::read_dir(dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|e| e == extension)
                    && !p.to_string_lossy().ends_with(".chapters.vtt")
            })
            .unwrap_or_else(|| panic!("no course .{extension}: {stderr}"))
    };
    let video = course_file("mp4");
    let subtitles = std::fs::read_to_string(course_file("srt"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("-->") && !l.trim().chars().all(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join("\n");
    let screens = slide_times(&report(dir.path()))
        .into_iter()
        .map(|(name, start, seconds)| (name, ocr(&frame_png(&video, start + seconds / 2.0))))
        .collect();
    Built {
        dir,
        stderr,
        titles,
        screens,
        subtitles,
        video,
    }
}

/// Light pixels (a card's #f4f5f7, white text) right and left of `from_x` (a share of the frame's width).
fn card_pixels_right_of(png: &[u8], from_x: f32) -> (usize, usize) {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    let width = pixmap.width() as usize;
    let light = |p: &resvg::tiny_skia::PremultipliedColorU8| {
        p.red() > 230 && p.green() > 230 && p.blue() > 230
    };
    let (mut right, mut left) = (0, 0);
    for (i, p) in pixmap.pixels().iter().enumerate() {
        if light(p) {
            if (i % width) as f32 >= from_x * width as f32 {
                right += 1;
            } else {
                left += 1;
            }
        }
    }
    (right, left)
}

#[test]
fn a_marp_deck_builds_as_its_author_wrote_it() {
    let built = build(
        "marp",
        &[
            ("chart.png", plain_picture(600, 300, [250, 160, 0])),
            ("photo.png", plain_picture(400, 600, [40, 120, 200])),
        ],
        &[],
    );
    // The front matter's title is the course's; every slide is titled by its own heading, the last (a
    // picture and a sentence) has none, as its author left it.
    built.is_course(
        "caching-in-practice.mp4",
        &[&[
            "Caching with Marp",
            "Why cache?",
            "Where caches live",
            "Hit ratio",
            "",
        ]],
    );
    built.on_screen("Keeping hot data close to the reader");
    built.on_screen("Misses fall as the cache grows.");
    // The draw.io-style SVG's labels, in Helvetica and Arial, are drawn in the bundled font.
    built.on_screen("CLIENT");
    built.on_screen("SERVER");
    // Notes are said (lists as sentences, abbreviations inside them), never drawn; directives neither.
    built.said("Welcome. Today we look at caches, e.g. the ones in web servers.");
    built.said("Latency matters more than bandwidth here. Keep this slide short.");
    built.said("The cache sits on the request path, i.e. between the client and the server.");
    built.not_on_screen(&["Welcome", "Latency matters", "request path"]);
    built.nowhere(&[
        "marp: true",
        "_class",
        "lead",
        "paginate",
        "center-image",
        "centerimage",
        "bg right",
        "90%",
        "w:480",
        "theme",
        "gaia",
    ]);
    // Math is typeset, not TeX, and said as words.
    // Display math is set in two dimensions: the fraction's parts stacked; inline math on its line.
    built.on_screen("hits + misses");
    built.on_screen("A ratio of h = 0.9 means");
    built.nowhere(&["\\frac", "\\text", "$$"]);
    built.said("the fraction with numerator");
    built.says_no_syntax();
    // `bg right:40%`: the picture takes the right 40% of the slide, on a light card (its lines are dark on a
    // clear ground), the text the rest.
    let slides = slide_times(&report(built.dir.path()));
    let (_, start, seconds) = slides.iter().find(|(n, _, _)| n.ends_with("/03")).unwrap();
    let frame = frame_png(&built.video, start + seconds / 2.0);
    let (right, left) = card_pixels_right_of(&frame, 0.6);
    // (Left of the picture, only the white title and text are that light.)
    assert!(
        right > 100_000 && left * 10 < right,
        "light pixels: {right} right, {left} left"
    );
    assert!(
        !built.screen("/03").contains("bg"),
        "{}",
        built.screen("/03")
    );
}

#[test]
fn a_slidev_deck_builds_as_its_author_wrote_it() {
    let built = build(
        "slidev",
        &[],
        &[
            "slides.md:23: 2 lines of Vue components (Slidev's own or a theme's) cannot be shown; left out",
        ],
    );
    // The hidden slide is not shown; per-slide front matter is no title.
    built.is_course(
        "rust-ownership.mp4",
        &[&["Rust Ownership", "Moves", "Borrows"]],
    );
    built.on_screen("Moves, borrows and lifetimes");
    built.on_screen("A value has one owner at a time.");
    built.on_screen("Assigning it moves it.");
    built.on_screen("Shared borrows: many readers");
    // The snippet import is included as code.
    built.on_screen("let s = String::from(\"hello\");");
    // A slide's notes are its last comment, without click markers; its other comments are not read.
    built.said("Welcome! Today we talk about ownership.");
    built.said("The left column says the rule. The right column shows it in code.");
    built.said("A reference never outlives its owner.");
    built.nowhere(&[
        "first comment",
        "click",
        "layout",
        "two-cols",
        "gap-16",
        "::right::",
        "v-click",
        "Tweet",
        "Draft slide",
        "hidden and never shown",
        "seriph",
        "transition",
    ]);
    built.says_no_syntax();
    assert!(
        built
            .stderr
            .contains("slides.md:23: 2 lines of Vue components"),
        "{}",
        built.stderr
    );
}

#[test]
fn a_remark_deck_of_the_galaxy_training_network_builds_as_its_author_wrote_it() {
    let built = build(
        "remark",
        // The summary's picture is where the training site keeps it, not in this copy of the deck.
        &[("images/reads.png", plain_picture(500, 300, [30, 150, 60]))],
        &[
            "tutorials/quality-control/slides.md:52: 1 Liquid include is not read (vbuild does not run Jekyll); left out",
            "tutorials/quality-control/slides.md:66: image /images/quality.png not found; its alt text is shown in its place",
        ],
    );
    assert!(
        built
            .stderr
            .contains("slides.md:66: image /images/quality.png not found"),
        "{}",
        built.stderr
    );
    built.is_course(
        "quality-control.mp4",
        &[&[
            "Why quality control?",
            "Quality scores",
            "FASTQ format",
            "Summary",
        ]],
    );
    built.on_screen("A Phred score gives the error probability");
    built.on_screen("Q equals minus ten times log ten of P");
    built.on_screen("Each read takes four lines");
    built.on_screen("Source: Cock and others, 2010");
    // The missing picture's place holds its alt text.
    built.on_screen("Per base quality");
    // `???` notes are said as sentences (list items too), never drawn.
    built.said("Sequencing is not perfect. Errors must be found, e.g. adapters left on the reads.");
    built.said("Read the score as a probability.");
    built.not_on_screen(&["Sequencing is not perfect", "adapters", "Read the score as"]);
    built.nowhere(&[
        "???",
        "class:",
        "center, middle",
        "footnote",
        "left-column",
        "Not shown",
        "excluded",
        "zenodo",
        "tutorial_slides",
        "questions",
        "include",
        "snippets",
        "site.baseurl",
        "name:",
    ]);
    built.says_no_syntax();
    assert!(
        built
            .stderr
            .contains("slides.md:52: 1 Liquid include is not read"),
        "{}",
        built.stderr
    );
}

#[test]
fn a_reveal_deck_builds_as_its_author_wrote_it() {
    let built = build("reveal", &[], &[]);
    // reveal-md's front matter names it; `--` and `----` vertical slides are slides too.
    built.is_course(
        "git-in-ten-minutes.mp4",
        &[&["Git in Ten Minutes", "Commits", "Branches", "Merging"]],
    );
    built.on_screen("A commit is a snapshot");
    built.on_screen("A branch is a pointer that moves with each commit.");
    built.on_screen("A merge joins two histories.");
    // `Note:` runs to the slide's end and is said, never drawn; element and slide attributes are neither.
    built.said("Welcome. We start with the basics, e.g. commits and branches.");
    built.said("Say what a snapshot holds. Then show the log.");
    built.said("Draw the graph on the board.");
    built.not_on_screen(&["Welcome", "snapshot holds", "Draw the graph"]);
    built.nowhere(&[
        "Note:",
        "fragment",
        ".element",
        ".slide",
        "data-background",
        "revealOptions",
        "solarized",
        "----",
    ]);
    built.says_no_syntax();
}

#[test]
fn a_myst_lecture_builds_as_its_author_wrote_it() {
    let built = build("myst", &[], &[]);
    built.is_course(
        "parallel-speed-up.mp4",
        &[&["Amdahl's law"], &["Limits", "Limits (continued)"]],
    );
    // Admonitions are callouts; the figure is drawn with its caption and its SVG label; roles are text.
    built.on_screen("Note");
    built.on_screen("The serial part bounds the speed-up");
    built.on_screen("Theorem (Amdahl's bound)");
    built.on_screen("PROCESSORS");
    built.on_screen("Speed-up against processors.");
    built.on_screen("See Amdahl's law and the figure.");
    built.on_screen("def speedup(p, s):");
    built.on_screen("Exercise");
    built.on_screen("parallel amdahl1967");
    built.nowhere(&[
        "{note}",
        "{math}",
        ":label:",
        "eq-amdahl",
        "{cite}",
        "{ref}",
        "sec-amdahl",
        "import matplotlib",
        "for the authors",
        "+++",
        "{index}",
        "jupytext",
        "kernelspec",
        "\\frac",
        "$$",
    ]);
    built.said("the fraction with numerator 1");
    built.says_no_syntax();
}

#[test]
fn a_jupyter_notebook_builds_from_its_cells() {
    let built = build("notebook", &[], &[]);
    built.is_course("sampling.mp4", &[&["The law of large numbers"]]);
    built.on_screen("draws = np.random.rand(1000)");
    built.on_screen("The spread shrinks like");
    built.said("The sample mean");
    // Code tagged remove-input, outputs and the notebook's JSON are never shown.
    built.nowhere(&[
        "import numpy",
        "0.4987",
        "cell_type",
        "kernelspec",
        "execution_count",
    ]);
    built.says_no_syntax();
    assert!(
        built
            .stderr
            .contains("lecture.ipynb: read as myst (a Jupyter notebook's cells)"),
        "{}",
        built.stderr
    );
}

#[test]
fn a_jekyll_page_builds_as_its_author_wrote_it() {
    let built = build(
        "jekyll",
        &[("assets/buckets.png", plain_picture(500, 250, [200, 60, 60]))],
        &[
            "_posts/2024-02-01-hashing.md:22: 1 Liquid include is not read (vbuild does not run Jekyll); left out",
        ],
    );
    built.is_course(
        "hash-tables.mp4",
        &[
            &["What Hash Tables are for"],
            &["Collisions", "Collisions (continued)"],
            &["Resizing"],
        ],
    );
    built.on_screen("A hash table maps keys to values in constant time on average.");
    built.on_screen("table[\"key\"] = \"value\"");
    // A quote with a class after it (a course site's question box) is a callout titled by its heading.
    built.on_screen("Question: A full table");
    built.said("What happens to lookups when the load factor nears one?");
    // "e.g." does not end the sentence: it is one cue, said whole.
    built.said("Two keys can land in the same bucket, e.g. when the table is small.");
    built.said("alpha");
    built.nowhere(&[
        "Draft note",
        "{%",
        "{{",
        "TOC",
        "{:",
        "lead",
        "callout.html",
        "highlight",
        "permalink",
        "relative_url",
        "icon",
        "{: .question}",
    ]);
    built.says_no_syntax();
    // The code continues a slide alone: that slide is held silent rather than saying its title again.
    assert_eq!(
        built.subtitles.matches("Collisions").count(),
        1,
        "{}",
        built.subtitles
    );
}
