//! Every key of the Videofile's fixed sections, declared once: its section and name, its default as a Videofile
//! would spell it, what it means, which setting decides whether it is read, and how its effective value is
//! read back from a loaded [`Videofile`]. The serde schema's defaults ([`default_of`]), `vbuild config` and
//! the README's key list come from this table, and a test holds it to the schema's fields.
//!
//! `[providers.NAME]` and `[prices.NAME]` are tables of the author's own names; they are shown from
//! [`Videofile::providers`] and [`Videofile::prices`].

use serde::de::DeserializeOwned;
use toml::Value;

use super::Videofile;
use super::applies::{SpeechKind, speech_key_applies};
use crate::sys::size;

/// One key of a fixed section.
pub struct Key {
    /// `course`, `video`, `script`, `speech`, `images` or `cache`.
    pub section: &'static str,
    pub name: &'static str,
    /// The default as a Videofile spells it (`"1920x1080"`, `10`); empty when the default depends on other
    /// settings (then [`Key::about`] says how) or the key is unset until given.
    pub default: &'static str,
    /// What the key means, in a line.
    pub about: &'static str,
    /// When the course reads it.
    pub read: Read,
    /// Its effective value; `None` while it is unset.
    pub value: fn(&Videofile) -> Option<Value>,
}

/// When a key is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Always,
    /// When its section's provider is a `[providers.NAME]` (a cloud service).
    WithCloud,
    /// When the speech provider is of a kind that reads it ([`speech_key_applies`]).
    BySpeechKind,
    /// With an `s3://` remote cache.
    WithS3,
    /// With an `http(s)://` remote cache.
    WithHttp,
    /// When `[course] languages` lists more than the sources' language.
    WithLanguages,
}

impl Key {
    /// `section.name`, as origins and `--set` name it.
    pub fn path(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }

    /// Why the course does not read this key, or `None` when it does.
    pub fn unread(&self, videofile: &Videofile) -> Option<String> {
        let remote = videofile.cache.remote.as_deref();
        match self.read {
            Read::Always => None,
            Read::WithCloud => {
                let provider = match self.section {
                    "translate" => &videofile.translate.provider,
                    "script" => &videofile.script.provider,
                    "images" => &videofile.images.provider,
                    _ => &videofile.speech.provider,
                };
                (!videofile.providers.contains_key(provider))
                    .then(|| format!("read with a cloud provider; this one is {provider}"))
            }
            Read::BySpeechKind => {
                let provider = &videofile.speech.provider;
                (!speech_key_applies(self.name, SpeechKind::of(provider)))
                    .then(|| format!("the {provider} voice does not read it"))
            }
            Read::WithS3 => (!remote.is_some_and(|r| r.starts_with("s3://")))
                .then(|| "read with an s3:// remote".to_string()),
            Read::WithHttp => (!remote.is_some_and(|r| r.starts_with("http")))
                .then(|| "read with an http(s):// remote".to_string()),
            Read::WithLanguages => (videofile.course.languages.len() < 2)
                .then(|| "read when [course] languages lists more than one".to_string()),
        }
    }
}

/// A text value; an empty one is unset (a model the provider picks, a title the lecture gives).
fn text(value: impl Into<String>) -> Option<Value> {
    let value = value.into();
    (!value.is_empty()).then_some(Value::String(value))
}

fn int(value: impl Into<i64>) -> Option<Value> {
    Some(Value::Integer(value.into()))
}

fn float(value: f64) -> Option<Value> {
    Some(Value::Float(value))
}

fn texts<T: ToString>(values: impl IntoIterator<Item = T>) -> Option<Value> {
    let values = values.into_iter().map(|v| Value::String(v.to_string()));
    Some(Value::Array(values.collect()))
}

fn words(map: &std::collections::BTreeMap<String, String>) -> Option<Value> {
    let table = map
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())));
    Some(Value::Table(table.collect()))
}

/// A path of the project as the Videofile names it: relative to the project folder.
fn project_path(videofile: &Videofile, path: &std::path::Path) -> Option<Value> {
    let inside = path.strip_prefix(&videofile.project_dir).unwrap_or(path);
    text(inside.display().to_string())
}

fn duration(value: std::time::Duration) -> Option<Value> {
    text(humantime::format_duration(value).to_string())
}

/// A key read whatever else is set.
const fn key(
    section: &'static str,
    name: &'static str,
    default: &'static str,
    about: &'static str,
    value: fn(&Videofile) -> Option<Value>,
) -> Key {
    Key {
        section,
        name,
        default,
        about,
        read: Read::Always,
        value,
    }
}

