//! HTML in Markdown. A line that is only an `<img>` tag (as Marp, Slidev and MyST authors write them to size a
//! picture) becomes a Markdown picture, which vbuild draws. In a deck, elements are unwrapped as the deck's
//! tool shows them: their text is kept (unindented, so it is never read as indented code), the tags that
//! only arrange it are dropped, `<style>` and `<script>` are dropped whole, and elements that show something
//! of their own (components, icons) are left out and counted. vbuild's own Markdown skips raw HTML blocks.

use std::sync::LazyLock;

use regex::Regex;

use super::lines::Lines;

static IMG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:<(?:p|div|center)[^>]*>\s*)*<img\s([^>]*?)/?>(?:\s*</(?:p|div|center)>)*\s*$",
    )
    .expect("a valid pattern")
});
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("a valid pattern")
});

/// Any tag.
pub(super) static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</?[A-Za-z][\w.:-]*(\s[^<>]*)?/?>").expect("a valid pattern"));
/// A line that is only tags.
static TAGS_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(</?[A-Za-z][\w.:-]*(\s[^<>]*)?/?>\s*)+$").expect("a valid pattern")
});

/// Elements that only arrange or style their content.
const WRAPPERS: &[&str] = &[
    "div",
    "span",
    "p",
    "br",
    "center",
    "small",
    "big",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "a",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "template",
    "font",
    "sup",
    "sub",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "figure",
    "figcaption",
    "blockquote",
    "v-click",
    "v-clicks",
    "v-after",
    "v-switch",
    "v-drag",
    "v-motion",
    "details",
    "summary",
    "aside",
    "nav",
    "dl",
    "dt",
    "dd",
    "label",
    "mark",
    "abbr",
    "cite",
    "q",
    "kbd",
    "code",
    "pre",
    "transform",
];

/// Elements whose content is not shown text.
const DROPPED: &[&str] = &["style", "script"];

/// A tag's name, lower case.
fn name_of(tag: &str) -> String {
    tag.trim_start_matches(['<', '/'])
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Unwraps the HTML elements of a deck (see the module's text); returns the lines of elements that show
/// something of their own, which are left out.
pub fn unwrap(lines: &mut Lines) -> Vec<usize> {
    let code = lines.in_code();
    let mut left_out = Vec::new();
    let mut depth: usize = 0;
    let mut dropping: Option<String> = None;
    for (i, in_code) in code.into_iter().enumerate() {
        if in_code {
            continue;
        }
        let line = lines.lines[i].clone();
        let trimmed = line.trim();
        if let Some(element) = &dropping {
            if trimmed.contains(&format!("</{element}")) {
                dropping = None;
            }
            lines.lines[i].clear();
            continue;
        }
        if trimmed.starts_with("<!--") {
            continue;
        }
        let tags: Vec<&str> = TAG.find_iter(&line).map(|m| m.as_str()).collect();
        if let Some(element) = tags
            .first()
            .map(|t| name_of(t))
            .filter(|n| trimmed.starts_with('<') && DROPPED.contains(&n.as_str()))
        {
            if !trimmed.contains(&format!("</{element}")) {
                dropping = Some(element);
            }
            lines.lines[i].clear();
            continue;
        }
        let opens = tags
            .iter()
            .filter(|t| {
                !t.starts_with("</")
                    && !t.ends_with("/>")
                    && name_of(t) != "br"
                    && name_of(t) != "img"
            })
            .count();
        let closes = tags.iter().filter(|t| t.starts_with("</")).count();
        if TAGS_ONLY.is_match(&line) {
            if !tags.iter().all(|t| WRAPPERS.contains(&name_of(t).as_str())) {
                left_out.push(i);
            }
            lines.lines[i].clear();
        } else if trimmed.starts_with('<')
            && trimmed[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            lines.lines[i] = TAG.replace_all(trimmed, "").trim().to_string();
        } else if depth > 0 {
            lines.lines[i] = trimmed.to_string();
        }
        depth = (depth + opens).saturating_sub(closes);
    }
    left_out
}

/// Rewrites `<img src=... alt=...>` lines outside code as `![alt](src)`.
pub fn images(lines: &mut Lines) {
    let code = lines.in_code();
    for (line, in_code) in lines.lines.iter_mut().zip(code) {
        if in_code {
            continue;
        }
        let Some(tag) = IMG.captures(line) else {
            continue;
        };
        let mut src = None;
        let mut alt = String::new();
        for attribute in ATTRIBUTE.captures_iter(&tag[1]) {
            let value = attribute
                .get(2)
                .or_else(|| attribute.get(3))
                .map_or("", |v| v.as_str());
            match &attribute[1] {
                "src" => src = Some(value.to_string()),
                "alt" => alt = value.replace(['[', ']'], ""),
                _ => {}
            }
        }
        if let Some(src) = src.filter(|s| !s.is_empty()) {
            *line = format!("![{alt}](<{src}>)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decks_elements_keep_their_text_unindented_and_lose_styles_and_components() {
        let mut lines = Lines::new(
            "<div class=\"grid\">\n  <div><b>Vue</b>Day</div>\n  <a href=\"x\">\n    Sponsor me\n  </a>\n</div>\n<ri-github-line class=\"o\"/>\n<style>\n.a {\n  color: red;\n}\n</style>\n    indented code stays\n<!-- a note -->",
        );
        let left_out = unwrap(&mut lines);
        assert_eq!(
            lines.lines,
            [
                "",
                "VueDay",
                "",
                "Sponsor me",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "    indented code stays",
                "<!-- a note -->"
            ]
        );
        assert_eq!(left_out, [6]);
    }

    #[test]
    fn img_lines_become_pictures_and_code_stays() {
        let mut lines = Lines::new(
            "<img src=\"cat.png\" alt=\"A cat\" width=\"300\"/>\n<p align=\"center\"><img src='dir/a b.svg'></p>\n```html\n<img src=\"kept.png\">\n```\nText <img src=\"inline.png\"> here",
        );
        images(&mut lines);
        assert_eq!(
            lines.lines,
            [
                "![A cat](<cat.png>)",
                "![](<dir/a b.svg>)",
                "```html",
                "<img src=\"kept.png\">",
                "```",
                "Text <img src=\"inline.png\"> here"
            ]
        );
    }
}
