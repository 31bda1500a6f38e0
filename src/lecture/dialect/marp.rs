//! Marp decks. Slides are cut at `---` (and at headings, with `headingDivider`); comments holding Marp's
//! directives (`<!-- _class: lead -->`, `<!-- paginate: true -->`) are settings, never notes
//! ([`is_directives`], read by the Markdown parser whatever the dialect); every other comment is the slide's
//! notes. Image keywords (`![bg right:40%](...)`) are read by [`crate::lecture::markdown::picture`].

use super::front_matter::FrontMatter;
use super::lines::Lines;
use crate::lecture::markdown::Place;

/// Marp's image filters (`![sepia](...)`, `![blur:10px](...)`).
const FILTERS: &[&str] = &[
    "blur",
    "brightness",
    "contrast",
    "drop-shadow",
    "grayscale",
    "hue-rotate",
    "invert",
    "opacity",
    "saturate",
    "sepia",
];
/// Marp's background sizes.
const SIZES: &[&str] = &["contain", "cover", "fit", "auto", "vertical"];

/// A picture's alt text read for Marp's keywords: what is left of it (its caption) and where the picture
/// goes. `bg left:40%` puts it beside the text, `bg` behind it; sizes, filters and `w:`/`h:` are the look of a web page,
/// not shown. A bare word (`left`, `sepia`, `50%`) is a keyword only in a `bg` picture or when every word
/// of the alt text is one, so a caption such as "turn left" stays.
pub fn picture(alt: &str) -> (String, Place) {
    let words: Vec<&str> = alt.split_whitespace().collect();
    let background = words.contains(&"bg");
    let marked = |word: &str| -> bool {
        let (name, value) = word.split_once(':').unwrap_or((word, ""));
        match name {
            "w" | "h" | "width" | "height" => !value.is_empty(),
            "left" | "right" => !value.is_empty() && percent(value).is_some(),
            _ => !value.is_empty() && FILTERS.contains(&name),
        }
    };
    let bare = |word: &str| -> bool {
        word == "bg"
            || matches!(word, "left" | "right")
            || SIZES.contains(&word)
            || FILTERS.contains(&word)
            || percent(word).is_some()
    };
    let all = words.iter().all(|w| marked(w) || bare(w));
    let is_keyword = |w: &&str| marked(w) || (background || all) && bare(w);
    let mut place = if background {
        Place::Background
    } else {
        Place::Inline
    };
    if background {
        for word in &words {
            let (side, value) = word.split_once(':').unwrap_or((word, ""));
            let share = percent(value).unwrap_or(50);
            match side {
                "left" => place = Place::Left { percent: share },
                "right" => place = Place::Right { percent: share },
                _ => {}
            }
        }
    }
    let caption: Vec<&str> = words.iter().filter(|w| !is_keyword(w)).copied().collect();
    (caption.join(" "), place)
}

/// `40%` as 40 (from 1 to 100).
fn percent(word: &str) -> Option<u8> {
    let number: f32 = word.strip_suffix('%')?.parse().ok()?;
    (number > 0.0 && number <= 100.0).then(|| number.round() as u8)
}

/// Marp's (and Marpit's) directives, global and local; a local one may be written with `_` for one slide.
const DIRECTIVES: &[&str] = &[
    "theme",
    "style",
    "headingDivider",
    "lang",
    "math",
    "size",
    "title",
    "author",
    "description",
    "keywords",
    "url",
    "image",
    "marp",
    "paginate",
    "header",
    "footer",
    "class",
    "backgroundColor",
    "backgroundImage",
    "backgroundPosition",
    "backgroundRepeat",
    "backgroundSize",
    "color",
    "transition",
];

/// True when a comment's text is Marp directives only: `key: value` lines whose keys Marp knows, or `fit`
/// (a heading's auto-scaling).
pub fn is_directives(comment: &str) -> bool {
    let comment = comment.trim();
    if comment == "fit" {
        return true;
    }
    let mut any = false;
    for line in comment.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, _)) = line.split_once(':') else {
            return false;
        };
        let key = key.trim().trim_start_matches('_');
        if !DIRECTIVES.contains(&key) {
            return false;
        }
        any = true;
    }
    any
}

/// True when a line is a comment of Marp directives.
pub fn has_directive(line: &str) -> bool {
    line.trim()
        .strip_prefix("<!--")
        .and_then(|l| l.strip_suffix("-->"))
        .is_some_and(|inner| inner.contains(':') && is_directives(inner))
}

/// Reads the deck's `headingDivider` (front matter or a directive comment): headings of that level or
/// above start a slide.
pub fn rewrite(lines: &mut Lines, front: &FrontMatter) -> Option<u8> {
    let from_comment = || {
        lines.lines.iter().find_map(|line| {
            let inner = line.trim().strip_prefix("<!--")?.strip_suffix("-->")?;
            let (key, value) = inner.split_once(':')?;
            (key.trim() == "headingDivider").then(|| value.trim().to_string())
        })
    };
    let divider = front
        .fields
        .get("headingDivider")
        .cloned()
        .or_else(from_comment)?;
    // A list (`[2, 3]`) divides at each level in it: its deepest is taken.
    divider
        .trim_matches(['[', ']'])
        .split(',')
        .filter_map(|level| level.trim().parse::<u8>().ok())
        .filter(|level| (1..=6).contains(level))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_keywords_place_the_picture_and_never_caption_it() {
        assert_eq!(
            picture("bg right:40% 90%"),
            (String::new(), Place::Right { percent: 40 })
        );
        assert_eq!(
            picture("bg left"),
            (String::new(), Place::Left { percent: 50 })
        );
        assert_eq!(
            picture("bg contain sepia"),
            (String::new(), Place::Background)
        );
        assert_eq!(
            picture("w:300 A tide chart"),
            ("A tide chart".to_string(), Place::Inline)
        );
        assert_eq!(picture("width:200px"), (String::new(), Place::Inline));
        assert_eq!(
            picture("Turn left"),
            ("Turn left".to_string(), Place::Inline)
        );
        assert_eq!(
            picture("50% of users"),
            ("50% of users".to_string(), Place::Inline)
        );
    }

    #[test]
    fn directive_comments_are_told_from_notes() {
        assert!(is_directives(" _class: lead "));
        assert!(is_directives("paginate: true\n_backgroundColor: #fff"));
        assert!(is_directives("fit"));
        assert!(!is_directives("Remember: slow down here."));
        assert!(!is_directives("class: lead\nand then say this"));
        assert!(has_directive("<!-- _paginate: hold -->"));
        let front = FrontMatter::default();
        let mut lines = Lines::new("<!-- headingDivider: 2 -->\n# A");
        assert_eq!(rewrite(&mut lines, &front), Some(2));
        let listed =
            crate::lecture::dialect::front_matter::read("---\nheadingDivider: [2,3]\n---\n")
                .unwrap()
                .unwrap();
        assert_eq!(rewrite(&mut Lines::new("# A"), &listed), Some(3));
    }
}
