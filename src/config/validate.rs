//! Validating a Videofile: its layers combined, its raw form checked key by key and turned into the schema,
//! with errors that name the file, the line and the key (or the override that set the value).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::keys::default_of;
use super::raw::{
    RawCache, RawCourse, RawImages, RawPronounce, RawProvider, RawScript, RawSpeech, RawSplit,
    RawTranslate, RawVideo, RawVideofile, sections, unspanned,
};
use super::{
    CacheSettings, ConfigError, Course, Delivery, Images, PiperSettings, PronounceByLanguage,
    ProviderSettings, Script, Speech, Translate, Video, Videofile,
};
use crate::config::layers::{self, LayerError, Origin, OverrideSpans, Overrides};
use crate::graph::node::Section;
use crate::media::audio::AUDIO_RATE;
use crate::providers::apis::{Api, Limits};
use crate::sys::{secrets, size};

/// Validates Videofile text under `overrides`; `path` is used for messages and to find the project folder.
pub(super) fn parse(
    path: &Path,
    text: &str,
    overrides: &Overrides,
) -> Result<Videofile, ConfigError> {
    let mut locate = Locator {
        path,
        text,
        overrides: OverrideSpans::default(),
    };
    let layered = layers::layer(text, overrides, &sections()).map_err(|err| match err {
        LayerError::At(span, message) => locate.error(&span, message),
        LayerError::General(message) => ConfigError::Layers {
            path: path.to_path_buf(),
            message,
        },
    })?;
    locate.overrides = layered.overrides.clone();
    let origins = layered.origins;
    let raw =
        RawVideofile::deserialize(toml::de::Deserializer::from(layered.table)).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            locate.error(&span, readable(&err))
        })?;
    // The credentials a URL of the Videofile carries are secrets from here on: no message shows them.
    let urls = (raw.providers.values())
        .filter_map(|p| p.get_ref().base_url.as_deref())
        .chain(raw.cache.remote.as_ref().map(|r| r.get_ref().as_str()))
        .chain(raw.cache.s3_endpoint.as_deref());
    urls.for_each(secrets::register_url);
    let project_dir = super::project_dir_of(path);
    let raw_course = raw.course.into_inner();
    let sources_span = raw_course.sources.span();
    let course = course(&locate, raw_course, &project_dir, overrides, &origins)?;
    let video = video(&locate, &raw.video)?;
    let providers = validate_providers(&locate, raw.providers)?;
    let translate = translate(&locate, raw.translate, &providers)?;
    let script = script(&locate, raw.script, &providers, &project_dir)?;
    let speech = speech(
        &locate,
        raw.speech,
        &providers,
        &project_dir,
        &course.languages,
    )?;
    let images = images(&locate, raw.images, &providers)?;
    for price in raw.prices.values() {
        if price.get_ref().is_invalid() {
            return Err(locate.error(
                &price.span(),
                "[prices] prices must be numbers of 0 or more",
            ));
        }
    }
    Ok(Videofile {
        cache: cache(&locate, raw.cache)?,
        text: text.to_string(),
        overrides: locate.overrides,
        origins,
        sources_span,
        path: path.to_path_buf(),
        project_dir,
        course,
        video,
        translate,
        script,
        speech,
        images,
        providers,
        prices: raw
            .prices
            .into_iter()
            .map(|(name, price)| (name, price.into_inner()))
            .collect(),
    })
}

