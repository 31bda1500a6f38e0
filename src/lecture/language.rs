//! Languages: BCP 47 tags, the scripts text is written in, and espeak-ng's voice for a language.

use std::collections::BTreeMap;

/// Whether `tag` has the shape of a BCP 47 language tag: `en`, `fr-CA`, `zh-Hant-TW`.
pub fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// The language whose script most of `text`'s letters are in, when that is not the Latin script and
/// `language` (an English course's default) would read it letter by letter: `zh`, `ja`, `ko`, `ru`, `el`,
/// `ar`, `he` or `hi`.
pub fn unread_script(text: &str, language: &str) -> Option<&'static str> {
    if !language.to_lowercase().starts_with("en") {
        return None;
    }
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut latin = 0;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        let script = match u32::from(c) {
            0x3040..=0x30FF => "ja",
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => "zh",
            0xAC00..=0xD7AF | 0x1100..=0x11FF => "ko",
            0x0400..=0x04FF => "ru",
            0x0370..=0x03FF => "el",
            0x0600..=0x06FF => "ar",
            0x0590..=0x05FF => "he",
            0x0900..=0x097F => "hi",
            _ => {
                latin += 1;
                continue;
            }
        };
        *counts.entry(script).or_default() += 1;
    }
    // Japanese is written with kanji and kana: any kana makes Han text Japanese.
    if counts.contains_key("ja") {
        let han = counts.remove("zh").unwrap_or(0);
        *counts.entry("ja").or_default() += han;
    }
    let (script, count) = counts.into_iter().max_by_key(|(_, count)| *count)?;
    (count > latin).then_some(script)
}

/// Whether `text` in `language` is Japanese with kanji, which espeak-ng cannot read.
pub fn espeak_spells_kanji(text: &str, language: &str) -> bool {
    language.to_lowercase().split('-').next() == Some("ja")
        && text
            .chars()
            .any(|c| matches!(u32::from(c), 0x4E00..=0x9FFF | 0x3400..=0x4DBF))
}

/// espeak-ng's voice for a BCP 47 tag: `en` is American English, Chinese is Mandarin, else the tag itself.
///
/// Mandarin is `cmn-latn-pinyin`: espeak-ng 1.51's `cmn` voice reads the pinyin it transliterates characters
/// into as English (你好 -> "nee three hey three"), the pinyin voice reads it as Mandarin with its tones.
pub fn espeak_voice(language: &str) -> String {
    let tag = language.to_lowercase();
    let primary = tag.split('-').next().unwrap_or_default();
    match (tag.as_str(), primary) {
        ("en", _) => "en-us".into(),
        ("zh-yue" | "yue", _) => "yue".into(),
        (_, "zh" | "cmn") => "cmn-latn-pinyin".into(),
        _ => tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_scripts_and_espeak_voices() {
        assert!(is_language_tag("pt-BR") && is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("") && !is_language_tag("fr_FR") && !is_language_tag("en-"));
        assert_eq!(unread_script("機械学習とは何か", "en"), Some("ja"));
        assert_eq!(unread_script("机器学习是什么", "en"), Some("zh"));
        assert_eq!(unread_script("机器学习是什么", "zh"), None);
        assert_eq!(unread_script("A word on 机器 learning", "en"), None);
        assert!(espeak_spells_kanji("機械学習とは", "ja") && !espeak_spells_kanji("きかい", "ja"));
        assert_eq!(espeak_voice("en"), "en-us");
        assert_eq!(espeak_voice("fr-CA"), "fr-ca");
        assert_eq!(espeak_voice("zh-Hant"), "cmn-latn-pinyin");
        assert_eq!(espeak_voice("yue"), "yue");
    }
}
