//! Markdown as vbuild reads it: the blocks a slide shows and a narrator reads, in the author's order, with
//! nothing dropped.
//!
//! pulldown-cmark parses the source; every block keeps its text as *inline Markdown* in a small, fixed syntax
//! (`**bold**`, `*italic*`, `` `code` ``, `~~struck~~`, `[link](url)`, `[^note]`, backslash escapes) that
//! [`spans`] reads back for drawing and [`plain`] for narration. Lists keep their nesting, numbers and task
//! boxes; tables their alignment; quotes their attribution; code its exact text; images their path; footnotes
//! their text. Raw HTML blocks are skipped, and said so.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// A block of a chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A heading below the chapter level; starts a section.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        text: String,
    },
    /// A list, nested levels flattened in order with their depth.
    List {
        items: Vec<Item>,
    },
    /// Code exactly as written (tabs and spaces kept).
    Code {
        language: String,
        text: String,
    },
    Table {
        alignments: Vec<Align>,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Quote {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribution: Option<String>,
    },
    /// An image by the path (or URL) written in the Markdown.
    Image {
        src: String,
        alt: String,
        /// Where it goes on the slide (Marp's `bg left:40%`); in the flow of the text by default.
        #[serde(default, skip_serializing_if = "Place::is_inline")]
        place: Place,
    },
    /// Display math, as TeX (`$$...$$`, `\[...\]`, a `math` code block).
    Math {
        tex: String,
    },
    /// A callout box: an admonition (MyST's `{note}`), a GitHub alert (`> [!NOTE]`) or an Obsidian callout.
    Callout {
        /// `note`, `warning`, `theorem`, ... in lower case.
        kind: String,
        /// Its own title, or empty (the kind is shown).
        title: String,
        /// Inline Markdown, a line per paragraph.
        text: String,
    },
    /// A slide break the author wrote (`---` in a deck): a new slide starts here.
    Break,
    /// A footnote's text, shown where the author defined it.
    Footnote {
        label: String,
        text: String,
    },
    /// Speaker notes: what to say, never drawn (`<!-- say: ... -->`, `<!-- ... -->`, `::: notes`).
    Notes {
        text: String,
    },
    /// An instruction to vbuild: `<!-- vbuild: language=fr -->`.
    Directive {
        name: String,
        value: String,
    },
}

impl Block {
    /// True for blocks drawn on a slide (not speaker notes, directives or breaks).
    pub fn is_drawn(&self) -> bool {
        !matches!(
            self,
            Block::Notes { .. } | Block::Directive { .. } | Block::Break
        )
    }
}

/// Where a picture goes on its slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// In the flow of the slide's blocks.
    #[default]
    Inline,
    /// Beside the text, taking `percent` of the slide's width on the left.
    Left { percent: u8 },
    /// Beside the text, on the right.
    Right { percent: u8 },
    /// Behind the slide (Marp's `![bg](...)`).
    Background,
}

impl Place {
    pub fn is_inline(&self) -> bool {
        *self == Place::Inline
    }
}

/// One list item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub text: String,
    /// 0 for the outer list.
    pub depth: u8,
    /// The item's number in an ordered list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// A task list item's box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
}

/// A table column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// Something the parser skipped or changed, at a byte offset of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub offset: usize,
    pub message: String,
}

/// A parsed document: its blocks with the byte offset each starts at, and what was skipped.
#[derive(Debug, Default)]
pub struct Parsed {
    pub blocks: Vec<(Block, usize)>,
    pub notes: Vec<Note>,
}

/// A run of inline text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

/// How an inline run is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub bold: bool,
    pub italic: bool,
    pub code: bool,
    pub struck: bool,
    pub link: bool,
    /// A footnote reference, drawn small and raised.
    pub note: bool,
    /// Inline math: the text is TeX.
    pub math: bool,
}

/// The characters the inline syntax gives a meaning to; literal ones are escaped with a backslash.
const SPECIAL: &[char] = &['\\', '*', '_', '`', '~', '[', ']', '$'];

