//! Configuration layering: the Videofile, then a `[profile.NAME]` section of it, then `VBUILD_*` environment
//! variables, then `--set` flags; each layer overrides the one before, key by key.
//!
//! The layers are merged as TOML tables that keep a span for every value, so an error in any layer names where
//! the value came from: `Videofile:12:7` for the file and its profiles, `environment VBUILD_VIDEO_FPS` or
//! `--set video.fps=7` for the others. The environment rule: `VBUILD_<SECTION>_<KEY>` sets `[section] key`
//! (`VBUILD_SPEECH_VOICE=en-gb`, `VBUILD_SCRIPT_MAX_SLIDES=4`) for a known section and key; values are read
//! as TOML, else as a string. Other `VBUILD_*` variables, and any variable a `*_env` key names (a key or
//! token, such as `token_env = "VBUILD_CACHE_TOKEN"`), are not settings.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The sections environment variables may set, with their keys: `VBUILD_<SECTION>_<KEY>` is a setting only
/// for these; any other `VBUILD_*` variable is left alone.
pub type Sections<'a> = &'a [(&'static str, &'static [&'static str])];

/// The environment variable that selects a profile when `--profile` is not given.
pub const PROFILE_VARIABLE: &str = "VBUILD_PROFILE";

/// Values that override the Videofile, from the environment and the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--profile NAME`, else `VBUILD_PROFILE`.
    pub profile: Option<String>,
    /// `VBUILD_*` variables (the real environment wins over `.env`).
    pub environment: Vec<Variable>,
    /// `--set SECTION.KEY=VALUE` flags, in order.
    pub flags: Vec<String>,
}

/// An environment variable that sets a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// True when it came from the project's `.env` file rather than the process environment.
    pub from_dotenv: bool,
}

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    Videofile {
        line: usize,
    },
    Profile {
        name: String,
        line: usize,
    },
    Environment {
        variable: String,
        from_dotenv: bool,
    },
    Flag {
        text: String,
    },
    /// Taken from the lecture: `lecture.md's first level-1 heading`.
    Lecture {
        from: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Videofile { line } => write!(f, "Videofile:{line}"),
            Origin::Profile { name, line } => write!(f, "profile {name} (Videofile:{line})"),
            Origin::Environment {
                variable,
                from_dotenv: false,
            } => write!(f, "environment {variable}"),
            Origin::Environment {
                variable,
                from_dotenv: true,
            } => write!(f, "{variable} in .env"),
            Origin::Flag { text } => write!(f, "--set {text}"),
            Origin::Lecture { from } => write!(f, "from {from}"),
        }
    }
}

/// A layering problem, located in the text of the layer it came from.
#[derive(Debug)]
pub enum LayerError {
    /// At this span of the Videofile (or of an override, see [`Layered::origin_of`]).
    At(Range<usize>, String),
    /// Not tied to one value.
    General(String),
}

/// The merged configuration, ready to deserialize, with the origin of every value.
pub struct Layered<'i> {
    pub table: Spanned<DeTable<'i>>,
    /// `section.key` (or deeper) to where its value came from.
    pub origins: BTreeMap<String, Origin>,
    pub overrides: OverrideSpans,
}

/// Where the spans of values that are not in the file lead: each override's value gets spans starting at
/// `text_len + 1 + index * STRIDE`.
#[derive(Debug, Clone, Default)]
pub struct OverrideSpans {
    origins: Vec<Origin>,
    text_len: usize,
}

const STRIDE: usize = 1 << 20;

