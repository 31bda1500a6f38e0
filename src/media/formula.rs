//! Display math set in two dimensions, as TeX and KaTeX set it: fractions stacked over a bar, roots under a
//! drawn radical, scripts raised and lowered in smaller type, limits over and under `∑`, brackets as tall as
//! what they hold, variables in italic. The formula comes as a [`Node`] tree ([`crate::lecture::math::tree`]) and
//! leaves as the layout's elements, in the bundled fonts.

use super::layout::Element;
use super::text::{self, Face};
use super::theme::Colour;
use crate::lecture::math::tree::Node;

/// How deep in a formula a part is, which sets its size: display and text at full size, scripts smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Display,
    Text,
    Script,
    ScriptScript,
}

impl Level {
    fn scale(self) -> f32 {
        match self {
            Level::Display | Level::Text => 1.0,
            Level::Script => 0.7,
            Level::ScriptScript => 0.5,
        }
    }

    /// The level of a fraction's parts.
    fn fraction(self) -> Level {
        match self {
            Level::Display => Level::Text,
            Level::Text => Level::Script,
            _ => Level::ScriptScript,
        }
    }

    /// The level of scripts.
    fn script(self) -> Level {
        match self {
            Level::Display | Level::Text => Level::Script,
            _ => Level::ScriptScript,
        }
    }
}

/// A set part: its size around its baseline and what it draws, relative to its origin on the baseline.
#[derive(Debug, Clone, Default)]
pub struct Set {
    pub width: f32,
    pub ascent: f32,
    pub descent: f32,
    pub elements: Vec<Element>,
}

impl Set {
    /// This set moved by `(dx, dy)` (down is positive).
    fn moved(mut self, dx: f32, dy: f32) -> Set {
        for element in &mut self.elements {
            shift(element, dx, dy);
        }
        self
    }

    fn add(&mut self, other: Set) {
        self.elements.extend(other.elements);
    }
}

/// Moves an element by `(dx, dy)` (down is positive).
pub fn shift(element: &mut Element, dx: f32, dy: f32) {
    match element {
        Element::Text { x, y, .. } | Element::Rect { x, y, .. } | Element::Image { x, y, .. } => {
            *x += dx;
            *y += dy;
        }
        Element::Path { points, .. } => {
            for (x, y) in points {
                *x += dx;
                *y += dy;
            }
        }
    }
}

/// Sets `node` as display math at `size`, in `colour`.
pub fn set(node: &Node, size: f32, colour: Colour) -> Set {
    Setter { size, colour }.node(node, Level::Display)
}

struct Setter {
    size: f32,
    colour: Colour,
}

impl Setter {
    fn size(&self, level: Level) -> f32 {
        self.size * level.scale()
    }

    fn text(&self, text: &str, face: Face, size: f32) -> Set {
        Set {
            width: text::width(text, face, size),
            ascent: size * 0.76,
            descent: size * 0.24,
            elements: vec![Element::Text {
                x: 0.0,
                y: 0.0,
                size,
                face,
                colour: self.colour,
                text: text.to_string(),
            }],
        }
    }

