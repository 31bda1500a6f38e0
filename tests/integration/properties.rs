//! Property tests: random Videofiles, environment overrides, Markdown, targets, model answers and cache
//! entries go through parsing and planning. Nothing panics, and every rejection is a message.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use vbuild::cache::Store;
use vbuild::config::layers::{Overrides, Variable};
use vbuild::config::{Split, Videofile};
use vbuild::graph::node::{ChapterId, NodeKind};
use vbuild::graph::plan::Plan;
use vbuild::graph::target::Target;
use vbuild::lecture::dialect::Dialect;
use vbuild::lecture::markdown::{Block, escape, plain};
use vbuild::lecture::{ChapterSource, How, split_chapters};
use vbuild::providers::outline::{OutlineSettings, write_script};
use vbuild::sys::digest::Digest;

/// Lines a Videofile is made of: real sections and keys with values of every type, and noise.
fn videofile_line() -> impl Strategy<Value = String> {
    let sections = prop::sample::select(vec![
        "[course]",
        "[video]",
        "[script]",
        "[speech]",
        "[images]",
        "[cache]",
        "[prices.openai]",
        "[providers.openai]",
        "[profile.draft.video]",
        "[[course]]",
    ]);
    let keys = prop::sample::select(vec![
        "title",
        "sources",
        "split",
        "output",
        "resolution",
        "fps",
        "subtitles",
        "provider",
        "max_slides",
        "max_bullets",
        "words_per_slide",
        "voice",
        "rate",
        "theme",
        "api",
        "api_key_env",
        "base_url",
        "remote",
        "timeout",
        "shard_wait",
        "max_blob_size",
        "token_env",
        "concurrency",
        "per_million_input_tokens",
    ]);
    let values = prop::sample::select(vec![
        "\"T\"",
        "[\"lecture.md\"]",
        "[\"*.md\", \"../x\"]",
        "\"h1\"",
        "\"file\"",
        "\"/etc\"",
        "\"..\"",
        "\"1920x1080\"",
        "\"0x0\"",
        "\"99999x2\"",
        "0",
        "-1",
        "7",
        "10",
        "4294967296",
        "1e309",
        "nan",
        "\"openai\"",
        "\"outline\"",
        "\"s3://b/p\"",
        "\"http://u:p@h/x\"",
        "\"10m\"",
        "\"-5s\"",
        "\"2G\"",
        "\"é\"",
        "true",
        "{}",
        "[]",
        "\"",
    ]);
    prop_oneof![
        4 => sections.prop_map(str::to_string),
        8 => (keys, values).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => "\\PC{0,40}",
    ]
}

/// A Videofile that parses far enough to reach validation, with random lines added.
fn videofile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(videofile_line(), 0..24).prop_map(|lines| {
        format!(
            "[course]\ntitle = \"Course\"\nsources = [\"lecture.md\"]\n{}\n",
            lines.join("\n")
        )
    })
}

/// Markdown made of the constructs lectures use, in random order and nesting.
fn markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "#{1,6} \\PC{0,30}",
        "\\PC{0,80}",
        "(- |\\* |1\\. |  - ){1,3}\\PC{0,30}",
        "```[a-z]{0,6}\n\\PC{0,60}\n```",
        "```\n\\PC{0,30}",
        "\\| a \\| b \\|\n\\|---\\|---\\|\n\\| \\PC{0,10} \\| \\PC{0,10} \\|",
        "> \\PC{0,40}",
        "!\\[\\PC{0,20}\\]\\([a-z./]{0,20}\\)",
        "\\[\\PC{0,10}\\]\\(http://x\\)",
        "<[a-z]{1,5}>\\PC{0,20}</[a-z]{1,5}>",
        "[ \t]{0,4}",
    ];
    prop::collection::vec(piece, 0..30).prop_map(|pieces| pieces.join("\n\n"))
}

