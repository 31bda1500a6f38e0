//! Syntax highlighting of code blocks: syntect with bat's wider syntax set (two-face), on its pure-Rust
//! regex engine, so no C library is built. The slide theme picks the colour scheme (One Half dark or light).

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme as Scheme};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;
use two_face::theme::EmbeddedThemeName;

use super::theme::{Colour, Theme};

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

/// The relative luminance of an sRGB colour (WCAG 2).
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The least contrast a token keeps against the code panel: dim comments stay readable on a compressed
/// video (and to tesseract).
const MIN_CONTRAST: f64 = 4.5;

/// `token` moved towards `plain` until it stands out from `background` by [`MIN_CONTRAST`].
fn readable(token: [u8; 3], plain: [u8; 3], background: [u8; 3]) -> [u8; 3] {
    let mut mixed = token;
    for step in 1..=10 {
        if contrast(mixed, background) >= MIN_CONTRAST {
            break;
        }
        let t = f64::from(step) / 10.0;
        let mix = |a: u8, b: u8| (f64::from(a) * (1.0 - t) + f64::from(b) * t).round() as u8;
        mixed = [
            mix(token[0], plain[0]),
            mix(token[1], plain[1]),
            mix(token[2], plain[2]),
        ];
    }
    mixed
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
    let rgb = |c: syntect::highlighting::Color| [c.r, c.g, c.b];
    let foreground = scheme.settings.foreground.map_or([128; 3], rgb);
    let panel = scheme.settings.background.map_or([0; 3], rgb);
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
                    let [r, g, b] = readable(rgb(style.foreground), foreground, panel);
                    (
                        Colour::Rgb(r, g, b),
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
        // Every token stands out from the panel, comments included.
        for theme in [Theme::Dark, Theme::Light] {
            let Colour::Rgb(r, g, b) = background(theme) else {
                panic!()
            };
            for (colour, _, text) in lines("python", "x = 1  # note", theme).concat() {
                let Colour::Rgb(cr, cg, cb) = colour else {
                    panic!()
                };
                assert!(
                    contrast([cr, cg, cb], [r, g, b]) >= MIN_CONTRAST,
                    "{text:?}"
                );
            }
        }
    }
}
