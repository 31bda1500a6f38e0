//! Slidev decks. The headmatter is the deck's front matter; each `---` starts a slide, which may open with its
//! own front matter (`layout: two-cols`, `hide: true`). A slide's notes are its last comment, when nothing
//! follows it; its other comments are hidden, and `[click]` markers in notes are not read. Slots
//! (`::right::`) and wrapper components (`<v-click>`, `<div>`) are dropped and their content kept; other Vue
//! components are left out with one warning. Snippet imports (`<<< @/snippets/a.ts`) become
//! `<!-- vbuild: include=... -->` directives, read when the lecture is loaded.

use std::sync::LazyLock;

use regex::Regex;

use super::front_matter;
use super::html::{self, TAG};
use super::lines::{Lines, fence_of};

static SLOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^::[\w-]+::\s*$").expect("a valid pattern"));
static CLICK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[click(:\d+)?\]\s*").expect("a valid pattern"));
/// A key of YAML front matter: `layout: center`.
static KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][\w-]*:(\s|$)").expect("a valid pattern"));

/// True for syntax only Slidev has: slots and click animations.
pub fn is_syntax(line: &str) -> bool {
    SLOT.is_match(line) || line.contains("<v-click")
}

/// Rewrites a Slidev deck, line for line.
pub fn rewrite(lines: &mut Lines) {
    slide_front_matter(lines);
    let code = lines.in_code();
    for (i, &in_code) in code.iter().enumerate() {
        if in_code {
            continue;
        }
        let line = lines.lines[i].trim_end().to_string();
        if SLOT.is_match(&line) {
            lines.lines[i].clear();
        } else if let Some(import) = line.trim_start().strip_prefix("<<<") {
            // `<<< @/snippets/a.ts#region {2,3}`: the file (and its region), not the line highlights.
            let path = import.split_whitespace().next().unwrap_or("");
            let path = path.strip_prefix("@/").unwrap_or(path);
            lines.lines[i] = format!("<!-- vbuild: include={path} -->");
        } else if let Some(rest) = line.trim_start().strip_prefix("$$")
            && rest.trim_start().starts_with('{')
        {
            // `$$ {1|3|all}`: which lines are highlighted at each click, not math.
            let after = rest.trim_start();
            let end = after.find('}').map_or(after.len(), |e| e + 1);
            lines.lines[i] = format!("$${}", &after[end..]);
        }
    }
    magic_move(lines);
    let components = html::unwrap(lines);
    if let Some(&first) = components.first() {
        lines.warn(
            first,
            format!(
                "{} line{} of Vue components (Slidev's own or a theme's) cannot be shown; left out",
                components.len(),
                if components.len() == 1 { "" } else { "s" }
            ),
        );
    }
    notes(lines);
}

/// A ```` ````md magic-move ```` block animates through the code blocks inside it: the last is shown.
fn magic_move(lines: &mut Lines) {
    let mut i = 0;
    while i < lines.lines.len() {
        let Some((c, n, info)) = fence_of(&lines.lines[i]) else {
            i += 1;
            continue;
        };
        let closes = |l: &str| {
            fence_of(l).is_some_and(|(fc, fn_, rest)| fc == c && fn_ >= n && rest.is_empty())
        };
        let Some(length) = lines.lines[i + 1..].iter().position(|l| closes(l)) else {
            break;
        };
        let end = i + 1 + length;
        if !info.contains("magic-move") {
            i = end + 1;
            continue;
        }
        // The last inner block: from the last opening fence inside to the line before the outer close.
        let last_open = (i + 1..end)
            .rev()
            .find(|&j| fence_of(&lines.lines[j]).is_some_and(|(_, _, info)| !info.is_empty()));
        if let Some(open) = last_open {
            lines.blank(i..open);
            lines.blank(end..end + 1);
        }
        i = end + 1;
    }
}