impl OverrideSpans {
    /// The override a span past the end of the file belongs to, if it is one.
    pub fn origin_of(&self, span: &Range<usize>) -> Option<&Origin> {
        let offset = span.start.checked_sub(self.text_len + 1)?;
        self.origins.get(offset / STRIDE)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The `[section] key` a `VBUILD_<SECTION>_<KEY>` variable sets, if it names one of `sections`.
fn setting_of(variable: &str, sections: Sections) -> Option<(&'static str, &'static str)> {
    let rest = variable.strip_prefix("VBUILD_")?.to_lowercase();
    let (section, key) = rest.split_once('_')?;
    let (section, keys) = sections.iter().find(|(name, _)| *name == section)?;
    let key = keys.iter().find(|k| **k == key)?;
    Some((section, key))
}

/// The values of every `*_env` key in `table` (and deeper): names of variables that hold secrets, which are
/// never read as settings.
fn secret_variables(table: &DeTable, names: &mut Vec<String>) {
    for (key, value) in table.iter() {
        match value.get_ref() {
            DeValue::Table(inner) => secret_variables(inner, names),
            DeValue::String(name) if key.get_ref().ends_with("_env") => {
                names.push(name.to_string())
            }
            _ => {}
        }
    }
}

/// Merges the layers over the Videofile `text`; environment variables set the keys of `sections`.
pub fn layer<'i>(
    text: &'i str,
    overrides: &'i Overrides,
    sections: Sections,
) -> Result<Layered<'i>, LayerError> {
    let mut table = DeTable::parse(text)
        .map_err(|e| LayerError::At(e.span().unwrap_or(0..0), e.message().to_string()))?;
    let mut origins = BTreeMap::new();
    record_origins(table.get_ref(), "", &mut origins, &|span| {
        Origin::Videofile {
            line: line_of(text, span.start),
        }
    });
    let profiles = table.get_mut().remove("profile");
    if let Some(name) = &overrides.profile {
        let profiles = match profiles.as_ref().map(|p| p.get_ref()) {
            Some(DeValue::Table(profiles)) => profiles,
            _ => &DeTable::new(),
        };
        let Some(DeValue::Table(profile)) = profiles.get(name.as_str()).map(Spanned::get_ref)
        else {
            let names: Vec<&str> = profiles.keys().map(|k| k.get_ref().as_ref()).collect();
            return Err(LayerError::General(format!(
                "profile {name:?} is not in the Videofile (profiles: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        };
        let origin = |span: Range<usize>| Origin::Profile {
            name: name.clone(),
            line: line_of(text, span.start),
        };
        record_origins(profile, "", &mut origins, &origin);
        merge(table.get_mut(), profile.clone());
    }
    let mut secrets = Vec::new();
    secret_variables(table.get_ref(), &mut secrets);
    for flag in &overrides.flags {
        if let Some((path, value)) = flag.split_once('=')
            && path.trim().ends_with("_env")
        {
            secrets.push(value.trim().trim_matches('"').to_string());
        }
    }
    let mut virtual_origins = Vec::new();
    let mut set = |path: Vec<String>, value: &'i str, origin: Origin| -> Result<(), LayerError> {
        let base = text.len() + 1 + virtual_origins.len() * STRIDE;
        let parsed = match DeValue::parse(value) {
            Ok(parsed) => shift(parsed, base),
            Err(_) => Spanned::new(
                base..base + value.len(),
                DeValue::String(Cow::Borrowed(value)),
            ),
        };
        origins.insert(path.join("."), origin.clone());
        virtual_origins.push(origin);
        insert(table.get_mut(), &path, parsed, base)
    };
    for Variable {
        name: variable,
        value,
        from_dotenv,
    } in &overrides.environment
    {
        if secrets.contains(variable) {
            log::debug!("{variable} holds a secret the Videofile names; it is not a setting");
            continue;
        }
        let Some((section, key)) = setting_of(variable, sections) else {
            log::debug!(
                "{variable} is not a setting (VBUILD_<SECTION>_<KEY> with a known section and key); ignored"
            );
            continue;
        };
        let origin = Origin::Environment {
            variable: variable.clone(),
            from_dotenv: *from_dotenv,
        };
        set(vec![section.to_string(), key.to_string()], value, origin)?;
    }
    for flag in &overrides.flags {
        let Some((path, value)) = flag.split_once('=').filter(|(p, _)| p.contains('.')) else {
            return Err(LayerError::General(format!(
                "--set {flag}: expected SECTION.KEY=VALUE, e.g. video.fps=5"
            )));
        };
        let path: Vec<String> = path.split('.').map(|p| p.trim().to_string()).collect();
        set(path, value, Origin::Flag { text: flag.clone() })?;
    }
    Ok(Layered {
        table,
        origins,
        overrides: OverrideSpans {
            origins: virtual_origins,
            text_len: text.len(),
        },
    })
}

/// Records the origin of every leaf value of `table` under `prefix`.
fn record_origins(
    table: &DeTable,
    prefix: &str,
    origins: &mut BTreeMap<String, Origin>,
    origin: &dyn Fn(Range<usize>) -> Origin,
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        match value.get_ref() {
            DeValue::Table(inner) if path != "profile" => {
                record_origins(inner, &path, origins, origin)
            }
            DeValue::Table(_) => {}
            _ => {
                origins.insert(path, origin(value.span()));
            }
        }
    }
}

/// Merges `layer` into `base`: tables key by key, other values replaced.
fn merge<'i>(base: &mut DeTable<'i>, layer: DeTable<'i>) {
    for (key, value) in layer {
        let existing = base.get_mut(key.get_ref().as_ref());
        match (existing.map(Spanned::get_mut), value.get_ref()) {
            (Some(DeValue::Table(inner)), DeValue::Table(_)) => {
                let DeValue::Table(layer_inner) = value.into_inner() else {
                    unreachable!()
                };
                merge(inner, layer_inner);
            }
            _ => {
                base.insert(key, value);
            }
        }
    }
}

/// Sets `value` at `path` in `table`, making tables on the way.
fn insert<'i>(
    table: &mut DeTable<'i>,
    path: &[String],
    value: Spanned<DeValue<'i>>,
    base: usize,
) -> Result<(), LayerError> {
    let (last, parents) = path.split_last().expect("paths are not empty");
    let mut current = table;
    for part in parents {
        let key = Spanned::new(base..base, Cow::Owned(part.clone()));
        let entry = current
            .entry(key)
            .or_insert_with(|| Spanned::new(base..base, DeValue::Table(DeTable::new())));
        current = match entry.get_mut() {
            DeValue::Table(inner) => inner,
            _ => return Err(LayerError::At(base..base, format!("{part} is not a table"))),
        };
    }
    current.insert(Spanned::new(base..base, Cow::Owned(last.clone())), value);
    Ok(())
}

