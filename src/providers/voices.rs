//! Which voice speaks a language: the course's `[course] language` is spoken by the `[speech]` voice, and a
//! chapter in another language (`<!-- vbuild: language=fr -->`) by the voice `[speech.voices]` names for it
//! (by its full tag, then its primary subtag), or the provider's own voice for that language where it has one
//! (espeak-ng's, a cloud service's default).

use std::collections::BTreeMap;

use crate::config::Speech;

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
        let voices: BTreeMap<String, String> = [("fr".to_string(), "fr-be".to_string())].into();
        assert_eq!(listed(&voices, "fr-FR"), Some(&"fr-be".to_string()));
        assert_eq!(listed(&voices, "de"), None);
    }
}
