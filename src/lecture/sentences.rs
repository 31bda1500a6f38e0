//! Sentences: where prose is cut into the sentences that are spoken and cued one by one, in Latin and CJK
//! scripts, and how a narrator says what is written for the eye (web addresses).

use std::sync::LazyLock;

use regex::Regex;

/// Abbreviations whose full stop does not end a sentence (compared in lower case, without the stop).
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "cf", "vs", "etc", "al", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr",
    "fig", "figs", "eq", "eqs", "no", "nos", "vol", "pp", "approx", "ca", "resp", "sec", "ch",
    "ref", "refs", "viz", "inc", "ltd", "co", "u.s", "u.k", "a.m", "p.m", "ph.d", "dept", "est",
    "min", "max",
];

/// True when the Latin full stop, `!` or `?` at `chars[i]` ends a sentence: a space or the end follows,
/// and it is not the stop of an abbreviation ("e.g.", "Dr."), an initial ("J. Smith") or an ordinal
/// number ("1.").
pub fn ends_at(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    if !matches!(c, '.' | '!' | '?') || chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
        return false;
    }
    if c != '.' {
        return true;
    }
    let start = chars[..i]
        .iter()
        .rposition(|c| c.is_whitespace() || matches!(c, '(' | '"' | '“' | '‘' | '\''))
        .map_or(0, |p| p + 1);
    let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
    let initial = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
    let number = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) && start == 0;
    !(ABBREVIATIONS.contains(&word.as_str()) || initial || number)
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:https?://|www\.)[^\s<>()\[\]]+").expect("a valid pattern"));

/// Narration as a voice should say it: a web address by its site's name ("github.com"), never spelled
/// out character by character.
pub fn spoken(text: &str) -> String {
    URL.replace_all(text, |found: &regex::Captures| {
        let url = &found[0];
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
        let rest = url[trimmed.len()..].to_string();
        let host = trimmed
            .split_once("://")
            .map_or(trimmed, |(_, after)| after)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or(host);
        let host = host.split(':').next().unwrap_or(host);
        format!("{}{rest}", host.strip_prefix("www.").unwrap_or(host))
    })
    .into_owned()
}

/// Splits prose into sentences at `.`, `!` or `?` followed by white space, and after `。`, `！` or `？` (with
/// the quotes that close on them).
pub fn split(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        // A full stop of Chinese or Japanese ends a sentence where it stands; a Latin one before a space,
        // unless it ends an abbreviation ("Dr.", "e.g.").
        let wide_stop = |c: char| matches!(c, '。' | '！' | '？');
        // A quote closing on a full stop ends the sentence only before a space: 「本当？」と聞いた is one.
        let wide_end = wide_stop(c) && chars.peek().is_none_or(|n| !closes_quote(*n))
            || closes_quote(c)
                && current.chars().rev().nth(1).is_some_and(wide_stop)
                && chars.peek().is_none_or(|n| n.is_whitespace());
        let at_end =
            matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace()) && {
                let so_far: Vec<char> = current.chars().collect();
                ends_at(&so_far, so_far.len() - 1)
            };
        if wide_end || at_end {
            sentences.push(current.trim().to_string());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        sentences.push(current.trim().to_string());
    }
    sentences
}

/// A closing quote or bracket that belongs to the sentence before it.
fn closes_quote(c: char) -> bool {
    "」』）\"'”’".contains(c)
}

/// Makes a heading or list item a sentence a narrator can read: a full stop after Latin text, `。` after
/// Chinese or Japanese.
pub fn as_sentence(text: &str) -> String {
    let text = text.trim();
    match text.chars().last() {
        None => String::new(),
        Some('.' | '!' | '?' | ':' | '。' | '！' | '？' | '：') => text.to_string(),
        Some(last) if matches!(u32::from(last), 0x3040..=0x30FF | 0x3400..=0x9FFF) => {
            format!("{text}。")
        }
        Some(_) => format!("{text}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_initials_and_numbers_do_not_end_sentences() {
        assert_eq!(
            split(
                "Use a cache, e.g. a CDN, i.e. close copies. Ask Dr. Lee and J. Smith. Done. Yes!"
            ),
            [
                "Use a cache, e.g. a CDN, i.e. close copies.",
                "Ask Dr. Lee and J. Smith.",
                "Done.",
                "Yes!"
            ]
        );
    }

    #[test]
    fn web_addresses_are_said_by_their_site() {
        assert_eq!(
            spoken("See https://www.example.org/docs/a?b=1, or http://user@host.io:8080/x."),
            "See example.org, or host.io."
        );
        assert_eq!(spoken("No address here."), "No address here.");
    }

    #[test]
    fn sentences_end_at_latin_and_cjk_full_stops() {
        assert_eq!(
            split("Dr. Smith came. He left! Did he?"),
            ["Dr. Smith came.", "He left!", "Did he?"]
        );
        assert_eq!(
            split("机器学习是一个分支。它从数据中学习！「本当？」と聞いた。「はい。」 次へ。"),
            [
                "机器学习是一个分支。",
                "它从数据中学习！",
                "「本当？」と聞いた。",
                "「はい。」",
                "次へ。"
            ]
        );
        assert_eq!(as_sentence("机器学习"), "机器学习。");
        assert_eq!(as_sentence("Tides"), "Tides.");
        assert_eq!(as_sentence("Why?"), "Why?");
    }
}
