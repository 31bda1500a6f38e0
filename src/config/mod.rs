//! The `Videofile`: the TOML file that describes a course. This file holds its schema (what the rest of
//! vbuild reads); [`raw`] the form it is written in, with defaults; [`validate`] the checks between them.
//!
//! Every error names the file, the line and the key, the way a compiler would, so an author can jump to it.

mod applies;
pub mod keys;
pub mod layers;

/// The cache folder's name in the project folder.
pub const CACHE_FOLDER: &str = ".vbuild";

/// The folder a Videofile's sources and outputs are relative to: the one it is in (`.` for `Videofile`).
pub fn project_dir_of(videofile: &Path) -> PathBuf {
    match videofile.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
mod raw;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::layers::{Origin, OverrideSpans, Overrides};
use crate::graph::node::Section;
use crate::media::theme::Theme;
use crate::providers::apis::{Api, AuthKind, Limits};
use crate::record::cost::Price;

/// A configuration problem found before any work starts (exit code 2 at the CLI): one variant per failure,
/// each saying what is wrong and where; [`ConfigError::hint`] says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The Videofile could not be read.
    #[error("{path}: cannot read the Videofile: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The Videofile is not valid TOML, has an unknown key or a value of the wrong type or range.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A value set by a profile's selection, the environment or `--set` is wrong.
    #[error("{origin}: {message}")]
    Override { origin: String, message: String },
    /// The layers cannot be combined (an unknown profile, a malformed override).
    #[error("{path}: {message}")]
    Layers { path: PathBuf, message: String },
    /// A value of the Videofile is wrong where its line is not known (a table's key, a file it names).
    #[error("{path}: {message}")]
    Setting { path: PathBuf, message: String },
    /// A Markdown source is wrong at a line (an image that does not exist).
    #[error("{file}:{line}: {message}")]
    Source {
        file: String,
        line: usize,
        message: String,
    },
    /// A section needs an environment variable (an API key, a cache token) that is not set.
    #[error("{path}: [{section}] needs the environment variable {variable}, which is not set")]
    MissingVariable {
        path: PathBuf,
        section: String,
        variable: String,
    },
    /// The `.env` file next to the Videofile is not KEY=VALUE lines.
    #[error("{path}: {message}")]
    DotEnv { path: PathBuf, message: String },
    /// The `[script] prompt` template cannot be read.
    #[error("{path}: cannot read the [script] prompt template: {source}")]
    PromptTemplate {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Neither the Videofile nor the lecture gives the course a title.
    #[error(
        "{path}: [course] title is not set and the lecture has no level-1 heading to take it from"
    )]
    NoTitle { path: PathBuf },
    /// `--shard` without a remote cache to share the shards' work through.
    #[error(
        "{path}: --shard needs a shared [cache] remote, where the shards publish what they build"
    )]
    ShardWithoutRemote { path: PathBuf },
}

impl ConfigError {
    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => Some(
                "run vbuild in a course folder, name one with -C DIR or -f FILE, or create one with vbuild init"
                    .into(),
            ),
            ConfigError::MissingVariable { variable, .. } => Some(format!(
                "export {variable}=... before vbuild, or put {variable}=... in a .env file next to the Videofile"
            )),
            ConfigError::NoTitle { .. } => Some("set title = \"...\" in [course]".into()),
            ConfigError::ShardWithoutRemote { .. } => Some(
                "set [cache] remote = \"https://...\" or \"s3://BUCKET/PREFIX\" (see the README: Beyond one machine)"
                    .into(),
            ),
            ConfigError::DotEnv { .. } => Some("each line of .env is KEY=VALUE".into()),
            _ => None,
        }
    }
}

/// How the Markdown sources are cut into chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Every level-1 heading starts a chapter.
    H1,
    /// Every level-2 heading starts a chapter (a level-1 heading is the course's own title).
    H2,
    /// Every source file is one chapter.
    File,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::H1 => "h1",
            Split::H2 => "h2",
            Split::File => "file",
        })
    }
}

/// A subtitle format written next to every video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubtitleFormat {
    Srt,
    Vtt,
}

impl SubtitleFormat {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            SubtitleFormat::Srt => "srt",
            SubtitleFormat::Vtt => "vtt",
        }
    }
}