    fn node(&self, node: &Node, level: Level) -> Set {
        let size = self.size(level);
        match node {
            Node::Row(items) => self.row(items, level),
            Node::Letter(c) => {
                let mut set = self.text(&c.to_string(), Face::Italic, size);
                // Italic letters lean into what follows.
                set.width += size * 0.04;
                set
            }
            Node::Number(text) | Node::Word(text) | Node::Symbol(text) => {
                self.text(text, Face::Regular, size)
            }
            Node::Operator(text) => {
                let space = if level <= Level::Text {
                    size * 0.24
                } else {
                    size * 0.1
                };
                let set = self.text(text, Face::Regular, size);
                Set {
                    width: set.width + 2.0 * space,
                    ..set.moved(space, 0.0)
                }
            }
            Node::Large(text) => {
                let integral = matches!(text.as_str(), "∫" | "∬" | "∮");
                let grow = match (level == Level::Display, integral) {
                    (true, true) => 2.0,
                    (true, false) => 1.5,
                    (false, _) => 1.15,
                };
                let mut set = self.text(text, Face::Regular, size * grow);
                // Centred on the maths axis rather than sitting on the baseline.
                let lift = size * grow * 0.24 - size * 0.12;
                set = set.moved(0.0, lift);
                set.ascent -= lift;
                set.descent += lift;
                set
            }
            Node::Space(em) => Set {
                width: em * size,
                ..Set::default()
            },
            Node::Align => Set::default(),
            Node::Fraction(top, bottom) => self.fraction(top, bottom, level),
            Node::Root(radicand, index) => self.root(radicand, index.as_deref(), level),
            Node::Scripts { base, sup, sub } => {
                self.scripts(base, sup.as_deref(), sub.as_deref(), level)
            }
            Node::Fenced { open, body, close } => self.fenced(open, body, close, level),
            Node::Accent(base, mark) => self.accent(base, *mark, level),
            Node::Lines(rows) => self.lines(rows, level),
        }
    }

    fn row(&self, items: &[Node], level: Level) -> Set {
        let mut out = Set::default();
        for (i, item) in items.iter().enumerate() {
            // A sign with nothing before it to act on (`-b`, `(-1)`, `= -x`) is unary: no space around it.
            let unary = matches!(item, Node::Operator(_))
                && (i == 0
                    || matches!(&items[i - 1], Node::Operator(_))
                    || matches!(&items[i - 1], Node::Symbol(s) if s == "(" || s == "[" || s == ","));
            let mut set = if unary {
                self.node(&Node::Symbol(operator_text(item)), level)
            } else {
                self.node(item, level)
            };
            let function = matches!(item, Node::Word(w) if w.chars().count() > 1);
            let next_opens = matches!(items.get(i + 1), Some(Node::Symbol(s)) if s == "(")
                || matches!(items.get(i + 1), Some(Node::Fenced { .. }) | None);
            if function && !next_opens {
                set.width += self.size(level) * 0.17;
            }
            out.ascent = out.ascent.max(set.ascent);
            out.descent = out.descent.max(set.descent);
            let x = out.width;
            out.width += set.width;
            out.add(set.moved(x, 0.0));
        }
        out
    }

    /// Where a row's first alignment point is, from its start; `None` without one.
    fn align_at(&self, node: &Node, level: Level) -> Option<f32> {
        let Node::Row(items) = node else {
            return None;
        };
        let at = items.iter().position(|n| *n == Node::Align)?;
        Some(self.row(&items[..at], level).width)
    }

    fn fraction(&self, top: &Node, bottom: &Node, level: Level) -> Set {
        let size = self.size(level);
        let parts = level.fraction();
        let (top, bottom) = (self.node(top, parts), self.node(bottom, parts));
        let pad = size * 0.12;
        let width = top.width.max(bottom.width) + 4.0 * pad;
        let axis = size * 0.27;
        let bar = (size * 0.05).max(1.5);
        let gap = size * 0.14;
        let top_baseline = -(axis + bar / 2.0 + gap + top.descent);
        let bottom_baseline = -axis + bar / 2.0 + gap + bottom.ascent;
        let mut out = Set {
            width,
            ascent: -top_baseline + top.ascent,
            descent: bottom_baseline + bottom.descent,
            // The bar spans the wider part, with a thin space either side of it.
            elements: vec![Element::Rect {
                x: pad,
                y: -axis - bar / 2.0,
                width: width - 2.0 * pad,
                height: bar,
                radius: 0.0,
                colour: self.colour,
            }],
        };
        let (top_x, bottom_x) = ((width - top.width) / 2.0, (width - bottom.width) / 2.0);
        out.add(top.moved(top_x, top_baseline));
        out.add(bottom.moved(bottom_x, bottom_baseline));
        out
    }

