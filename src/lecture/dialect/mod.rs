//! Dialects: Markdown as other tools write it (Marp, Slidev, remark.js, reveal.js, MyST / Jupyter Book and its
//! notebooks, Jekyll), rewritten line for line into the Markdown vbuild reads ([`crate::lecture::markdown`]) before it
//! is parsed.
//!
//! Each file's dialect is recognised from its front matter and syntax, or named by `[course] dialect`. Its
//! front matter ([`front_matter`]) is read and blanked; then the dialect's own rewrite turns its slide breaks,
//! speaker notes, directives and roles into vbuild's forms: `---` breaks, `<!-- ... -->` notes, `> [!NOTE]`
//! callouts, `$...$` math, `<!-- vbuild: ... -->` directives. What vbuild cannot show is blanked, with one
//! warning naming its line. A rewrite never adds or removes a line, so every line number stays the author's.

pub mod front_matter;
mod html;
mod lines;
mod liquid;
pub mod marp;
mod math;
mod myst;
pub mod notebook;
mod remark;
mod slidev;

use std::fmt;

pub use front_matter::FrontMatter;
use lines::Lines;

/// The tool a Markdown file was written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// vbuild's own Markdown (CommonMark with tables, footnotes, task lists and math).
    Markdown,
    Marp,
    Slidev,
    /// remark.js decks (`???` notes, `class:` lines, `.class[...]`), as the Galaxy Training Network writes them.
    Remark,
    /// reveal.js Markdown (`Note:` notes, `--` vertical slides).
    Reveal,
    /// MyST Markdown: Jupyter Book, MyST-NB and jupytext notebooks.
    Myst,
    /// A Jekyll page: Liquid tags and kramdown attribute lists.
    Jekyll,
}

impl Dialect {
    /// Every dialect, by its name in the Videofile.
    pub const ALL: [Dialect; 7] = [
        Dialect::Markdown,
        Dialect::Marp,
        Dialect::Slidev,
        Dialect::Remark,
        Dialect::Reveal,
        Dialect::Myst,
        Dialect::Jekyll,
    ];

    /// A deck: its `---` lines cut slides, and a slide's headings are its title and text rather than
    /// sections of their own. A deck is one chapter unless `[course] split` says otherwise.
    pub fn is_deck(self) -> bool {
        matches!(
            self,
            Dialect::Marp | Dialect::Slidev | Dialect::Remark | Dialect::Reveal
        )
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Markdown => "markdown",
            Dialect::Marp => "marp",
            Dialect::Slidev => "slidev",
            Dialect::Remark => "remark",
            Dialect::Reveal => "reveal",
            Dialect::Myst => "myst",
            Dialect::Jekyll => "jekyll",
        })
    }
}

/// A file made ready for the Markdown parser.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The file in vbuild's Markdown, line for line.
    pub markdown: String,
    pub dialect: Dialect,
    /// What made vbuild take it for that dialect (for the log; `[course] dialect` overrides it).
    pub because: &'static str,
    pub front: FrontMatter,
    /// What was skipped or left out: (1-based line, message).
    pub warnings: Vec<(usize, String)>,
    /// Headings of this level or above start a slide (Marp's `headingDivider`).
    pub heading_breaks: Option<u8>,
}