/// `[course]`: the title, sources, currency, output folder, dialect and language.
fn course(
    locate: &Locator,
    course: RawCourse,
    project_dir: &Path,
    overrides: &Overrides,
    origins: &BTreeMap<String, Origin>,
) -> Result<Course, ConfigError> {
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
    let currency = match &course.currency {
        None => default_of("course.currency"),
        Some(code)
            if code.get_ref().len() == 3
                && code.get_ref().chars().all(|c| c.is_ascii_uppercase()) =>
        {
            code.get_ref().clone()
        }
        Some(code) => {
            return Err(locate.error(
                &code.span(),
                format!(
                    "[course] currency = {:?}: expected a three-letter ISO 4217 code such as \"USD\" or \"EUR\"",
                    code.get_ref()
                ),
            ));
        }
    };
    let output = course.output.get_ref();
    let bad_output = |why: &str| {
        locate.error(
            &course.output.span(),
            format!("[course] output = {output:?}: {why}; give a folder inside the project, e.g. \"out\""),
        )
    };
    if output.is_empty() || Path::new(output).is_absolute() || output.contains("..") {
        return Err(bad_output("not a folder inside the project"));
    }
    let first = Path::new(output).components().find_map(|c| match c {
        std::path::Component::Normal(name) => Some(name),
        _ => None,
    });
    if first.is_some_and(|name| name == ".vbuild") {
        return Err(bad_output(
            "that is inside vbuild's cache (.vbuild), which gc empties",
        ));
    }
    let full = project_dir.join(output);
    if std::fs::symlink_metadata(&full).is_ok() && !full.is_dir() {
        return Err(bad_output("that is a file, not a folder"));
    }
    // A profile's outputs go to a folder of their own (`out/draft`), so a quick draft never replaces the
    // course nor mixes with it, unless the profile (or a flag) names the output folder itself.
    let profile_output = match (&overrides.profile, origins.get("course.output")) {
        (
            Some(_),
            Some(Origin::Profile { .. } | Origin::Flag { .. } | Origin::Environment { .. }),
        )
        | (None, _) => PathBuf::from(output),
        (Some(profile), _) => Path::new(output).join(crate::lecture::slug(profile)),
    };
    let dialect = match &course.dialect {
        None => None,
        Some(named) if named.get_ref() == "auto" => None,
        Some(named) => Some(
            crate::lecture::dialect::Dialect::ALL
                .into_iter()
                .find(|d| d.to_string() == *named.get_ref())
                .ok_or_else(|| {
                    let known: Vec<String> = crate::lecture::dialect::Dialect::ALL
                        .iter()
                        .map(|d| format!("\"{d}\""))
                        .collect();
                    locate.error(
                        &named.span(),
                        format!(
                            "[course] dialect = {:?}: expected \"auto\" or one of {}",
                            named.get_ref(),
                            known.join(", ")
                        ),
                    )
                })?,
        ),
    };
    let language = course.language.get_ref().trim().to_string();
    let bcp47 = crate::lecture::language::is_language_tag;
    if !bcp47(&language) {
        return Err(locate.error(
            &course.language.span(),
            format!("[course] language = {language:?}: expected a BCP 47 tag such as \"en\", \"fr\" or \"pt-BR\""),
        ));
    }
    let languages = languages(locate, &course, language, origins)?;
    Ok(Course {
        title,
        languages,
        sources: course.sources.into_inner(),
        split: course.split.and_then(RawSplit::named),
        dialect,
        output: profile_output,
        currency,
    })
}

/// `[course] languages`: BCP 47 tags, each once, the sources' language first (it is `language`, which
/// they set when `language` is not given). Returns the list; without one, `language` alone.
fn languages(
    locate: &Locator,
    course: &RawCourse,
    language: String,
    origins: &BTreeMap<String, Origin>,
) -> Result<Vec<String>, ConfigError> {
    let Some(listed) = &course.languages else {
        return Ok(vec![language]);
    };
    let error =
        |message: String| locate.error(&listed.span(), format!("[course] languages: {message}"));
    let tags: Vec<String> = listed
        .get_ref()
        .iter()
        .map(|t| t.trim().to_string())
        .collect();
    let Some(first) = tags.first() else {
        return Err(error(
            "name at least the sources' language, e.g. [\"en\", \"fr\"]".into(),
        ));
    };
    for (i, tag) in tags.iter().enumerate() {
        if !crate::lecture::language::is_language_tag(tag) {
            return Err(error(format!(
                "{tag:?} is not a BCP 47 tag such as \"en\", \"fr\" or \"pt-BR\""
            )));
        }
        if tags[..i].iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            return Err(error(format!("{tag:?} is listed twice")));
        }
    }
    if origins.contains_key("course.language") && !first.eq_ignore_ascii_case(&language) {
        return Err(error(format!(
            "the first is the sources' language, {first:?}, but [course] language = {language:?}; \
             list {language:?} first or leave language out"
        )));
    }
    Ok(tags)
}

