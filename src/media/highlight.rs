//! Syntax highlighting of code blocks: syntect with bat's wider syntax set (two-face), on its pure-Rust
//! regex engine, so no C library is built. The slide theme picks the colour scheme (One Half dark or light).

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme as Scheme};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;
use two_face::theme::EmbeddedThemeName;

use super::layout::Colour;
use crate::videofile::Theme;

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(two_face::syntax::extra_newlines)
}

fn scheme(theme: Theme) -> &'static Scheme {
    static SCHEMES: OnceLock<[Scheme; 2]> = OnceLock::new();
    let [dark, light] = SCHEMES.get_or_init(|| {
        let all = two_face::theme::extra();
        [
            all.get(EmbeddedThemeName::OneHalfDark).clone(),
            all.get(EmbeddedThemeName::OneHalfLight).clone(),
        ]
    });
    match theme {
        Theme::Dark => dark,
        Theme::Light => light,
    }
}

/// Names authors write after a code fence that the syntax set knows by another name.
const ALIASES: &[(&str, &str)] = &[
    ("shell", "bash"),
    ("console", "bash"),
    ("zsh", "bash"),
    ("c++", "cpp"),
    ("golang", "go"),
    ("jsonc", "json"),
    ("yml", "yaml"),
    ("py3", "python"),
    ("tsx", "ts"),
];

fn colour(c: syntect::highlighting::Color) -> Colour {
    Colour::Rgb(c.r, c.g, c.b)
}

/// The colour of a code block's panel.
pub fn background(theme: Theme) -> Colour {
    scheme(theme)
        .settings
        .background
        .map_or(Colour::Panel, colour)
}

/// `source` in lines of (colour, bold, text) runs, without line ends; plain lines in the scheme's foreground
/// for a language the syntax set does not know.
pub fn lines(language: &str, source: &str, theme: Theme) -> Vec<Vec<(Colour, bool, String)>> {
    let scheme = scheme(theme);
    let plain_colour = scheme.settings.foreground.map_or(Colour::Text, colour);
    let plain = || -> Vec<Vec<(Colour, bool, String)>> {
        source
            .split('\n')
            .map(|line| vec![(plain_colour, false, line.to_string())])
            .collect()
    };
    let token = language.to_lowercase();
    let token = ALIASES
        .iter()
        .find(|(alias, _)| *alias == token)
        .map_or(token.as_str(), |(_, name)| name);
    let Some(syntax) = (!token.is_empty())
        .then(|| syntaxes().find_syntax_by_token(token))
        .flatten()
    else {
        return plain();
    };
    let mut highlighter = HighlightLines::new(syntax, scheme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(source) {
        let Ok(regions) = highlighter.highlight_line(line, syntaxes()) else {
            return plain();
        };
        out.push(
            regions
                .into_iter()
                .map(|(style, text)| {
                    (
                        colour(style.foreground),
                        style.font_style.contains(FontStyle::BOLD),
                        text.trim_end_matches(['\n', '\r']).to_string(),
                    )
                })
                .filter(|(_, _, text)| !text.is_empty())
                .collect(),
        );
    }
    if source.ends_with('\n') || source.is_empty() {
        out.push(Vec::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_languages_lectures_use_are_highlighted() {
        let samples = [
            ("python", "def f(x):\n    return x  # note"),
            ("rust", "fn main() { let x = 1; }"),
            ("js", "const x = () => 1;"),
            ("typescript", "let x: number = 1;"),
            ("bash", "for f in *; do echo \"$f\"; done"),
            ("json", "{\"a\": [1, true]}"),
            ("toml", "[a]\nb = 1"),
            ("yaml", "a:\n  - b: 1"),
            ("sql", "SELECT a FROM t WHERE b = 1;"),
            ("c", "int main(void) { return 0; }"),
            ("cpp", "std::vector<int> v;"),
            ("go", "func main() { fmt.Println(1) }"),
            ("java", "class A { void f() {} }"),
        ];
        for (language, source) in samples {
            let lines = lines(language, source, Theme::Dark);
            let colours: std::collections::BTreeSet<String> = lines
                .iter()
                .flatten()
                .map(|(c, _, _)| format!("{c:?}"))
                .collect();
            assert!(
                colours.len() > 1,
                "{language} was not highlighted: {lines:?}"
            );
            let text: Vec<String> = lines
                .iter()
                .map(|l| l.iter().map(|(_, _, t)| t.as_str()).collect())
                .collect();
            assert_eq!(text.join("\n"), source, "{language}");
        }
        assert_eq!(lines("nosuch", "a  b", Theme::Light).len(), 1);
    }
}
