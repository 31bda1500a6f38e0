//! The author's pronunciation dictionary (`[speech.pronounce]`): how words are said, applied to the spoken
//! text only (subtitles keep the written word). Matches are whole words and case-sensitive: `SQL = "sequel"`
//! changes "SQL" in "SQL joins" but not "sql" or "MySQL".

use std::collections::BTreeMap;

/// Written words and how to say them, longest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    entries: Vec<(String, String)>,
}

/// True for characters that belong to a word (a match must not continue into them).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Dictionary {
    /// A dictionary of `words` (written form to spoken form).
    pub fn new(words: &BTreeMap<String, String>) -> Dictionary {
        let mut entries: Vec<(String, String)> = words
            .iter()
            .filter(|(written, _)| !written.is_empty())
            .map(|(w, s)| (w.clone(), s.clone()))
            .collect();
        entries.sort_by_key(|(written, _)| std::cmp::Reverse(written.chars().count()));
        Dictionary { entries }
    }

    /// `text` as it is to be said: every whole-word match replaced, in one pass (a replacement is never
    /// replaced again).
    pub fn apply(&self, text: &str) -> String {
        self.scan(text).0
    }

    /// The entries that change `text`, as `written = spoken` lines: what its audio key signs.
    pub fn used(&self, text: &str) -> Vec<String> {
        let used = self.scan(text).1;
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, _)| used.contains(i))
            .map(|(_, (written, spoken))| format!("{written} = {spoken}"))
            .collect()
    }

    /// The replaced text and the indices of the entries used.
    fn scan(&self, text: &str) -> (String, Vec<usize>) {
        let mut used = Vec::new();
        if self.entries.is_empty() {
            return (text.to_string(), used);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut previous: Option<char> = None;
        'scan: while let Some(c) = rest.chars().next() {
            if !previous.is_some_and(word_char) {
                for (index, (written, spoken)) in self.entries.iter().enumerate() {
                    if let Some(after) = rest.strip_prefix(written.as_str())
                        && !after.chars().next().is_some_and(word_char)
                    {
                        out.push_str(spoken);
                        if !used.contains(&index) {
                            used.push(index);
                        }
                        previous = written.chars().last();
                        rest = after;
                        continue 'scan;
                    }
                }
            }
            out.push(c);
            previous = Some(c);
            rest = &rest[c.len_utf8()..];
        }
        (out, used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_case_sensitive_longest_first_once() {
        let words: BTreeMap<String, String> = [
            ("SQL", "sequel"),
            ("C++", "C plus plus"),
            ("SQL Server", "sequel server"),
            ("nginx", "engine x"),
        ]
        .into_iter()
        .map(|(w, s)| (w.to_string(), s.to_string()))
        .collect();
        let dictionary = Dictionary::new(&words);
        assert_eq!(
            dictionary.apply("SQL, MySQL, sql, SQL Server and C++ (nginx)."),
            "sequel, MySQL, sql, sequel server and C plus plus (engine x)."
        );
        assert_eq!(dictionary.apply("SQLSQL SQL"), "SQLSQL sequel");
        assert_eq!(dictionary.used("a SQL query"), ["SQL = sequel"]);
        assert!(dictionary.used("no match").is_empty());
        assert_eq!(Dictionary::default().apply("SQL"), "SQL");
    }
}