/// `[translate]`: the chat provider that translates what the author did not, and its batches (whether one is
/// needed is known once the lecture is read).
fn translate(
    locate: &Locator,
    translate: RawTranslate,
    providers: &BTreeMap<String, ProviderSettings>,
) -> Result<Translate, ConfigError> {
    let api = check_provider(
        locate,
        providers,
        Section::Translate,
        &translate.provider,
        &["none"],
    )?;
    let batch = check_range(locate, "translate", "batch", &translate.batch, 1..=500)?;
    let max_attempts = check_range(
        locate,
        "translate",
        "max_attempts",
        &translate.max_attempts,
        1..=10,
    )?;
    let mut glossary: Vec<String> = translate
        .glossary
        .iter()
        .map(|term| term.trim().to_string())
        .filter(|term| !term.is_empty())
        .collect();
    // The longest first, so that a term inside another is never cut out of it.
    glossary.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    glossary.dedup();
    Ok(Translate {
        provider: translate.provider.into_inner(),
        model: translate.model.unwrap_or_else(|| {
            api.map_or("", |api| api.default_model(Section::Translate))
                .into()
        }),
        glossary,
        batch,
        max_attempts,
    })
}

/// `[video]`: the resolution, frame rate, shortest slide and subtitle formats.
fn video(locate: &Locator, video: &RawVideo) -> Result<Video, ConfigError> {
    let (width, height) = parse_resolution(video.resolution.get_ref())
        .ok_or_else(|| {
            locate.error(
                &video.resolution.span(),
                format!(
                    "[video] resolution = {:?}: expected WIDTHxHEIGHT with even numbers from 16 to 7680, e.g. \"1920x1080\"",
                    video.resolution.get_ref()
                ),
            )
        })?;
    let fps = *video.fps.get_ref();
    if !(1..=60).contains(&fps) || i64::from(AUDIO_RATE) % fps != 0 {
        return Err(locate.error(
            &video.fps.span(),
            format!(
                "[video] fps = {fps}: expected a frame rate from 1 to 60 that divides {AUDIO_RATE} (e.g. 5, 10, 25, 30)"
            ),
        ));
    }
    let min_slide_seconds = *video.min_slide_seconds.get_ref();
    if !(0.0..=60.0).contains(&min_slide_seconds) {
        return Err(locate.error(
            &video.min_slide_seconds.span(),
            format!(
                "[video] min_slide_seconds = {min_slide_seconds}: expected seconds from 0 to 60"
            ),
        ));
    }
    Ok(Video {
        width,
        height,
        fps: fps as u32,
        min_slide_seconds,
        subtitles: video.subtitles.clone(),
    })
}