/// A key read only when `read` holds.
const fn key_read(read: Read, key: Key) -> Key {
    Key { read, ..key }
}

/// Every key of the fixed sections, in the order `vbuild config` shows them.
pub const KEYS: &[Key] = &[
    key(
        "course",
        "title",
        "",
        "the course title; else the front matter's title, else the lecture's level-1 heading",
        |v| text(&v.course.title),
    ),
    key(
        "course",
        "sources",
        "",
        "required: Markdown files or globs, relative to the Videofile, in order",
        |v| texts(&v.course.sources),
    ),
    key(
        "course",
        "split",
        "\"auto\"",
        "chapter boundary: \"h1\", \"h2\", \"file\", or \"auto\" (\"h2\", one chapter per deck)",
        |v| text(v.course.split.map_or("auto".into(), |s| s.to_string())),
    ),
    key(
        "course",
        "dialect",
        "\"auto\"",
        "the tool the sources were written for",
        |v| text(v.course.dialect.map_or("auto".into(), |d| d.to_string())),
    ),
    key(
        "course",
        "language",
        "\"en\"",
        "BCP 47 tag; picks the voice, a chapter may say its own",
        |v| text(v.course.language()),
    ),
    key(
        "course",
        "languages",
        "",
        "the languages to build, the sources' first: [\"en\", \"fr\"] (default: language alone)",
        |v| texts(&v.course.languages),
    ),
    key(
        "course",
        "output",
        "\"out\"",
        "output folder inside the project (a profile's own folder under it)",
        |v| text(v.course.output.display().to_string()),
    ),
    key(
        "course",
        "currency",
        "\"USD\"",
        "what [prices.NAME] and every cost are in (ISO 4217)",
        |v| text(&v.course.currency),
    ),
    key(
        "video",
        "resolution",
        "\"1920x1080\"",
        "WIDTHxHEIGHT, even numbers from 16 to 7680",
        |v| text(format!("{}x{}", v.video.width, v.video.height)),
    ),
    key(
        "video",
        "fps",
        "10",
        "frames per second, 1-60, dividing 24000",
        |v| int(v.video.fps),
    ),
    key(
        "video",
        "min_slide_seconds",
        "3.0",
        "the shortest a slide is shown, 0-60 s",
        |v| float(v.video.min_slide_seconds),
    ),
    key(
        "video",
        "subtitles",
        "[\"srt\", \"vtt\"]",
        "which subtitle files to write",
        |v| texts(v.video.subtitles.iter().map(|f| f.extension())),
    ),
    key_read(
        Read::WithLanguages,
        key(
            "translate",
            "provider",
            "\"none\"",
            "a [providers.NAME] chat provider that translates the other languages",
            |v| text(&v.translate.provider),
        ),
    ),
    key_read(
        Read::WithLanguages,
        key(
            "translate",
            "model",
            "",
            "the translating model (default: the provider's)",
            |v| text(&v.translate.model),
        ),
    ),
    key_read(
        Read::WithLanguages,
        key(
            "translate",
            "glossary",
            "[]",
            "terms never translated, e.g. [\"vbuild\", \"Videofile\"]",
            |v| texts(&v.translate.glossary),
        ),
    ),
    key_read(
        Read::WithLanguages,
        key(
            "translate",
            "batch",
            "40",
            "segments per request, 1-500",
            |v| int(v.translate.batch),
        ),
    ),
    key_read(
        Read::WithLanguages,
        key(
            "translate",
            "max_attempts",
            "3",
            "requests per batch, the first and its repairs, 1-10",
            |v| int(v.translate.max_attempts),
        ),
    ),
    key(
        "script",
        "provider",
        "\"outline\"",
        "\"outline\" (built in, offline) or a [providers.NAME]",
        |v| text(&v.script.provider),
    ),
    key(
        "script",
        "max_slides",
        "8",
        "slides per chapter, 1-100",
        |v| int(v.script.max_slides),
    ),
    key(
        "script",
        "max_bullets",
        "5",
        "list points per slide, 1-10",
        |v| int(v.script.max_bullets),
    ),
    key(
        "script",
        "words_per_slide",
        "90",
        "narration per slide, 10-1000 words",
        |v| int(v.script.words_per_slide),
    ),
    key_read(
        Read::WithCloud,
        key(
            "script",
            "model",
            "",
            "the cloud model (default: the provider's)",
            |v| text(&v.script.model),
        ),
    ),
    key_read(
        Read::WithCloud,
        key(
            "script",
            "prompt",
            "",
            "a prompt template file replacing the built-in one",
            |v| v.script.prompt.as_deref().and_then(|p| project_path(v, p)),
        ),
    ),
    key_read(
        Read::WithCloud,
        key(
            "script",
            "max_attempts",
            "3",
            "requests per chapter, the first and its repairs, 1-10",
            |v| int(v.script.max_attempts),
        ),
    ),
    key_read(
        Read::WithCloud,
        key(
            "script",
            "fallback",
            "",
            "\"outline\": write the chapter offline when the cloud fails",
            |v| {
                v.script
                    .fallback_to_outline
                    .then(|| Value::String("outline".into()))
            },
        ),
    ),
    key(
        "speech",
        "provider",
        "\"espeak\"",
        "\"espeak\", \"piper\" or a [providers.NAME]",
        |v| text(&v.speech.provider),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "voice",
            "",
            "the voice (default: the course language's)",
            |v| text(&v.speech.voice),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "rate",
            "165",
            "espeak-ng's words per minute, 80-450",
            |v| int(v.speech.rate),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "model",
            "",
            "piper's voice file, or the cloud voice model",
            |v| match &v.speech.piper.model {
                Some(model) => project_path(v, model),
                None => text(&v.speech.model),
            },
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "language",
            "",
            "the cloud voice's language (default: from the voice's name)",
            |v| text(&v.speech.language),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "piper",
            "",
            "a piper virtual environment or its Python (default: the documented search)",
            |v| {
                v.speech
                    .piper
                    .location
                    .as_deref()
                    .and_then(|p| project_path(v, p))
            },
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "length_scale",
            "1.0",
            "piper's pace: above 1 is slower, 0-10",
            |v| float(v.speech.piper.delivery.length_scale),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "noise_scale",
            "0.667",
            "piper's voice variation, 0-10",
            |v| float(v.speech.piper.delivery.noise_scale),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "noise_w_scale",
            "0.8",
            "piper's rhythm variation, 0-10",
            |v| float(v.speech.piper.delivery.noise_w_scale),
        ),
    ),
    key_read(
        Read::BySpeechKind,
        key(
            "speech",
            "speaker",
            "0",
            "the speaker of a piper voice with several",
            |v| int(v.speech.piper.delivery.speaker),
        ),
    ),
    key(
        "speech",
        "loudness",
        "-18.0",
        "LUFS every chapter's narration is brought to, -40 to -5",
        |v| float(v.speech.loudness),
    ),
    key(
        "speech",
        "true_peak",
        "-1.5",
        "dBTP the narration's peaks stay under, -12 to 0",
        |v| float(v.speech.true_peak),
    ),
    key(
        "speech",
        "pronounce",
        "",
        "how words are said: a table, or a TOML file of them",
        |v| {
            (!v.speech.pronounce.is_empty())
                .then(|| words(&v.speech.pronounce))
                .flatten()
        },
    ),
    key(
        "speech",
        "voices",
        "",
        "the voice of each other language: { fr = \"...\" }",
        |v| {
            (!v.speech.voices.is_empty())
                .then(|| words(&v.speech.voices))
                .flatten()
        },
    ),
    key(
        "images",
        "provider",
        "\"slides\"",
        "\"slides\" (the built-in renderer) or a [providers.NAME]",
        |v| text(&v.images.provider),
    ),
    key(
        "images",
        "theme",
        "\"dark\"",
        "\"dark\" or \"light\"",
        |v| text(v.images.theme.to_string()),
    ),
    key_read(
        Read::WithCloud,
        key(
            "images",
            "model",
            "",
            "the cloud image model (default: the provider's)",
            |v| text(&v.images.model),
        ),
    ),
    key_read(
        Read::WithCloud,
        key(
            "images",
            "size",
            "\"1024x1024\"",
            "the size of generated pictures",
            |v| text(&v.images.size),
        ),
    ),
    key(
        "cache",
        "remote",
        "",
        "a shared cache: http(s)://HOST/PATH or s3://BUCKET/PREFIX",
        |v| v.cache.remote.as_deref().and_then(text),
    ),
    key_read(
        Read::WithHttp,
        key(
            "cache",
            "token_env",
            "",
            "the variable holding the remote's bearer token",
            |v| v.cache.token_env.as_deref().and_then(text),
        ),
    ),
    key_read(
        Read::WithS3,
        key(
            "cache",
            "s3_endpoint",
            "",
            "the S3 endpoint (default: AWS in s3_region)",
            |v| v.cache.s3_endpoint.as_deref().and_then(text),
        ),
    ),
    key_read(
        Read::WithS3,
        key(
            "cache",
            "s3_region",
            "\"us-east-1\"",
            "the S3 region",
            |v| text(&v.cache.s3_region),
        ),
    ),
    key_read(
        Read::WithS3,
        key(
            "cache",
            "s3_url_style",
            "",
            "\"path\" or \"virtual\" (default: path with an s3_endpoint)",
            |v| {
                text(if v.cache.s3_path_style {
                    "path"
                } else {
                    "virtual"
                })
            },
        ),
    ),
    key_read(
        Read::WithS3,
        key(
            "cache",
            "access_key_env",
            "\"AWS_ACCESS_KEY_ID\"",
            "the variable holding the S3 access key id",
            |v| text(&v.cache.access_key_env),
        ),
    ),
    key_read(
        Read::WithS3,
        key(
            "cache",
            "secret_key_env",
            "\"AWS_SECRET_ACCESS_KEY\"",
            "the variable holding the S3 secret",
            |v| text(&v.cache.secret_key_env),
        ),
    ),
    key(
        "cache",
        "timeout",
        "\"5m\"",
        "the deadline of one request to the remote",
        |v| duration(v.cache.timeout),
    ),
    key(
        "cache",
        "max_blob_size",
        "\"2G\"",
        "the largest blob taken from the remote without a recorded size",
        |v| text(size::human(v.cache.max_blob_bytes)),
    ),
    key(
        "cache",
        "shard_wait",
        "\"10m\"",
        "how long a shard waits for another's node before building it",
        |v| duration(v.cache.shard_wait),
    ),
    key(
        "cache",
        "reports",
        "20",
        "full build reports kept, 1-10000",
        |v| int(v.cache.reports as i64),
    ),
];

