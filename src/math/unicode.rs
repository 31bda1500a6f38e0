//! TeX as one line of Unicode text: `\frac{1}{1-p}` as `1/(1−p)`, `x^2` as `x²`, `\alpha` as `α`. What the
//! slide draws for a formula, in the bundled fonts.

/// `tex` as a line of Unicode math.
pub fn unicode(tex: &str) -> String {
    let tokens = tokenize(tex);
    let mut at = 0;
    let out = sequence(&tokens, &mut at, None);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A piece of TeX: a command (`\frac`, `\,`), a character or a brace.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Command(String),
    Char(char),
    Open,
    Close,
}

/// `tex` as tokens, comments left out.
pub(super) fn tokenize(tex: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = tex.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphabetic()) {
                    name.push(n);
                    chars.next();
                }
                if name.is_empty()
                    && let Some(n) = chars.next()
                {
                    name.push(n);
                }
                tokens.push(Token::Command(name));
            }
            '{' => tokens.push(Token::Open),
            '}' => tokens.push(Token::Close),
            '%' => {
                // A comment runs to the line's end.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            other => tokens.push(Token::Char(other)),
        }
    }
    tokens
}

/// Reads tokens up to a closing brace (or the end); `until` stops at a command such as `right`.
fn sequence(tokens: &[Token], at: &mut usize, until: Option<&str>) -> String {
    let mut out = String::new();
    while *at < tokens.len() {
        match &tokens[*at] {
            Token::Close => {
                *at += 1;
                return out;
            }
            Token::Command(name) if Some(name.as_str()) == until => return out,
            _ => {}
        }
        let piece = atom(tokens, at);
        out.push_str(&piece);
    }
    out
}

/// One argument: a group, a command or a character.
fn argument(tokens: &[Token], at: &mut usize) -> String {
    while matches!(tokens.get(*at), Some(Token::Char(' ' | '\n'))) {
        *at += 1;
    }
    match tokens.get(*at) {
        Some(Token::Open) => {
            *at += 1;
            sequence(tokens, at, None)
        }
        Some(_) => atom(tokens, at),
        None => String::new(),
    }
}

/// An optional `[...]` argument.
fn optional(tokens: &[Token], at: &mut usize) -> Option<String> {
    if tokens.get(*at) != Some(&Token::Char('[')) {
        return None;
    }
    *at += 1;
    let mut out = String::new();
    while let Some(token) = tokens.get(*at) {
        if *token == Token::Char(']') {
            *at += 1;
            break;
        }
        out.push_str(&atom(tokens, at));
    }
    Some(out)
}

fn atom(tokens: &[Token], at: &mut usize) -> String {
    let token = tokens[*at].clone();
    *at += 1;
    match token {
        Token::Open => sequence(tokens, at, None),
        Token::Close => String::new(),
        Token::Char('^') => script(&argument(tokens, at), SUPERSCRIPTS, '^'),
        Token::Char('_') => script(&argument(tokens, at), SUBSCRIPTS, '_'),
        Token::Char('-') => " − ".into(),
        Token::Char(c @ ('=' | '<' | '>' | '+')) => format!(" {c} "),
        Token::Char('&') => String::new(),
        Token::Char('~') => " ".into(),
        Token::Char('\'') => "′".into(),
        Token::Char(c) => c.to_string(),
        Token::Command(name) => command(&name, tokens, at),
    }
}

