//! A formula as one line of Unicode text: `\frac{1}{1-p}` as `1/(1 − p)`, `x^2` as `x²`, `\alpha` as `α`.
//! What a slide draws for inline math, in the bundled fonts.

use super::tree::{Node, parse};

/// `tex` as a line of Unicode math.
pub fn unicode(tex: &str) -> String {
    line(&parse(tex))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A formula's tree as one line.
fn line(node: &Node) -> String {
    match node {
        Node::Row(items) => {
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                out.push_str(&line(item));
                // A function's name is followed by a space unless a bracket follows.
                let next_opens = matches!(items.get(i + 1), Some(Node::Symbol(s)) if s == "(")
                    || matches!(items.get(i + 1), Some(Node::Fenced { .. }) | None);
                let large = matches!(item, Node::Large(_))
                    || matches!(item, Node::Scripts { base, .. } if matches!(**base, Node::Large(_)));
                if (matches!(item, Node::Word(_)) && !next_opens) || large {
                    out.push(' ');
                }
            }
            out
        }
        Node::Letter(c) => c.to_string(),
        Node::Number(text) | Node::Word(text) | Node::Symbol(text) | Node::Large(text) => {
            text.clone()
        }
        Node::Operator(text) => format!(" {text} "),
        Node::Fraction(top, bottom) => {
            format!("{}/{}", grouped(&line(top)), grouped(&line(bottom)))
        }
        Node::Root(radicand, index) => {
            let index = index
                .as_ref()
                .map(|i| script(&line(i), SUPERSCRIPTS, '^'))
                .unwrap_or_default();
            format!("{index}√{}", grouped(&line(radicand)))
        }
        Node::Scripts { base, sup, sub } => {
            let mut out = line(base);
            if let Some(sub) = sub {
                out.push_str(&script(&line(sub), SUBSCRIPTS, '_'));
            }
            if let Some(sup) = sup {
                out.push_str(&script(&line(sup), SUPERSCRIPTS, '^'));
            }
            out
        }
        Node::Fenced { open, body, close } => format!("{open}{}{close}", line(body).trim()),
        Node::Accent(base, mark) => format!("{}{mark}", line(base)),
        Node::Lines(rows) => rows.iter().map(line).collect::<Vec<_>>().join("; "),
        Node::Space(_) => " ".into(),
        Node::Align => String::new(),
    }
}

/// A piece in parentheses when it is more than one term.
fn grouped(piece: &str) -> String {
    let piece = piece.trim();
    let simple = piece.chars().count() <= 1
        || piece.chars().all(|c| c.is_alphanumeric() || c == '.')
        || (piece.starts_with('(') && piece.ends_with(')'));
    if simple {
        piece.to_string()
    } else {
        format!("({piece})")
    }
}

const SUPERSCRIPTS: &[(char, char)] = &[
    ('0', '⁰'),
    ('1', '¹'),
    ('2', '²'),
    ('3', '³'),
    ('4', '⁴'),
    ('5', '⁵'),
    ('6', '⁶'),
    ('7', '⁷'),
    ('8', '⁸'),
    ('9', '⁹'),
    ('+', '⁺'),
    ('−', '⁻'),
    ('-', '⁻'),
    ('=', '⁼'),
    ('(', '⁽'),
    (')', '⁾'),
    ('n', 'ⁿ'),
    ('i', 'ⁱ'),
    ('T', 'ᵀ'),
    ('k', 'ᵏ'),
    ('t', 'ᵗ'),
    ('x', 'ˣ'),
    ('′', '′'),
];
const SUBSCRIPTS: &[(char, char)] = &[
    ('0', '₀'),
    ('1', '₁'),
    ('2', '₂'),
    ('3', '₃'),
    ('4', '₄'),
    ('5', '₅'),
    ('6', '₆'),
    ('7', '₇'),
    ('8', '₈'),
    ('9', '₉'),
    ('+', '₊'),
    ('−', '₋'),
    ('-', '₋'),
    ('=', '₌'),
    ('(', '₍'),
    (')', '₎'),
    ('a', 'ₐ'),
    ('e', 'ₑ'),
    ('h', 'ₕ'),
    ('i', 'ᵢ'),
    ('j', 'ⱼ'),
    ('k', 'ₖ'),
    ('l', 'ₗ'),
    ('m', 'ₘ'),
    ('n', 'ₙ'),
    ('o', 'ₒ'),
    ('p', 'ₚ'),
    ('r', 'ᵣ'),
    ('s', 'ₛ'),
    ('t', 'ₜ'),
    ('u', 'ᵤ'),
    ('v', 'ᵥ'),
    ('x', 'ₓ'),
];

/// A script in raised or lowered characters where Unicode has them all, else after a `^` or `_`.
fn script(piece: &str, table: &[(char, char)], mark: char) -> String {
    let piece: String = piece.split_whitespace().collect();
    let mapped: Option<String> = piece
        .chars()
        .map(|c| table.iter().find(|(from, _)| *from == c).map(|(_, to)| *to))
        .collect();
    match mapped {
        Some(text) if !text.is_empty() => text,
        _ if piece.chars().count() == 1 => format!("{mark}{piece}"),
        _ => format!("{mark}({piece})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_read_as_one_line_of_unicode_math() {
        assert_eq!(
            unicode(r"S_{\text{latency}}(s) = \frac{1}{(1-p) + \frac{p}{s}}"),
            "S_(latency)(s) = 1/((1 − p) + p/s)"
        );
        assert_eq!(unicode(r"x^2 + y_i^{n+1} \leq \alpha"), "x² + yᵢⁿ⁺¹ ≤ α");
        assert_eq!(unicode(r"\sqrt{a^2+b^2}"), "√(a² + b²)");
        assert_eq!(unicode(r"\sum_{i=1}^{n} i"), "∑ᵢ₌₁ⁿ i");
        assert_eq!(unicode(r"\mathbb{R}^n \to \mathbb{R}"), "ℝⁿ → ℝ");
        assert_eq!(unicode(r"\left( a \right)"), "(a)");
        assert_eq!(unicode(r"\log x + \sin(y)"), "log x + sin(y)");
    }
}