/// A validated Videofile.
#[derive(Debug, Clone)]
pub struct Videofile {
    /// The file it was read from.
    pub path: PathBuf,
    /// The folder sources and the output folder are relative to.
    pub project_dir: PathBuf,
    pub course: Course,
    pub video: Video,
    pub translate: Translate,
    pub script: Script,
    pub speech: Speech,
    pub images: Images,
    /// Unit prices by provider name (`[prices.NAME]`); providers not listed are free.
    pub prices: BTreeMap<String, Price>,
    /// Cloud providers by name.
    pub providers: BTreeMap<String, ProviderSettings>,
    pub cache: CacheSettings,
    /// Where each value set in a layer came from (`section.key` to origin); other values are defaults.
    pub origins: BTreeMap<String, Origin>,
    /// The Videofile's text, the spans of overrides and the span of `sources`, to locate errors about
    /// source files.
    text: String,
    overrides: OverrideSpans,
    sources_span: Range<usize>,
}

/// `[course]`: what the course is and where its sources are.
#[derive(Debug, Clone)]
pub struct Course {
    /// The Videofile's title; empty until the lecture's level-1 heading fills it when the Videofile has none.
    pub title: String,
    /// The languages the course is built in (BCP 47, e.g. `en`, `fr-CA`): the lecture's first (see
    /// [`Course::language`]), then those it is translated into.
    pub languages: Vec<String>,
    /// Files or glob patterns relative to the project folder, in order.
    pub sources: Vec<String>,
    /// How chapters are cut; `None`: at `##` headings in documents, one chapter per deck.
    pub split: Option<Split>,
    /// The dialect every source is written in; `None`: each file's is recognised.
    pub dialect: Option<crate::lecture::dialect::Dialect>,
    /// The output folder, relative to the project folder.
    pub output: PathBuf,
    /// What `[prices.NAME]` and every cost are in (ISO 4217, e.g. `USD`, `EUR`); the built-in list prices
    /// are US dollars.
    pub currency: String,
}

impl Course {
    /// The lecture's language; a chapter may say it is in another.
    pub fn language(&self) -> &str {
        &self.languages[0]
    }
}

/// `[video]`: picture and subtitle settings.
#[derive(Debug, Clone)]
pub struct Video {
    pub width: u32,
    pub height: u32,
    /// Frames per second; a still slide needs few.
    pub fps: u32,
    /// The shortest time a slide is shown (a title card, a slide of code), in seconds.
    pub min_slide_seconds: f64,
    pub subtitles: Vec<SubtitleFormat>,
}

/// `[translate]`: how the course's other languages are made from its sources.
#[derive(Debug, Clone)]
pub struct Translate {
    /// `none`, or the name of a `[providers.NAME]` chat provider.
    pub provider: String,
    /// The model of the provider.
    pub model: String,
    /// Terms never translated: they are sent as placeholders and come back as written.
    pub glossary: Vec<String>,
    /// Segments per request.
    pub batch: u32,
    /// Requests per batch before an invalid answer fails the node (the first plus repairs).
    pub max_attempts: u32,
}

/// `[script]`: how chapters become slide scripts.
#[derive(Debug, Clone)]
pub struct Script {
    /// `outline` or the name of a `[providers.NAME]` section.
    pub provider: String,
    pub max_slides: u32,
    pub max_bullets: u32,
    /// Narration longer than this many words is split over several slides (outline).
    pub words_per_slide: u32,
    /// The model of a cloud provider.
    pub model: String,
    /// A prompt template file in the project, replacing the built-in one.
    pub prompt: Option<PathBuf>,
    /// Requests per chapter before an invalid answer fails the node (the first plus repairs).
    pub max_attempts: u32,
    /// Write the chapter with the outline writer when the cloud provider fails (only if asked for).
    pub fallback_to_outline: bool,
}

/// `[speech]`: how narration becomes audio.
#[derive(Debug, Clone)]
pub struct Speech {
    /// `espeak`, `piper` or the name of a `[providers.NAME]` section.
    pub provider: String,
    pub voice: String,
    /// Speaking rate in words per minute (espeak).
    pub rate: u32,
    /// The model of a cloud provider (OpenAI-compatible speech).
    pub model: String,
    /// The language code (Google Text-to-Speech), e.g. `en-US`.
    pub language: String,
    /// piper: where it is and how it speaks.
    pub piper: PiperSettings,
    /// The integrated loudness every chapter's narration is brought to (LUFS, EBU R128).
    pub loudness: f64,
    /// The highest true peak the narration may reach (dBTP).
    pub true_peak: f64,
    /// How words are said (`[speech.pronounce]`, or the file `pronounce` names): written form to spoken form.
    pub pronounce: BTreeMap<String, String>,
    /// How words are said in the course's other languages (`pronounce.fr.toml` beside that file).
    pub pronounce_in: PronounceByLanguage,
    /// The voice of each other language (`[speech.voices]`): an espeak-ng voice, a piper voice file, a cloud
    /// voice name.
    pub voices: BTreeMap<String, String>,
}

