//! A project: a Videofile and its lecture, and the build of it from start (lock, tools) to end (outputs,
//! report).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cache::Store;
use crate::cache::remote::{Backend, Limits as RemoteLimits, Remote};
use crate::config::layers::{self, Overrides};
use crate::config::{ConfigError, Videofile};
use crate::engine::progress::Progress;
use crate::engine::seal;
use crate::engine::{self, Options, Outcome, State};
use crate::error::Error;
use crate::graph::node::{Address, Edition, NodeKind};
use crate::graph::target::{Target, TargetError};
use crate::lecture::{self, ChapterSource, Given, Images};
use crate::outputs;
use crate::providers::probes::Probes;
use crate::providers::{Clients, llm, piper};
use crate::record::cost::Usage;
use crate::record::history;
use crate::record::last_keys::LastKeys;
use crate::record::report::Ending;
use crate::record::report::{Pricing, Report};
use crate::steps::{Context, StepError, Tools};
use crate::sys::digest::Digest;
use crate::sys::files;
use crate::sys::secrets;

/// What the command line and the process bring to a project's configuration.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--set SECTION.KEY=VALUE` flags.
    pub flags: Vec<String>,
    /// The process environment.
    pub environment: BTreeMap<String, String>,
    /// Use no profile unless `profile` names one, whatever `VBUILD_PROFILE` says.
    pub ignore_profile_variable: bool,
}

/// Reads a `.env` file (KEY=VALUE lines) if there is one.
fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let malformed = |message: String| {
        Error::Config(ConfigError::DotEnv {
            path: path.to_path_buf(),
            message,
        })
    };
    let text = match files::read(path, files::SETTINGS_BYTES) {
        Ok(text) => text,
        Err(files::FileError::Missing) => return Ok(BTreeMap::new()),
        Err(err) => return Err(malformed(err.to_string())),
    };
    dotenvy::from_read_iter(text.as_slice())
        .map(|item| item.map_err(|e| malformed(e.to_string())))
        .collect()
}

/// A loaded project.
pub struct Project {
    pub videofile: Videofile,
    pub chapters: Vec<ChapterSource>,
    /// The local images the lecture shows, by the path their blocks name.
    pub images: Images,
    /// The script prompt template: the Videofile's `[script] prompt` file, or the built-in one.
    pub script_template: String,
    /// The course's title by language, as its author translated it.
    pub titles: BTreeMap<String, String>,
    /// The process environment over `.env`, where provider keys are read from (never logged or stored).
    environment: BTreeMap<String, String>,
    /// What the programs said of themselves and which pictures decode, as remembered and found at load.
    probes: Probes,
}

/// A finished build: the graph with every node's state, and the report written for it.
pub struct Build {
    /// The graph walked, with every node's state; `None` when the seal of the last build told that
    /// everything is done (never in a dry run, a `-B` build or a build of some targets).
    pub outcome: Option<Outcome>,
    pub report: Report,
}

impl Build {
    /// The graph walked: dry runs always walk it.
    pub fn walked(&self) -> &Outcome {
        self.outcome
            .as_ref()
            .expect("dry runs and builds of some targets walk the graph")
    }
}

