//! How text from outside (a flag's value, a Videofile value, a server's answer) is shown in a message: whole
//! when it is short, else its start and its length, so a 1 MB value never makes a 1 MB error line. Every
//! message vbuild prints passes [`message`] at the edge (errors, hints, log lines).

use std::borrow::Cow;

/// The characters of a value shown before it is cut.
pub const SHOWN_CHARS: usize = 80;

/// `text` as a message shows it: whole up to [`SHOWN_CHARS`] characters, else its start, `…` and how long
/// it was.
pub fn value(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..cut],
            text.chars().count()
        )),
    }
}

/// A run of characters without a space longer than this is cut in a message.
const LONGEST_RUN: usize = 2 * SHOWN_CHARS;

/// The most characters a message shows.
const LONGEST_MESSAGE: usize = 4096;

/// `text` as a message shows it: every run of more than [`LONGEST_RUN`] characters without a space (a value
/// echoed whole) cut as [`value`] cuts it, and the whole at most [`LONGEST_MESSAGE`] characters.
pub fn message(text: &str) -> Cow<'_, str> {
    let long_run = text
        .split_whitespace()
        .any(|run| run.len() > LONGEST_RUN && run.chars().nth(LONGEST_RUN).is_some());
    if !long_run && text.len() <= LONGEST_MESSAGE {
        return Cow::Borrowed(text);
    }
    // Each piece is a run without spaces and the one space that ends it (if any).
    let mut out = String::with_capacity(text.len().min(LONGEST_MESSAGE));
    for piece in text.split_inclusive(char::is_whitespace) {
        let run = piece.trim_end_matches(char::is_whitespace);
        out.push_str(&value_of_length(run, LONGEST_RUN));
        out.push_str(&piece[run.len()..]);
    }
    Cow::Owned(value_of_length(&out, LONGEST_MESSAGE).into_owned())
}

/// `text` whole up to `longest` characters, else cut as [`value`] cuts.
fn value_of_length(text: &str, longest: usize) -> Cow<'_, str> {
    if text.chars().nth(longest).is_none() {
        Cow::Borrowed(text)
    } else {
        value(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_with_their_length() {
        assert_eq!(value("ten"), "ten");
        let long = "é".repeat(1 << 20);
        let shown = value(&long);
        assert!(shown.starts_with(&"é".repeat(SHOWN_CHARS)));
        assert!(shown.ends_with("… (1048576 characters)"), "{shown}");
    }

    #[test]
    fn messages_cut_the_long_values_they_echo() {
        let said = format!(
            "Videofile:5:14: [video] resolution = \"{}\": expected WIDTHxHEIGHT",
            "x".repeat(1 << 20)
        );
        let shown = message(&said);
        assert!(shown.len() < 300, "{shown}");
        assert!(shown.starts_with("Videofile:5:14: [video] resolution = \"xxx"));
        assert!(
            shown.ends_with("… (1048579 characters) expected WIDTHxHEIGHT"),
            "{shown}"
        );
        assert_eq!(message("short and sweet"), "short and sweet");
        let spaced = "x ".repeat(1 << 20);
        assert!(message(&spaced).chars().count() < 4200);
    }
}
