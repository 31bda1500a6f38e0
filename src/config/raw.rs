//! The Videofile as it is written: serde structures with their defaults, each value kept with its place in
//! the file (`Spanned`) so that validation can name the line of a wrong one.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::keys::default_of;
use super::{Split, SubtitleFormat};
use crate::media::theme::Theme;
use crate::providers::apis::{Api, AuthKind};
use crate::record::cost::Price;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVideofile {
    /// Profiles are merged before deserializing; the key is allowed here so it is not "unknown".
    #[serde(default, rename = "profile")]
    pub(super) _profile: Option<toml::Value>,
    pub(super) course: Spanned<RawCourse>,
    #[serde(default)]
    pub(super) video: RawVideo,
    #[serde(default)]
    pub(super) translate: RawTranslate,
    #[serde(default)]
    pub(super) script: RawScript,
    #[serde(default)]
    pub(super) speech: RawSpeech,
    #[serde(default)]
    pub(super) images: RawImages,
    #[serde(default)]
    pub(super) prices: BTreeMap<String, Spanned<Price>>,
    #[serde(default)]
    pub(super) providers: BTreeMap<String, Spanned<RawProvider>>,
    #[serde(default)]
    pub(super) cache: RawCache,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    pub(super) remote: Option<Spanned<String>>,
    pub(super) token_env: Option<Spanned<String>>,
    pub(super) s3_endpoint: Option<String>,
    pub(super) s3_region: Option<String>,
    pub(super) s3_url_style: Option<Spanned<String>>,
    pub(super) access_key_env: Option<Spanned<String>>,
    pub(super) secret_key_env: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_blob_size: Option<Spanned<String>>,
    pub(super) shard_wait: Option<Spanned<String>>,
    pub(super) reports: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCourse {
    pub(super) title: Option<Spanned<String>>,
    #[serde(default = "default_language")]
    pub(super) language: Spanned<String>,
    pub(super) languages: Option<Spanned<Vec<String>>>,
    pub(super) sources: Spanned<Vec<String>>,
    pub(super) split: Option<RawSplit>,
    pub(super) dialect: Option<Spanned<String>>,
    #[serde(default = "default_output")]
    pub(super) output: Spanned<String>,
    pub(super) currency: Option<Spanned<String>>,
}

/// `[course] split` as written: `"auto"` (the default) or a split.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawSplit {
    Auto,
    H1,
    H2,
    File,
}

impl RawSplit {
    /// The split it names; `None` for `auto`.
    pub(super) fn named(self) -> Option<Split> {
        match self {
            RawSplit::Auto => None,
            RawSplit::H1 => Some(Split::H1),
            RawSplit::H2 => Some(Split::H2),
            RawSplit::File => Some(Split::File),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVideo {
    #[serde(default = "default_resolution")]
    pub(super) resolution: Spanned<String>,
    #[serde(default = "default_fps")]
    pub(super) fps: Spanned<i64>,
    #[serde(default = "default_min_slide_seconds")]
    pub(super) min_slide_seconds: Spanned<f64>,
    #[serde(default = "default_subtitles")]
    pub(super) subtitles: Vec<SubtitleFormat>,
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
pub(super) struct RawScript {
    #[serde(default = "default_script_provider")]
    pub(super) provider: Spanned<String>,
    #[serde(default = "default_max_slides")]
    pub(super) max_slides: Spanned<i64>,
    #[serde(default = "default_max_bullets")]
    pub(super) max_bullets: Spanned<i64>,
    #[serde(default = "default_words_per_slide")]
    pub(super) words_per_slide: Spanned<i64>,
    pub(super) model: Option<String>,
    pub(super) prompt: Option<Spanned<String>>,
    #[serde(default = "default_max_attempts")]
    pub(super) max_attempts: Spanned<i64>,
    pub(super) fallback: Option<Spanned<String>>,
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
pub(super) struct RawSpeech {
    pub(super) provider: Spanned<String>,
    pub(super) voice: Option<Spanned<String>>,
    pub(super) rate: Spanned<i64>,
    pub(super) model: Option<Spanned<String>>,
    pub(super) language: Option<String>,
    pub(super) piper: Option<String>,
    pub(super) length_scale: Spanned<f64>,
    pub(super) noise_scale: Spanned<f64>,
    pub(super) noise_w_scale: Spanned<f64>,
    pub(super) speaker: u32,
    pub(super) loudness: Spanned<f64>,
    pub(super) true_peak: Spanned<f64>,
    pub(super) pronounce: Option<RawPronounce>,
    pub(super) voices: BTreeMap<String, String>,
}

/// `[speech] pronounce`: a table of words, or a TOML file of them.
pub(super) enum RawPronounce {
    File(String),
    Words(BTreeMap<String, String>),
}

/// Read by hand, so that a wrong value is told what is expected (serde's untagged enums only say that no
/// variant matched).
impl<'de> Deserialize<'de> for RawPronounce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = RawPronounce;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a file name in quotes or a table of words such as { SQL = \"sequel\" }",
                )
            }

            fn visit_str<E: serde::de::Error>(self, file: &str) -> Result<RawPronounce, E> {
                Ok(RawPronounce::File(file.to_string()))
            }

            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<RawPronounce, M::Error> {
                let words =
                    Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawPronounce::Words(words))
            }
        }
        deserializer.deserialize_any(Either)
    }
}

