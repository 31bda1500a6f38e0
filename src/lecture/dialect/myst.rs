//! MyST Markdown (Jupyter Book, MyST-NB, jupytext notebooks). Directives (```` ```{name} ```` and
//! `:::{name}` fences, with `:option:` lines) become what vbuild shows: `{image}` and `{figure}` pictures,
//! admonitions (`{note}`, `{warning}`, `{exercise}`, `{prf:theorem}`, ...) `> [!KIND] Title` callouts,
//! `{math}` display math, `{code-cell}` code (not shown with `hide-input`), `{literalinclude}` an include.
//! Roles become their text (`{cite}` its key, `{ref}` the title of the section it points to, `{math}`
//! inline math). Labels `(name)=`, comments `% ...`, cell breaks `+++` and index entries are hidden.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::lines::{Lines, fence_of};

static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\(([^()\s]+)\)=\s*$").expect("a valid pattern"));
static ROLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([\w:.+-]+)\}(`+)(.*?)`+").expect("a valid pattern"));
static OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*:([\w-]+):\s*(.*?)\s*$").expect("a valid pattern"));
/// An equation's label after its closing `$$`: `$$ (amdahl)`.
static EQUATION_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\$\s*\([^()]+\)\s*$").expect("a valid pattern"));

/// Directives shown as callout boxes.
const CALLOUTS: &[&str] = &[
    "note",
    "warning",
    "tip",
    "hint",
    "important",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
    "exercise",
    "solution",
    "margin",
    "sidebar",
    "topic",
    "dropdown",
    "versionadded",
    "versionchanged",
    "deprecated",
    "epigraph",
    "pull-quote",
    "highlights",
];
/// Directives whose content is the page's: the fences go, the content stays.
const WRAPPERS: &[&str] = &[
    "tab-set",
    "tab-item",
    "grid",
    "grid-item",
    "grid-item-card",
    "card",
    "div",
    "container",
    "only",
    "cssclass",
    "rst-class",
    "glossary",
    "list-table",
    "centered",
];
/// Directives that show nothing on a page or in a video.
const HIDDEN: &[&str] = &[
    "toctree",
    "tableofcontents",
    "bibliography",
    "index",
    "raw",
    "meta",
    "footbibliography",
];
/// Directives that hold code to show.
const CODE: &[&str] = &["code-cell", "code-block", "code", "sourcecode", "ipython"];

/// True for a MyST label line: `(intro)=`.
pub fn is_label(line: &str) -> bool {
    LABEL.is_match(line)
}

/// Rewrites a MyST document, line for line.
pub fn rewrite(lines: &mut Lines) {
    let titles = labelled_titles(lines);
    let mut unknown: Vec<(usize, String)> = Vec::new();
    directives(lines, 0..lines.lines.len(), &mut unknown);
    if let Some((first, _)) = unknown.first() {
        let mut names: Vec<&str> = Vec::new();
        for (_, name) in &unknown {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        lines.warn(
            *first,
            format!(
                "MyST directive{} {} not known to vbuild; {} content is shown as text",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if unknown.len() == 1 { "its" } else { "their" }
            ),
        );
    }
    let code = lines.in_code();
    for (i, line) in lines.lines.iter_mut().enumerate() {
        if code[i] {
            continue;
        }
        let trimmed = line.trim_start();
        if is_label(line) || trimmed.starts_with("+++") || trimmed.starts_with('%') {
            line.clear();
            continue;
        }
        if ROLE.is_match(line) {
            *line = ROLE
                .replace_all(line, |c: &regex::Captures| role(&c[1], &c[3], &titles))
                .into_owned();
        }
        if EQUATION_LABEL.is_match(line) {
            *line = EQUATION_LABEL.replace(line, "$$$$").into_owned();
        }
    }
    amsmath(lines);
}

static AMS_BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\\begin\{(align|equation|gather|multline|eqnarray|alignat|flalign)\*?\}")
        .expect("a valid pattern")
});

/// amsmath environments written bare (`\begin{align} ... \end{align}`, which MyST reads as display math):
/// the `$$` around them, on their own first and last lines.
fn amsmath(lines: &mut Lines) {
    let code = lines.in_code();
    let mut i = 0;
    while i < lines.lines.len() {
        let Some(environment) = (!code[i])
            .then(|| AMS_BEGIN.captures(&lines.lines[i]))
            .flatten()
            .map(|c| c[1].to_string())
        else {
            i += 1;
            continue;
        };
        let already = i > 0 && lines.lines[i - 1].trim() == "$$" || lines.lines[i].contains("$$");
        let end = (i..lines.lines.len())
            .find(|&j| lines.lines[j].contains(&format!("\\end{{{environment}")));
        let Some(end) = end else {
            break;
        };
        if !already {
            lines.lines[i].insert_str(0, "$$");
            lines.lines[end].push_str("$$");
            // Display math cannot hold an empty line.
            for line in &mut lines.lines[i + 1..end] {
                if line.trim().is_empty() {
                    *line = "{}".into();
                }
            }
        }
        i = end + 1;
    }
}

