//! Sentences: where prose is cut into the sentences that are spoken and cued one by one, in Latin and CJK
//! scripts.

/// Splits prose into sentences at `.`, `!` or `?` followed by white space, and after `。`, `！` or `？` (with
/// the quotes that close on them).
pub fn split(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        // A full stop of Chinese or Japanese ends a sentence where it stands; a Latin one before a space,
        // after more than one word (not "Dr." or "e.g.").
        let wide_stop = |c: char| matches!(c, '。' | '！' | '？');
        // A quote closing on a full stop ends the sentence only before a space: 「本当？」と聞いた is one.
        let wide_end = wide_stop(c) && chars.peek().is_none_or(|n| !closes_quote(*n))
            || closes_quote(c)
                && current.chars().rev().nth(1).is_some_and(wide_stop)
                && chars.peek().is_none_or(|n| n.is_whitespace());
        let at_end = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
        if wide_end || at_end && current.split_whitespace().count() > 1 {
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