/// Moves every span in `value` by `by` (an override's value was parsed on its own, from offset 0).
fn shift(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let moved = |r: Range<usize>| r.start + by..r.end + by;
    let inner = match value.into_inner() {
        DeValue::Array(items) => DeValue::Array(items.into_iter().map(|v| shift(v, by)).collect()),
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(k, v)| {
                    let key_span = moved(k.span());
                    (Spanned::new(key_span, k.into_inner()), shift(v, by))
                })
                .collect(),
        ),
        other => other,
    };
    Spanned::new(moved(span), inner)
}

/// The `VBUILD_*` variables of `real` (the process environment) and `dotenv` (a `.env` file), the real ones
/// winning; and the profile they select.
pub fn from_environment(
    real: &BTreeMap<String, String>,
    dotenv: &BTreeMap<String, String>,
) -> (Vec<Variable>, Option<String>) {
    let mut merged: BTreeMap<&String, (&String, bool)> =
        dotenv.iter().map(|(n, v)| (n, (v, true))).collect();
    merged.extend(real.iter().map(|(n, v)| (n, (v, false))));
    let profile = merged
        .remove(&PROFILE_VARIABLE.to_string())
        .map(|(v, _)| v.clone());
    let variables = merged
        .into_iter()
        .filter(|(name, _)| name.starts_with("VBUILD_"))
        .map(|(name, (value, from_dotenv))| Variable {
            name: name.clone(),
            value: value.clone(),
            from_dotenv,
        })
        .collect();
    (variables, profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTIONS: Sections = &[("video", &["fps", "resolution"]), ("cache", &["remote"])];

    const TEXT: &str =
        "[video]\nfps = 10\n\n[profile.ci.video]\nfps = 5\nresolution = \"640x360\"\n";

    fn fps(layered: &Layered) -> i64 {
        let DeValue::Table(video) = layered.table.get_ref().get("video").unwrap().get_ref() else {
            panic!()
        };
        let DeValue::Integer(fps) = video.get("fps").unwrap().get_ref() else {
            panic!()
        };
        fps.as_str().parse().unwrap()
    }

    #[test]
    fn each_layer_overrides_the_one_before_and_says_so() {
        let none = Overrides::default();
        let layered = layer(TEXT, &none, SECTIONS).unwrap();
        assert_eq!(fps(&layered), 10);
        assert!(layered.table.get_ref().get("profile").is_none());

        let profile = Overrides {
            profile: Some("ci".into()),
            ..Overrides::default()
        };
        let layered = layer(TEXT, &profile, SECTIONS).unwrap();
        assert_eq!(fps(&layered), 5);
        assert_eq!(
            layered.origins["video.fps"],
            Origin::Profile {
                name: "ci".into(),
                line: 5
            }
        );
        assert_eq!(
            layered.origins["video.resolution"].to_string(),
            "profile ci (Videofile:6)"
        );

        let variable = |name: &str, value: &str| Variable {
            name: name.into(),
            value: value.into(),
            from_dotenv: false,
        };
        let env = Overrides {
            environment: vec![variable("VBUILD_VIDEO_FPS", "25")],
            ..profile.clone()
        };
        assert_eq!(fps(&layer(TEXT, &env, SECTIONS).unwrap()), 25);

        let flag = Overrides {
            flags: vec!["video.fps=30".into()],
            ..env
        };
        let layered = layer(TEXT, &flag, SECTIONS).unwrap();
        assert_eq!(fps(&layered), 30);
        assert_eq!(
            layered.origins["video.fps"].to_string(),
            "--set video.fps=30"
        );
        let span = layered.table.get_ref().get("video").unwrap().get_ref();
        let DeValue::Table(video) = span else {
            panic!()
        };
        let fps_span = video.get("fps").unwrap().span();
        assert_eq!(
            layered.overrides.origin_of(&fps_span).unwrap().to_string(),
            "--set video.fps=30"
        );
    }

    #[test]
    fn unknown_profiles_are_errors_and_other_variables_are_not_settings() {
        let missing = Overrides {
            profile: Some("nope".into()),
            ..Overrides::default()
        };
        let Err(LayerError::General(message)) = layer(TEXT, &missing, SECTIONS) else {
            panic!()
        };
        assert!(message.contains("profiles: ci"), "{message}");
        let variable = |name: &str, value: &str| Variable {
            name: name.into(),
            value: value.into(),
            from_dotenv: false,
        };
        let text = "[video]\nfps = 10\n[cache]\ntoken_env = \"VBUILD_CACHE_REMOTE\"\n";
        let stray = Overrides {
            environment: vec![
                variable("VBUILD_AUDIO_VOICE", "x"),
                variable("VBUILD_VIDEO_FRAMERATE", "x"),
                variable("VBUILD_CACHE_TOKEN", "secret-token"),
                variable("VBUILD_", "x"),
                // Named by token_env: a secret, although it looks like a setting.
                variable("VBUILD_CACHE_REMOTE", "secret-token"),
            ],
            ..Overrides::default()
        };
        let layered = layer(text, &stray, SECTIONS).unwrap();
        assert_eq!(fps(&layered), 10);
        assert!(
            !layered
                .origins
                .values()
                .any(|o| matches!(o, Origin::Environment { .. })),
            "{:?}",
            layered.origins
        );
    }

    #[test]
    fn the_real_environment_wins_over_dotenv() {
        let real: BTreeMap<String, String> = [
            ("VBUILD_SPEECH_VOICE".to_string(), "en-gb".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ]
        .into();
        let dotenv: BTreeMap<String, String> = [
            ("VBUILD_SPEECH_VOICE".to_string(), "en-us".to_string()),
            ("VBUILD_PROFILE".to_string(), "ci".to_string()),
        ]
        .into();
        let (variables, profile) = from_environment(&real, &dotenv);
        let voice = Variable {
            name: "VBUILD_SPEECH_VOICE".into(),
            value: "en-gb".into(),
            from_dotenv: false,
        };
        assert_eq!(variables, [voice]);
        assert_eq!(profile.as_deref(), Some("ci"));
    }
}