impl Default for RawSpeech {
    fn default() -> Self {
        RawSpeech {
            provider: unspanned(default_of("speech.provider")),
            voice: None,
            rate: unspanned(default_of("speech.rate")),
            model: None,
            language: None,
            piper: None,
            length_scale: unspanned(default_of("speech.length_scale")),
            noise_scale: unspanned(default_of("speech.noise_scale")),
            noise_w_scale: unspanned(default_of("speech.noise_w_scale")),
            speaker: default_of("speech.speaker"),
            loudness: unspanned(default_of("speech.loudness")),
            true_peak: unspanned(default_of("speech.true_peak")),
            pronounce: None,
            voices: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawTranslate {
    pub(super) provider: Spanned<String>,
    pub(super) model: Option<String>,
    pub(super) glossary: Vec<String>,
    pub(super) batch: Spanned<i64>,
    pub(super) max_attempts: Spanned<i64>,
}

impl Default for RawTranslate {
    fn default() -> Self {
        RawTranslate {
            provider: unspanned(default_of("translate.provider")),
            model: None,
            glossary: Vec::new(),
            batch: unspanned(default_of("translate.batch")),
            max_attempts: unspanned(default_of("translate.max_attempts")),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawImages {
    pub(super) provider: Spanned<String>,
    pub(super) theme: Theme,
    pub(super) model: Option<String>,
    pub(super) size: String,
}

impl Default for RawImages {
    fn default() -> Self {
        RawImages {
            provider: unspanned(default_of("images.provider")),
            theme: default_of("images.theme"),
            model: None,
            size: default_of("images.size"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    pub(super) api: Api,
    pub(super) base_url: Option<String>,
    pub(super) api_key_env: Spanned<String>,
    pub(super) auth: Option<AuthKind>,
    #[serde(default = "default_connect_timeout")]
    pub(super) connect_timeout_sec: Spanned<f64>,
    #[serde(default = "default_read_timeout")]
    pub(super) read_timeout_sec: Spanned<f64>,
    #[serde(default = "default_max_retries")]
    pub(super) max_retries: u32,
    #[serde(default = "default_backoff")]
    pub(super) backoff_sec: Spanned<f64>,
    #[serde(default = "default_requests_per_second")]
    pub(super) requests_per_second: Spanned<f64>,
    #[serde(default = "default_concurrency")]
    pub(super) concurrency: Spanned<i64>,
    pub(super) max_chars: Option<Spanned<i64>>,
}

/// The keys of the sections environment variables may set, read from the schema itself.
pub(super) fn sections() -> [(&'static str, &'static [&'static str]); 7] {
    [
        ("course", field_names::<RawCourse>()),
        ("video", field_names::<RawVideo>()),
        ("translate", field_names::<RawTranslate>()),
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

pub(super) fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
fn default_language() -> Spanned<String> {
    unspanned(default_of("course.language"))
}
fn default_output() -> Spanned<String> {
    unspanned(default_of("course.output"))
}
fn default_resolution() -> Spanned<String> {
    unspanned(default_of("video.resolution"))
}
fn default_fps() -> Spanned<i64> {
    unspanned(default_of("video.fps"))
}
fn default_min_slide_seconds() -> Spanned<f64> {
    unspanned(default_of("video.min_slide_seconds"))
}
fn default_subtitles() -> Vec<SubtitleFormat> {
    default_of("video.subtitles")
}
fn default_script_provider() -> Spanned<String> {
    unspanned(default_of("script.provider"))
}
fn default_max_slides() -> Spanned<i64> {
    unspanned(default_of("script.max_slides"))
}
fn default_max_bullets() -> Spanned<i64> {
    unspanned(default_of("script.max_bullets"))
}
fn default_words_per_slide() -> Spanned<i64> {
    unspanned(default_of("script.words_per_slide"))
}
fn default_max_attempts() -> Spanned<i64> {
    unspanned(default_of("script.max_attempts"))
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
fn default_concurrency() -> Spanned<i64> {
    unspanned(4)
}
