//! Which voice speaks a language: the course's `[course] language` is spoken by the `[speech]` voice, and a
//! chapter in another language (`<!-- vbuild: language=fr -->`) by the voice `[speech.voices]` names for it
//! (by its full tag, then its primary subtag), or the provider's own voice for that language where it has one
//! (espeak-ng's, a cloud service's default).

use std::collections::BTreeMap;

use crate::videofile::Speech;

/// Whether `tag` has the shape of a BCP 47 language tag: `en`, `fr-CA`, `zh-Hant-TW`.
pub fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// espeak-ng's voice for a BCP 47 tag: `en` is American English, Chinese is Mandarin, else the tag itself.
pub fn espeak_voice(language: &str) -> String {
    let tag = language.to_lowercase();
    let primary = tag.split('-').next().unwrap_or_default();
    match (tag.as_str(), primary) {
        ("en", _) => "en-us".into(),
        (_, "zh") => "cmn".into(),
        _ => tag,
    }
}

/// The voice `[speech.voices]` names for `language` (by tag, then primary subtag).
fn listed<'a>(voices: &'a BTreeMap<String, String>, language: &str) -> Option<&'a String> {
    let lower = language.to_lowercase();
    let primary = lower.split('-').next().unwrap_or_default();
    voices
        .iter()
        .find(|(tag, _)| tag.to_lowercase() == lower)
        .or_else(|| voices.iter().find(|(tag, _)| tag.to_lowercase() == primary))
        .map(|(_, voice)| voice)
}

/// The voice the Videofile names for `language`, if it names one: the `[speech]` voice (or piper voice
/// file) for the course's language, else `[speech.voices]`.
pub fn named(speech: &Speech, course_language: &str, language: &str) -> Option<String> {
    if let Some(voice) = listed(&speech.voices, language) {
        return Some(voice.clone());
    }
    if language.eq_ignore_ascii_case(course_language) {
        let own = if speech.provider == "piper" {
            speech.piper.model.as_ref().map(|m| m.display().to_string())
        } else {
            Some(speech.voice.clone()).filter(|v| !v.is_empty())
        };
        return own;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_find_their_voices() {
        assert!(is_language_tag("pt-BR") && is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("") && !is_language_tag("fr_FR") && !is_language_tag("en-"));
        assert_eq!(espeak_voice("en"), "en-us");
        assert_eq!(espeak_voice("fr-CA"), "fr-ca");
        assert_eq!(espeak_voice("zh-Hant"), "cmn");
        let voices: BTreeMap<String, String> = [("fr".to_string(), "fr-be".to_string())].into();
        assert_eq!(listed(&voices, "fr-FR"), Some(&"fr-be".to_string()));
        assert_eq!(listed(&voices, "de"), None);
    }
}