/// Pieces of other tools' syntax (front matter, breaks, notes, directives, roles, Liquid, HTML, math),
/// mixed at random with plain Markdown.
fn foreign_markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        r#"---\n[a-zA-Z]{1,8}: \PC{0,20}\n---"#,
        r#"\+\+\+\n[a-z]{1,8} = "\PC{0,10}"\n\+\+\+"#,
        r#"---|--|----|\?\?\?|Note: \PC{0,20}"#,
        r#"<!-- \PC{0,30} -->"#,
        r#"<!--\n\PC{0,30}\n-->"#,
        r#"(```|:::|````)\{[a-z:-]{1,12}\} \PC{0,15}\n(:[a-z]{1,6}: \PC{0,10}\n)?\PC{0,30}\n(```|:::|````)"#,
        r#"\{[a-z:]{1,8}\}`\PC{0,12}`"#,
        r#"\([a-z-]{1,10}\)="#,
        r#"\{% [a-z]{1,10} \PC{0,10}%\}|\{\{ \PC{0,10} \}\}|\{: \.[a-z]{1,8}\}"#,
        r#"\.[a-z-]{1,10}\[\PC{0,20}\]?"#,
        r#"\$\PC{0,20}\$|\$\$\n\PC{0,30}\n\$\$|\\\(\PC{0,10}\\\)"#,
        r#"!\[(bg|w:\d{1,3}|left:\d{1,2}%|\PC{0,10})( [a-z:%0-9]{0,8})?\]\([a-z./]{0,12}\)"#,
        r#"<[a-zA-Z-]{1,10}( [a-z]{1,5}="\PC{0,6}")?/?>\PC{0,10}(</[a-z]{1,5}>)?"#,
        r#"::[a-z]{1,6}::|<<< @/[a-z./#]{0,12}|\[click(:\d)?\] \PC{0,10}"#,
        r#"> \[![A-Za-z_]{1,8}\] \PC{0,15}\n> \PC{0,20}"#,
        r#"\PC{0,60}"#,
        r#"#{1,6} \PC{0,30}"#,
    ];
    prop::collection::vec(piece, 0..25).prop_map(|pieces| pieces.join("\n\n"))
}

fn chapter_sources(markdown: &str, split: Split) -> Vec<ChapterSource> {
    split_chapters(markdown, How::document(split), "Fallback")
        .into_iter()
        .enumerate()
        .map(|(index, (chapter, text))| ChapterSource {
            number: index + 1,
            id: format!("{:02}-{}", index + 1, vbuild::lecture::slug(&chapter.title)),
            chapter,
            markdown: text,
            language: "en".into(),
            dialect: vbuild::lecture::dialect::Dialect::Markdown,
            split,
            included: Vec::new(),
            translations: Default::default(),
        })
        .collect()
}