/// Each label's section title: `(intro)=` over `# Introduction` gives intro -> Introduction.
fn labelled_titles(lines: &Lines) -> BTreeMap<String, String> {
    let mut titles = BTreeMap::new();
    for (i, line) in lines.lines.iter().enumerate() {
        let Some(label) = LABEL.captures(line) else {
            continue;
        };
        let heading = lines.lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim_start().strip_prefix('#'))
            .map(|h| h.trim_start_matches('#').trim().to_string());
        if let Some(title) = heading {
            titles.insert(label[1].to_string(), title);
        }
    }
    titles
}

/// What a role shows.
fn role(name: &str, content: &str, titles: &BTreeMap<String, String>) -> String {
    // `text <target>`: the text is what the reader sees.
    let (text, target) = match content.rfind('<') {
        Some(open) if content.ends_with('>') => (
            Some(content[..open].trim()),
            &content[open + 1..content.len() - 1],
        ),
        _ => (None, content),
    };
    match name {
        "math" => format!("${content}$"),
        "index" => text.unwrap_or(content).to_string(),
        "abbr" => content
            .split_once(" (")
            .map_or(content, |(short, _)| short)
            .to_string(),
        "kbd" | "code" | "file" | "samp" | "command" | "program" => format!("`{content}`"),
        "eq" => format!("({target})"),
        "ref" | "numref" | "doc" | "any" | "term" | "external" | "download" => match text {
            Some(text) if !text.is_empty() => text.to_string(),
            _ => titles.get(target).cloned().unwrap_or_else(|| {
                target
                    .rsplit('/')
                    .next()
                    .unwrap_or(target)
                    .replace(['-', '_'], " ")
            }),
        },
        cite if cite.starts_with("cite") || cite.starts_with("footcite") => content
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(", "),
        _ => text.unwrap_or(content).to_string(),
    }
}

/// A directive's fences and parts.
struct Directive {
    name: String,
    argument: String,
    /// The opening line, then the option lines.
    header: Range<usize>,
    options: BTreeMap<String, String>,
    body: Range<usize>,
    /// The closing fence line (absent when the file ends first).
    close: Option<usize>,
    /// The opening fence: its character and length.
    fence: (char, usize),
}

/// Rewrites the directives in `range` (and those inside them).
fn directives(lines: &mut Lines, range: Range<usize>, unknown: &mut Vec<(usize, String)>) {
    let mut i = range.start;
    let mut code_fence: Option<(char, usize)> = None;
    while i < range.end {
        let line = lines.lines[i].clone();
        if let Some((c, n)) = code_fence {
            if fence_of(&line).is_some_and(|(fc, fn_, rest)| fc == c && fn_ >= n && rest.is_empty())
            {
                code_fence = None;
            }
            i += 1;
            continue;
        }
        let Some(directive) = open(lines, i, range.end) else {
            if let Some((c, n, _)) = fence_of(&line) {
                code_fence = Some((c, n));
            }
            i += 1;
            continue;
        };
        let next = directive.close.map_or(range.end, |c| c + 1);
        if let Some(kind) = directive.name.strip_suffix("-start") {
            i = gated(lines, &directive, kind, range.end, unknown);
            continue;
        }
        apply(lines, &directive, unknown);
        i = next;
    }
}

/// A gated directive (`{solution-start}` ... `{solution-end}`, as sphinx-exercise writes a solution with
/// code cells in it): everything between the two is one callout. Returns the line after it.
fn gated(
    lines: &mut Lines,
    start: &Directive,
    kind: &str,
    end: usize,
    unknown: &mut Vec<(usize, String)>,
) -> usize {
    let after_start = start.close.map_or(end, |c| c + 1);
    let closing = (after_start..end)
        .find_map(|j| open(lines, j, end).filter(|d| d.name == format!("{kind}-end")));
    let Some(closing) = closing else {
        lines.blank(start.header.start..after_start);
        return after_start;
    };
    directives(lines, after_start..closing.header.start, unknown);
    let title = capitalised(kind);
    lines.blank(start.header.start..after_start);
    lines.lines[start.header.start] = format!("> [!{}] {title}", kind.to_uppercase());
    for j in start.header.start + 1..closing.header.start {
        let line = std::mem::take(&mut lines.lines[j]);
        lines.lines[j] = if line.trim().is_empty() {
            ">".into()
        } else {
            format!("> {line}")
        };
    }
    let closing_end = closing.close.map_or(end, |c| c + 1);
    lines.blank(closing.header.start..closing_end);
    closing_end
}