/// The key at `section.name`.
pub fn find(path: &str) -> Option<&'static Key> {
    let (section, name) = path.split_once('.')?;
    KEYS.iter()
        .find(|key| key.section == section && key.name == name)
}

/// The default of the key at `path`, read as a Videofile value of type `T`. Panics when the table has no
/// default there or it is not a `T`: the tests load every default.
pub fn default_of<T: DeserializeOwned>(path: &str) -> T {
    #[derive(serde::Deserialize)]
    struct Holder<T> {
        value: T,
    }
    let key = find(path).unwrap_or_else(|| panic!("{path} is in the key table"));
    let holder: Holder<T> = toml::from_str(&format!("value = {}", key.default))
        .unwrap_or_else(|err| panic!("the default of {path} reads: {err}"));
    holder.value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_field_of_the_schema_once_and_nothing_else() {
        let schema: Vec<String> = (super::super::raw::sections().iter())
            .flat_map(|(section, fields)| fields.iter().map(move |f| format!("{section}.{f}")))
            .collect();
        let table: Vec<String> = KEYS.iter().map(Key::path).collect();
        for path in &schema {
            assert_eq!(
                table.iter().filter(|p| *p == path).count(),
                1,
                "{path} is in the schema; the key table must have it once"
            );
        }
        for path in &table {
            assert!(
                schema.contains(path),
                "{path} is in the table, not in the schema"
            );
        }
    }

    #[test]
    fn every_default_is_what_a_videofile_without_the_key_holds() {
        let videofile = Videofile::parse(
            std::path::Path::new("proj/Videofile"),
            "[course]\ntitle = \"T\"\nsources = [\"a.md\"]\n",
            &Default::default(),
        )
        .unwrap();
        for key in KEYS.iter().filter(|k| !k.default.is_empty()) {
            let default: Value = toml::from_str::<toml::Table>(&format!("v = {}", key.default))
                .unwrap()
                .remove("v")
                .unwrap();
            let shown = (key.value)(&videofile);
            let same = match (&default, &shown) {
                // Durations and sizes are shown as people read them: compare what they mean.
                (Value::String(d), Some(Value::String(s))) if key.section == "cache" => {
                    humantime::parse_duration(d).ok() == humantime::parse_duration(s).ok()
                        && size::parse(d) == size::parse(s)
                }
                _ => shown.as_ref() == Some(&default),
            };
            assert!(same, "{}: default {default}, loaded {shown:?}", key.path());
        }
    }

    #[test]
    fn the_readme_names_every_key() {
        let readme = include_str!("../../README.md");
        for key in KEYS {
            assert!(
                readme.contains(&format!("{} = ", key.name))
                    || readme.contains(&format!("`{}`", key.name)),
                "the README does not name [{}] {}",
                key.section,
                key.name
            );
        }
    }
}