/// `text` as inline Markdown that [`spans`] reads back as itself.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reads inline Markdown into styled runs. Unclosed markers are literal text; nothing is ever lost.
pub fn spans(text: &str) -> Vec<Span> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Span> = Vec::new();
    let mut style = Style::default();
    let mut current = String::new();
    let push = |out: &mut Vec<Span>, current: &mut String, style: Style| {
        if current.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.style == style => last.text.push_str(current),
            _ => out.push(Span {
                text: current.clone(),
                style,
            }),
        }
        current.clear();
    };
    let closes = |from: usize, marker: &[char]| -> bool {
        chars[from..]
            .windows(marker.len())
            .enumerate()
            .any(|(i, w)| w == marker && (i == 0 || chars[from + i - 1] != '\\'))
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        if c == '\\' && i + 1 < chars.len() {
            current.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '`'
            && let Some((code, length)) = code_span(&chars[i..])
        {
            push(&mut out, &mut current, style);
            current.push_str(&code);
            push(
                &mut out,
                &mut current,
                Style {
                    code: true,
                    ..style
                },
            );
            i += length;
            continue;
        }
        if c == '$'
            && let Some((tex, length)) = math_span(&chars[i..])
        {
            push(&mut out, &mut current, style);
            current.push_str(&tex);
            push(
                &mut out,
                &mut current,
                Style {
                    math: true,
                    ..style
                },
            );
            i += length;
            continue;
        }
        if rest.starts_with(&['*', '*']) && (style.bold || closes(i + 2, &['*', '*'])) {
            push(&mut out, &mut current, style);
            style.bold = !style.bold;
            i += 2;
            continue;
        }
        if rest.starts_with(&['~', '~']) && (style.struck || closes(i + 2, &['~', '~'])) {
            push(&mut out, &mut current, style);
            style.struck = !style.struck;
            i += 2;
            continue;
        }
        if (c == '*' || c == '_') && (style.italic || closes(i + 1, &[c])) {
            push(&mut out, &mut current, style);
            style.italic = !style.italic;
            i += 1;
            continue;
        }
        if c == '['
            && chars.get(i + 1) == Some(&'^')
            && let Some(end) = chars[i..].iter().position(|&x| x == ']')
        {
            push(&mut out, &mut current, style);
            let label: String = chars[i + 2..i + end].iter().collect();
            current.push_str(&format!("[{label}]"));
            let note = Style {
                note: true,
                ..style
            };
            push(&mut out, &mut current, note);
            i += end + 1;
            continue;
        }
        if c == '[' && !style.link {
            push(&mut out, &mut current, style);
            style.link = true;
            i += 1;
            continue;
        }
        if c == ']' && style.link {
            push(&mut out, &mut current, style);
            style.link = false;
            // The target is not shown: `(url)` right after the text is skipped.
            if chars.get(i + 1) == Some(&'(')
                && let Some(end) = chars[i + 1..].iter().position(|&x| x == ')')
            {
                i += end + 2;
                continue;
            }
            i += 1;
            continue;
        }
        current.push(c);
        i += 1;
    }
    push(&mut out, &mut current, style);
    out
}

/// A code span at the start of `chars` (a run of backticks, the code, the same run): its code and the number
/// of characters it takes.
fn code_span(chars: &[char]) -> Option<(String, usize)> {
    let run = chars.iter().take_while(|&&c| c == '`').count();
    let mut i = run;
    while i < chars.len() {
        if chars[i] == '`' {
            let closing = chars[i..].iter().take_while(|&&c| c == '`').count();
            if closing == run {
                let code: String = chars[run..i].iter().collect();
                let code = match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
                    Some(inner) if !inner.trim().is_empty() => inner.to_string(),
                    _ => code,
                };
                return Some((code, i + closing));
            }
            i += closing;
        } else {
            i += 1;
        }
    }
    None
}

/// Inline math at the start of `chars` (`$`, TeX with its special characters escaped, `$`): the TeX and the
/// number of characters it takes.
fn math_span(chars: &[char]) -> Option<(String, usize)> {
    let mut tex = String::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                tex.push(chars[i + 1]);
                i += 2;
            }
            '$' => return (!tex.is_empty()).then_some((tex, i + 1)),
            c => {
                tex.push(c);
                i += 1;
            }
        }
    }
    None
}

/// Inline Markdown for `spans`: what [`spans`] reads back as the same runs.
pub fn join(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        let style = span.style;
        if style.note {
            let label = span.text.trim_start_matches('[').trim_end_matches(']');
            out.push_str(&format!("[^{label}]"));
            continue;
        }
        let mut open = String::new();
        let mut close = String::new();
        for (on, marker) in [
            (style.link, "["),
            (style.bold, "**"),
            (style.italic, "*"),
            (style.struck, "~~"),
        ] {
            if on {
                open.push_str(marker);
                let closing = if marker == "[" { "]" } else { marker };
                close.insert_str(0, closing);
            }
        }
        let body = if style.math {
            format!("${}$", escape(&span.text))
        } else if style.code {
            let ticks = "`".repeat(longest_backtick_run(&span.text) + 1);
            let pad = if span.text.starts_with('`') || span.text.ends_with('`') {
                " "
            } else {
                ""
            };
            format!("{ticks}{pad}{}{pad}{ticks}", span.text)
        } else {
            escape(&span.text)
        };
        out.push_str(&format!("{open}{body}{close}"));
    }
    out
}