impl Project {
    /// Reads and validates the Videofile (with the layers `invocation` brings) and its sources.
    pub fn load(videofile: &Path, invocation: &Invocation) -> Result<Project, Error> {
        let project_dir = crate::config::project_dir_of(videofile);
        let dotenv = read_dotenv(&project_dir.join(".env"))?;
        let (environment, profile) = layers::from_environment(&invocation.environment, &dotenv);
        let profile = profile.filter(|_| !invocation.ignore_profile_variable);
        let overrides = Overrides {
            profile: invocation.profile.clone().or(profile),
            environment,
            flags: invocation.flags.clone(),
        };
        let mut videofile = Videofile::load(videofile, &overrides)?;
        let script_template = match &videofile.script.prompt {
            Some(file) => files::read_text(file, files::PROMPT_BYTES).map_err(|err| {
                ConfigError::PromptTemplate {
                    path: file.clone(),
                    source: err.into(),
                }
            })?,
            None => llm::DEFAULT_TEMPLATE.to_string(),
        };
        let mut environment = dotenv;
        environment.extend(invocation.environment.clone());
        for line in videofile.settings_that_do_nothing() {
            log::warn!("{line}");
        }
        // What was found out while loading (the pictures that decode) is remembered by the next build that
        // writes (a dry run writes nothing).
        let mut probes = Probes::load(&videofile.cache_dir(), false);
        let lecture = lecture::load(&videofile, &mut probes)?;
        if let Some(err) = untranslated(&videofile, &lecture.chapters) {
            return Err(Error::Config(err));
        }
        if videofile.course.title.is_empty() {
            // The Videofile's title wins; without one, the lecture's own title is the course's title.
            let (title, from) = lecture.title.clone().ok_or_else(|| ConfigError::NoTitle {
                path: videofile.path.clone(),
            })?;
            videofile.course.title = title;
            videofile
                .origins
                .insert("course.title".into(), layers::Origin::Lecture { from });
        }
        Ok(Project {
            videofile,
            chapters: lecture.chapters,
            images: lecture.images,
            titles: lecture.titles,
            script_template,
            environment,
            probes,
        })
    }