/// Rewrites `markdown` written in `dialect` (recognised when `None`) into vbuild's Markdown.
pub fn prepare(markdown: &str, dialect: Option<Dialect>) -> Prepared {
    let mut lines = Lines::new(markdown);
    let front = match front_matter::read(markdown) {
        Ok(Some(front)) => {
            lines.blank(0..front.lines);
            front
        }
        Ok(None) => FrontMatter::default(),
        Err(err) => {
            lines.warn(
                err.line - 1,
                format!(
                    "the front matter cannot be read ({}); it is not shown",
                    err.message
                ),
            );
            let end = lines
                .lines
                .iter()
                .skip(1)
                .position(|l| matches!(l.trim_end(), "---" | "..." | "+++"))
                .map_or(0, |at| at + 2);
            lines.blank(0..end);
            FrontMatter::default()
        }
    };
    let (dialect, because) = match dialect {
        Some(named) => (named, "[course] dialect says so"),
        None => recognise(&front, &lines),
    };
    let mut heading_breaks = None;
    match dialect {
        Dialect::Markdown => {}
        Dialect::Marp => {
            heading_breaks = marp::rewrite(&mut lines, &front);
            unwrap_html(&mut lines);
        }
        Dialect::Slidev => slidev::rewrite(&mut lines),
        Dialect::Remark => {
            liquid::rewrite(&mut lines, &front);
            remark::rewrite(&mut lines, remark::Notes::Remark);
            unwrap_html(&mut lines);
        }
        Dialect::Reveal => {
            remark::rewrite(&mut lines, remark::Notes::Reveal);
            unwrap_html(&mut lines);
        }
        Dialect::Myst => myst::rewrite(&mut lines),
        Dialect::Jekyll => {
            liquid::rewrite(&mut lines, &front);
            unwrap_html(&mut lines);
        }
    }
    html::images(&mut lines);
    math::rewrite(&mut lines, dialect == Dialect::Jekyll);
    Prepared {
        markdown: lines.text(),
        dialect,
        because,
        front,
        warnings: lines.warnings,
        heading_breaks,
    }
}

/// Unwraps a deck's HTML ([`html::unwrap`]), saying once how many lines of elements were left out.
fn unwrap_html(lines: &mut Lines) {
    let left_out = html::unwrap(lines);
    if let Some(&first) = left_out.first() {
        lines.warn(
            first,
            format!(
                "{} line{} of HTML elements that show something of their own cannot be shown; left out",
                left_out.len(),
                if left_out.len() == 1 { "" } else { "s" }
            ),
        );
    }
}

/// Front matter keys of a Slidev deck's headmatter.
const SLIDEV_KEYS: &[&str] = &[
    "theme",
    "highlighter",
    "drawings",
    "transition",
    "mdc",
    "colorSchema",
    "fonts",
    "aspectRatio",
    "canvasWidth",
    "routerMode",
    "monaco",
    "info",
    "download",
    "exportFilename",
    "lineNumbers",
    "selectable",
    "record",
    "presenter",
    "themeConfig",
    "addons",
    "defaults",
    "htmlAttrs",
    "seoMeta",
    "favicon",
];

/// Front matter keys of a MyST document or jupytext notebook.
const MYST_KEYS: &[&str] = &[
    "jupytext",
    "kernelspec",
    "myst",
    "jupyter",
    "exports",
    "numbering",
];