/// The longest run of backticks in `text` (a code span or fence around it needs one more).
pub fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Cuts `spans` at character offsets of their text (`cuts` ascending), trimming the space at each cut.
pub fn cut(spans: &[Span], cuts: &[usize]) -> Vec<Vec<Span>> {
    let mut parts: Vec<Vec<Span>> = vec![Vec::new()];
    let mut cuts = cuts.iter().copied().peekable();
    let mut offset = 0;
    for span in spans {
        let mut current = String::new();
        for c in span.text.chars() {
            while cuts.next_if(|&at| at <= offset).is_some() {
                if !current.is_empty() {
                    parts.last_mut().expect("never empty").push(Span {
                        text: std::mem::take(&mut current),
                        style: span.style,
                    });
                }
                parts.push(Vec::new());
            }
            current.push(c);
            offset += 1;
        }
        if !current.is_empty() {
            parts.last_mut().expect("never empty").push(Span {
                text: current,
                style: span.style,
            });
        }
    }
    for part in &mut parts {
        if let Some(first) = part.first_mut() {
            first.text = first.text.trim_start().to_string();
        }
        if let Some(last) = part.last_mut() {
            last.text = last.text.trim_end().to_string();
        }
        part.retain(|s| !s.text.is_empty());
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// Inline Markdown as the plain text a narrator reads: math as its words.
pub fn plain(text: &str) -> String {
    spans(text)
        .into_iter()
        .filter(|s| !s.style.note)
        .map(|s| {
            if s.style.math {
                crate::lecture::math::spoken(&s.text)
            } else {
                s.text
            }
        })
        .collect()
}

/// What an HTML comment is.
#[derive(Debug, PartialEq)]
enum Comment {
    /// Notes (`<!-- say: ... -->` or any other comment, as Marp reads them) or a directive to vbuild
    /// (`<!-- vbuild: name=value -->`).
    Block(Block),
    /// Settings for another tool, never said: Marp's directives (`<!-- _class: lead -->`), reveal.js's
    /// `.slide:` and `.element:` attributes, linters' and formatters' switches, Jekyll's `more` mark.
    Hidden,
    /// HTML that is not one comment.
    Other,
}

/// How comments that switch another tool's behaviour start.
const TOOL_COMMENTS: &[&str] = &[
    ".slide:",
    ".element:",
    "prettier-ignore",
    "markdownlint-",
    "textlint-",
    "cspell:",
    "#region",
    "#endregion",
    // reveal.js element attributes with a custom separator: `<!-- {_class="fragment"} -->`.
    "{_",
    "{.",
    "{:",
];
/// Comments that are marks for another tool.
const TOOL_MARKS: &[&str] = &["toc", "/toc", "endtoc", "more", "excerpt"];

/// Reads an HTML comment.
fn comment(html: &str) -> Comment {
    let Some(inner) = html
        .trim()
        .strip_prefix("<!--")
        .and_then(|c| c.strip_suffix("-->"))
        .map(str::trim)
        .filter(|inner| !inner.contains("-->"))
    else {
        return Comment::Other;
    };
    if let Some(directive) = inner.strip_prefix("vbuild:") {
        return match directive.split_once('=') {
            Some((name, value)) => Comment::Block(Block::Directive {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
            }),
            None => Comment::Other,
        };
    }
    let lower = inner.to_lowercase();
    if crate::lecture::dialect::marp::is_directives(inner)
        || TOOL_COMMENTS.iter().any(|t| lower.starts_with(t))
        || TOOL_MARKS.contains(&lower.as_str())
    {
        return Comment::Hidden;
    }
    let text = notes_text(inner.strip_prefix("say:").unwrap_or(inner));
    if text.is_empty() {
        Comment::Hidden
    } else {
        Comment::Block(Block::Notes { text })
    }
}

/// Notes as the sentences a narrator reads, in inline Markdown: Markdown in them is read (a list item is a
/// sentence of its own, code is not read).
fn notes_text(notes: &str) -> String {
    let mut said: Vec<String> = Vec::new();
    for (block, _) in parse(notes).blocks {
        match block {
            Block::Paragraph { text } | Block::Quote { text, .. } => said.push(
                crate::lecture::sentences::as_sentence(&text.replace('\n', " ")),
            ),
            Block::Heading { text, .. } => said.push(crate::lecture::sentences::as_sentence(&text)),
            Block::List { items } => said.extend(
                items
                    .iter()
                    .map(|item| crate::lecture::sentences::as_sentence(&item.text)),
            ),
            Block::Callout { text, .. } => said.push(text.replace('\n', " ")),
            Block::Math { tex } => said.push(format!("${}$", escape(&tex))),
            _ => {}
        }
    }
    said.retain(|s| !s.trim().is_empty());
    said.join(" ")
}

/// A quote that starts with `[!KIND]` (a GitHub alert, an Obsidian callout, a MyST admonition as vbuild
/// rewrites it): its kind, title and text.
fn callout(lines: &[String]) -> Option<(String, String, String)> {
    let first = lines.first()?;
    let rest = first.strip_prefix("\\[!")?;
    let (kind, after) = rest.split_once("\\]")?;
    if kind.is_empty()
        || !kind
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    // Obsidian's fold marks: `[!tip]-` and `[!tip]+`.
    let after = after.trim_start_matches(['-', '+']);
    // The title is the first line; the quote's first paragraph may go on under it.
    let (title, more) = after.split_once('\n').unwrap_or((after, ""));
    let mut text: Vec<String> = Vec::new();
    if !more.trim().is_empty() {
        text.push(more.trim().to_string());
    }
    for line in &lines[1..] {
        // A callout inside this one: its kind or title in bold, then its text.
        let inner = callout(std::slice::from_ref(line));
        text.push(match inner {
            Some((kind, title, body)) => {
                let label = if title.is_empty() { kind } else { title };
                format!("**{}** {}", escape(&label), body.replace('\n', " "))
            }
            None => line.clone(),
        });
    }
    Some((
        kind.to_lowercase(),
        title.trim().to_string(),
        text.join("\n"),
    ))
}

/// Pandoc's `::: notes` fenced divs as HTML comments (which [`comment`] reads as notes), line for line, so
/// offsets and line numbers stay those of the source.
fn pandoc_notes(markdown: &str) -> std::borrow::Cow<'_, str> {
    let is_open = |line: &str| {
        let rest = line.trim_start_matches(':');
        line.starts_with(":::") && matches!(rest.trim(), "notes" | "{.notes}" | ".notes")
    };
    if !markdown.lines().any(is_open) {
        return std::borrow::Cow::Borrowed(markdown);
    }
    let mut out = String::with_capacity(markdown.len());
    let mut inside = false;
    for line in markdown.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let ending = &line[bare.len()..];
        if !inside && is_open(bare) {
            inside = true;
            out.push_str("<!--");
            out.push_str(&" ".repeat(bare.len().saturating_sub(4)));
        } else if inside
            && bare.starts_with(":::")
            && bare.trim_start_matches(':').trim().is_empty()
        {
            inside = false;
            out.push_str("-->");
            out.push_str(&" ".repeat(bare.len().saturating_sub(3)));
        } else {
            out.push_str(bare);
        }
        out.push_str(ending);
    }
    std::borrow::Cow::Owned(out)
}

