//! The `Videofile`: the TOML file that describes a course, its schema, and its validation.
//!
//! Every error names the file, the line and the key, the way a compiler would, so an author can jump to it.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::apis::{Api, AuthKind, Limits};
use crate::config::{self, LayerError, Origin, OverrideSpans, Overrides};
use crate::cost::Price;
use crate::media::audio::AUDIO_RATE;
use crate::media::theme::Theme;
use crate::node::Section;
use crate::secrets;
use toml::Spanned;

/// A configuration problem found before any work starts (exit code 2 at the CLI).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The Videofile could not be read.
    #[error(
        "{path}: cannot read the Videofile: {source} (run vbuild in a course folder, name one with -C DIR or -f FILE, or create one with vbuild init)"
    )]
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
    Layer { path: PathBuf, message: String },
    /// A Markdown source is wrong at a line (an image that does not exist).
    #[error("{file}:{line}: {message}")]
    Source {
        file: String,
        line: usize,
        message: String,
    },
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
    /// The lecture's language (BCP 47, e.g. `en`, `fr-CA`); a chapter may say it is in another.
    pub language: String,
    /// Files or glob patterns relative to the project folder, in order.
    pub sources: Vec<String>,
    pub split: Split,
    /// The output folder, relative to the project folder.
    pub output: PathBuf,
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
    /// How words are said (`[speech.pronounce]`, or the file `pronounce` names): written form to spoken form.
    pub pronounce: BTreeMap<String, String>,
    /// The voice of each other language (`[speech.voices]`): an espeak-ng voice, a piper voice file, a cloud
    /// voice name.
    pub voices: BTreeMap<String, String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVideofile {
    /// Profiles are merged before deserializing; the key is allowed here so it is not "unknown".
    #[serde(default, rename = "profile")]
    _profile: Option<toml::Value>,
    course: Spanned<RawCourse>,
    #[serde(default)]
    video: RawVideo,
    #[serde(default)]
    script: RawScript,
    #[serde(default)]
    speech: RawSpeech,
    #[serde(default)]
    images: RawImages,
    #[serde(default)]
    prices: BTreeMap<String, Spanned<Price>>,
    #[serde(default)]
    providers: BTreeMap<String, Spanned<RawProvider>>,
    #[serde(default)]
    cache: RawCache,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCache {
    remote: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_url_style: Option<Spanned<String>>,
    access_key_env: Option<Spanned<String>>,
    secret_key_env: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_blob_size: Option<Spanned<String>>,
    shard_wait: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    title: Option<Spanned<String>>,
    #[serde(default = "default_language")]
    language: Spanned<String>,
    sources: Spanned<Vec<String>>,
    #[serde(default = "default_split")]
    split: Split,
    #[serde(default = "default_output")]
    output: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVideo {
    #[serde(default = "default_resolution")]
    resolution: Spanned<String>,
    #[serde(default = "default_fps")]
    fps: Spanned<u32>,
    #[serde(default = "default_min_slide_seconds")]
    min_slide_seconds: Spanned<f64>,
    #[serde(default = "default_subtitles")]
    subtitles: Vec<SubtitleFormat>,
}

impl Default for RawVideo {
    fn default() -> Self {
        RawVideo {
            resolution: default_resolution(),
            fps: default_fps(),
            min_slide_seconds: default_min_slide_seconds(),
            subtitles: default_subtitles(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    #[serde(default = "default_script_provider")]
    provider: Spanned<String>,
    #[serde(default = "default_max_slides")]
    max_slides: Spanned<u32>,
    #[serde(default = "default_max_bullets")]
    max_bullets: Spanned<u32>,
    #[serde(default = "default_words_per_slide")]
    words_per_slide: Spanned<u32>,
    model: Option<String>,
    prompt: Option<Spanned<String>>,
    #[serde(default = "default_max_attempts")]
    max_attempts: Spanned<u32>,
    fallback: Option<Spanned<String>>,
}

impl Default for RawScript {
    fn default() -> Self {
        RawScript {
            provider: default_script_provider(),
            max_slides: default_max_slides(),
            max_bullets: default_max_bullets(),
            words_per_slide: default_words_per_slide(),
            model: None,
            prompt: None,
            max_attempts: default_max_attempts(),
            fallback: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawSpeech {
    provider: Spanned<String>,
    voice: Option<Spanned<String>>,
    rate: Spanned<u32>,
    model: Option<Spanned<String>>,
    language: Option<String>,
    piper: Option<String>,
    length_scale: Spanned<f64>,
    noise_scale: Spanned<f64>,
    noise_w_scale: Spanned<f64>,
    speaker: u32,
    pronounce: Option<RawPronounce>,
    voices: BTreeMap<String, String>,
}

/// `[speech] pronounce`: a table of words, or a TOML file of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawPronounce {
    File(String),
    Words(BTreeMap<String, String>),
}

impl Default for RawSpeech {
    fn default() -> Self {
        RawSpeech {
            provider: unspanned("espeak".into()),
            voice: None,
            rate: unspanned(165),
            model: None,
            language: None,
            piper: None,
            length_scale: unspanned(1.0),
            noise_scale: unspanned(0.667),
            noise_w_scale: unspanned(0.8),
            speaker: 0,
            pronounce: None,
            voices: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawImages {
    provider: Spanned<String>,
    theme: Theme,
    model: Option<String>,
    size: String,
}

impl Default for RawImages {
    fn default() -> Self {
        RawImages {
            provider: unspanned("slides".into()),
            theme: Theme::Dark,
            model: None,
            size: "1024x1024".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    api: Api,
    base_url: Option<String>,
    api_key_env: Spanned<String>,
    auth: Option<AuthKind>,
    #[serde(default = "default_connect_timeout")]
    connect_timeout_sec: Spanned<f64>,
    #[serde(default = "default_read_timeout")]
    read_timeout_sec: Spanned<f64>,
    #[serde(default = "default_max_retries")]
    max_retries: u32,
    #[serde(default = "default_backoff")]
    backoff_sec: Spanned<f64>,
    #[serde(default = "default_requests_per_second")]
    requests_per_second: Spanned<f64>,
    #[serde(default = "default_concurrency")]
    concurrency: Spanned<u32>,
    max_chars: Option<Spanned<u32>>,
}

/// The keys of the sections environment variables may set, read from the schema itself.
fn sections() -> [(&'static str, &'static [&'static str]); 6] {
    [
        ("course", field_names::<RawCourse>()),
        ("video", field_names::<RawVideo>()),
        ("script", field_names::<RawScript>()),
        ("speech", field_names::<RawSpeech>()),
        ("images", field_names::<RawImages>()),
        ("cache", field_names::<RawCache>()),
    ]
}

/// The field names of a `#[derive(Deserialize)]` struct: serde hands them to the deserializer it asks for a
/// struct, and this one only takes them.
fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only the field names are read"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("only the field names are read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
fn default_language() -> Spanned<String> {
    unspanned("en".into())
}
fn default_split() -> Split {
    Split::H2
}
fn default_output() -> Spanned<String> {
    unspanned("out".into())
}
fn default_resolution() -> Spanned<String> {
    unspanned("1920x1080".into())
}
fn default_fps() -> Spanned<u32> {
    unspanned(10)
}
fn default_min_slide_seconds() -> Spanned<f64> {
    unspanned(3.0)
}
fn default_subtitles() -> Vec<SubtitleFormat> {
    vec![SubtitleFormat::Srt, SubtitleFormat::Vtt]
}
fn default_script_provider() -> Spanned<String> {
    unspanned("outline".into())
}
fn default_max_slides() -> Spanned<u32> {
    unspanned(8)
}
fn default_max_bullets() -> Spanned<u32> {
    unspanned(5)
}
fn default_words_per_slide() -> Spanned<u32> {
    unspanned(90)
}
fn default_max_attempts() -> Spanned<u32> {
    unspanned(3)
}
fn default_connect_timeout() -> Spanned<f64> {
    unspanned(10.0)
}
fn default_read_timeout() -> Spanned<f64> {
    unspanned(120.0)
}
fn default_max_retries() -> u32 {
    5
}
fn default_backoff() -> Spanned<f64> {
    unspanned(1.0)
}
fn default_requests_per_second() -> Spanned<f64> {
    unspanned(0.0)
}
fn default_concurrency() -> Spanned<u32> {
    unspanned(4)
}

impl Videofile {
    /// Reads and validates the Videofile at `path` under `overrides`.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Videofile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Videofile::parse(path, &text, overrides)
    }

    /// Validates Videofile text under `overrides`; `path` is used for messages and to find the project folder.
    pub fn parse(path: &Path, text: &str, overrides: &Overrides) -> Result<Videofile, ConfigError> {
        let mut locate = Locator {
            path,
            text,
            overrides: OverrideSpans::default(),
        };
        let layered = config::layer(text, overrides, &sections()).map_err(|err| match err {
            LayerError::At(span, message) => locate.error(&span, message),
            LayerError::General(message) => ConfigError::Layer {
                path: path.to_path_buf(),
                message,
            },
        })?;
        locate.overrides = layered.overrides.clone();
        let origins = layered.origins;
        let raw = RawVideofile::deserialize(toml::de::Deserializer::from(layered.table)).map_err(
            |err| {
                let span = err.span().unwrap_or(0..0);
                locate.error(&span, err.message().to_string())
            },
        )?;
        let project_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let course = raw.course.into_inner();
        // Without a title the lecture's level-1 heading is taken (see `Project::load`).
        let title = match &course.title {
            Some(title) if title.get_ref().trim().is_empty() => {
                return Err(locate.error(
                    &title.span(),
                    "[course] title must not be empty (leave it out to take the lecture's # heading)",
                ));
            }
            Some(title) => title.get_ref().trim().to_string(),
            None => String::new(),
        };
        if course.sources.get_ref().is_empty() {
            return Err(locate.error(
                &course.sources.span(),
                "[course] sources must name at least one Markdown file or glob",
            ));
        }
        let output = course.output.get_ref();
        if output.is_empty() || Path::new(output).is_absolute() || output.contains("..") {
            return Err(locate.error(
                &course.output.span(),
                format!(
                    "[course] output = {output:?}: give a folder inside the project, e.g. \"out\""
                ),
            ));
        }
        let (width, height) = parse_resolution(raw.video.resolution.get_ref())
            .ok_or_else(|| {
                locate.error(
                    &raw.video.resolution.span(),
                    format!(
                        "[video] resolution = {:?}: expected WIDTHxHEIGHT with even numbers from 16 to 7680, e.g. \"1920x1080\"",
                        raw.video.resolution.get_ref()
                    ),
                )
            })?;
        let fps = *raw.video.fps.get_ref();
        if fps == 0 || fps > 60 || !AUDIO_RATE.is_multiple_of(fps) {
            return Err(locate.error(
                &raw.video.fps.span(),
                format!(
                    "[video] fps = {fps}: expected a frame rate from 1 to 60 that divides {AUDIO_RATE} (e.g. 5, 10, 25, 30)"
                ),
            ));
        }
        let min_slide_seconds = *raw.video.min_slide_seconds.get_ref();
        if !(0.0..=60.0).contains(&min_slide_seconds) {
            return Err(locate.error(
                &raw.video.min_slide_seconds.span(),
                format!(
                    "[video] min_slide_seconds = {min_slide_seconds}: expected seconds from 0 to 60"
                ),
            ));
        }
        let providers = validate_providers(&locate, raw.providers)?;
        let uses = |section, provider: &Spanned<String>, builtins: &[&str]| {
            check_provider(&locate, &providers, section, provider, builtins)
        };
        let script_api = uses(Section::Script, &raw.script.provider, &["outline"])?;
        let speech_api = uses(Section::Speech, &raw.speech.provider, &["espeak", "piper"])?;
        for (key, value) in [
            ("length_scale", &raw.speech.length_scale),
            ("noise_scale", &raw.speech.noise_scale),
            ("noise_w_scale", &raw.speech.noise_w_scale),
        ] {
            let v = *value.get_ref();
            if !(v.is_finite() && (0.0..=10.0).contains(&v) && (v > 0.0 || key != "length_scale")) {
                return Err(locate.error(
                    &value.span(),
                    format!("[speech] {key} = {v}: expected a number from 0 to 10"),
                ));
            }
        }
        let piper_location = raw.speech.piper.as_ref().map(|p| project_dir.join(p));
        let pronounce = match &raw.speech.pronounce {
            None => BTreeMap::new(),
            Some(RawPronounce::Words(words)) => words.clone(),
            Some(RawPronounce::File(file)) => {
                let full = project_dir.join(file);
                let bad = |message: String| ConfigError::Layer {
                    path: full.clone(),
                    message: format!("[speech] pronounce = {file:?}: {message}"),
                };
                let text = std::fs::read_to_string(&full).map_err(|e| bad(e.to_string()))?;
                toml::from_str::<BTreeMap<String, String>>(&text).map_err(|e| {
                    bad(format!(
                        "expected lines such as SQL = \"sequel\": {}",
                        e.message()
                    ))
                })?
            }
        };
        let piper_model = match (&raw.speech.model, raw.speech.provider.get_ref().as_str()) {
            (Some(model), "piper") => {
                let full = project_dir.join(model.get_ref());
                if !full.is_file() {
                    return Err(locate.error(
                        &model.span(),
                        format!(
                            "[speech] model = {:?}: no such piper voice file in the project (a .onnx with its .onnx.json beside it)",
                            model.get_ref()
                        ),
                    ));
                }
                Some(full)
            }
            _ => None,
        };
        let images_api = uses(Section::Images, &raw.images.provider, &["slides"])?;
        check_range(
            &locate,
            "script",
            "max_attempts",
            &raw.script.max_attempts,
            1..=10,
        )?;
        let fallback_to_outline = match &raw.script.fallback {
            None => false,
            Some(f) if f.get_ref() == "outline" => true,
            Some(f) => {
                return Err(locate.error(
                    &f.span(),
                    format!(
                        "[script] fallback = {:?}: the only fallback is \"outline\"",
                        f.get_ref()
                    ),
                ));
            }
        };
        let prompt = match &raw.script.prompt {
            None => None,
            Some(file) => {
                let full = project_dir.join(file.get_ref());
                if !full.is_file() {
                    return Err(locate.error(
                        &file.span(),
                        format!(
                            "[script] prompt = {:?}: no such file in the project",
                            file.get_ref()
                        ),
                    ));
                }
                Some(full)
            }
        };
        check_range(
            &locate,
            "script",
            "max_slides",
            &raw.script.max_slides,
            1..=100,
        )?;
        check_range(
            &locate,
            "script",
            "max_bullets",
            &raw.script.max_bullets,
            1..=10,
        )?;
        check_range(
            &locate,
            "script",
            "words_per_slide",
            &raw.script.words_per_slide,
            10..=1000,
        )?;
        check_range(&locate, "speech", "rate", &raw.speech.rate, 80..=450)?;
        let language = course.language.get_ref().trim().to_string();
        let bcp47 = crate::language::is_language_tag;
        if !bcp47(&language) {
            return Err(locate.error(
                &course.language.span(),
                format!("[course] language = {language:?}: expected a BCP 47 tag such as \"en\", \"fr\" or \"pt-BR\""),
            ));
        }
        if let Some(tag) = raw.speech.voices.keys().find(|tag| !bcp47(tag)) {
            return Err(ConfigError::Layer {
                path: path.to_path_buf(),
                message: format!(
                    "[speech.voices] {tag:?}: expected a BCP 47 language tag such as \"fr\""
                ),
            });
        }
        let course_language = language.clone();
        let default_voice = match speech_api {
            None => crate::language::espeak_voice(&language),
            Some(api) => (api.descriptor().default_voice)(&language).to_string(),
        };
        let voice_given = raw.speech.voice.is_some();
        let voice_spanned = raw
            .speech
            .voice
            .unwrap_or_else(|| unspanned(default_voice.clone()));
        let voice = voice_spanned.get_ref();
        // A service that has its own voice for each language may be left to pick it.
        let may_be_empty =
            speech_api.is_some_and(|api| !api.descriptor().multilingual_voices) && !voice_given;
        if (voice.is_empty() && !may_be_empty)
            || !voice
                .chars()
                .all(|c| c.is_alphanumeric() || "-_+/".contains(c))
        {
            return Err(locate.error(
                &voice_spanned.span(),
                format!("[speech] voice = {voice:?}: expected a voice name such as \"en-us\""),
            ));
        }
        for price in raw.prices.values() {
            if price.get_ref().is_invalid() {
                return Err(locate.error(
                    &price.span(),
                    "[prices] prices must be numbers of 0 or more",
                ));
            }
        }
        if let Some(remote) = &raw.cache.remote
            && !["http://", "https://", "s3://"]
                .iter()
                .any(|scheme| remote.get_ref().starts_with(scheme))
        {
            return Err(locate.error(
                &remote.span(),
                format!(
                    "[cache] remote = {:?}: expected an http://, https:// or s3://BUCKET/PREFIX URL",
                    secrets::without_credentials(remote.get_ref())
                ),
            ));
        }
        let env_name = |value: &Option<Spanned<String>>, key: &str, default: &str| {
            value.as_ref().map_or(Ok(default.to_string()), |v| {
                check_variable_name(&locate, v, &format!("[cache] {key}"))
            })
        };
        let token_env = match &raw.cache.token_env {
            Some(v) => Some(check_variable_name(&locate, v, "[cache] token_env")?),
            None => None,
        };
        let access_key_env = env_name(
            &raw.cache.access_key_env,
            "access_key_env",
            "AWS_ACCESS_KEY_ID",
        )?;
        let secret_key_env = env_name(
            &raw.cache.secret_key_env,
            "secret_key_env",
            "AWS_SECRET_ACCESS_KEY",
        )?;
        let duration = |value: &Option<Spanned<String>>, key: &str, default: Duration| {
            let Some(value) = value else {
                return Ok(default);
            };
            humantime::parse_duration(value.get_ref())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    locate.error(
                        &value.span(),
                        format!(
                            "[cache] {key} = {:?}: expected a duration such as \"90s\" or \"10m\"",
                            value.get_ref()
                        ),
                    )
                })
        };
        let timeout = duration(&raw.cache.timeout, "timeout", Duration::from_secs(300))?;
        let shard_wait = duration(
            &raw.cache.shard_wait,
            "shard_wait",
            Duration::from_secs(600),
        )?;
        let max_blob_bytes = match &raw.cache.max_blob_size {
            None => 2 << 30,
            Some(size) => crate::size::parse(size.get_ref())
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    locate.error(
                        &size.span(),
                        format!(
                            "[cache] max_blob_size = {:?}: expected a size such as \"500M\" or \"2G\"",
                            size.get_ref()
                        ),
                    )
                })?,
        };
        let s3_path_style = match &raw.cache.s3_url_style {
            None => raw.cache.s3_endpoint.is_some(),
            Some(style) if style.get_ref() == "path" => true,
            Some(style) if style.get_ref() == "virtual" => false,
            Some(style) => {
                return Err(locate.error(
                    &style.span(),
                    "[cache] s3_url_style: expected \"path\" or \"virtual\"",
                ));
            }
        };
        let sources_span = course.sources.span();
        Ok(Videofile {
            cache: CacheSettings {
                remote: raw.cache.remote.map(Spanned::into_inner),
                token_env,
                s3_endpoint: raw.cache.s3_endpoint,
                s3_region: raw.cache.s3_region.unwrap_or_else(|| "us-east-1".into()),
                s3_path_style,
                access_key_env,
                secret_key_env,
                timeout,
                max_blob_bytes,
                shard_wait,
            },
            text: text.to_string(),
            overrides: locate.overrides,
            origins,
            sources_span,
            path: path.to_path_buf(),
            project_dir,
            course: Course {
                title,
                language: course_language.clone(),
                sources: course.sources.into_inner(),
                split: course.split,
                output: PathBuf::from(output),
            },
            video: Video {
                width,
                height,
                fps,
                min_slide_seconds,
                subtitles: raw.video.subtitles,
            },
            script: Script {
                provider: raw.script.provider.into_inner(),
                max_slides: raw.script.max_slides.into_inner(),
                max_bullets: raw.script.max_bullets.into_inner(),
                words_per_slide: raw.script.words_per_slide.into_inner(),
                model: raw.script.model.unwrap_or_else(|| {
                    script_api
                        .map_or("", |api| api.default_model(Section::Script))
                        .into()
                }),
                prompt,
                max_attempts: raw.script.max_attempts.into_inner(),
                fallback_to_outline,
            },
            speech: Speech {
                provider: raw.speech.provider.clone().into_inner(),
                language: raw.speech.language.unwrap_or_else(|| {
                    // Google voice names start with their language: en-US-Standard-C.
                    let from_voice = voice_spanned
                        .get_ref()
                        .splitn(3, '-')
                        .take(2)
                        .collect::<Vec<_>>()
                        .join("-");
                    if from_voice.is_empty() {
                        course_language.clone()
                    } else {
                        from_voice
                    }
                }),
                voice: voice_spanned.into_inner(),
                rate: raw.speech.rate.into_inner(),
                model: raw
                    .speech
                    .model
                    .map(Spanned::into_inner)
                    .unwrap_or_else(|| {
                        speech_api
                            .map_or("", |api| api.default_model(Section::Speech))
                            .into()
                    }),
                pronounce,
                voices: raw.speech.voices,
                piper: PiperSettings {
                    location: piper_location,
                    model: piper_model,
                    delivery: Delivery {
                        speaker: raw.speech.speaker,
                        length_scale: raw.speech.length_scale.into_inner(),
                        noise_scale: raw.speech.noise_scale.into_inner(),
                        noise_w_scale: raw.speech.noise_w_scale.into_inner(),
                    },
                },
            },
            images: Images {
                provider: raw.images.provider.into_inner(),
                theme: raw.images.theme,
                model: raw.images.model.unwrap_or_else(|| {
                    images_api
                        .map_or("", |api| api.default_model(Section::Images))
                        .into()
                }),
                size: raw.images.size,
            },
            providers,
            prices: raw
                .prices
                .into_iter()
                .map(|(name, price)| (name, price.into_inner()))
                .collect(),
        })
    }

    /// The output folder as a path.
    pub fn output_dir(&self) -> PathBuf {
        self.project_dir.join(&self.course.output)
    }

    /// Every effective setting as (`section.key`, value as TOML), in Videofile order, for `vbuild config`.
    pub fn settings(&self) -> Vec<(String, String)> {
        fn toml<T: Into<toml::Value>>(value: T) -> String {
            value.into().to_string()
        }
        let list = |items: Vec<String>| {
            toml(toml::Value::Array(
                items.into_iter().map(toml::Value::String).collect(),
            ))
        };
        let mut settings = vec![
            ("course.title", toml(self.course.title.as_str())),
            ("course.sources", list(self.course.sources.clone())),
            ("course.split", toml(self.course.split.to_string())),
            (
                "course.output",
                toml(self.course.output.display().to_string()),
            ),
            (
                "video.resolution",
                toml(format!("{}x{}", self.video.width, self.video.height)),
            ),
            ("video.fps", toml(i64::from(self.video.fps))),
            (
                "video.min_slide_seconds",
                toml(self.video.min_slide_seconds),
            ),
            (
                "video.subtitles",
                list(
                    self.video
                        .subtitles
                        .iter()
                        .map(|f| f.extension().to_string())
                        .collect(),
                ),
            ),
            ("script.provider", toml(self.script.provider.as_str())),
            ("script.max_slides", toml(i64::from(self.script.max_slides))),
            (
                "script.max_bullets",
                toml(i64::from(self.script.max_bullets)),
            ),
            (
                "script.words_per_slide",
                toml(i64::from(self.script.words_per_slide)),
            ),
            ("speech.provider", toml(self.speech.provider.as_str())),
            ("speech.voice", toml(self.speech.voice.as_str())),
            ("speech.rate", toml(i64::from(self.speech.rate))),
            ("images.provider", toml(self.images.provider.as_str())),
            ("images.theme", toml(self.images.theme.to_string())),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect::<Vec<_>>();
        let mut add = |key: String, value: String| settings.push((key, value));
        if self.providers.contains_key(&self.script.provider) {
            add("script.model".into(), toml(self.script.model.as_str()));
            if let Some(prompt) = &self.script.prompt {
                let shown = prompt.strip_prefix(&self.project_dir).unwrap_or(prompt);
                add("script.prompt".into(), toml(shown.display().to_string()));
            }
            add(
                "script.max_attempts".into(),
                toml(i64::from(self.script.max_attempts)),
            );
            if self.script.fallback_to_outline {
                add("script.fallback".into(), toml("outline"));
            }
        }
        if let Some(provider) = self.providers.get(&self.speech.provider) {
            if provider.api == Api::Google {
                add(
                    "speech.language".into(),
                    toml(self.speech.language.as_str()),
                );
            } else {
                add("speech.model".into(), toml(self.speech.model.as_str()));
            }
        }
        if self.providers.contains_key(&self.images.provider) {
            add("images.model".into(), toml(self.images.model.as_str()));
            add("images.size".into(), toml(self.images.size.as_str()));
        }
        for (name, p) in &self.providers {
            let auth = match p.auth {
                AuthKind::Bearer => "bearer",
                AuthKind::ApiKey => "api-key",
            };
            let values = [
                ("api", toml(p.api.name())),
                ("base_url", toml(p.base_url.as_str())),
                ("api_key_env", toml(p.api_key_env.as_str())),
                ("auth", toml(auth)),
                (
                    "connect_timeout_sec",
                    toml(p.limits.connect_timeout.as_secs_f64()),
                ),
                (
                    "read_timeout_sec",
                    toml(p.limits.read_timeout.as_secs_f64()),
                ),
                ("max_retries", toml(i64::from(p.limits.max_retries))),
                ("backoff_sec", toml(p.limits.backoff.as_secs_f64())),
                ("requests_per_second", toml(p.limits.requests_per_second)),
                ("concurrency", toml(p.limits.concurrency as i64)),
                ("max_chars", toml(p.max_chars as i64)),
            ];
            for (key, value) in values {
                add(format!("providers.{name}.{key}"), value);
            }
        }
        for (provider, price) in &self.prices {
            let table = toml::Value::try_from(price).expect("prices serialise");
            for (key, value) in table.as_table().into_iter().flatten() {
                settings.push((format!("prices.{provider}.{key}"), value.to_string()));
            }
        }
        if let Some(remote) = &self.cache.remote {
            settings.push(("cache.remote".into(), toml(remote.as_str())));
        }
        if let Some(token_env) = &self.cache.token_env {
            settings.push(("cache.token_env".into(), toml(token_env.as_str())));
        }
        // Group by section, in Videofile order (a stable sort keeps each section's own order).
        let sections = [
            "course",
            "video",
            "script",
            "speech",
            "images",
            "providers",
            "prices",
        ];
        settings.sort_by_key(|(key, _)| {
            sections
                .iter()
                .position(|s| key.split('.').next() == Some(s))
        });
        settings
    }

    /// The provider `section` names.
    pub fn provider_of(&self, section: Section) -> &str {
        match section {
            Section::Script => &self.script.provider,
            Section::Speech => &self.speech.provider,
            Section::Images => &self.images.provider,
        }
    }

    /// The model `section` names (for cloud providers).
    pub fn model_of(&self, section: Section) -> &str {
        match section {
            Section::Script => &self.script.model,
            Section::Speech => &self.speech.model,
            Section::Images => &self.images.model,
        }
    }

    /// The cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.project_dir.join(".vbuild")
    }

    /// An error located at the `sources` key, for source files that do not exist.
    pub fn sources_error(&self, message: String) -> ConfigError {
        Locator {
            path: &self.path,
            text: &self.text,
            overrides: self.overrides.clone(),
        }
        .error(&self.sources_span, message)
    }
}

/// Turns byte offsets into `file:line:column` errors, or into the override a value came from.
struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
    overrides: OverrideSpans,
}

impl Locator<'_> {
    fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ConfigError {
        if let Some(origin) = self.overrides.origin_of(span) {
            return ConfigError::Override {
                origin: origin.to_string(),
                message: message.into(),
            };
        }
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }
}

fn parse_resolution(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once('x')?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    let valid = |n: u32| (16..=7680).contains(&n) && n.is_multiple_of(2);
    (valid(w) && valid(h)).then_some((w, h))
}

/// Checks that a section's provider is its built-in one or a `[providers.NAME]` whose API can do the section's
/// work; returns that API (`None` for the built-in).
fn check_provider(
    locate: &Locator,
    providers: &BTreeMap<String, ProviderSettings>,
    section: Section,
    provider: &Spanned<String>,
    builtins: &[&str],
) -> Result<Option<Api>, ConfigError> {
    let name = provider.get_ref();
    let key = section.key();
    if builtins.contains(&name.as_str()) {
        return Ok(None);
    }
    let builtin = builtins
        .iter()
        .map(|b| format!("{b:?}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let Some(settings) = providers.get(name) else {
        let defined: Vec<&str> = providers.keys().map(String::as_str).collect();
        return Err(locate.error(
            &provider.span(),
            format!(
                "[{key}] provider = {name:?} is not available; choose {builtin} or a [providers.NAME] section{}",
                if defined.is_empty() { String::new() } else { format!(" ({})", defined.join(", ")) }
            ),
        ));
    };
    if !settings.api.serves(section) {
        let names: Vec<&str> = Api::ALL
            .iter()
            .filter(|api| api.serves(section))
            .map(|api| api.name())
            .collect();
        return Err(locate.error(
            &provider.span(),
            format!(
                "[{key}] provider = {name:?}: its api {:?} cannot do this; [{key}] takes {}",
                settings.api.name(),
                names.join(" or ")
            ),
        ));
    }
    Ok(Some(settings.api))
}

/// Validates the `[providers.NAME]` sections and fills in each API's defaults.
fn validate_providers(
    locate: &Locator,
    raw: BTreeMap<String, Spanned<RawProvider>>,
) -> Result<BTreeMap<String, ProviderSettings>, ConfigError> {
    let mut providers = BTreeMap::new();
    for (name, spanned) in raw {
        let p = spanned.into_inner();
        let seconds = |value: &Spanned<f64>, key: &str, zero_ok: bool| {
            let v = *value.get_ref();
            if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) && v <= 3600.0 {
                Ok(v)
            } else {
                Err(locate.error(
                    &value.span(),
                    format!("[providers.{name}] {key} = {v}: expected seconds from 0 to 3600"),
                ))
            }
        };
        let connect = seconds(&p.connect_timeout_sec, "connect_timeout_sec", false)?;
        let read = seconds(&p.read_timeout_sec, "read_timeout_sec", false)?;
        let backoff = seconds(&p.backoff_sec, "backoff_sec", true)?;
        let rps = *p.requests_per_second.get_ref();
        if !rps.is_finite() || rps < 0.0 {
            return Err(locate.error(
                &p.requests_per_second.span(),
                format!("[providers.{name}] requests_per_second must be 0 (no limit) or more"),
            ));
        }
        check_range(
            locate,
            &format!("providers.{name}"),
            "concurrency",
            &p.concurrency,
            1..=256,
        )?;
        let env = &check_variable_name(
            locate,
            &p.api_key_env,
            &format!("[providers.{name}] api_key_env"),
        )?;
        let api = p.api.descriptor();
        let max_chars = match &p.max_chars {
            Some(n) => {
                check_range(
                    locate,
                    &format!("providers.{name}"),
                    "max_chars",
                    n,
                    100..=100_000,
                )?;
                *n.get_ref() as usize
            }
            None => api.max_chars,
        };
        providers.insert(
            name.clone(),
            ProviderSettings {
                api: p.api,
                base_url: p.base_url.unwrap_or_else(|| api.base_url.to_string()),
                api_key_env: env.clone(),
                auth: p.auth.unwrap_or(api.auth),
                limits: Limits {
                    connect_timeout: Duration::from_secs_f64(connect),
                    read_timeout: Duration::from_secs_f64(read),
                    max_retries: p.max_retries,
                    backoff: Duration::from_secs_f64(backoff),
                    requests_per_second: rps,
                    concurrency: *p.concurrency.get_ref() as usize,
                },
                max_chars,
            },
        );
    }
    Ok(providers)
}

/// Checks that a `*_env` value names an environment variable. A wrong value is not shown: it may be the key
/// itself, typed where its variable's name belongs.
fn check_variable_name(
    locate: &Locator,
    value: &Spanned<String>,
    key: &str,
) -> Result<String, ConfigError> {
    let name = value.get_ref();
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(name.clone())
    } else {
        Err(locate.error(
            &value.span(),
            format!(
                "{key} must be the name of an environment variable (letters, digits and _), e.g. \"OPENAI_API_KEY\"; never the key itself (the value is not shown, in case it is one)"
            ),
        ))
    }
}

fn check_range(
    locate: &Locator,
    section: &str,
    key: &str,
    value: &Spanned<u32>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<(), ConfigError> {
    if range.contains(value.get_ref()) {
        return Ok(());
    }
    Err(locate.error(
        &value.span(),
        format!(
            "[{section}] {key} = {}: expected a number from {} to {}",
            value.get_ref(),
            range.start(),
            range.end()
        ),
    ))
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
        assert_eq!(vf.course.split, Split::H2);
        assert_eq!(vf.project_dir, Path::new("proj"));
        assert_eq!(vf.output_dir(), Path::new("proj/out"));
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
        let sections = sections();
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
}