/// `[script]`: the writer and its limits, and a cloud writer's model, prompt, attempts and fallback.
fn script(
    locate: &Locator,
    script: RawScript,
    providers: &BTreeMap<String, ProviderSettings>,
    project_dir: &Path,
) -> Result<Script, ConfigError> {
    let script_api = check_provider(
        locate,
        providers,
        Section::Script,
        &script.provider,
        &["outline"],
    )?;
    let max_attempts = check_range(
        locate,
        "script",
        "max_attempts",
        &script.max_attempts,
        1..=10,
    )?;
    let fallback_to_outline = match &script.fallback {
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
    let prompt = match &script.prompt {
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
    let max_slides = check_range(locate, "script", "max_slides", &script.max_slides, 1..=100)?;
    let max_bullets = check_range(locate, "script", "max_bullets", &script.max_bullets, 1..=10)?;
    let words_per_slide = check_range(
        locate,
        "script",
        "words_per_slide",
        &script.words_per_slide,
        10..=1000,
    )?;
    Ok(Script {
        provider: script.provider.into_inner(),
        max_slides,
        max_bullets,
        words_per_slide,
        model: script.model.unwrap_or_else(|| {
            script_api
                .map_or("", |api| api.default_model(Section::Script))
                .into()
        }),
        prompt,
        max_attempts,
        fallback_to_outline,
    })
}

/// `[speech]`: the voice, its pace and delivery, the loudness target, the words it says its own way and the
/// voices of other languages.
fn speech(
    locate: &Locator,
    speech: RawSpeech,
    providers: &BTreeMap<String, ProviderSettings>,
    project_dir: &Path,
    languages: &[String],
) -> Result<Speech, ConfigError> {
    let course_language = languages[0].as_str();
    let speech_api = check_provider(
        locate,
        providers,
        Section::Speech,
        &speech.provider,
        &["espeak", "piper"],
    )?;
    for (key, value) in [
        ("length_scale", &speech.length_scale),
        ("noise_scale", &speech.noise_scale),
        ("noise_w_scale", &speech.noise_w_scale),
    ] {
        let v = *value.get_ref();
        if !(v.is_finite() && (0.0..=10.0).contains(&v) && (v > 0.0 || key != "length_scale")) {
            return Err(locate.error(
                &value.span(),
                format!("[speech] {key} = {v}: expected a number from 0 to 10"),
            ));
        }
    }
    for (key, value, range, unit) in [
        ("loudness", &speech.loudness, -40.0..=-5.0, "LUFS"),
        ("true_peak", &speech.true_peak, -12.0..=0.0, "dBTP"),
    ] {
        let v = *value.get_ref();
        if !range.contains(&v) {
            return Err(locate.error(
                &value.span(),
                format!(
                    "[speech] {key} = {v}: expected {unit} from {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
        }
    }
    let piper_location = speech.piper.as_ref().map(|p| project_dir.join(p));
    let (pronounce, pronounce_in) =
        pronounce_words(speech.pronounce.as_ref(), project_dir, languages)?;
    let piper_model = match (&speech.model, speech.provider.get_ref().as_str()) {
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
    let rate = check_range(locate, "speech", "rate", &speech.rate, 80..=450)?;
    if let Some(tag) = speech
        .voices
        .keys()
        .find(|tag| !crate::lecture::language::is_language_tag(tag))
    {
        return Err(ConfigError::Setting {
            path: locate.path.to_path_buf(),
            message: format!(
                "[speech.voices] {tag:?}: expected a BCP 47 language tag such as \"fr\""
            ),
        });
    }
    let default_voice = match speech_api {
        None => crate::lecture::language::espeak_voice(course_language),
        Some(api) => (api.descriptor().default_voice)(course_language).to_string(),
    };
    let voice_given = speech.voice.is_some();
    let voice_spanned = speech
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
    Ok(Speech {
        provider: speech.provider.clone().into_inner(),
        language: speech.language.unwrap_or_else(|| {
            // Google voice names start with their language: en-US-Standard-C.
            let from_voice = voice_spanned
                .get_ref()
                .splitn(3, '-')
                .take(2)
                .collect::<Vec<_>>()
                .join("-");
            if from_voice.is_empty() {
                course_language.to_string()
            } else {
                from_voice
            }
        }),
        voice: voice_spanned.into_inner(),
        rate,
        model: speech.model.map(Spanned::into_inner).unwrap_or_else(|| {
            speech_api
                .map_or("", |api| api.default_model(Section::Speech))
                .into()
        }),
        loudness: speech.loudness.into_inner(),
        true_peak: speech.true_peak.into_inner(),
        pronounce,
        pronounce_in,
        voices: speech.voices,
        piper: PiperSettings {
            location: piper_location,
            model: piper_model,
            delivery: Delivery {
                speaker: speech.speaker,
                length_scale: speech.length_scale.into_inner(),
                noise_scale: speech.noise_scale.into_inner(),
                noise_w_scale: speech.noise_w_scale.into_inner(),
            },
        },
    })
}

/// `[speech] pronounce`: its words, or those of the TOML file it names; and the dictionaries of the course's
/// other languages, in files beside that one named after their language (`pronounce.fr.toml`).
fn pronounce_words(
    pronounce: Option<&RawPronounce>,
    project_dir: &Path,
    languages: &[String],
) -> Result<(BTreeMap<String, String>, PronounceByLanguage), ConfigError> {
    let file = match pronounce {
        None => return Ok(Default::default()),
        Some(RawPronounce::Words(words)) => return Ok((words.clone(), BTreeMap::new())),
        Some(RawPronounce::File(file)) => project_dir.join(file),
    };
    let mut others = BTreeMap::new();
    for language in &languages[1..] {
        let theirs = crate::sys::files::in_language(&file, language);
        if theirs.is_file() {
            others.insert(language.clone(), pronounce_file(&theirs, project_dir)?);
        }
    }
    Ok((pronounce_file(&file, project_dir)?, others))
}

/// The words of a pronunciation file: lines such as `SQL = "sequel"`.
fn pronounce_file(
    full: &Path,
    project_dir: &Path,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let shown = full
        .strip_prefix(project_dir)
        .unwrap_or(full)
        .display()
        .to_string();
    let bad = |message: String| ConfigError::Setting {
        path: full.to_path_buf(),
        message: format!("[speech] pronounce = {shown:?}: {message}"),
    };
    let text = crate::sys::files::read_text(full, crate::sys::files::SETTINGS_BYTES)
        .map_err(|e| bad(e.to_string()))?;
    toml::from_str::<BTreeMap<String, String>>(&text).map_err(|e| {
        bad(format!(
            "expected lines such as SQL = \"sequel\": {}",
            e.message()
        ))
    })
}

/// `[images]`: the picture provider, the theme, and a cloud provider's model and size.
fn images(
    locate: &Locator,
    images: RawImages,
    providers: &BTreeMap<String, ProviderSettings>,
) -> Result<Images, ConfigError> {
    let images_api = check_provider(
        locate,
        providers,
        Section::Images,
        &images.provider,
        &["slides"],
    )?;
    Ok(Images {
        provider: images.provider.into_inner(),
        theme: images.theme,
        model: images.model.unwrap_or_else(|| {
            images_api
                .map_or("", |api| api.default_model(Section::Images))
                .into()
        }),
        size: images.size,
    })
}

/// `[cache]`: the remote cache, its credentials' variables and its limits.
fn cache(locate: &Locator, cache: RawCache) -> Result<CacheSettings, ConfigError> {
    if let Some(remote) = &cache.remote
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
    let env_name = |value: &Option<Spanned<String>>, key: &str| {
        value
            .as_ref()
            .map_or(Ok(default_of(&format!("cache.{key}"))), |v| {
                check_variable_name(locate, v, &format!("[cache] {key}"))
            })
    };
    let token_env = match &cache.token_env {
        Some(v) => Some(check_variable_name(locate, v, "[cache] token_env")?),
        None => None,
    };
    let access_key_env = env_name(&cache.access_key_env, "access_key_env")?;
    let secret_key_env = env_name(&cache.secret_key_env, "secret_key_env")?;
    let duration = |value: &Option<Spanned<String>>, key: &str| {
        let Some(value) = value else {
            let default: String = default_of(&format!("cache.{key}"));
            return Ok(humantime::parse_duration(&default).expect("the default is a duration"));
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
    let timeout = duration(&cache.timeout, "timeout")?;
    let shard_wait = duration(&cache.shard_wait, "shard_wait")?;
    let max_blob_bytes = match &cache.max_blob_size {
        None => size::parse(&default_of::<String>("cache.max_blob_size"))
            .expect("the default is a size"),
        Some(size) => size::parse(size.get_ref())
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
    let reports = match &cache.reports {
        None => default_of("cache.reports"),
        Some(n) => check_range(locate, "cache", "reports", n, 1..=10_000)? as usize,
    };
    let s3_path_style = match &cache.s3_url_style {
        None => cache.s3_endpoint.is_some(),
        Some(style) if style.get_ref() == "path" => true,
        Some(style) if style.get_ref() == "virtual" => false,
        Some(style) => {
            return Err(locate.error(
                &style.span(),
                "[cache] s3_url_style: expected \"path\" or \"virtual\"",
            ));
        }
    };
    Ok(CacheSettings {
        remote: cache.remote.map(Spanned::into_inner),
        token_env,
        s3_endpoint: cache.s3_endpoint,
        s3_region: (cache.s3_region).unwrap_or_else(|| default_of("cache.s3_region")),
        s3_path_style,
        access_key_env,
        secret_key_env,
        timeout,
        max_blob_bytes,
        shard_wait,
        reports,
    })
}

/// Turns byte offsets into `file:line:column` errors, or into the override a value came from.
pub(super) struct Locator<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) overrides: OverrideSpans,
}

impl Locator<'_> {
    pub(super) fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ConfigError {
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
        let concurrency = check_range(
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
            Some(n) => check_range(
                locate,
                &format!("providers.{name}"),
                "max_chars",
                n,
                100..=100_000,
            )? as usize,
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
                    concurrency: concurrency as usize,
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

/// The value of `[section] key` if it is in `range` (read as any whole number, so that one too large for the
/// setting is told its range too), else an error at it.
fn check_range(
    locate: &Locator,
    section: &str,
    key: &str,
    value: &Spanned<i64>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let number = *value.get_ref();
    if let Ok(number) = u32::try_from(number)
        && range.contains(&number)
    {
        return Ok(number);
    }
    Err(locate.error(
        &value.span(),
        format!(
            "[{section}] {key} = {number}: expected a number from {} to {}",
            range.start(),
            range.end()
        ),
    ))
}

/// A serde error as an author reads it: `[video] fps: expected a whole number, got "ten"`,
/// not `invalid type: string "ten", expected u32`.
fn readable(err: &toml::de::Error) -> String {
    // Deserialized from a table (not text), the error's display ends with the keys it is at: in `video.fps`.
    let shown = err.to_string();
    let keys = shown
        .lines()
        .find_map(|line| line.strip_prefix("in `")?.strip_suffix('`'));
    // An unknown key is at its table: `[video] framerate: unknown key; [video] takes resolution, fps, ...`.
    let unknown = err
        .message()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'));
    if let Some((key, rest)) = unknown {
        let known = rest
            .trim_start_matches(", expected ")
            .trim_start_matches("one of ")
            .replace('`', "")
            .replace(" or ", ", ");
        let known = known
            .split(", ")
            .map(|k| {
                if k == "profile" && keys.is_none() {
                    "profile.NAME"
                } else {
                    k
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        return match keys {
            Some(section) => format!("[{section}] {key}: unknown key; [{section}] takes {known}"),
            None => format!("[{key}]: unknown section; the sections are {known}"),
        };
    }
    let place = keys
        .map(|keys| match keys.rsplit_once('.') {
            Some((section, key)) => format!("[{section}] {key}: "),
            None => format!("{keys}: "),
        })
        .unwrap_or_default();
    format!("{place}{}", plain_message(err.message()))
}

/// serde's words for a wrong value, in an author's.
fn plain_message(message: &str) -> String {
    let wrong = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "));
    if let Some((got, expected)) = wrong {
        return format!("expected {}, got {}", expectation(expected), value(got));
    }
    let variant = message
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split_once("`, expected "));
    if let Some((got, expected)) = variant {
        return format!("expected {}, got \"{got}\"", expected.replace('`', "\""));
    }
    message.to_string()
}

/// What serde says was expected (`u32`, `a sequence`), as an author says it.
fn expectation(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a string" => "text in quotes",
        "a boolean" => "true or false",
        "a sequence" => "a list in [brackets]",
        other if other == "a map" || other.starts_with("struct ") => "a table",
        other => other,
    }
}

/// The value serde found (`string "ten"`, ``integer `-3` ``), as it is written in the file.
fn value(got: &str) -> String {
    let quoted = |text: &str| text.trim_matches('`').to_string();
    match got.split_once(' ') {
        Some(("string", text)) => text.to_string(),
        Some(("integer" | "boolean" | "character", text)) => quoted(text),
        Some(("floating", text)) => quoted(text.trim_start_matches("point ")),
        _ => match got {
            "sequence" => "a list".into(),
            "map" => "a table".into(),
            other => other.into(),
        },
    }
}