/// Parses Markdown into blocks.
pub fn parse(markdown: &str) -> Parsed {
    parse_with(markdown, None)
}

/// Parses Markdown into blocks; headings of level `heading_breaks` or above start a slide (Marp's
/// `headingDivider`).
pub fn parse_with(markdown: &str, heading_breaks: Option<u8>) -> Parsed {
    let markdown = &*pandoc_notes(markdown);
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_MATH;
    let mut builder = Builder {
        heading_breaks,
        ..Builder::default()
    };
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        builder.event(event, range.start);
    }
    builder.finish()
}

/// Where the parser is.
#[derive(Default)]
struct Builder {
    parsed: Parsed,
    /// Inline Markdown collected for the current paragraph, heading, item, cell or quote.
    text: String,
    /// Where the block being collected started.
    start: usize,
    /// Images met inside the current paragraph, emitted after it.
    images: Vec<Block>,
    /// Notes and directives met inside the current paragraph, emitted after it.
    pending: Vec<Block>,
    /// An image whose alt text is being collected: its source and alt so far.
    image: Option<(String, String)>,
    /// Open lists: each with its next number (ordered) or none.
    lists: Vec<Option<u64>>,
    items: Vec<Item>,
    /// The item being collected: its depth, number and box.
    item: Option<Item>,
    /// Block quotes open, and the paragraphs of the outermost.
    quote_depth: usize,
    quote: Vec<String>,
    /// A code block being collected: its language and text.
    code: Option<(String, String)>,
    table: Option<Table>,
    footnote: Option<String>,
    /// Inside a raw HTML block: its text so far.
    html: Option<String>,
    /// Inside a definition list's term or definition.
    definition: Option<u8>,
    /// Headings of this level or above start a slide.
    heading_breaks: Option<u8>,
    /// The kind of the callout being collected, once part of it was emitted (before a code block in it).
    quote_kind: Option<String>,
}

#[derive(Default)]
struct Table {
    alignments: Vec<Align>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    row: Vec<String>,
}

fn heading_level(level: HeadingLevel) -> u8 {
    level as u8
}

impl Builder {
    fn push(&mut self, block: Block) {
        let start = self.start;
        self.parsed.blocks.push((block, start));
    }

    fn take_text(&mut self) -> String {
        let text = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.text.clear();
        text
    }

    /// Outside lists, quotes, tables and footnotes: where a block of its own may start.
    fn at_top(&self) -> bool {
        !self.in_list() && self.quote_depth == 0 && self.table.is_none() && self.footnote.is_none()
    }

    /// Inside a list or a definition list, whose text goes to items.
    fn in_list(&self) -> bool {
        !self.lists.is_empty() || self.definition.is_some()
    }

    /// Ends the item being collected (its text so far).
    fn flush_item(&mut self) {
        if let Some(mut item) = self.item.take() {
            let text = self.take_text();
            if !text.is_empty() || item.checked.is_some() {
                item.text = text;
                self.items.push(item);
            }
        }
    }

    /// Emits the list items so far as a block (a code block inside a list splits it in two, in order).
    fn flush_list(&mut self) {
        self.flush_item();
        if !self.items.is_empty() {
            let items = std::mem::take(&mut self.items);
            self.push(Block::List { items });
        }
    }

    fn flush_images(&mut self) {
        for image in std::mem::take(&mut self.images) {
            self.push(image);
        }
        for block in std::mem::take(&mut self.pending) {
            self.push(block);
        }
    }

