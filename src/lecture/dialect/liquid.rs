//! Jekyll pages: Liquid tags and outputs, and kramdown's attribute lists, which the reader of the site never
//! sees. Comment blocks are dropped, `{% highlight %}` becomes a code fence, `{% raw %}` keeps its text,
//! `{% link %}` its path, `{{ page.KEY }}` the front matter's value; every other tag is hidden (an include
//! with a warning, since its text is missing).

use std::sync::LazyLock;

use regex::Regex;

use super::front_matter::FrontMatter;
use super::lines::Lines;

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{%-?\s*(\w+)\s*(.*?)\s*-?%\}").expect("a valid pattern"));
static OUTPUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{-?\s*(.*?)\s*-?\}\}").expect("a valid pattern"));
/// A kramdown inline attribute list or extension: `{: .class}`, `{:toc}`, `{::options ... /}`.
static ATTRIBUTES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{::?[^}]*\}").expect("a valid pattern"));

/// True when a line has a Liquid tag or output outside inline code.
pub fn has_tag(line: &str) -> bool {
    let outside: String = line.split('`').step_by(2).collect();
    TAG.is_match(&outside) || OUTPUT.is_match(&outside)
}

/// Rewrites a Jekyll page's Liquid and kramdown syntax, line for line.
pub fn rewrite(lines: &mut Lines, front: &FrontMatter) {
    highlight_fences(lines);
    boxes(lines);
    let code = lines.in_code();
    let mut in_comment = false;
    let mut includes: Vec<usize> = Vec::new();
    for (i, &in_code) in code.iter().enumerate() {
        let line = std::mem::take(&mut lines.lines[i]);
        if in_code {
            // Only {% raw %} is read inside code: it is how an author shows Liquid in an example.
            let bare = line.trim();
            lines.lines[i] = if matches!(bare, "{% raw %}" | "{% endraw %}") {
                String::new()
            } else {
                line.replace("{% raw %}", "").replace("{% endraw %}", "")
            };
            continue;
        }
        let mut out = String::with_capacity(line.len());
        let mut rest = line.as_str();
        loop {
            if in_comment {
                match TAG
                    .captures_iter(rest)
                    .find(|c| &c[1] == "endcomment")
                    .and_then(|c| c.get(0))
                {
                    Some(end) => {
                        rest = &rest[end.end()..];
                        in_comment = false;
                        continue;
                    }
                    None => break,
                }
            }
            let Some(tag) = TAG.captures(rest) else {
                out.push_str(rest);
                break;
            };
            let whole = tag.get(0).expect("a match");
            out.push_str(&rest[..whole.start()]);
            match &tag[1] {
                "comment" => in_comment = true,
                "link" | "post_url" => out.push_str(tag[2].trim()),
                "include" | "include_relative" => includes.push(i),
                _ => {}
            }
            rest = &rest[whole.end()..];
        }
        let out = OUTPUT.replace_all(&out, |c: &regex::Captures| output(&c[1], front));
        let out = ATTRIBUTES.replace_all(&out, "");
        // `* TOC` with `{:toc}` under it is kramdown's table of contents: not a list of one item.
        let bare = out.trim();
        let toc_marker = matches!(bare, "* TOC" | "- TOC" | "1. TOC")
            && lines
                .lines
                .get(i + 1)
                .is_some_and(|next| next.trim() == "{:toc}");
        lines.lines[i] = if toc_marker || bare.is_empty() && !line.trim().is_empty() {
            String::new()
        } else {
            out.into_owned()
        };
    }
    if let Some(&first) = includes.first() {
        lines.warn(
            first,
            format!(
                "{} Liquid include{} not read (vbuild does not run Jekyll); left out",
                includes.len(),
                if includes.len() == 1 { " is" } else { "s are" }
            ),
        );
    }
}

static BOX_CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\{:\s*\.([\w-]+)\s*\}\s*$").expect("a valid pattern"));