/// Pronunciation dictionaries by language: written form to spoken form.
pub type PronounceByLanguage = BTreeMap<String, BTreeMap<String, String>>;

/// `[speech]` settings of the `piper` provider.
#[derive(Debug, Clone, Default)]
pub struct PiperSettings {
    /// A piper virtual environment or its Python (else the documented search).
    pub location: Option<PathBuf>,
    /// A voice file (`.onnx`, with its `.onnx.json` beside it), else the installed joe voice.
    pub model: Option<PathBuf>,
    pub delivery: Delivery,
}

/// `[images]`: how slides become pictures.
#[derive(Debug, Clone)]
pub struct Images {
    /// `slides` (the renderer alone) or the name of a `[providers.NAME]` section that draws a picture per slide.
    pub provider: String,
    pub theme: Theme,
    /// The model of a cloud provider.
    pub model: String,
    /// The size of generated pictures, e.g. `1024x1024`.
    pub size: String,
}

/// `[cache]`: the shared remote cache, if any, and its limits.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `http(s)://HOST/PATH` of a store with the bazel-remote / WebDAV layout (`ac/`, `cas/`), or
    /// `s3://BUCKET/PREFIX` of S3-compatible object storage.
    pub remote: Option<String>,
    /// The environment variable holding a bearer token for an HTTP remote.
    pub token_env: Option<String>,
    /// The S3 endpoint (default: AWS in `s3_region`), e.g. `https://storage.googleapis.com` or a MinIO URL.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Path-style (`ENDPOINT/BUCKET/KEY`) URLs; default for custom endpoints, else virtual-host style.
    pub s3_path_style: bool,
    /// The environment variables holding the S3 access key id and secret.
    pub access_key_env: String,
    pub secret_key_env: String,
    /// The deadline of one request to the remote, from connecting to the last byte of its body.
    pub timeout: Duration,
    /// The largest blob taken from the remote when its entry did not record a size.
    pub max_blob_bytes: u64,
    /// How long a shard waits for a node another shard builds before it builds the node itself.
    pub shard_wait: Duration,
    /// How many full build reports are kept (`builds/ID.json`).
    pub reports: usize,
}

/// How piper speaks (part of the audio key).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    pub speaker: u32,
    /// Longer is slower (1.0: the voice's own pace).
    pub length_scale: f64,
    pub noise_scale: f64,
    pub noise_w_scale: f64,
}

impl Default for Delivery {
    fn default() -> Delivery {
        Delivery {
            speaker: 0,
            length_scale: 1.0,
            noise_scale: 0.667,
            noise_w_scale: 0.8,
        }
    }
}

/// `[providers.NAME]`: a cloud service, its credentials (by environment variable name) and its limits.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub api: Api,
    pub base_url: String,
    /// The environment variable that holds the key; the key itself is never in the Videofile.
    pub api_key_env: String,
    pub auth: AuthKind,
    /// Timeouts, retries and pacing.
    pub limits: Limits,
    /// The longest text one speech request may carry.
    pub max_chars: usize,
}

