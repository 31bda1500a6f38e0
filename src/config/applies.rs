//! Which `[speech]` settings each kind of speech provider reads, so that a setting made for another (`rate`
//! with piper) is said to do nothing instead of being ignored in silence.

use super::Videofile;

/// The kind of speech provider a `[speech] provider` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechKind {
    Espeak,
    Piper,
    Cloud,
}

impl SpeechKind {
    /// The kind of `provider`.
    pub fn of(provider: &str) -> SpeechKind {
        match provider {
            "espeak" => SpeechKind::Espeak,
            "piper" => SpeechKind::Piper,
            _ => SpeechKind::Cloud,
        }
    }
}

/// Each `[speech]` key that only some kinds read: the kinds, and what to set instead with the others.
const SPEECH_KEYS: &[(&str, &[SpeechKind], &str)] = &[
    (
        "voice",
        &[SpeechKind::Espeak, SpeechKind::Cloud],
        "piper speaks with its voice file: set model (or [speech.voices])",
    ),
    (
        "rate",
        &[SpeechKind::Espeak],
        "piper's pace is length_scale (above 1 is slower); a cloud voice keeps its own pace",
    ),
    (
        "model",
        &[SpeechKind::Piper, SpeechKind::Cloud],
        "espeak-ng's voices are named by voice",
    ),
    (
        "language",
        &[SpeechKind::Cloud],
        "espeak and piper take the language from [course] language",
    ),
    ("piper", &[SpeechKind::Piper], "it is where piper is"),
    (
        "length_scale",
        &[SpeechKind::Piper],
        "espeak's pace is rate",
    ),
    (
        "noise_scale",
        &[SpeechKind::Piper],
        "it shapes piper's voice",
    ),
    (
        "noise_w_scale",
        &[SpeechKind::Piper],
        "it shapes piper's voice",
    ),
    (
        "speaker",
        &[SpeechKind::Piper],
        "it picks a speaker of a piper voice",
    ),
];

/// True when the `[speech]` `key` does something with a provider of `kind`.
pub fn speech_key_applies(key: &str, kind: SpeechKind) -> bool {
    SPEECH_KEYS
        .iter()
        .find(|(k, ..)| *k == key)
        .is_none_or(|(_, kinds, _)| kinds.contains(&kind))
}

impl Videofile {
    /// What the author set (in the Videofile, a profile, the environment or `--set`) that the chosen speech
    /// provider does not read: one line each, naming where it was set and what to set instead.
    pub fn settings_that_do_nothing(&self) -> Vec<String> {
        let provider = &self.speech.provider;
        let kind = SpeechKind::of(provider);
        let translate = (self.course.languages.len() < 2)
            .then(|| self.origins.iter().find(|(key, _)| key.starts_with("translate.")))
            .flatten()
            .map(|(key, origin)| {
                let name = key.trim_start_matches("translate.");
                format!(
                    "{origin}: [translate] {name} does nothing: [course] languages lists one language"
                )
            });
        let speech = SPEECH_KEYS
            .iter()
            .filter(|(_, kinds, _)| !kinds.contains(&kind))
            .filter_map(|(key, _, instead)| {
                let origin = self.origins.get(&format!("speech.{key}"))?;
                Some(format!(
                    "{origin}: [speech] {key} does nothing with the {provider} voice; {instead}"
                ))
            });
        translate.into_iter().chain(speech).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::layers::Overrides;
    use std::path::Path;

    #[test]
    fn a_rate_set_for_piper_is_said_to_do_nothing_and_where_it_was_set() {
        let overrides = Overrides {
            flags: vec!["speech.rate=200".into()],
            ..Overrides::default()
        };
        let text = "[course]\ntitle = \"T\"\nsources = [\"l.md\"]\n[speech]\nprovider = \"piper\"\nvoice = \"en-us\"\n";
        let videofile = Videofile::parse(Path::new("Videofile"), text, &overrides).unwrap();
        let said = videofile.settings_that_do_nothing();
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].starts_with("Videofile:6: [speech] voice does nothing with the piper voice"),
            "{said:?}"
        );
        assert!(
            said[1].starts_with("--set speech.rate=200: [speech] rate does nothing"),
            "{said:?}"
        );
        let espeak = "[course]\ntitle = \"T\"\nsources = [\"l.md\"]\n[speech]\nprovider = \"espeak\"\nrate = 200\n";
        let videofile =
            Videofile::parse(Path::new("Videofile"), espeak, &Overrides::default()).unwrap();
        assert!(videofile.settings_that_do_nothing().is_empty());
    }
}
