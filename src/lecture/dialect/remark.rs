//! remark.js and reveal.js decks. `---` starts a slide and `--` an incremental step of the same one (remark)
//! or a vertical slide (reveal). remark's notes follow `???`, reveal's `Note:`, to the slide's end. remark's
//! slide properties (`class: center, middle`, `name:`) are settings; `exclude: true` slides and
//! `layout: true` templates are not shown; content classes (`.footnote[...]`, `.left-column[...]`) are
//! dropped and their content kept.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::lines::Lines;

/// Which notes syntax the deck uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notes {
    /// `???` to the end of the slide.
    Remark,
    /// `Note:` to the end of the slide.
    Reveal,
}

/// remark's slide properties, written at the top of a slide.
static PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(name|class|layout|template|background-image|background-size|background-position|background-color|count|exclude|seq):\s*(.*?)\s*$",
    )
    .expect("a valid pattern")
});
/// The start of a content class: `.footnote[`, `.left.red[`.
static CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^\w\]\)])\.[A-Za-z][\w-]*(\.[A-Za-z][\w-]*)*\[").expect("a valid pattern")
});

/// True when some slide starts with a remark property line.
pub fn has_slide_properties(lines: &Lines) -> bool {
    let code = lines.in_code();
    lines
        .slides(|l| l == "---")
        .iter()
        .skip(1)
        .filter_map(|slide| first_text_line(lines, &code, slide.clone()))
        .any(|i| {
            PROPERTY
                .captures(lines.lines[i].trim_end())
                .is_some_and(|c| {
                    matches!(
                        (&c[1], &c[2]),
                        ("class" | "name" | "exclude", _) | ("layout", "true")
                    )
                })
        })
}

fn first_text_line(lines: &Lines, code: &[bool], slide: Range<usize>) -> Option<usize> {
    slide
        .into_iter()
        .find(|&i| !code[i] && !lines.lines[i].trim().is_empty())
}

/// Rewrites a remark or reveal deck, line for line.
pub fn rewrite(lines: &mut Lines, notes: Notes) {
    let code = lines.in_code();
    for (i, line) in lines.lines.iter_mut().enumerate() {
        if code[i] {
            continue;
        }
        match (line.trim_end(), notes) {
            // `***` is a break even right under a paragraph, where `---` would make it a heading.
            ("---", _) => *line = "***".into(),
            ("--", Notes::Remark) => line.clear(),
            // reveal-md's vertical slides.
            ("--" | "----", Notes::Reveal) => *line = "***".into(),
            _ => {}
        }
    }
    for slide in lines.slides(|l| l == "***") {
        properties(lines, &code, slide.clone());
        speaker_notes(lines, &code, slide, notes);
    }
    content_classes(lines, &code);
}

/// Blanks the property lines at a slide's top; blanks the whole slide when it is excluded or a template.
fn properties(lines: &mut Lines, code: &[bool], slide: Range<usize>) {
    let Some(first) = first_text_line(lines, code, slide.clone()) else {
        return;
    };
    let mut hide = false;
    let mut end = first;
    while end < slide.end && !code[end] {
        let Some(property) = PROPERTY.captures(lines.lines[end].trim_end()) else {
            break;
        };
        hide |= matches!((&property[1], &property[2]), ("exclude" | "layout", "true"));
        end += 1;
    }
    lines.blank(first..end);
    if hide {
        lines.blank(slide);
    }
}

/// Turns a slide's `???` (or `Note:`) and the lines after it into one comment: the slide's notes.
fn speaker_notes(lines: &mut Lines, code: &[bool], slide: Range<usize>, notes: Notes) {
    let start = slide.clone().find(|&i| {
        let line = lines.lines[i].trim_end();
        !code[i]
            && match notes {
                Notes::Remark => line == "???",
                Notes::Reveal => line.starts_with("Note:") || line.starts_with("Notes:"),
            }
    });
    let Some(start) = start else {
        return;
    };
    let first = match notes {
        Notes::Remark => String::new(),
        Notes::Reveal => lines.lines[start]
            .split_once(':')
            .map_or("", |(_, rest)| rest)
            .trim()
            .to_string(),
    };
    let last = (start + 1..slide.end)
        .rev()
        .find(|&i| !lines.lines[i].trim().is_empty());
    // A comment cannot hold `-->`: the notes' own are taken out.
    for line in &mut lines.lines[start + 1..slide.end] {
        if line.contains("-->") {
            *line = line.replace("-->", "");
        }
    }
    match last {
        Some(last) => {
            lines.lines[start] = format!("<!-- {first}");
            lines.lines[last].push_str(" -->");
        }
        None if !first.is_empty() => lines.lines[start] = format!("<!-- {first} -->"),
        None => lines.lines[start].clear(),
    }
}

/// Drops content classes' `.name[` and their closing `]`, keeping what they hold (across lines).
fn content_classes(lines: &mut Lines, code: &[bool]) {
    for i in 0..lines.lines.len() {
        if code[i] {
            continue;
        }
        while let Some(found) = CLASS.find(&lines.lines[i]) {
            let prefix =
                found.as_str().len() - found.as_str().trim_start_matches(|c: char| c != '.').len();
            let start = found.start() + prefix;
            let open = found.end() - 1;
            let Some((line, at)) = closing_bracket(lines, code, i, open + 1) else {
                break;
            };
            lines.lines[line].replace_range(at..at + 1, "");
            lines.lines[i].replace_range(start..open + 1, "");
        }
    }
}

/// Where the `]` that closes a bracket opened just before byte `from` of line `line` is.
fn closing_bracket(
    lines: &Lines,
    code: &[bool],
    line: usize,
    from: usize,
) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (i, text) in lines.lines.iter().enumerate().skip(line) {
        if code[i] {
            continue;
        }
        let start = if i == line { from } else { 0 };
        for (at, c) in text[start..].char_indices() {
            match c {
                '[' => depth += 1,
                ']' if depth == 0 => return Some((i, start + at)),
                ']' => depth -= 1,
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remark_notes_properties_and_classes_are_read() {
        let mut lines = Lines::new(
            "class: center, middle\n# Title\n\n???\n- say one\n- say two\n---\nlayout: true\n.footer[x]\n---\nname: a\n.left-column[\n## Left ![p](p.png)\n]\nText\n--\n.footnote[.red[*] Source]\n---\nexclude: true\nGone",
        );
        rewrite(&mut lines, Notes::Remark);
        assert_eq!(
            lines.lines,
            [
                "",
                "# Title",
                "",
                "<!-- ",
                "- say one",
                "- say two -->",
                "***",
                "",
                "",
                "***",
                "",
                "",
                "## Left ![p](p.png)",
                "",
                "Text",
                "",
                "* Source",
                "***",
                "",
                "",
            ]
        );
    }

    #[test]
    fn reveal_notes_run_to_the_slide_end_and_vertical_slides_break() {
        let mut lines = Lines::new("# A\nText\nNote: Say this\nand this.\n--\n# B\nNote: Alone");
        rewrite(&mut lines, Notes::Reveal);
        assert_eq!(
            lines.lines,
            [
                "# A",
                "Text",
                "<!-- Say this",
                "and this. -->",
                "***",
                "# B",
                "<!-- Alone -->"
            ]
        );
    }
}