    /// The remote cache of the Videofile's `[cache]`, with its credentials from the environment.
    pub fn remote(&self) -> Result<Option<Remote>, Error> {
        let cache = &self.videofile.cache;
        let Some(url) = &cache.remote else {
            return Ok(None);
        };
        // Tokens and credentials are registered as secrets as they are read, so no message shows them.
        let variable = |name: &str| -> Result<String, Error> {
            let value = self.environment.get(name).cloned().ok_or_else(|| {
                Error::Config(ConfigError::MissingVariable {
                    path: self.videofile.path.clone(),
                    section: "cache".into(),
                    variable: name.to_string(),
                })
            })?;
            secrets::register(&value);
            Ok(value)
        };
        let backend = match url.strip_prefix("s3://") {
            None => Backend::Http {
                base: url.trim_end_matches('/').to_string(),
                token: cache.token_env.as_deref().map(variable).transpose()?,
            },
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let endpoint = cache
                    .s3_endpoint
                    .clone()
                    .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", cache.s3_region));
                let bad = |message: String| {
                    Error::Config(ConfigError::Setting {
                        path: self.videofile.path.clone(),
                        message,
                    })
                };
                let endpoint = url::Url::parse(&endpoint)
                    .map_err(|e| bad(format!("[cache] s3_endpoint: {e}")))?;
                let style = if cache.s3_path_style {
                    rusty_s3::UrlStyle::Path
                } else {
                    rusty_s3::UrlStyle::VirtualHost
                };
                let bucket = rusty_s3::Bucket::new(
                    endpoint,
                    style,
                    bucket.to_string(),
                    cache.s3_region.clone(),
                )
                .map_err(|e| bad(format!("[cache] remote {url}: {e}")))?;
                let prefix = if prefix.is_empty() || prefix.ends_with('/') {
                    prefix.to_string()
                } else {
                    format!("{prefix}/")
                };
                Backend::S3 {
                    bucket,
                    credentials: rusty_s3::Credentials::new(
                        variable(&cache.access_key_env)?,
                        variable(&cache.secret_key_env)?,
                    ),
                    prefix,
                }
            }
        };
        let limits = RemoteLimits {
            timeout: cache.timeout,
            max_blob_bytes: cache.max_blob_bytes,
        };
        Ok(Some(Remote::new(backend, limits)))
    }

    /// Parses command-line targets against this course's chapters, in the editions of `languages` (every
    /// edition when it is empty). A target whose word carries a language (`script@fr:2`, `video@fr`) is of
    /// that edition alone, a language on its own (`fr`) is that edition's course, and an output file is the
    /// node that makes it.
    pub fn targets(&self, texts: &[String], languages: &[String]) -> Result<Vec<Target>, Error> {
        let selected: Vec<Edition> = if languages.is_empty() {
            Edition::all(self.videofile.course.languages.len()).collect()
        } else {
            (languages.iter())
                .map(|l| self.edition(l, &format!("--language {l}")))
                .collect::<Result<_, _>>()?
        };
        let in_editions = |target: Target, editions: &[Edition]| {
            let languages = &self.videofile.course.languages;
            (editions.iter())
                .map(|&e| target.in_edition(e, &languages[e.0]))
                .collect::<Vec<_>>()
        };
        if texts.is_empty() && !languages.is_empty() {
            return Ok(in_editions(Target::course(), &selected));
        }
        let files = outputs::layout(&self.videofile, &self.chapters);
        let by_path = outputs::FilesByPath::new(&files, &self.videofile.project_dir);
        let mut targets = Vec::new();
        for text in texts {
            // An output file names the node that makes it: `vbuild out/fr/chapters/02-x.srt`.
            if let Some(file) = by_path.get(text) {
                targets.push(Target {
                    kinds: vec![file.kind],
                    at: file.at,
                    text: text.clone(),
                });
                continue;
            }
            if let Ok(edition) = self.edition(text, text) {
                targets.extend(in_editions(Target::course(), &[edition]));
                continue;
            }
            let (word, rest) = match text.split_once(':') {
                Some((word, rest)) => (word, Some(rest)),
                None => (text.as_str(), None),
            };
            match word.split_once('@') {
                Some((kind, language)) => {
                    let edition = self.edition(language, text)?;
                    let plain = match rest {
                        Some(rest) => format!("{kind}:{rest}"),
                        None => kind.to_string(),
                    };
                    targets.extend(in_editions(self.target(&plain, &files)?, &[edition]));
                }
                None => targets.extend(in_editions(self.target(text, &files)?, &selected)),
            }
        }
        Ok(targets)
    }

    /// How the translation node `node` (`translation@fr:01-intro`) has its chapter when no model translates
    /// it: `as its author translated it in lecture.fr.md`, or `as written: it is in fr already`.
    pub fn authored_translation(&self, node: &str) -> Option<String> {
        let (word, chapter) = node.split_once(':')?;
        let (_, language) = word.split_once('@')?;
        let source = self.chapters.iter().find(|c| c.id == chapter)?;
        Some(match source.given_in(language)? {
            Given::ByAuthor(translated) => {
                format!("as its author translated it in {}", translated.file)
            }
            Given::AsWritten => format!("as written: it is in {language} already"),
        })
    }

    /// The edition in `language`, or an error for `target` naming the languages there are.
    fn edition(&self, language: &str, target: &str) -> Result<Edition, Error> {
        let languages = &self.videofile.course.languages;
        (languages.iter())
            .position(|l| l.eq_ignore_ascii_case(language))
            .map(Edition)
            .ok_or_else(|| {
                Error::Target(TargetError::new(
                    target,
                    format!(
                        "the course is built in {}, not in {language:?}; [course] languages lists them",
                        languages.join(", ")
                    ),
                ))
            })
    }

    /// Parses one command-line target that is no output file (of the course's `files`), in the sources'
    /// edition.
    fn target(&self, t: &str, files: &[outputs::OutputFile]) -> Result<Target, Error> {
        let pictures = self
            .videofile
            .providers
            .contains_key(&self.videofile.images.provider);
        if t.contains('/') && !t.contains(':') {
            let video = (files.iter())
                .find(|f| f.kind == NodeKind::CourseVideo)
                .map(|f| {
                    f.path
                        .strip_prefix(&self.videofile.project_dir)
                        .unwrap_or(&f.path)
                });
            return Err(Error::Target(TargetError::new(
                t,
                format!(
                    "no file vbuild writes is called that; the course video is {}",
                    video.map(|v| v.display().to_string()).unwrap_or_default()
                ),
            )));
        }
        let target = Target::parse(t, &self.chapters)?;
        if target.kinds.contains(&NodeKind::Picture) && !pictures {
            return Err(Error::Target(TargetError::new(
                t,
                "this course draws no pictures: picture targets need a cloud [images] provider; image:CHAPTER builds the slides".into(),
            )));
        }
        let translated = [NodeKind::Translation, NodeKind::CourseTitle];
        if target.kinds.iter().any(|k| translated.contains(k))
            && self.videofile.course.languages.len() < 2
        {
            return Err(Error::Target(TargetError::new(
                t,
                "this course is built in one language: translation and title targets need [course] languages"
                    .into(),
            )));
        }
        Ok(target)
    }

    /// The project's cache, created (and its folders repaired) if `writing`, else only looked at.
    pub fn store(&self, writing: bool) -> Result<Store, Error> {
        let root = self.videofile.cache_dir();
        if writing {
            Ok(Store::open(&root)?)
        } else {
            Ok(Store::view(&root)?)
        }
    }

    /// The keys of every node a full build of the course needs now: those the cache has and those that
    /// would run (what gc keeps).
    pub fn needed_keys(&self) -> Result<BTreeSet<Digest>, Error> {
        let options = Options {
            jobs: 1,
            dry_run: true,
            keep_going: true,
            targets: Vec::new(),
            shard: None,
            always: false,
            slide_pictures: false,
        };
        let built = self.build(&options, &Progress::hidden())?;
        Ok(built
            .walked()
            .states
            .iter()
            .filter_map(|state| match state {
                State::Done { entry, .. } => Some(entry.key.clone()),
                State::WouldRun { key, .. } => key.clone(),
                _ => None,
            })
            .collect())
    }

    /// The languages the course speaks: its own, its chapters' and its translations'.
    pub fn languages(&self) -> BTreeSet<String> {
        self.chapters
            .iter()
            .map(|c| c.language.clone())
            .chain(self.videofile.course.languages.iter().cloned())
            .collect()
    }

    /// The programs and voices the course's speech needs, found (an error names what is missing); what
    /// they said is remembered in `probes`.
    pub fn tools(&self, probes: &mut Probes) -> Result<Tools, StepError> {
        let piper_variable = self.environment.get(piper::VARIABLE).map(String::as_str);
        Tools::detect(&self.videofile, &self.languages(), piper_variable, probes)
    }

    /// True when the environment (the process's, then `.env`) sets `variable`; its value is never shown.
    pub fn is_set(&self, variable: &str) -> bool {
        self.environment
            .get(variable)
            .is_some_and(|v| !v.is_empty())
    }

    /// Builds the course (or, with `dry_run`, finds what would run without writing anything).
    pub fn build(&self, options: &Options, progress: &Progress) -> Result<Build, Error> {
        let started = std::time::Instant::now();
        // What the configuration needs (keys, programs, a remote) is checked before the cache is touched.
        // Keys are needed only to spend: a dry run calls no provider.
        let variable = |name: &str| self.environment.get(name).cloned();
        let clients = Clients::connect(&self.videofile, &variable, !options.dry_run)?;
        // What the programs said of themselves is remembered (a build that runs nothing starts none); a dry
        // run only reads what is remembered.
        let mut probes = self.probes.remembering(!options.dry_run);
        let tools = self.tools(&mut probes)?;
        if !options.dry_run {
            tools.load_voices(&mut probes)?;
        }
        let remote = self.remote()?;
        if options.shard.is_some() && remote.is_none() {
            return Err(Error::Config(ConfigError::ShardWithoutRemote {
                path: self.videofile.path.clone(),
            }));
        }
        outputs::check_folders(&self.videofile)?;
        let store = self.store(!options.dry_run)?;
        // A dry run only reads (every write is atomic), so it may look while another build runs.
        let _lock = if options.dry_run {
            None
        } else {
            let lock = store.lock()?;
            store.clear_scratch()?;
            Some(lock)
        };
        probes.save();
        let ctx = Context {
            videofile: &self.videofile,
            chapters: &self.chapters,
            images: &self.images,
            tools: &tools,
            clients: &clients,
            script_template: &self.script_template,
            titles: &self.titles,
        };
        // A build of the whole course that may find everything done asks the seal of the last one first (a
        // build that writes the slide pictures walks the graph: the seal does not know them).
        let sealable = !options.dry_run
            && !options.always
            && !options.slide_pictures
            && options.targets.is_empty()
            && options.shard.is_none();
        let inputs = sealable.then(|| seal::inputs(&ctx));
        if let Some(inputs) = &inputs
            && let Some(sealed) = seal::holds(&store, inputs)
        {
            log::debug!(
                "the seal of build {} holds: everything is done, no graph to walk",
                sealed.id
            );
            progress.finish();
            let mut report = sealed.again(started.elapsed().as_secs_f64());
            history::record(store.root(), &mut report, self.videofile.cache.reports)?;
            return Ok(Build {
                outcome: None,
                report,
            });
        }
        let mut last_keys = LastKeys::load(store.root());
        let outcome = engine::build(&ctx, &store, remote.as_ref(), &last_keys, options, progress);
        store.release_lookups();
        progress.finish();
        let beyond = self.slide_beyond(options, &outcome);
        if !options.dry_run {
            // Every job has ended: their scratch files (a stopped job's among them) can go.
            store.clear_scratch()?;
        }
        // The outputs are written before the report is made: the course video's sample tables and the
        // report's node list are not held at once.
        let materialised = (!options.dry_run).then(|| {
            // Only a good build of the whole course may remove the outputs of chapters that no longer exist.
            let whole_course = options.targets.is_empty() && options.shard.is_none();
            let prune = whole_course && outcome.succeeded();
            let slides = options.slide_pictures
                || (options.targets.iter()).any(|t| t.kinds.contains(&NodeKind::Image));
            outputs::materialise(
                &self.videofile,
                &self.chapters,
                &outcome,
                &store,
                prune,
                slides,
            )
        });
        let targets: Vec<String> = options.targets.iter().map(|t| t.to_string()).collect();
        let mut report = Report::new(&outcome, &targets, options.dry_run, &self.videofile);
        if let Some(materialised) = materialised {
            let written = match materialised {
                Ok(written) => written,
                Err(err) => {
                    // The report still says what ran (and was paid for) before the outputs failed.
                    report.fail(err.to_string());
                    history::record(store.root(), &mut report, self.videofile.cache.reports)?;
                    return Err(err.into());
                }
            };
            // Paths in the report are relative to the project folder.
            let relative = |p: &Path| {
                p.strip_prefix(&self.videofile.project_dir)
                    .unwrap_or(p)
                    .to_path_buf()
            };
            report.outputs = written.iter().map(|p| relative(p)).collect();
            // The course video of the first language built (the sources', unless a build asked for others).
            let built = Edition::all(self.videofile.course.languages.len())
                .find(|&e| (outcome.entry_of(NodeKind::CourseVideo, Address::Course(e))).is_some());
            if let Some(edition) = built {
                let video = outputs::edition_base(&self.videofile, edition).with_extension("mp4");
                report.course_video = Some(relative(&video));
            }
            history::record(store.root(), &mut report, self.videofile.cache.reports)?;
            for node in outcome.plan.graph.node_indices() {
                if let Some(entry) = outcome.entry(node) {
                    last_keys.record(&outcome.plan.name(node), &entry.key);
                }
            }
            last_keys.save(store.root())?;
            let counts = &report.counts;
            let found_all_done =
                report.ending() == Ending::Ok && counts.ran + counts.failed + counts.skipped == 0;
            if let (Some(inputs), true) = (&inputs, found_all_done) {
                let keys: Vec<&Digest> = (outcome.plan.graph.node_indices())
                    .filter_map(|node| outcome.entry(node))
                    .map(|entry| &entry.key)
                    .collect();
                report
                    .without_nodes(|small| seal::write(&store, inputs, &keys, &written, small))?;
            } else {
                seal::break_seal(&store)?;
            }
        }
        if let Some(err) = beyond {
            return Err(err.into());
        }
        Ok(Build {
            outcome: Some(outcome),
            report,
        })
    }

    /// A slide target beyond its chapter's slides (known once its script is): an error, said once the rest of
    /// the build is done and recorded.
    fn slide_beyond(&self, options: &Options, outcome: &Outcome) -> Option<TargetError> {
        options.targets.iter().find_map(|target| {
        let Address::Slide(slide) = target.at else {
            return None;
        };
        let slides = outcome.plan.slide_count(slide.chapter);
        (slides > 0 && slide.slide >= slides).then(|| {
            let word = target.text.split(':').next().unwrap_or("audio");
            let number = self.chapters[slide.chapter.index].number;
            TargetError::new(
                &target.text,
                format!(
                    "chapter {} has {slides} slide{}, so there is no slide {}; ask for {word}:{number}/1{}",
                    self.chapters[slide.chapter.index].id,
                    if slides == 1 { "" } else { "s" },
                    slide.slide + 1,
                    if slides == 1 { String::new() } else { format!(" to {word}:{number}/{slides}") }
                ),
            )
        })
    })
    }

    /// Removes the files builds wrote to the output folder; the cache stays, so the next build restores them
    /// without running anything. With `dry_run`, removes nothing. Returns the files removed (or that would be).
    pub fn clean(&self, dry_run: bool) -> Result<Vec<std::path::PathBuf>, Error> {
        let store = self.store(!dry_run)?;
        let _lock = if dry_run { None } else { Some(store.lock()?) };
        Ok(outputs::clean(&self.videofile, &store, dry_run)?)
    }
}