    fn root(&self, radicand: &Node, index: Option<&Node>, level: Level) -> Set {
        let size = self.size(level);
        let inner = self.node(radicand, level);
        let stroke = (size * 0.05).max(1.5);
        let top = -(inner.ascent + size * 0.12);
        let bottom = inner.descent;
        let sign = size * 0.5;
        let index_set = index.map(|i| self.node(i, Level::ScriptScript));
        let lead = index_set
            .as_ref()
            .map_or(0.0, |i| (i.width - sign * 0.45).max(0.0));
        // The radical: a short rise, a long fall to the baseline's depth, a climb to the top, the bar.
        let points = vec![
            (lead, -size * 0.25),
            (lead + sign * 0.25, -size * 0.32),
            (lead + sign * 0.55, bottom),
            (lead + sign, top),
            (lead + sign + inner.width + size * 0.1, top),
        ];
        let mut out = Set {
            width: lead + sign + inner.width + size * 0.16,
            ascent: -top + stroke,
            descent: bottom + stroke,
            elements: vec![Element::Path {
                points,
                width: stroke,
                colour: self.colour,
            }],
        };
        out.add(inner.moved(lead + sign + size * 0.05, 0.0));
        if let Some(index) = index_set {
            out.add(index.moved(0.0, -size * 0.45));
        }
        out
    }

    fn scripts(&self, base: &Node, sup: Option<&Node>, sub: Option<&Node>, level: Level) -> Set {
        let size = self.size(level);
        let base_set = self.node(base, level);
        let small = level.script();
        let (sup, sub) = (
            sup.map(|s| self.node(s, small)),
            sub.map(|s| self.node(s, small)),
        );
        // Limits go over and under a display sum or product.
        let limits = level == Level::Display
            && matches!(base, Node::Large(op) if op != "∫" && op != "∮" && op != "∬");
        if limits {
            let width = [
                base_set.width,
                sup.as_ref().map_or(0.0, |s| s.width),
                sub.as_ref().map_or(0.0, |s| s.width),
            ]
            .into_iter()
            .fold(0.0, f32::max);
            let mut out = Set {
                width,
                ascent: base_set.ascent,
                descent: base_set.descent,
                elements: Vec::new(),
            };
            let gap = size * 0.12;
            if let Some(sup) = sup {
                let y = -(base_set.ascent + gap + sup.descent);
                out.ascent = -y + sup.ascent;
                out.add(sup.clone().moved((width - sup.width) / 2.0, y));
            }
            if let Some(sub) = sub {
                let y = base_set.descent + gap + sub.ascent;
                out.descent = y + sub.descent;
                out.add(sub.clone().moved((width - sub.width) / 2.0, y));
            }
            let base_x = (width - base_set.width) / 2.0;
            out.add(base_set.moved(base_x, 0.0));
            return out;
        }
        let raise = (size * 0.42).max(base_set.ascent - size * 0.3);
        let lower = if sup.is_some() {
            size * 0.3
        } else {
            size * 0.2
        };
        let gap = size * 0.04;
        let mut out = Set {
            width: base_set.width,
            ascent: base_set.ascent,
            descent: base_set.descent,
            elements: Vec::new(),
        };
        let x = base_set.width + gap;
        let mut script_width: f32 = 0.0;
        if let Some(sup) = sup {
            out.ascent = out.ascent.max(raise + sup.ascent);
            script_width = script_width.max(sup.width);
            out.add(sup.moved(x, -raise));
        }
        if let Some(sub) = sub {
            out.descent = out.descent.max(lower + sub.descent);
            script_width = script_width.max(sub.width);
            out.add(sub.moved(x, lower));
        }
        out.width = x + script_width + size * 0.04;
        out.add(base_set);
        out
    }

