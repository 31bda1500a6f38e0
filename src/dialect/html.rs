//! HTML pictures: a line that is only an `<img>` tag (as Marp, Slidev and MyST authors write them to size a
//! picture) becomes a Markdown picture, which vbuild draws; other raw HTML is skipped by the parser.

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