/// The error of a course with a chapter to translate and no translator: a chapter its author did not
/// translate into one of the course's languages, while `[translate] provider` is `none`.
fn untranslated(videofile: &Videofile, chapters: &[ChapterSource]) -> Option<ConfigError> {
    if videofile.translate.provider != "none" {
        return None;
    }
    let languages = &videofile.course.languages;
    let (chapter, language) = languages[1..].iter().find_map(|language| {
        (chapters.iter())
            .find(|c| c.given_in(language).is_none())
            .map(|c| (c, language))
    })?;
    Some(ConfigError::Setting {
        path: videofile.path.clone(),
        message: format!(
            "[course] languages lists {}, and chapter {} has no translation into {language} by its author \
             (a file such as lecture.{language}.md beside its source): [translate] provider must name a \
             [providers.NAME] chat provider (OpenAI, or a local Ollama or vLLM through api = \"openai\") to \
             translate it",
            languages.join(", "),
            chapter.id
        ),
    })
}

impl Pricing for Videofile {
    fn currency(&self) -> String {
        self.course.currency.clone()
    }

    fn provider(&self, kind: NodeKind) -> Option<String> {
        kind.info()
            .provider
            .map(|section| self.provider_of(section).to_string())
    }

    /// The Videofile's `[prices.NAME]` for the node's provider, else the built-in price of its API and model.
    fn cost(&self, kind: NodeKind, usage: &Usage) -> f64 {
        let Some(section) = kind.info().provider else {
            return 0.0;
        };
        let provider = self.provider_of(section);
        let price = self.prices.get(provider).copied().or_else(|| {
            let api = self.providers.get(provider)?.api;
            Some(api.list_price(section, self.model_of(section)))
        });
        price.map_or(0.0, |price| price.cost(usage))
    }
}