    fn fenced(&self, open: &str, body: &Node, close: &str, level: Level) -> Set {
        let size = self.size(level);
        let inner = self.node(body, level);
        let tall = inner.ascent + inner.descent > size * 1.25;
        let (top, bottom) = if tall {
            (-(inner.ascent + size * 0.06), inner.descent + size * 0.06)
        } else {
            (-size * 0.78, size * 0.24)
        };
        let width = size * 0.38;
        let mut out = Set {
            width: 0.0,
            ascent: inner.ascent.max(-top),
            descent: inner.descent.max(bottom),
            elements: Vec::new(),
        };
        let delimiter = |text: &str, left: bool| {
            if tall {
                self.bracket(text, left, top, bottom, width)
            } else {
                self.text(text, Face::Regular, size)
            }
        };
        let mut x = 0.0;
        if !open.is_empty() {
            let set = delimiter(open, true);
            x += set.width;
            out.add(set);
        }
        let inner_width = inner.width;
        out.add(inner.moved(x, 0.0));
        x += inner_width;
        if !close.is_empty() {
            let set = delimiter(close, false);
            let set_width = set.width;
            out.add(set.moved(x, 0.0));
            x += set_width;
        }
        out.width = x;
        out
    }

    /// A bracket drawn from `top` to `bottom` (tall content): `(`, `[`, `{`, `|` and their closings.
    fn bracket(&self, delimiter: &str, left: bool, top: f32, bottom: f32, width: f32) -> Set {
        let stroke = (self.size * 0.05).max(1.5);
        let (near, far) = if left {
            (width * 0.8, width * 0.25)
        } else {
            (width * 0.2, width * 0.75)
        };
        let middle = (top + bottom) / 2.0;
        let points: Vec<(f32, f32)> = match delimiter {
            "[" | "]" | "⌈" | "⌉" | "⌊" | "⌋" => {
                vec![(near, top), (far, top), (far, bottom), (near, bottom)]
            }
            "|" | "‖" => vec![(width / 2.0, top), (width / 2.0, bottom)],
            "{" | "}" => {
                let tip = if left { width * 0.1 } else { width * 0.9 };
                vec![
                    (near, top),
                    (far, top + (middle - top) * 0.15),
                    (far, middle - (middle - top) * 0.2),
                    (tip, middle),
                    (far, middle + (bottom - middle) * 0.2),
                    (far, bottom - (bottom - middle) * 0.15),
                    (near, bottom),
                ]
            }
            _ => {
                // A parenthesis as a polyline bowing out.
                (0..=8)
                    .map(|i| {
                        let t = i as f32 / 8.0;
                        let bow = (std::f32::consts::PI * t).sin();
                        (near + (far - near) * bow, top + (bottom - top) * t)
                    })
                    .collect()
            }
        };
        Set {
            width,
            ascent: -top,
            descent: bottom,
            elements: vec![Element::Path {
                points,
                width: stroke,
                colour: self.colour,
            }],
        }
    }

    fn accent(&self, base: &Node, mark: char, level: Level) -> Set {
        let size = self.size(level);
        let mut out = self.node(base, level);
        let shown = match mark {
            '\u{302}' => "ˆ",
            '\u{304}' => "¯",
            '\u{303}' => "˜",
            '\u{307}' => "˙",
            _ => "→",
        };
        let mark_size = size * 0.8;
        let mark_set = self.text(shown, Face::Regular, mark_size);
        let x = (out.width - mark_set.width) / 2.0 + size * 0.05;
        let y = -(out.ascent - size * 0.55);
        out.ascent += size * 0.25;
        out.add(mark_set.moved(x, y));
        out
    }