impl Videofile {
    /// Reads and validates the Videofile at `path` under `overrides`.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Videofile, ConfigError> {
        let text = crate::sys::files::read_text(path, crate::sys::files::SETTINGS_BYTES).map_err(
            |err| ConfigError::Read {
                path: path.to_path_buf(),
                source: err.into(),
            },
        )?;
        Videofile::parse(path, &text, overrides)
    }

    /// Validates Videofile text under `overrides`; `path` is used for messages and to find the project folder.
    pub fn parse(path: &Path, text: &str, overrides: &Overrides) -> Result<Videofile, ConfigError> {
        validate::parse(path, text, overrides)
    }

    /// The output folder as a path.
    pub fn output_dir(&self) -> PathBuf {
        self.project_dir.join(&self.course.output)
    }

    /// The provider `section` names, if the course uses it: `[translate]`'s only in a course of several
    /// languages.
    pub fn provider_used(&self, section: Section) -> Option<&str> {
        let unused = section == Section::Translate && self.course.languages.len() < 2;
        (!unused).then(|| self.provider_of(section))
    }

    /// The provider `section` names.
    pub fn provider_of(&self, section: Section) -> &str {
        match section {
            Section::Translate => &self.translate.provider,
            Section::Script => &self.script.provider,
            Section::Speech => &self.speech.provider,
            Section::Images => &self.images.provider,
        }
    }

    /// The model `section` names (for cloud providers).
    pub fn model_of(&self, section: Section) -> &str {
        match section {
            Section::Translate => &self.translate.model,
            Section::Script => &self.script.model,
            Section::Speech => &self.speech.model,
            Section::Images => &self.images.model,
        }
    }

    /// The cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.project_dir.join(CACHE_FOLDER)
    }

    /// An error located at the `sources` key, for source files that do not exist.
    pub fn sources_error(&self, message: String) -> ConfigError {
        validate::Locator {
            path: &self.path,
            text: &self.text,
            overrides: self.overrides.clone(),
        }
        .error(&self.sources_span, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Videofile, ConfigError> {
        Videofile::parse(Path::new("proj/Videofile"), text, &Overrides::default())
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let vf = parse("[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n").unwrap();
        assert_eq!(
            (vf.video.width, vf.video.height, vf.video.fps),
            (1920, 1080, 10)
        );
        assert_eq!(vf.course.split, None);
        assert_eq!(vf.course.dialect, None);
        assert_eq!(vf.project_dir, Path::new("proj"));
        assert_eq!(vf.output_dir(), Path::new("proj/out"));
    }

    #[test]
    fn a_dialect_is_named_or_recognised() {
        let named = parse("[course]\nsources = [\"a.md\"]\ndialect = \"marp\"\n").unwrap();
        assert_eq!(
            named.course.dialect,
            Some(crate::lecture::dialect::Dialect::Marp)
        );
        let auto = parse("[course]\nsources = [\"a.md\"]\ndialect = \"auto\"\n").unwrap();
        assert_eq!(auto.course.dialect, None);
        let split = parse("[course]\nsources = [\"a.md\"]\nsplit = \"auto\"\n").unwrap();
        assert_eq!(
            split.course.split, None,
            "what vbuild config prints is accepted"
        );
        let file = parse("[course]\nsources = [\"a.md\"]\nsplit = \"file\"\n").unwrap();
        assert_eq!(file.course.split, Some(Split::File));
        let wrong = message("[course]\nsources = [\"a.md\"]\ndialect = \"mrap\"\n");
        assert!(
            wrong.starts_with("proj/Videofile:3:")
                && wrong.contains("expected \"auto\" or one of \"markdown\", \"marp\""),
            "{wrong}"
        );
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let msg = message("[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n\n[video]\nfsp = 3\n");
        assert!(msg.starts_with("proj/Videofile:6:1:"), "{msg}");
        assert!(msg.contains("fsp"), "{msg}");
    }

    #[test]
    fn syntax_error_names_line() {
        let msg = message("[course]\ntitle = \"T\nsources = [\"a.md\"]\n");
        assert!(msg.starts_with("proj/Videofile:2:"), "{msg}");
    }

    #[test]
    fn bad_resolution_names_line_and_value() {
        let msg = message(
            "[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n[video]\nresolution = \"19x10x\"\n",
        );
        assert!(msg.starts_with("proj/Videofile:5:14:"), "{msg}");
        assert!(msg.contains("resolution"), "{msg}");
    }

    #[test]
    fn fps_must_divide_the_audio_rate() {
        let msg = message("[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n[video]\nfps = 7\n");
        assert!(msg.contains("fps = 7"), "{msg}");
    }

    #[test]
    fn environment_variables_set_the_schemas_own_keys() {
        let sections = raw::sections();
        let keys = |name: &str| sections.iter().find(|(s, _)| *s == name).unwrap().1;
        assert_eq!(
            keys("video"),
            ["resolution", "fps", "min_slide_seconds", "subtitles"]
        );
        assert!(keys("script").contains(&"max_slides"));
        assert!(keys("cache").contains(&"token_env") && !keys("cache").contains(&"token"));
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let msg =
            message("[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n[speech]\nprovider = \"x\"\n");
        assert!(
            msg.contains("choose \"espeak\" or \"piper\" or a [providers.NAME] section"),
            "{msg}"
        );
    }

    #[test]
    fn type_errors_name_the_section_the_key_and_what_was_expected_in_plain_words() {
        let videofile =
            |extra: &str| format!("[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n{extra}");
        assert_eq!(
            message(&videofile("[video]\nfps = \"ten\"\n")),
            "proj/Videofile:5:7: [video] fps: expected a whole number, got \"ten\""
        );
        assert!(
            message(&videofile("[video]\nsubtitles = [\"ass\"]\n"))
                .ends_with("[video] subtitles: expected \"srt\" or \"vtt\", got \"ass\"")
        );
        assert!(
            message(&videofile("[video]\nresolution = 1080\n"))
                .ends_with("[video] resolution: expected text in quotes, got 1080")
        );
        assert!(
            message(&videofile(
                "[providers.x]\napi = \"openai\"\napi_key_env = \"K\"\nconcurrency = 2.5\n"
            ))
            .ends_with("[providers.x] concurrency: expected a whole number, got 2.5")
        );
    }
}