fn command(name: &str, tokens: &[Token], at: &mut usize) -> String {
    match name {
        "frac" | "dfrac" | "tfrac" | "cfrac" => {
            let top = argument(tokens, at);
            let bottom = argument(tokens, at);
            format!("{}/{}", grouped(&top), grouped(&bottom))
        }
        "sqrt" => {
            let index = optional(tokens, at);
            let radicand = grouped(&argument(tokens, at));
            match index {
                Some(n) => format!("{}√{radicand}", script(&n, SUPERSCRIPTS, '^')),
                None => format!("√{radicand}"),
            }
        }
        "text" | "textrm" | "mathrm" | "textit" | "mathit" | "mathbf" | "textbf" | "boldsymbol"
        | "mathsf" | "mathtt" | "texttt" | "operatorname" | "mbox" | "displaystyle" | "mathcal"
        | "underline" | "overline" => {
            if matches!(name, "displaystyle") {
                String::new()
            } else {
                argument(tokens, at)
            }
        }
        "mathbb" => argument(tokens, at)
            .chars()
            .map(|c| match c {
                'R' => 'ℝ',
                'N' => 'ℕ',
                'Z' => 'ℤ',
                'Q' => 'ℚ',
                'C' => 'ℂ',
                'E' => '𝔼',
                'P' => 'ℙ',
                other => other,
            })
            .collect(),
        "hat" | "widehat" => format!("{}\u{302}", argument(tokens, at)),
        "bar" => format!("{}\u{304}", argument(tokens, at)),
        "tilde" | "widetilde" => format!("{}\u{303}", argument(tokens, at)),
        "vec" => format!("{}\u{20d7}", argument(tokens, at)),
        "dot" => format!("{}\u{307}", argument(tokens, at)),
        "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl" | "Bigr" => {
            match tokens.get(*at) {
                Some(Token::Char('.')) => {
                    *at += 1;
                    String::new()
                }
                _ => String::new(),
            }
        }
        "begin" | "end" => {
            argument(tokens, at);
            String::new()
        }
        "label" | "tag" | "nonumber" | "notag" => {
            if !matches!(name, "nonumber" | "notag") {
                argument(tokens, at);
            }
            String::new()
        }
        "\\" => "; ".into(),
        "," | ";" | ":" | "quad" | "qquad" | " " | "!" => " ".into(),
        "{" => "{".into(),
        "}" => "}".into(),
        "%" | "$" | "&" | "#" | "_" => name.into(),
        other => symbol(other)
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
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

fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" | "vartheta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" | "varrho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "cdot" => " · ",
        "times" => " × ",
        "div" => " ÷ ",
        "pm" => " ± ",
        "mp" => " ∓ ",
        "leq" | "le" => " ≤ ",
        "geq" | "ge" => " ≥ ",
        "neq" | "ne" => " ≠ ",
        "approx" => " ≈ ",
        "equiv" => " ≡ ",
        "sim" => " ∼ ",
        "propto" => " ∝ ",
        "ll" => " ≪ ",
        "gg" => " ≫ ",
        "infty" => "∞",
        "sum" => "∑",
        "prod" => "∏",
        "int" => "∫",
        "oint" => "∮",
        "partial" => "∂",
        "nabla" => "∇",
        "to" | "rightarrow" => " → ",
        "leftarrow" | "gets" => " ← ",
        "Rightarrow" | "implies" => " ⇒ ",
        "Leftarrow" => " ⇐ ",
        "iff" | "Leftrightarrow" => " ⇔ ",
        "mapsto" => " ↦ ",
        "in" => " ∈ ",
        "notin" => " ∉ ",
        "subset" => " ⊂ ",
        "subseteq" => " ⊆ ",
        "supset" => " ⊃ ",
        "cup" => " ∪ ",
        "cap" => " ∩ ",
        "emptyset" | "varnothing" => "∅",
        "forall" => "∀",
        "exists" => "∃",
        "neg" | "lnot" => "¬",
        "land" | "wedge" => " ∧ ",
        "lor" | "vee" => " ∨ ",
        "ldots" | "dots" => "…",
        "cdots" => "⋯",
        "prime" => "′",
        "circ" => "∘",
        "deg" => "deg",
        "log" | "ln" | "exp" | "sin" | "cos" | "tan" | "max" | "min" | "lim" | "arg" | "det"
        | "sup" | "inf" | "mod" | "gcd" => return Some(function(name)),
        "langle" => "⟨",
        "rangle" => "⟩",
        "lceil" => "⌈",
        "rceil" => "⌉",
        "lfloor" => "⌊",
        "rfloor" => "⌋",
        "|" | "Vert" => "‖",
        "vert" | "mid" => " | ",
        _ => return None,
    })
}

/// A function's name, upright, with a thin space after it.
fn function(name: &str) -> &'static str {
    match name {
        "log" => "log ",
        "ln" => "ln ",
        "exp" => "exp ",
        "sin" => "sin ",
        "cos" => "cos ",
        "tan" => "tan ",
        "max" => "max ",
        "min" => "min ",
        "lim" => "lim ",
        "arg" => "arg ",
        "det" => "det ",
        "sup" => "sup ",
        "inf" => "inf ",
        "mod" => " mod ",
        _ => "gcd ",
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
        assert_eq!(unicode(r"\left( a \right)"), "( a )");
    }
}
