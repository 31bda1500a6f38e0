//! TeX as words: pulldown-latex (TeX to MathML) and MathCAT (MathML to speech).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, Once};

use pulldown_latex::{Parser, RenderConfig, Storage, push_mathml};

use super::tree::{Token, tokenize};

/// What each formula was said as: pagination asks for a slide's words many times.
static SAID: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// The words a narrator says for `tex`.
pub fn spoken(tex: &str) -> String {
    let tex = tex.trim();
    if let Some(said) = SAID.lock().expect("never poisoned").get(tex) {
        return said.clone();
    }
    let said = mathml(tex)
        .and_then(|mathml| with_mathcat(&mathml))
        .map(|words| tidy(&words))
        .filter(|words| !words.is_empty())
        .unwrap_or_else(|| letters(tex));
    SAID.lock()
        .expect("never poisoned")
        .insert(tex.to_string(), said.clone());
    said
}

/// `tex` as MathML, or `None` when pulldown-latex cannot read it.
pub fn mathml(tex: &str) -> Option<String> {
    let tex = without_comments(tex);
    let storage = Storage::new();
    let events: Vec<_> = Parser::new(&tex, &storage).collect();
    if events.iter().any(Result::is_err) {
        log::debug!("pulldown-latex cannot read {tex:?}");
        return None;
    }
    let mut out = String::new();
    push_mathml(&mut out, events.into_iter(), RenderConfig::default()).ok()?;
    Some(well_formed(&out))
}

static NUMBER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"<mn>([^<]*,[^<]*)</mn>").expect("a valid pattern"));

/// pulldown-latex's MathML as XML MathCAT reads: `<` and `>` operators escaped, `&nbsp;` as the character
/// it names, and numbers it ran together over a comma (`(-1,1)` as `1,1`) taken apart again, unless the
/// comma groups thousands (`1,000`).
fn well_formed(mathml: &str) -> String {
    let escaped = mathml
        .replace("<mo><</mo>", "<mo>&lt;</mo>")
        .replace("<mo>></mo>", "<mo>&gt;</mo>")
        .replace("&nbsp;", "&#160;");
    NUMBER
        .replace_all(&escaped, |found: &regex::Captures| {
            let parts: Vec<&str> = found[1].split(',').collect();
            let thousands = parts[1..]
                .iter()
                .all(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()));
            if thousands {
                found[0].to_string()
            } else {
                parts
                    .iter()
                    .map(|p| format!("<mn>{p}</mn>"))
                    .collect::<Vec<_>>()
                    .join("<mo>,</mo>")
            }
        })
        .into_owned()
}

/// TeX without `%` comments (a `%` that is not escaped ends the line's TeX).
fn without_comments(tex: &str) -> String {
    tex.lines()
        .map(|line| {
            let mut escaped = false;
            for (at, c) in line.char_indices() {
                match c {
                    '\\' => escaped = !escaped,
                    '%' if !escaped => return &line[..at],
                    _ => escaped = false,
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

thread_local! {
    /// MathCAT keeps its rules per thread; each thread loads them once.
    static READY: Once = const { Once::new() };
}

/// MathCAT installs a panic hook of its own, once per process, that silences every panic message; vbuild
/// keeps its own hook (MathCAT still reads a panic's message from the unwinding).
fn keep_our_panic_hook() {
    static KEPT: Once = Once::new();
    KEPT.call_once(|| {
        let ours = std::panic::take_hook();
        libmathcat::interface::init_panic_handler();
        drop(std::panic::take_hook());
        std::panic::set_hook(ours);
    });
}

/// MathCAT's ClearSpeak reading of `mathml`.
fn with_mathcat(mathml: &str) -> Option<String> {
    keep_our_panic_hook();
    READY.with(|ready| {
        ready.call_once(|| {
            let set_up = libmathcat::interface::set_rules_dir("Rules")
                .and_then(|_| libmathcat::interface::set_preference("Language", "en"))
                .and_then(|_| libmathcat::interface::set_preference("SpeechStyle", "ClearSpeak"))
                .and_then(|_| libmathcat::interface::set_preference("Verbosity", "Medium"))
                .and_then(|_| libmathcat::interface::set_preference("TTS", "None"));
            if let Err(err) = set_up {
                log::warn!(
                    "MathCAT could not start ({}); math is spoken as written",
                    libmathcat::interface::errors_to_string(&err)
                );
            }
        })
    });
    libmathcat::interface::set_mathml(mathml).ok()?;
    libmathcat::interface::get_spoken_text().ok()
}

/// MathCAT's words as a sentence's words: its pauses (`,` and `;`) kept, space runs joined.
fn tidy(words: &str) -> String {
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What is left of TeX nobody could read: its letters, digits and operators, without commands' backslashes,
/// braces or alignment marks.
fn letters(tex: &str) -> String {
    let mut out = String::new();
    for token in tokenize(tex) {
        match token {
            Token::Command(name) if name.chars().all(|c| c.is_ascii_alphabetic()) => {
                out.push_str(&format!(" {name} "))
            }
            Token::Command(_) | Token::Open | Token::Close => out.push(' '),
            Token::Char('&' | '$' | '^' | '_') => out.push(' '),
            Token::Char('=') => out.push_str(" equals "),
            Token::Char('+') => out.push_str(" plus "),
            Token::Char('-') => out.push_str(" minus "),
            Token::Char(other) => out.push(other),
        }
    }
    tidy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_read_as_words_without_tex() {
        let said = spoken(r"S_{\text{latency}}(s) = \frac{1}{(1-p) + \frac{p}{s}}");
        assert!(said.contains("equal"), "{said}");
        assert!(said.contains("over") || said.contains("fraction"), "{said}");
        for tex_mark in ['\\', '{', '}', '$', '^', '_'] {
            assert!(!said.contains(tex_mark), "{said}");
        }
        let squared = spoken("x^2");
        assert!(squared.contains("squared"), "{squared}");
        // pulldown-latex writes `<` unescaped and runs `-1,1` together: MathCAT still reads both.
        let less = spoken(r"\frac{\partial p_0}{\partial r}<0");
        assert!(
            less.contains("less than") && less.contains("partial"),
            "{less}"
        );
        let interval = spoken(r"c \in (-1,1)");
        assert!(
            interval.contains("negative 1") && !interval.contains("11"),
            "{interval}"
        );
        assert_eq!(
            spoken("1,000"),
            "1000",
            "a comma grouping thousands stays one number"
        );
        let unknown = letters(r"\foo{a} = b_1");
        assert_eq!(unknown, "foo a equals b 1");
    }
}