    /// Emits the quote's lines so far: a callout (its kind is kept for what follows a code block inside it),
    /// or a quote with its attribution.
    fn flush_quote(&mut self) {
        let mut lines = std::mem::take(&mut self.quote);
        if lines.is_empty() {
            return;
        }
        if let Some(kind) = &self.quote_kind {
            // A callout goes on after a code block inside it, untitled.
            let text = lines.join("\n");
            self.push(Block::Callout {
                kind: kind.clone(),
                title: String::new(),
                text,
            });
            return;
        }
        let attribution = match lines.last() {
            Some(last) if lines.len() > 1 => ["— ", "-- ", "– ", "~ "]
                .iter()
                .find_map(|dash| last.strip_prefix(dash))
                .map(str::to_string),
            _ => None,
        };
        if attribution.is_some() {
            lines.pop();
        }
        if let Some((kind, title, text)) = callout(&lines) {
            self.quote_kind = Some(kind.clone());
            self.push(Block::Callout { kind, title, text });
        } else {
            self.push(Block::Quote {
                text: lines.join("\n"),
                attribution,
            });
        }
    }

    /// A raw HTML block: a comment is notes or a directive; anything else is skipped, and said so.
    fn html_block(&mut self, html: &str, offset: usize) {
        match comment(html) {
            Comment::Block(block) => self.push(block),
            Comment::Hidden => {}
            Comment::Other => self.parsed.notes.push(Note {
                offset: self.start.min(offset),
                message: "a raw HTML block is not drawn on slides; skipped".into(),
            }),
        }
    }