/// Which dialect a file is written in, and why vbuild thinks so.
fn recognise(front: &FrontMatter, lines: &Lines) -> (Dialect, &'static str) {
    let has = |key: &str| front.fields.contains_key(key);
    let code = lines.in_code();
    let text: Vec<&str> = lines
        .lines
        .iter()
        .zip(&code)
        .filter(|(_, code)| !**code)
        .map(|(l, _)| l.trim_end())
        .collect();
    let any = |test: &dyn Fn(&str) -> bool| text.iter().any(|l| test(l));
    let fenced = |opening: &str| {
        lines
            .lines
            .iter()
            .any(|l| l.trim_start().starts_with(opening))
    };
    let breaks = text.iter().filter(|l| **l == "---").count();
    if front.fields.get("marp").map(String::as_str) == Some("true") {
        return (Dialect::Marp, "its front matter says marp: true");
    }
    if MYST_KEYS.iter().any(|k| has(k)) {
        return (
            Dialect::Myst,
            "its front matter has jupytext or MyST settings",
        );
    }
    if fenced("```{") || fenced(":::{") || any(&|l| myst::is_label(l)) {
        return (
            Dialect::Myst,
            "it has MyST directives ({note}, {figure}, ...) or labels",
        );
    }
    if any(&|l| l == "???") {
        return (Dialect::Remark, "it has remark.js notes (???)");
    }
    if has("revealOptions") {
        return (
            Dialect::Reveal,
            "its front matter has revealOptions (reveal-md)",
        );
    }
    if any(&|l| l.starts_with("Note:") || l.starts_with("Notes:")) && breaks > 0 {
        return (Dialect::Reveal, "it has reveal.js notes (Note:)");
    }
    if any(&|l| l == "--") && breaks > 0 {
        return (Dialect::Remark, "it has remark.js steps (--)");
    }
    if SLIDEV_KEYS.iter().any(|k| has(k)) && breaks > 0 {
        return (Dialect::Slidev, "its headmatter has Slidev settings");
    }
    if any(&slidev::is_syntax) {
        return (Dialect::Slidev, "it has Slidev slots or v-click");
    }
    if remark::has_slide_properties(lines) {
        return (
            Dialect::Remark,
            "its slides start with remark.js properties (class:, name:)",
        );
    }
    if any(&marp::has_directive) {
        return (Dialect::Marp, "it has Marp directives");
    }
    if has("layout") || has("permalink") || any(&liquid::has_tag) {
        return (Dialect::Jekyll, "it has Jekyll front matter or Liquid tags");
    }
    (Dialect::Markdown, "nothing in it is another tool's syntax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_are_recognised_from_front_matter_and_syntax() {
        let cases = [
            ("---\nmarp: true\n---\n# A\n", Dialect::Marp),
            ("# A\n\n<!-- _class: lead -->\n", Dialect::Marp),
            (
                "---\ntheme: seriph\ntitle: X\n---\n# A\n\n---\n# B\n",
                Dialect::Slidev,
            ),
            ("# A\n\n::right::\n\nB\n", Dialect::Slidev),
            (
                "class: center\n# A\n???\nnotes\n---\n# B\n",
                Dialect::Remark,
            ),
            (
                "---\njupytext:\n  formats: md:myst\n---\n# A\n",
                Dialect::Myst,
            ),
            ("# A\n\n```{note}\nHi\n```\n", Dialect::Myst),
            ("(intro)=\n# A\n", Dialect::Myst),
            ("---\nlayout: page\ntitle: T\n---\n# A\n", Dialect::Jekyll),
            ("# A\n{% include x.html %}\n", Dialect::Jekyll),
            ("# A\n\nNote: say this\n\n---\n\n# B\n", Dialect::Reveal),
            (
                "---\ntitle: T\ntheme: solarized\nrevealOptions:\n  transition: fade\n---\n# A\n\n---\n\n# B\n",
                Dialect::Reveal,
            ),
            ("# A\n\nText `{% raw %}`.\n", Dialect::Markdown),
            ("# A\n\n```liquid\n{% if x %}\n```\n", Dialect::Markdown),
        ];
        for (source, expected) in cases {
            assert_eq!(prepare(source, None).dialect, expected, "{source}");
        }
    }

    #[test]
    fn a_pages_html_elements_keep_their_text() {
        let page = "---\nlayout: page\n---\n<details>\n<summary>More</summary>\n\n    Hidden text\n</details>\n";
        let prepared = prepare(page, None);
        assert_eq!(prepared.dialect, Dialect::Jekyll);
        assert_eq!(prepared.markdown, "\n\n\n\nMore\n\nHidden text\n\n");
    }

    #[test]
    fn front_matter_is_blanked_line_for_line_and_a_named_dialect_wins() {
        let prepared = prepare("---\ntitle: T\n---\n# A\n", Some(Dialect::Markdown));
        assert_eq!(prepared.markdown, "\n\n\n# A\n");
        assert_eq!(prepared.front.title.as_deref(), Some("T"));
        assert_eq!(prepared.because, "[course] dialect says so");
        let broken = prepare("---\n[x\n---\n# A\n", None);
        assert_eq!(broken.markdown, "\n\n\n# A\n");
        assert_eq!(broken.warnings.len(), 1, "{:?}", broken.warnings);
    }
}