/// Blanks each slide's own front matter (after its `---`), and a slide marked `hide: true` or
/// `disabled: true` whole; a slide imported with `src:` is said to be left out.
fn slide_front_matter(lines: &mut Lines) {
    let code = lines.in_code();
    let mut i = 0;
    while i < lines.lines.len() {
        let is_break = !code[i] && lines.lines[i].trim_end() == "---";
        let opens_settings = lines
            .lines
            .get(i + 1)
            .is_some_and(|next| KEY.is_match(next));
        if !(is_break && opens_settings) {
            i += 1;
            continue;
        }
        let Some(length) = lines.lines[i + 1..]
            .iter()
            .position(|l| l.trim_end() == "---")
        else {
            break;
        };
        let close = i + 1 + length;
        let body = lines.lines[i + 1..close].join("\n");
        let Ok(Some(front)) = front_matter::from_yaml(&body) else {
            i += 1;
            continue;
        };
        lines.blank(i + 1..close + 1);
        let flag = |key: &str| front.fields.get(key).is_some_and(|v| v == "true");
        let next_break = (close + 1..lines.lines.len())
            .find(|&j| !code[j] && lines.lines[j].trim_end() == "---")
            .unwrap_or(lines.lines.len());
        if flag("hide") || flag("disabled") {
            lines.blank(close + 1..next_break);
        } else if let Some(image) = front.fields.get("image").filter(|i| !i.is_empty()) {
            // The image layouts' picture, beside the text as Slidev draws it.
            let side = match front.fields.get("layout").map(String::as_str) {
                Some("image-left") => "bg left",
                Some("image-right") => "bg right",
                _ => "bg",
            };
            lines.lines[i + 1] = format!("![{side}]({})", image.trim_start_matches("./"));
        } else if front.fields.contains_key("src") {
            lines.warn(
                i + 1,
                "a slide imported from another file (src:) is not read; add that file to [course] sources",
            );
        }
        i = close + 1;
    }
}

/// Keeps each slide's last comment, when it ends the slide, as its notes (without `[click]` markers or HTML
/// tags); blanks the slide's other comments.
fn notes(lines: &mut Lines) {
    let code = lines.in_code();
    for slide in lines.slides(|l| l == "---") {
        let mut comments: Vec<(usize, usize)> = Vec::new();
        let mut open: Option<usize> = None;
        for i in slide.clone() {
            if code[i] {
                continue;
            }
            let line = lines.lines[i].trim();
            if line.starts_with("<!-- vbuild:") {
                continue;
            }
            if open.is_none() && line.starts_with("<!--") {
                open = Some(i);
            }
            if let Some(start) = open
                && line.ends_with("-->")
            {
                comments.push((start, i));
                open = None;
            }
        }
        let Some(&(start, end)) = comments.last() else {
            continue;
        };
        let ends_slide = lines.lines[end + 1..slide.end]
            .iter()
            .all(|l| l.trim().is_empty());
        let hidden = if ends_slide {
            &comments[..comments.len() - 1]
        } else {
            &comments[..]
        };
        for &(a, b) in hidden {
            lines.blank(a..b + 1);
        }
        if ends_slide {
            for line in &mut lines.lines[start..=end] {
                let without_clicks = CLICK.replace_all(line, "");
                let without_tags = TAG.replace_all(&without_clicks, " ");
                *line = without_tags.into_owned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_move_shows_its_last_code_and_math_loses_its_click_ranges() {
        let mut lines = Lines::new(
            "````md magic-move\n```ts\nconst a = 1\n```\n```ts\nconst a = 2\n```\n````\n$$ {1|3|all}\nx\n$$",
        );
        rewrite(&mut lines);
        assert_eq!(
            lines.lines,
            [
                "",
                "",
                "",
                "",
                "```ts",
                "const a = 2",
                "```",
                "",
                "$$",
                "x",
                "$$"
            ]
        );
    }

    #[test]
    fn an_image_layout_puts_its_picture_beside_the_text() {
        let mut lines = Lines::new("# A\n---\nlayout: image-right\nimage: ./cat.png\n---\n# B\n");
        rewrite(&mut lines);
        assert_eq!(
            lines.lines,
            ["# A", "---", "![bg right](cat.png)", "", "", "# B", ""]
        );
    }

    #[test]
    fn slides_keep_their_last_comment_as_notes_and_lose_their_settings() {
        let mut lines = Lines::new(
            "# Cover\n\n<!-- hidden -->\n\nText\n\n<!--\n[click] Say <b>this</b>.\n-->\n---\nlayout: two-cols\nclass: gap-16\n---\n# Left\n\n::right::\n\n<v-click>\n\nRight\n\n</v-click>\n<Tweet id=\"1\" />\n<<< @/snippets/a.ts#part {2}\n<!-- mid --> \n\nEnd\n---\nhide: true\n---\n# Secret\n",
        );
        rewrite(&mut lines);
        assert_eq!(
            lines.lines,
            [
                "# Cover",
                "",
                "",
                "",
                "Text",
                "",
                "<!--",
                "Say  this .",
                "-->",
                "---",
                "",
                "",
                "",
                "# Left",
                "",
                "",
                "",
                "",
                "",
                "Right",
                "",
                "",
                "",
                "<!-- vbuild: include=snippets/a.ts#part -->",
                "",
                "",
                "End",
                "---",
                "",
                "",
                "",
                "",
            ]
        );
        assert_eq!(lines.warnings.len(), 1, "{:?}", lines.warnings);
        assert_eq!(lines.warnings[0].0, 23);
    }
}