/// A blockquote with a class after it (`{: .hands_on}`, `{: .tip}`, as the Galaxy Training Network and
/// other course sites write their boxes) is a callout of that kind, titled by its first line.
fn boxes(lines: &mut Lines) {
    for i in 1..lines.lines.len() {
        let Some(class) = BOX_CLASS
            .captures(&lines.lines[i])
            .map(|c| c[1].to_string())
        else {
            continue;
        };
        if !lines.lines[i - 1].trim_start().starts_with('>') {
            continue;
        }
        let start = (0..i)
            .rev()
            .take_while(|&j| lines.lines[j].trim_start().starts_with('>'))
            .last()
            .unwrap_or(i - 1);
        let first = lines.lines[start]
            .trim_start()
            .trim_start_matches('>')
            .trim();
        if first.starts_with("[!") {
            continue;
        }
        let title = first.trim_start_matches('#').trim();
        let title = TAG.replace_all(title, "");
        let title = super::html::TAG.replace_all(&title, "").trim().to_string();
        lines.lines[start] = format!("> [!{}] {title}", class.to_uppercase().replace('-', "_"));
    }
}

/// `{% highlight lang %}` and `{% endhighlight %}` lines as code fences.
fn highlight_fences(lines: &mut Lines) {
    for line in &mut lines.lines {
        let Some(tag) = TAG.captures(line.trim()) else {
            continue;
        };
        if tag.get(0).is_some_and(|m| m.len() != line.trim().len()) {
            continue;
        }
        match &tag[1] {
            "highlight" => {
                let language = tag[2].split_whitespace().next().unwrap_or("").to_string();
                *line = format!("```{language}");
            }
            "endhighlight" => *line = "```".into(),
            _ => {}
        }
    }
}

/// What a Liquid output shows: a quoted string's text (`{{ "/img/a.png" | relative_url }}`), a page
/// variable's value from the front matter, else nothing.
fn output(expression: &str, front: &FrontMatter) -> String {
    let value = expression.split('|').next().unwrap_or("").trim();
    if let Some(text) = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
    {
        return text.to_string();
    }
    value
        .strip_prefix("page.")
        .and_then(|key| front.fields.get(key))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_with_a_class_after_it_is_a_callout() {
        let mut lines = Lines::new(
            "> ### {% icon hands_on %} Hands-on: Trim reads\n>\n> 1. Run the tool\n{: .hands_on}\n\n> <question-title></question-title>\n> Why?\n{: .question}",
        );
        rewrite(&mut lines, &FrontMatter::default());
        assert_eq!(
            lines.lines,
            [
                "> [!HANDS_ON] Hands-on: Trim reads",
                ">",
                "> 1. Run the tool",
                "",
                "",
                "> [!QUESTION] ",
                "> Why?",
                ""
            ]
        );
    }

    #[test]
    fn liquid_is_hidden_line_for_line_and_highlight_becomes_code() {
        let front = super::super::front_matter::read("---\ntitle: Tides\n---\n")
            .unwrap()
            .unwrap();
        let mut lines = Lines::new(
            "# {{ page.title }}\n{% comment %}\nDraft: say nothing.\n{% endcomment %}\nSee {% link notes.md %}.\n![m]({{ site.baseurl }}/img/moon.png)\n![s]({{ \"/img/sun.png\" | relative_url }})\n{% include figure.html %}\n{% highlight python %}\nx = {{ 1 }}\n{% endhighlight %}\n* TOC\n{:toc}\nA paragraph.\n{: .lead}\n```\n{% raw %}{{ kept }}{% endraw %}\n```",
        );
        rewrite(&mut lines, &front);
        assert_eq!(
            lines.lines,
            [
                "# Tides",
                "",
                "",
                "",
                "See notes.md.",
                "![m](/img/moon.png)",
                "![s](/img/sun.png)",
                "",
                "```python",
                "x = {{ 1 }}",
                "```",
                "",
                "",
                "A paragraph.",
                "",
                "```",
                "{{ kept }}",
                "```",
            ]
        );
        assert_eq!(lines.warnings.len(), 1);
        assert_eq!(lines.warnings[0].0, 8);
        assert!(has_tag("{% if x %}") && !has_tag("`{% if x %}`"));
    }
}