/// The characters blocks show (not counting white space, headings, or a table's repeated header), in order.
fn ink(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut add = |text: &str| out.extend(plain(text).chars().filter(|c| !c.is_whitespace()));
    for block in blocks {
        match block {
            Block::Heading { .. }
            | Block::Notes { .. }
            | Block::Directive { .. }
            | Block::Break => {}
            Block::Paragraph { text }
            | Block::Quote { text, .. }
            | Block::Footnote { text, .. } => add(text),
            Block::List { items } => items.iter().for_each(|i| add(&i.text)),
            Block::Code { text, .. } => add(&escape(text)),
            Block::Table { rows, .. } => rows.iter().flatten().for_each(|cell| add(cell)),
            Block::Image { src, alt, .. } => {
                add(&escape(src));
                add(&escape(alt));
            }
            Block::Math { tex } => add(&escape(tex)),
            Block::Callout { title, text, .. } => {
                add(title);
                add(text);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_videofile_is_accepted_or_rejected_with_a_located_message(text in videofile_text()) {
        if let Err(err) = Videofile::parse(Path::new("p/Videofile"), &text, &Overrides::default()) {
            let message = err.to_string();
            prop_assert!(!message.trim().is_empty());
            prop_assert!(message.starts_with("p/Videofile"), "{}", message);
        }
    }

    #[test]
    fn any_text_as_a_videofile_never_panics(text in "\\PC{0,300}") {
        if let Err(err) = Videofile::parse(Path::new("Videofile"), &text, &Overrides::default()) {
            prop_assert!(!err.to_string().trim().is_empty());
        }
    }

    #[test]
    fn any_environment_and_flags_are_settings_or_messages(
        variables in prop::collection::vec(("VBUILD_[A-Z_]{0,20}", "\\PC{0,12}"), 0..6),
        flags in prop::collection::vec("[a-z_.]{0,16}=\\PC{0,8}", 0..3),
        profile in prop::option::of("[a-z]{0,6}"),
    ) {
        let overrides = Overrides {
            profile,
            environment: variables
                .into_iter()
                .map(|(name, value)| Variable { name, value, from_dotenv: false })
                .collect(),
            flags,
        };
        let text = "[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n[profile.draft.video]\nfps = 5\n";
        if let Err(err) = Videofile::parse(Path::new("Videofile"), text, &overrides) {
            prop_assert!(!err.to_string().trim().is_empty());
        }
    }

    #[test]
    fn any_tools_markdown_is_rewritten_line_for_line_and_becomes_slides(
        text in foreign_markdown(),
        dialect in prop::sample::select(vec![
            None,
            Some(Dialect::Markdown),
            Some(Dialect::Marp),
            Some(Dialect::Slidev),
            Some(Dialect::Remark),
            Some(Dialect::Reveal),
            Some(Dialect::Myst),
            Some(Dialect::Jekyll),
        ]),
    ) {
        let prepared = vbuild::lecture::dialect::prepare(&text, dialect);
        // Every line number a message gives is the author's.
        prop_assert_eq!(prepared.markdown.matches('\n').count(), text.matches('\n').count());
        for (line, _) in &prepared.warnings {
            prop_assert!(*line >= 1 && *line <= text.matches('\n').count() + 1);
        }
        let how = How {
            split: Split::File,
            deck: prepared.dialect.is_deck(),
            heading_breaks: prepared.heading_breaks,
        };
        let settings = OutlineSettings { max_slides: 8, max_bullets: 5, words_per_slide: 60 };
        for (chapter, _) in split_chapters(&prepared.markdown, how, "Fallback") {
            let script = write_script(&chapter, "01", settings);
            prop_assert!(!script.slides.is_empty());
        }
    }

    #[test]
    fn any_markdown_becomes_chapters_scripts_and_a_plan(
        text in markdown(),
        split in prop::sample::select(vec![Split::H1, Split::H2, Split::File]),
        max_slides in 1usize..6,
        max_bullets in 1usize..6,
        words_per_slide in 10usize..60,
        targets in prop::collection::vec("[a-z:/0-9-]{0,16}", 0..4),
    ) {
        let chapters = chapter_sources(&text, split);
        let settings = OutlineSettings { max_slides, max_bullets, words_per_slide };
        let mut plan = Plan::new(chapters.iter().map(|c| c.id.clone()).collect(), vec!["en".into()], false);
        for (index, source) in chapters.iter().enumerate() {
            let script = write_script(&source.chapter, "01", settings);
            prop_assert!(!script.slides.is_empty());
            // Pagination drops nothing: every character the chapter shows is on a slide, in order.
            let shown: Vec<Block> = script.slides.iter().flat_map(|s| s.content.clone()).collect();
            prop_assert_eq!(ink(&shown), ink(&source.chapter.blocks));
            for slide in &script.slides {
                let items: usize = slide.content.iter().map(|b| match b {
                    Block::List { items } => items.iter().filter(|i| i.depth == 0).count(),
                    _ => 0,
                }).sum();
                prop_assert!(items <= max_bullets);
                // No ellipsis but the author's own.
                prop_assert!(!slide.speaker_notes.contains('…') || text.contains('…'));
            }
            plan.expand(ChapterId::source(index), script.slides.len());
        }
        for node in plan.graph.node_indices() {
            prop_assert!(!plan.name(node).is_empty());
        }
        for text in targets {
            match Target::parse(&text, &chapters) {
                Ok(target) => { let _ = plan.needed(&vbuild::graph::target::Targets::new(vec![target])); }
                Err(err) => prop_assert!(!err.to_string().trim().is_empty()),
            }
        }
    }

    #[test]
    fn any_model_answer_is_a_script_or_a_list_of_errors(answer in "\\PC{0,200}", slides in 1usize..5) {
        if let Err(errors) = vbuild::lecture::script::validate(&answer, vbuild::lecture::script::Limits::of_model(slides, 3)) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| !e.trim().is_empty()));
        }
    }

    /// Answers shaped like scripts, within the limits or just outside them (empty titles and narrations,
    /// repeated ids, too many slides or bullets, negative durations), in or out of a code fence: the
    /// validator accepts exactly those a script's rules allow, and keeps them as they were written.
    #[test]
    fn a_script_shaped_answer_is_accepted_exactly_when_it_keeps_the_rules(
        slides in prop::collection::vec(
            (
                prop::sample::select(vec!["01-01", "01-02", "01-03", "01-04"]),
                prop_oneof![1 => Just(String::new()), 1 => Just(" ".to_string()), 8 => "[a-zA-Z\\PC]{1,12}"],
                prop::collection::vec("\\PC{0,12}", 0..5),
                prop_oneof![1 => Just(String::new()), 8 => "[a-z]\\PC{0,30}"],
                prop_oneof![8 => 0.0f64..60.0, 1 => -5.0f64..0.0],
            ),
            0..6,
        ),
        max_slides in 1usize..5,
        fenced in any::<bool>(),
    ) {
        let written: Vec<serde_json::Value> = slides
            .iter()
            .map(|(id, title, bullets, notes, seconds)| serde_json::json!({
                "id": id, "title": title, "bullets": bullets, "visual_prompt": "",
                "estimated_duration_sec": seconds, "speaker_notes": notes,
            }))
            .collect();
        let json = serde_json::json!({ "slides": written }).to_string();
        let answer = if fenced { format!("```json\n{json}\n```") } else { json };
        let mut ids = std::collections::BTreeSet::new();
        let keeps_the_rules = !slides.is_empty()
            && slides.len() <= max_slides
            && slides.iter().all(|(id, title, bullets, notes, seconds)| {
                ids.insert(*id)
                    && !title.trim().is_empty()
                    && !notes.trim().is_empty()
                    && bullets.len() <= 3
                    && *seconds >= 0.0
            });
        let limits = vbuild::lecture::script::Limits::of_model(max_slides, 3);
        match vbuild::lecture::script::validate(&answer, limits) {
            Ok(script) => {
                prop_assert!(keeps_the_rules, "accepted against the rules: {answer}");
                let kept: Vec<(String, String, Vec<String>, String)> = script
                    .slides
                    .into_iter()
                    .map(|s| (s.id, s.title, s.bullets, s.speaker_notes))
                    .collect();
                let asked: Vec<(String, String, Vec<String>, String)> = slides
                    .iter()
                    .map(|(id, t, b, n, _)| (id.to_string(), t.clone(), b.clone(), n.clone()))
                    .collect();
                prop_assert_eq!(kept, asked);
            }
            Err(errors) => {
                prop_assert!(!keeps_the_rules, "refused within the rules: {errors:?}\n{answer}");
                prop_assert!(errors.iter().all(|e| !e.trim().is_empty()));
            }
        }
    }

    #[test]
    fn any_action_entry_is_used_only_when_it_fits_its_kind(
        hashes in prop::collection::vec(
            prop_oneof![
                Just(Digest::of(b"present").to_string()),
                "[0-9a-f]{64}",
                "\\PC{0,70}",
                "(\\.\\./){1,4}[a-z]{1,8}",
            ],
            0..4,
        ),
        names in prop::collection::vec(prop::sample::select(vec!["chapter", "script", "speech", "video", "x"]), 0..4),
        bytes in prop_oneof![Just(7u64), any::<u64>()],
        kind in prop::sample::select(NodeKind::all().collect::<Vec<_>>()),
        key_text in prop_oneof![Just(String::new()), "\\PC{0,70}"],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let mut file = store.scratch_file().unwrap();
        std::io::Write::write_all(&mut file, b"present").unwrap();
        let (_, path) = file.keep().unwrap();
        store.put_file(&path).unwrap();
        let key = Digest::of(b"key");
        let outputs: BTreeMap<&str, &String> = names.iter().copied().zip(hashes.iter()).collect();
        let entry = serde_json::json!({
            "key": if key_text.is_empty() { key.to_string() } else { key_text },
            "node": format!("{}:01-x", kind.name()),
            "outputs": outputs,
            "meta": {}, "seconds": 0.0, "bytes": bytes, "signature": [],
        });
        let file = dir.path().join(".vbuild/actions").join(key.shard()).join(format!("{key}.json"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, entry.to_string()).unwrap();
        if let Some(found) = store.action(&key, kind) {
            prop_assert_eq!(found.outputs.len(), kind.outputs().len());
            for hash in found.outputs.values() {
                prop_assert!(store.blob_path(hash).starts_with(dir.path().join(".vbuild/cas")));
            }
        }
        let verified = vbuild::cache::verify::verify(&dir.path().join(".vbuild"), true).unwrap();
        prop_assert!(verified.problems.iter().all(|p| !p.what.is_empty()));
    }
}
