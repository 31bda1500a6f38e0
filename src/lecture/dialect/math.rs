//! LaTeX's math delimiters as vbuild reads them: `\(...\)` becomes `$...$` and `\[...\]` becomes `$$...$$`
//! (MathJax and KaTeX read both; pulldown-cmark reads the dollar forms as math). Pages written for kramdown
//! double the backslash (`\\(`), and write inline math as `$$...$$` within a line of text.

use super::lines::Lines;

/// Rewrites `\(...\)` on one line and `\[ ... \]` (on one line, or on lines of their own) outside code;
/// with `kramdown`, `$$...$$` inside a line of text is inline math.
pub fn rewrite(lines: &mut Lines, kramdown: bool) {
    let code = lines.in_code();
    for (i, line) in lines.lines.iter_mut().enumerate() {
        if code[i] {
            continue;
        }
        let trimmed = line.trim();
        if trimmed == "\\[" || trimmed == "\\]" {
            *line = line.replacen(trimmed, "$$", 1);
            continue;
        }
        if let Some(inner) = trimmed
            .strip_prefix("\\[")
            .and_then(|rest| rest.strip_suffix("\\]"))
        {
            *line = format!("$${inner}$$");
            continue;
        }
        if line.contains("\\(") {
            *line = inline(&line.replace("\\\\(", "\\(").replace("\\\\)", "\\)"));
        }
        if kramdown && !line.trim().starts_with("$$") && line.contains("$$") {
            *line = line.replace("$$", "$");
        }
    }
}

/// `\(x\)` pairs on a line as `$x$`; an opening without its closing stays as written.
fn inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find("\\(") {
        let Some(close) = rest[open + 2..].find("\\)") else {
            break;
        };
        let inner = rest[open + 2..open + 2 + close].trim();
        out.push_str(&rest[..open]);
        out.push('$');
        out.push_str(inner);
        out.push('$');
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_delimiters_become_dollars_outside_code() {
        let mut lines = Lines::new(
            "Speed-up \\( S = \\frac{1}{1-p} \\) here.\n\\[\nx^2\n\\]\n\\[a+b\\]\n```\n\\(kept\\)\n```\nOnly \\(open",
        );
        rewrite(&mut lines, false);
        assert_eq!(
            lines.text(),
            "Speed-up $S = \\frac{1}{1-p}$ here.\n$$\nx^2\n$$\n$$a+b$$\n```\n\\(kept\\)\n```\nOnly \\(open"
        );
        let mut page = Lines::new("Load \\\\( \\alpha = n/m \\\\) and $$O(1)$$ time.\n$$\nx\n$$");
        rewrite(&mut page, true);
        assert_eq!(
            page.text(),
            "Load $\\alpha = n/m$ and $O(1)$ time.\n$$\nx\n$$"
        );
    }
}
