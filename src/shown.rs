//! How text from outside (a flag's value, a Videofile value, a server's answer) is shown in a message: whole
//! when it is short, else its start and its length, so a 1 MB value never makes a 1 MB error line.

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
}