/// The directive that opens at line `i`, if one does.
fn open(lines: &Lines, i: usize, end: usize) -> Option<Directive> {
    let line = &lines.lines[i];
    let trimmed = line.trim_start();
    let (fence, info) = if trimmed.starts_with(':') {
        let n = trimmed.chars().take_while(|&c| c == ':').count();
        (n >= 3).then_some((':', n))?;
        ((':', n), trimmed[n..].trim())
    } else {
        let (c, n, info) = fence_of(line)?;
        ((c, n), info)
    };
    let rest = info.strip_prefix('{')?;
    let (name, argument) = rest.split_once('}')?;
    let closes = |l: &str| {
        let t = l.trim();
        let n = t.chars().take_while(|&c| c == fence.0).count();
        n >= fence.1 && n == t.len()
    };
    let close = (i + 1..end).find(|&j| closes(&lines.lines[j]));
    let body_end = close.unwrap_or(end);
    let mut options = BTreeMap::new();
    let mut header_end = i + 1;
    if lines.lines.get(i + 1).map(|l| l.trim()) == Some("---") {
        // Options as a YAML block.
        if let Some(length) = lines.lines[i + 2..body_end]
            .iter()
            .position(|l| l.trim() == "---")
        {
            for line in &lines.lines[i + 2..i + 2 + length] {
                if let Some((key, value)) = line.split_once(':') {
                    options.insert(key.trim().to_string(), value.trim().to_string());
                }
            }
            header_end = i + 3 + length;
        }
    } else {
        while header_end < body_end {
            let Some(option) = OPTION.captures(&lines.lines[header_end]) else {
                break;
            };
            options.insert(option[1].to_string(), option[2].to_string());
            header_end += 1;
        }
    }
    Some(Directive {
        name: name.trim().to_string(),
        argument: argument.trim().to_string(),
        header: i..header_end,
        options,
        body: header_end..body_end,
        close,
        fence,
    })
}