    fn event(&mut self, event: Event, offset: usize) {
        if let Some(html) = &mut self.html {
            match event {
                Event::End(TagEnd::HtmlBlock) => {
                    let html = std::mem::take(html);
                    self.html = None;
                    self.html_block(&html, offset);
                }
                Event::Html(text) | Event::Text(text) => html.push_str(&text),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start_tag(tag, offset),
            Event::End(tag) => self.end_tag(tag),
            Event::Text(text) => match (&mut self.code, &mut self.image) {
                (Some((_, code)), _) => code.push_str(&text),
                (None, Some((_, alt))) => alt.push_str(&text),
                (None, None) => self.text.push_str(&escape(&text)),
            },
            Event::Code(code) => match &mut self.image {
                Some((_, alt)) => alt.push_str(&code),
                None => {
                    let fence = if code.contains('`') { "`` " } else { "`" };
                    let close = if code.contains('`') { " ``" } else { "`" };
                    self.text.push_str(&format!("{fence}{code}{close}"));
                }
            },
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, code)) = &mut self.code {
                    code.push('\n');
                } else if self.quote_depth > 0
                    && self.text.starts_with("\\[!")
                    && !self.text.contains('\n')
                {
                    // A callout's title line ends here.
                    self.text.push('\n');
                } else {
                    self.text.push(' ');
                }
            }
            Event::FootnoteReference(label) => self.text.push_str(&format!("[^{label}]")),
            Event::TaskListMarker(checked) => {
                if let Some(item) = &mut self.item {
                    item.checked = Some(checked);
                }
            }
            Event::Html(_) => {
                self.parsed.notes.push(Note {
                    offset,
                    message: "raw HTML is not drawn on slides; skipped".into(),
                });
            }
            Event::InlineHtml(html) => {
                // A comment inside a paragraph is a note too; other inline tags are dropped, their text kept.
                if let Comment::Block(block) = comment(&html) {
                    self.pending.push(block);
                }
            }
            Event::InlineMath(tex) => match &mut self.image {
                Some((_, alt)) => alt.push_str(&tex),
                None => self.text.push_str(&format!("${}$", escape(tex.trim()))),
            },
            Event::DisplayMath(tex) => {
                if self.at_top() && self.image.is_none() {
                    // Display math is a block of its own, between the paragraph's text before and after it.
                    let before = self.take_text();
                    if !before.is_empty() {
                        self.push(Block::Paragraph { text: before });
                    }
                    self.push(Block::Math {
                        tex: tex.trim().to_string(),
                    });
                    self.start = offset;
                } else {
                    self.text.push_str(&format!(" ${}$ ", escape(tex.trim())));
                }
            }
            Event::Rule => {
                if self.at_top() {
                    self.start = offset;
                    self.push(Block::Break);
                }
            }
        }
    }

    fn start_tag(&mut self, tag: Tag, offset: usize) {
        let top = !self.in_list() && self.quote_depth == 0 && self.table.is_none();
        match tag {
            Tag::Paragraph | Tag::Heading { .. } if top && self.footnote.is_none() => {
                self.start = offset
            }
            Tag::CodeBlock(kind) => {
                if self.in_list() {
                    self.flush_list();
                }
                // Code inside a quote or callout comes after the text before it.
                if self.quote_depth > 0 {
                    self.flush_quote();
                }
                self.start = offset;
                let language = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((language, String::new()));
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.start = offset;
                } else {
                    self.flush_item();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush_item();
                let depth = (self.lists.len().saturating_sub(1)).min(u8::MAX as usize) as u8;
                let number = self.lists.last_mut().and_then(|next| {
                    let number = *next;
                    if let Some(n) = next {
                        *n += 1;
                    }
                    number
                });
                self.item = Some(Item {
                    text: String::new(),
                    depth,
                    number,
                    checked: None,
                });
            }
            Tag::BlockQuote(_) => {
                if self.quote_depth == 0 && !self.in_list() {
                    self.start = offset;
                }
                self.quote_depth += 1;
            }
            Tag::Image { dest_url, .. } => {
                self.image = Some((dest_url.to_string(), String::new()));
            }
            Tag::Table(alignments) => {
                self.start = offset;
                self.table = Some(Table {
                    alignments: alignments
                        .iter()
                        .map(|a| match a {
                            Alignment::None => Align::None,
                            Alignment::Left => Align::Left,
                            Alignment::Center => Align::Center,
                            Alignment::Right => Align::Right,
                        })
                        .collect(),
                    ..Table::default()
                });
            }
            Tag::FootnoteDefinition(label) => {
                self.start = offset;
                self.footnote = Some(label.to_string());
                self.text.clear();
            }
            Tag::HtmlBlock => {
                self.start = offset;
                self.html = Some(String::new());
            }
            Tag::Emphasis => self.text.push('*'),
            Tag::Strong => self.text.push_str("**"),
            Tag::Strikethrough => self.text.push_str("~~"),
            Tag::Link { .. } => self.text.push('['),
            Tag::DefinitionList => self.start = offset,
            Tag::DefinitionListTitle => {
                self.definition = Some(0);
                self.text.push_str("**");
            }
            Tag::DefinitionListDefinition => self.definition = Some(1),
            _ => {}
        }
    }

    fn end_tag(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(level) => {
                let text = self.take_text();
                if self.quote_depth > 0 {
                    // A heading inside a quote or callout is a bold line of it, not a new slide.
                    if !text.is_empty() {
                        self.quote.push(format!("**{text}**"));
                    }
                    return;
                }
                let breaks = self
                    .heading_breaks
                    .is_some_and(|at| heading_level(level) <= at);
                let after_break =
                    matches!(self.parsed.blocks.last(), None | Some((Block::Break, _)));
                if breaks && !after_break {
                    self.push(Block::Break);
                }
                if !text.is_empty() {
                    self.push(Block::Heading {
                        level: heading_level(level),
                        text,
                    });
                }
                self.flush_images();
            }
            TagEnd::Paragraph => {
                if self.in_list() || self.footnote.is_some() {
                    self.text.push(' ');
                } else if self.quote_depth > 0 {
                    let text = std::mem::take(&mut self.text)
                        .split('\n')
                        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join("\n");
                    if !text.trim().is_empty() {
                        self.quote.push(text);
                    }
                } else if self.table.is_none() {
                    let text = self.take_text();
                    if !text.is_empty() {
                        self.push(Block::Paragraph { text });
                    }
                    self.flush_images();
                }
            }
            TagEnd::Item => self.flush_item(),
            TagEnd::List(_) => {
                self.flush_item();
                self.lists.pop();
                if self.lists.is_empty() {
                    if self.quote_depth > 0 {
                        // A list inside a quote is part of the quote's text.
                        for item in std::mem::take(&mut self.items) {
                            self.quote.push(format!("• {}", item.text));
                        }
                    } else {
                        self.flush_list();
                    }
                    self.flush_images();
                }
            }
            TagEnd::BlockQuote(_) => {
                self.quote_depth = self.quote_depth.saturating_sub(1);
                if self.quote_depth == 0 {
                    self.flush_quote();
                    self.quote_kind = None;
                    self.flush_images();
                }
            }
            TagEnd::CodeBlock => {
                let (language, text) = self.code.take().unwrap_or_default();
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                if matches!(language.as_str(), "math" | "latex-math" | "katex") {
                    self.push(Block::Math { tex: text });
                } else {
                    self.push(Block::Code { language, text });
                }
                if self.in_list() {
                    // The list goes on after the code: its next items start a new block here.
                    self.start = self.parsed.blocks.last().map_or(0, |(_, o)| *o);
                    if let Some(item) = &self.item {
                        self.item = Some(Item {
                            text: String::new(),
                            ..item.clone()
                        });
                    }
                }
            }
            TagEnd::Image => {
                if let Some((src, alt)) = self.image.take() {
                    let (alt, place) = crate::lecture::dialect::marp::picture(&alt);
                    self.images.push(Block::Image { src, alt, place });
                }
            }
            TagEnd::TableCell => {
                let cell = self.take_text();
                if let Some(table) = &mut self.table {
                    table.row.push(cell);
                }
            }
            TagEnd::TableHead => {
                if let Some(table) = &mut self.table {
                    table.header = std::mem::take(&mut table.row);
                }
            }
            TagEnd::TableRow => {
                if let Some(table) = &mut self.table {
                    let row = std::mem::take(&mut table.row);
                    table.rows.push(row);
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.push(Block::Table {
                        alignments: table.alignments,
                        header: table.header,
                        rows: table.rows,
                    });
                }
                self.flush_images();
            }
            TagEnd::FootnoteDefinition => {
                let text = self.take_text();
                if let Some(label) = self.footnote.take() {
                    self.push(Block::Footnote { label, text });
                }
            }
            TagEnd::Emphasis => self.text.push('*'),
            TagEnd::Strong => self.text.push_str("**"),
            TagEnd::Strikethrough => self.text.push_str("~~"),
            TagEnd::Link => self.text.push(']'),
            TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                let depth = self.definition.take().unwrap_or(0);
                if depth == 0 {
                    self.text.push_str("**");
                }
                let text = self.take_text();
                if !text.is_empty() {
                    self.items.push(Item {
                        text,
                        depth,
                        number: None,
                        checked: None,
                    });
                }
            }
            TagEnd::DefinitionList => self.flush_list(),
            _ => {}
        }
    }

    fn finish(mut self) -> Parsed {
        self.flush_list();
        self.flush_images();
        self.parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(markdown: &str) -> Vec<Block> {
        parse(markdown).blocks.into_iter().map(|(b, _)| b).collect()
    }

    fn item(text: &str, depth: u8, number: Option<u64>) -> Item {
        Item {
            text: text.into(),
            depth,
            number,
            checked: None,
        }
    }

    #[test]
    fn notes_are_read_as_markdown_and_tool_comments_are_never_notes() {
        assert_eq!(
            comment("<!--\nSay this:\n- first point\n- second point, e.g. this\n-->"),
            Comment::Block(Block::Notes {
                text: "Say this: first point. second point, e.g. this.".into()
            })
        );
        for hidden in [
            "<!-- _class: lead -->",
            "<!-- paginate: false -->",
            "<!-- .slide: data-background=\"#fff\" -->",
            "<!-- markdownlint-disable MD033 -->",
            "<!-- more -->",
            "<!-- fit -->",
            "<!-- {_class=\"fragment grow\"} -->",
        ] {
            assert_eq!(comment(hidden), Comment::Hidden, "{hidden}");
        }
        assert!(matches!(
            comment("<!-- More on this later. -->"),
            Comment::Block(Block::Notes { .. })
        ));
    }

    #[test]
    fn a_heading_inside_a_quote_is_a_bold_line_of_it() {
        let blocks = blocks("> ### Hands-on: Trim\n>\n> Run the tool.\n");
        assert_eq!(
            blocks,
            [Block::Quote {
                text: "**Hands-on: Trim**\nRun the tool.".into(),
                attribution: None
            }]
        );
    }

    #[test]
    fn code_inside_a_callout_stays_between_its_text() {
        let blocks = blocks(
            "> [!SOLUTION] Solution\n> Answer:\n> ```python\n> x = 1\n> ```\n> So x is one.\n",
        );
        assert_eq!(
            blocks,
            [
                Block::Callout {
                    kind: "solution".into(),
                    title: "Solution".into(),
                    text: "Answer:".into()
                },
                Block::Code {
                    language: "python".into(),
                    text: "x = 1".into()
                },
                Block::Callout {
                    kind: "solution".into(),
                    title: String::new(),
                    text: "So x is one.".into()
                },
            ]
        );
    }

    #[test]
    fn math_slide_breaks_and_callouts_are_blocks() {
        let blocks = blocks(
            "Before $x^2$ and $\\frac{a}{b}$.\n\n$$\ny = x\n$$\n\n---\n\n> [!WARNING] Mind the gap\n> It is *wide*.\n\n> [!NOTE]\n> Plain.\n",
        );
        assert_eq!(
            blocks,
            [
                Block::Paragraph {
                    text: "Before $x^2$ and $\\\\frac{a}{b}$.".into()
                },
                Block::Math {
                    tex: "y = x".into()
                },
                Block::Break,
                Block::Callout {
                    kind: "warning".into(),
                    title: "Mind the gap".into(),
                    text: "It is *wide*.".into()
                },
                Block::Callout {
                    kind: "note".into(),
                    title: String::new(),
                    text: "Plain.".into()
                },
            ]
        );
        let spans = spans("Before $x^2$ and $\\\\frac{a}{b}$.");
        assert!(spans[1].style.math && spans[1].text == "x^2");
        assert!(
            spans[3].style.math && spans[3].text == "\\frac{a}{b}",
            "{spans:?}"
        );
        assert_eq!(join(&spans), "Before $x^2$ and $\\\\frac{a}{b}$.");
    }

    #[test]
    fn inline_markdown_round_trips_and_reads_as_plain_text() {
        let text =
            "Use **`Vec::push`** to *grow* a [vector](http://x) ~~slowly~~[^1], not a*b\\*c.";
        let spans = spans(text);
        assert_eq!(
            spans.iter().map(|s| s.text.as_str()).collect::<String>(),
            "Use Vec::push to grow a vector slowly[1], not a*b*c."
        );
        let code = spans.iter().find(|s| s.text == "Vec::push").unwrap();
        assert!(code.style.code && code.style.bold);
        assert!(spans.iter().any(|s| s.text == "grow" && s.style.italic));
        assert!(spans.iter().any(|s| s.text == "vector" && s.style.link));
        assert!(spans.iter().any(|s| s.text == "slowly" && s.style.struck));
        assert!(spans.iter().any(|s| s.text == "[1]" && s.style.note));
        assert_eq!(
            plain(text),
            "Use Vec::push to grow a vector slowly, not a*b*c."
        );
        let literal = "a*b_c [x] `y ~~z \\ end";
        assert_eq!(plain(&escape(literal)), literal);
    }

    #[test]
    fn spans_join_back_and_cut_at_sentences() {
        let text = "A **bold `x`** move. Then *more* [link](u) and ``a`b``[^2]. End";
        let runs = spans(text);
        assert_eq!(spans(&join(&runs)), runs);
        let plain_text: String = runs.iter().map(|s| s.text.as_str()).collect();
        let first_end = plain_text.find(". ").unwrap() + 1;
        let parts = cut(&runs, &[first_end]);
        assert_eq!(parts.len(), 2);
        assert_eq!(plain(&join(&parts[0])), "A bold x move.");
        assert_eq!(plain(&join(&parts[1])), "Then more link and a`b. End");
        assert!(parts[0].iter().any(|s| s.style.bold && s.style.code));
    }

    #[test]
    fn comments_and_pandoc_divs_are_notes_and_directives_never_text() {
        let parsed = blocks(
            "<!-- vbuild: language=fr -->\n\nShown.\n\n<!-- say: Said, not shown. -->\n\n\
             Text <!-- an inline note --> here.\n\n::: notes\nPandoc's notes,\non two lines.\n:::\n\n<div>x</div>\n",
        );
        assert_eq!(
            parsed,
            [
                Block::Directive {
                    name: "language".into(),
                    value: "fr".into()
                },
                Block::Paragraph {
                    text: "Shown.".into()
                },
                Block::Notes {
                    text: "Said, not shown.".into()
                },
                Block::Paragraph {
                    text: "Text here.".into()
                },
                Block::Notes {
                    text: "an inline note.".into()
                },
                Block::Notes {
                    text: "Pandoc's notes, on two lines.".into()
                },
            ]
        );
        assert_eq!(parse("<div>x</div>\n").notes.len(), 1);
    }

    #[test]
    fn lists_keep_nesting_numbers_and_boxes() {
        let parsed = blocks(
            "3. three\n4. four\n   - nested *a*\n     - deeper\n5. five\n\n- [ ] todo\n- [x] done\n",
        );
        assert_eq!(
            parsed[0],
            Block::List {
                items: vec![
                    item("three", 0, Some(3)),
                    item("four", 0, Some(4)),
                    item("nested *a*", 1, None),
                    item("deeper", 2, None),
                    item("five", 0, Some(5)),
                ]
            }
        );
        let Block::List { items } = &parsed[1] else {
            panic!("{parsed:?}")
        };
        assert_eq!(items[0].checked, Some(false));
        assert_eq!(items[1].checked, Some(true));
    }

    #[test]
    fn code_is_kept_exactly_and_a_hash_in_it_is_no_heading() {
        let parsed = blocks("```python\n# a comment\nif x:\n\treturn  [1,  2]\n```\n");
        assert_eq!(
            parsed,
            [Block::Code {
                language: "python".into(),
                text: "# a comment\nif x:\n\treturn  [1,  2]".into()
            }]
        );
        // Code inside a list splits the list around it, in order.
        let parsed = blocks("1. first\n\n   ```sh\n   ls -l\n   ```\n2. second\n");
        assert_eq!(parsed.len(), 3, "{parsed:?}");
        assert!(matches!(&parsed[1], Block::Code { text, .. } if text == "ls -l"));
        assert!(
            matches!(&parsed[2], Block::List { items } if items[0].text == "second" && items[0].number == Some(2))
        );
    }

    #[test]
    fn tables_quotes_images_footnotes_definitions_and_html() {
        let markdown = "| L | C | R |\n|:--|:-:|--:|\n| a | **b** | 1 |\n\n> Stay hungry.\n>\n> — Steve\n\n\
![A diagram](img/d.png) and text.\n\nSee this[^n].\n\n[^n]: The note.\n\nTerm\n: Its meaning.\n\n<div>\nraw\n</div>\n";
        let parsed = parse(markdown);
        let blocks: Vec<Block> = parsed.blocks.iter().map(|(b, _)| b.clone()).collect();
        assert_eq!(
            blocks[0],
            Block::Table {
                alignments: vec![Align::Left, Align::Center, Align::Right],
                header: vec!["L".into(), "C".into(), "R".into()],
                rows: vec![vec!["a".into(), "**b**".into(), "1".into()]],
            }
        );
        assert_eq!(
            blocks[1],
            Block::Quote {
                text: "Stay hungry.".into(),
                attribution: Some("Steve".into())
            }
        );
        assert_eq!(
            blocks[2],
            Block::Paragraph {
                text: "and text.".into()
            }
        );
        assert_eq!(
            blocks[3],
            Block::Image {
                src: "img/d.png".into(),
                alt: "A diagram".into(),
                place: Place::Inline,
            }
        );
        assert_eq!(
            blocks[4],
            Block::Paragraph {
                text: "See this[^n].".into()
            }
        );
        assert_eq!(
            blocks[5],
            Block::Footnote {
                label: "n".into(),
                text: "The note.".into()
            }
        );
        assert_eq!(
            blocks[6],
            Block::List {
                items: vec![item("**Term**", 0, None), item("Its meaning.", 1, None)]
            }
        );
        assert_eq!(blocks.len(), 7, "{blocks:?}");
        assert_eq!(parsed.notes.len(), 1);
        assert_eq!(&markdown[parsed.notes[0].offset..][..5], "<div>");
    }
}