    fn lines(&self, rows: &[Node], level: Level) -> Set {
        let size = self.size(level);
        let sets: Vec<Set> = rows.iter().map(|r| self.node(r, level)).collect();
        let width = sets.iter().map(|s| s.width).fold(0.0, f32::max);
        let gap = size * 0.35;
        let total: f32 = sets.iter().map(|s| s.ascent + s.descent).sum::<f32>()
            + gap * sets.len().saturating_sub(1) as f32;
        // Centred on the maths axis.
        let mut top = -(total / 2.0) - size * 0.27;
        let mut out = Set {
            width,
            ascent: -top,
            descent: top + total,
            elements: Vec::new(),
        };
        // Rows with an alignment point line up there; others are centred.
        let points: Vec<Option<f32>> = rows.iter().map(|r| self.align_at(r, level)).collect();
        let widest_left = points.iter().flatten().fold(0.0_f32, |a, b| a.max(*b));
        let aligned_width = sets
            .iter()
            .zip(&points)
            .map(|(s, p)| p.map_or(s.width, |p| widest_left - p + s.width))
            .fold(width, f32::max);
        out.width = aligned_width;
        for (set, point) in sets.into_iter().zip(points) {
            let baseline = top + set.ascent;
            top = baseline + set.descent + gap;
            let x = match point {
                Some(point) => widest_left - point,
                None => (aligned_width - set.width) / 2.0,
            };
            out.add(set.moved(x, baseline));
        }
        out.descent = out.descent.max(0.0);
        out
    }
}

/// An operator's text, to set it as a plain symbol.
fn operator_text(node: &Node) -> String {
    match node {
        Node::Operator(text) => text.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::math::tree::parse;

    fn texts(set: &Set) -> Vec<(String, f32, f32)> {
        set.elements
            .iter()
            .filter_map(|e| match e {
                Element::Text { text, x, y, .. } => Some((text.clone(), *x, *y)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_fraction_stacks_its_parts_over_a_bar() {
        let set = set(&parse(r"\frac{a+b}{c}"), 40.0, Colour::Text);
        let parts = texts(&set);
        let a = parts.iter().find(|(t, _, _)| t == "a").unwrap();
        let c = parts.iter().find(|(t, _, _)| t == "c").unwrap();
        assert!(a.2 < -10.0 && c.2 > 10.0, "{parts:?}");
        let bar = set
            .elements
            .iter()
            .any(|e| matches!(e, Element::Rect { y, .. } if *y < 0.0 && *y > -20.0));
        assert!(bar, "{:?}", set.elements);
        assert!(set.ascent > 40.0 && set.descent > 20.0);
    }

    #[test]
    fn scripts_are_smaller_and_raised_or_lowered() {
        let set = set(&parse(r"x_i^2"), 40.0, Colour::Text);
        let sizes: Vec<(String, f32, f32)> = set
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Text { text, size, y, .. } => Some((text.clone(), *size, *y)),
                _ => None,
            })
            .collect();
        let two = sizes.iter().find(|(t, _, _)| t == "2").unwrap();
        let i = sizes.iter().find(|(t, _, _)| t == "i").unwrap();
        assert!(two.1 < 40.0 && two.2 < 0.0, "{sizes:?}");
        assert!(i.1 < 40.0 && i.2 > 0.0, "{sizes:?}");
    }

    #[test]
    fn roots_and_tall_brackets_are_drawn_around_their_content() {
        let root = set(&parse(r"\sqrt{\frac{1}{2}}"), 40.0, Colour::Text);
        assert!(
            root.elements
                .iter()
                .any(|e| matches!(e, Element::Path { .. }))
        );
        let fenced = set(&parse(r"\left( \frac{1}{2} \right)"), 40.0, Colour::Text);
        let paths = fenced
            .elements
            .iter()
            .filter(|e| matches!(e, Element::Path { .. }))
            .count();
        assert_eq!(paths, 2);
        let sum = set(&parse(r"\sum_{i=1}^{n} i"), 40.0, Colour::Text);
        let parts = texts(&sum);
        let n = parts.iter().find(|(t, _, _)| t == "n").unwrap();
        let sigma = parts.iter().find(|(t, _, _)| t == "∑").unwrap();
        assert!(
            n.2 < sigma.2 - 30.0,
            "the upper limit is over the sum: {parts:?}"
        );
    }
}