/// Rewrites one directive's lines.
fn apply(lines: &mut Lines, d: &Directive, unknown: &mut Vec<(usize, String)>) {
    let name = d.name.as_str();
    let close = |lines: &mut Lines, with: &str| {
        if let Some(c) = d.close {
            lines.lines[c] = with.to_string();
        }
    };
    if name == "image" || name == "figure" {
        let mut alt = d.options.get("alt").cloned().unwrap_or_default();
        let mut body = d.body.clone();
        if name == "figure" {
            // The caption is the body's first paragraph.
            let caption_end = (body.start..body.end)
                .find(|&j| lines.lines[j].trim().is_empty() && j > body.start)
                .unwrap_or(body.end);
            let caption: Vec<&str> = lines.lines[body.start..caption_end]
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            if !caption.is_empty() {
                alt = caption.join(" ");
            }
            lines.blank(body.start..caption_end);
            body.start = caption_end;
        } else {
            lines.blank(body.clone());
        }
        lines.blank(d.header.clone());
        lines.lines[d.header.start] = format!("![{}]({})", alt.replace(['[', ']'], ""), d.argument);
        close(lines, "");
        directives(lines, body, unknown);
        return;
    }
    if name == "math" {
        // The opening `$$` goes on the last header line: display math cannot hold an empty line.
        lines.blank(d.header.clone());
        lines.lines[d.header.end - 1] = "$$".into();
        for line in &mut lines.lines[d.body.clone()] {
            if line.trim().is_empty() {
                // Display math cannot hold an empty line in Markdown; an empty group means nothing in TeX.
                *line = "{}".into();
            }
        }
        close(lines, "$$");
        return;
    }
    if CODE.contains(&name) {
        let tags = d.options.get("tags").map_or("", String::as_str);
        if ["hide-input", "remove-input", "remove-cell"]
            .iter()
            .any(|t| tags.contains(t))
        {
            lines.blank(d.header.start..d.close.map_or(d.body.end, |c| c + 1));
            return;
        }
        let language = match d.argument.split_whitespace().next().unwrap_or("") {
            "ipython3" | "ipython" => "python",
            other => other,
        };
        let ticks = "`".repeat(d.fence.1.max(3));
        lines.blank(d.header.clone());
        lines.lines[d.header.end - 1] = format!("{ticks}{language}");
        close(lines, &ticks);
        return;
    }
    if name == "literalinclude" || name == "include" {
        lines.blank(d.header.start..d.close.map_or(d.body.end, |c| c + 1));
        lines.lines[d.header.start] = format!("<!-- vbuild: include={} -->", d.argument);
        return;
    }
    if HIDDEN.contains(&name) {
        lines.blank(d.header.start..d.close.map_or(d.body.end, |c| c + 1));
        return;
    }
    directives(lines, d.body.clone(), unknown);
    if CALLOUTS.contains(&name) || name.starts_with("prf:") {
        let kind = name.rsplit(':').next().unwrap_or(name);
        let title = match (name, d.argument.as_str()) {
            ("solution", _) => "Solution".to_string(),
            (_, "") => String::new(),
            ("admonition" | "topic" | "dropdown" | "sidebar" | "margin", argument) => {
                argument.to_string()
            }
            (_, argument) => format!("{} ({argument})", capitalised(kind)),
        };
        let plain_quote = matches!(name, "epigraph" | "pull-quote" | "highlights");
        lines.blank(d.header.clone());
        lines.lines[d.header.start] = if plain_quote {
            ">".to_string()
        } else {
            format!("> [!{}] {title}", kind.to_uppercase())
        };
        for j in d.header.start + 1..d.body.end {
            let line = std::mem::take(&mut lines.lines[j]);
            lines.lines[j] = if line.trim().is_empty() {
                ">".into()
            } else {
                format!("> {line}")
            };
        }
        close(lines, "");
        return;
    }
    if !WRAPPERS.contains(&name) {
        unknown.push((d.header.start, name.to_string()));
    }
    lines.blank(d.header.clone());
    close(lines, "");
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: &str) -> Vec<String> {
        let mut lines = Lines::new(source);
        rewrite(&mut lines);
        lines.lines
    }

    #[test]
    fn pictures_math_and_code_cells_become_markdown() {
        assert_eq!(
            rewritten(
                "```{image} img/moon.png\n:alt: The moon\n:width: 300px\n```\n:::{figure} tide.svg\n:name: fig-tide\nTwo tides a day.\n:::\n```{math}\n:label: amdahl\nS = \\frac{1}{1-p}\n\nT\n```\n```{code-cell} ipython3\n:tags: [hide-output]\nprint(1)\n```\n```{code-cell} python\n:tags: [hide-input]\nsecret()\n```"
            ),
            [
                "![The moon](img/moon.png)",
                "",
                "",
                "",
                "![Two tides a day.](tide.svg)",
                "",
                "",
                "",
                "",
                "$$",
                "S = \\frac{1}{1-p}",
                "{}",
                "T",
                "$$",
                "",
                "```python",
                "print(1)",
                "```",
                "",
                "",
                "",
                "",
            ]
        );
    }

    #[test]
    fn bare_amsmath_environments_are_display_math() {
        assert_eq!(
            rewritten(
                "Text.\n\n\\begin{align}\na &= b \\\\\n\nc &= d\n\\end{align}\n\n$$\n\\begin{equation}x\\end{equation}\n$$"
            ),
            [
                "Text.",
                "",
                "$$\\begin{align}",
                "a &= b \\\\",
                "{}",
                "c &= d",
                "\\end{align}$$",
                "",
                "$$",
                "\\begin{equation}x\\end{equation}",
                "$$"
            ]
        );
    }

    #[test]
    fn a_gated_solution_is_one_callout_with_its_code() {
        assert_eq!(
            rewritten(
                "```{solution-start} ex1\n:class: dropdown\n```\nAnswer:\n```{code-cell} ipython3\nx = 1\n```\n```{solution-end}\n```\nAfter."
            ),
            [
                "> [!SOLUTION] Solution",
                ">",
                ">",
                "> Answer:",
                "> ```python",
                "> x = 1",
                "> ```",
                "",
                "",
                "After."
            ]
        );
    }

    #[test]
    fn admonitions_become_callouts_and_roles_their_text() {
        let lines = rewritten(
            "(sec-speed)=\n## Speed-up\n\n````{prf:theorem} Amdahl\n:label: thm\nIt is bounded.\n```{note}\nInner.\n```\n````\n% a comment\nSee {ref}`sec-speed`, {ref}`this part <sec-speed>` and {cite}`amdahl1967`, {math}`p^2`.\n+++\n```{toctree}\nintro\n```\n$$ x $$ (eq1)",
        );
        assert_eq!(
            lines,
            [
                "",
                "## Speed-up",
                "",
                "> [!THEOREM] Theorem (Amdahl)",
                ">",
                "> It is bounded.",
                "> > [!NOTE] ",
                "> > Inner.",
                ">",
                "",
                "",
                "See Speed-up, this part and amdahl1967, $p^2$.",
                "",
                "",
                "",
                "",
                "$$ x $$",
            ]
        );
    }
}
