//! A Markdown file as lines that dialect rewrites change in place. A rewrite never adds or removes a line, so
//! every line number vbuild reports is the author's.

use std::ops::Range;

/// The lines of a file, rewritten in place.
#[derive(Debug, Clone)]
pub struct Lines {
    pub lines: Vec<String>,
    /// What each rewrite skipped or left out: (1-based line, message).
    pub warnings: Vec<(usize, String)>,
}

impl Lines {
    pub fn new(markdown: &str) -> Lines {
        Lines {
            lines: markdown.split('\n').map(str::to_string).collect(),
            warnings: Vec::new(),
        }
    }

    /// The file again, one line per line.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Empties the lines in `range`.
    pub fn blank(&mut self, range: Range<usize>) {
        for line in &mut self.lines[range] {
            line.clear();
        }
    }

    /// Notes a warning at 0-based line `index`.
    pub fn warn(&mut self, index: usize, message: impl Into<String>) {
        self.warnings.push((index + 1, message.into()));
    }

    /// For each line, whether it is part of a fenced code block (its fences included), where no dialect
    /// syntax is read.
    pub fn in_code(&self) -> Vec<bool> {
        let mut mask = vec![false; self.lines.len()];
        let mut open: Option<(char, usize)> = None;
        for (i, line) in self.lines.iter().enumerate() {
            let fence = fence_of(line);
            match (open, fence) {
                (Some((c, n)), Some((fc, fn_, rest))) if fc == c && fn_ >= n && rest.is_empty() => {
                    mask[i] = true;
                    open = None;
                }
                (Some(_), _) => mask[i] = true,
                (None, Some((c, n, _))) => {
                    mask[i] = true;
                    open = Some((c, n));
                }
                (None, None) => {}
            }
        }
        mask
    }

    /// The slides of a deck: the ranges of lines between separator lines outside code (`is_separator`),
    /// the separators not included.
    pub fn slides(&self, is_separator: impl Fn(&str) -> bool) -> Vec<Range<usize>> {
        let code = self.in_code();
        let mut slides = Vec::new();
        let mut start = 0;
        for (i, line) in self.lines.iter().enumerate() {
            if !code[i] && is_separator(line.trim_end()) {
                slides.push(start..i);
                start = i + 1;
            }
        }
        slides.push(start..self.lines.len());
        slides
    }
}

/// A code fence line (at most three spaces in): its character, its length and what follows it.
pub fn fence_of(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = rest.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return None;
    }
    let info = rest[n..].trim();
    (c == '~' || !info.contains('`')).then_some((c, n, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_masked_and_slides_cut_outside_it() {
        let lines = Lines::new("# A\n---\n```yaml\n---\n```\nB\n---\nC");
        assert_eq!(
            lines.in_code(),
            [false, false, true, true, true, false, false, false]
        );
        assert_eq!(lines.slides(|l| l == "---"), [0..1, 2..6, 7..8]);
        assert_eq!(fence_of("````{note} Title"), Some(('`', 4, "{note} Title")));
        assert_eq!(fence_of("``x``"), None);
    }
}
