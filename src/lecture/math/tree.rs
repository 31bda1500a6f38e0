//! TeX math read into a tree of the few things a formula is made of: symbols, fractions, roots, scripts and
//! fences. [`super::unicode`] writes it as a line of text; the slide renderer sets it in two dimensions.

/// A part of a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Row(Vec<Node>),
    /// A variable: drawn in italic.
    Letter(char),
    /// Digits and a decimal point, upright.
    Number(String),
    /// Words (`\text{...}`, function names such as `log`), upright.
    Word(String),
    /// A binary operator or relation, with space around it (`=`, `+`, `≤`, `→`).
    Operator(String),
    /// Anything else drawn as it is: punctuation, brackets, `∞`, Greek capitals.
    Symbol(String),
    /// A large operator: `∑`, `∏`, `∫`.
    Large(String),
    Fraction(Box<Node>, Box<Node>),
    /// A root of the radicand, with its index (`\sqrt[3]{x}`).
    Root(Box<Node>, Option<Box<Node>>),
    Scripts {
        base: Box<Node>,
        sup: Option<Box<Node>>,
        sub: Option<Box<Node>>,
    },
    /// `\left( ... \right)`: brackets as tall as what they hold.
    Fenced {
        open: String,
        body: Box<Node>,
        close: String,
    },
    /// A mark over its base (`\hat`, `\bar`, `\vec`, `\dot`, `\tilde`), as a combining character.
    Accent(Box<Node>, char),
    /// Rows of an aligned environment or of `\\`.
    Lines(Vec<Node>),
    /// Space in em.
    Space(f32),
    /// An alignment point (`&`): the rows of an aligned environment line up at their first.
    Align,
}

/// Reads TeX math into a tree. Nothing is refused: what is not known is shown as its name.
pub fn parse(tex: &str) -> Node {
    let tokens = tokenize(tex);
    let mut at = 0;
    lines(&tokens, &mut at, None)
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

/// Rows separated by `\\` up to a closing brace, the end, or the command `until` (`right`, `end`).
fn lines(tokens: &[Token], at: &mut usize, until: Option<&str>) -> Node {
    let mut rows = vec![row(tokens, at, until)];
    while tokens.get(*at) == Some(&Token::Command("\\".into())) {
        *at += 1;
        rows.push(row(tokens, at, until));
    }
    rows.retain(|r| *r != Node::Row(Vec::new()));
    match rows.len() {
        0 => Node::Row(Vec::new()),
        1 => rows.pop().expect("one row"),
        _ => Node::Lines(rows),
    }
}

/// One row: atoms up to `\\`, a closing brace (taken), the end or `until`.
fn row(tokens: &[Token], at: &mut usize, until: Option<&str>) -> Node {
    let mut items = Vec::new();
    while *at < tokens.len() {
        match &tokens[*at] {
            Token::Close => {
                *at += 1;
                break;
            }
            Token::Command(name) if name == "\\" || Some(name.as_str()) == until => break,
            Token::Command(name) if name == "end" => break,
            _ => {}
        }
        if let Some(node) = atom(tokens, at) {
            // Scripts bind to the atom before them.
            items.push(node);
        }
        while let Some(Token::Char(c @ ('^' | '_'))) = tokens.get(*at) {
            let c = *c;
            *at += 1;
            let script = argument(tokens, at);
            let base = items.pop().unwrap_or(Node::Row(Vec::new()));
            items.push(attach(base, c, script));
        }
    }
    flatten(items)
}

fn attach(base: Node, mark: char, script: Node) -> Node {
    let (base, mut sup, mut sub) = match base {
        Node::Scripts { base, sup, sub } => (base, sup, sub),
        other => (Box::new(other), None, None),
    };
    if mark == '^' {
        sup = Some(Box::new(script));
    } else {
        sub = Some(Box::new(script));
    }
    Node::Scripts { base, sup, sub }
}

fn flatten(mut items: Vec<Node>) -> Node {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        Node::Row(items)
    }
}

/// One argument: a group, a command or a character.
fn argument(tokens: &[Token], at: &mut usize) -> Node {
    while matches!(tokens.get(*at), Some(Token::Char(' ' | '\n'))) {
        *at += 1;
    }
    match tokens.get(*at) {
        Some(Token::Open) => {
            *at += 1;
            lines(tokens, at, None)
        }
        Some(_) => atom(tokens, at).unwrap_or(Node::Row(Vec::new())),
        None => Node::Row(Vec::new()),
    }
}

/// The text of an argument read as plain words (`\text{...}`).
fn words(tokens: &[Token], at: &mut usize) -> String {
    while matches!(tokens.get(*at), Some(Token::Char(' '))) {
        *at += 1;
    }
    let mut out = String::new();
    match tokens.get(*at) {
        Some(Token::Open) => {
            *at += 1;
            let mut depth = 0;
            while let Some(token) = tokens.get(*at) {
                *at += 1;
                match token {
                    Token::Open => depth += 1,
                    Token::Close if depth == 0 => break,
                    Token::Close => depth -= 1,
                    Token::Char(c) => out.push(*c),
                    Token::Command(name) if name.len() == 1 => out.push_str(name),
                    Token::Command(_) => {}
                }
            }
        }
        Some(Token::Char(c)) => {
            out.push(*c);
            *at += 1;
        }
        _ => {}
    }
    out
}

/// An optional `[...]` argument.
fn optional(tokens: &[Token], at: &mut usize) -> Option<Node> {
    if tokens.get(*at) != Some(&Token::Char('[')) {
        return None;
    }
    *at += 1;
    let mut items = Vec::new();
    while let Some(token) = tokens.get(*at) {
        if *token == Token::Char(']') {
            *at += 1;
            break;
        }
        if let Some(node) = atom(tokens, at) {
            items.push(node);
        }
    }
    Some(flatten(items))
}

/// One atom; `None` for what shows nothing (a label, alignment marks, white space).
fn atom(tokens: &[Token], at: &mut usize) -> Option<Node> {
    let token = tokens[*at].clone();
    *at += 1;
    Some(match token {
        Token::Open => lines(tokens, at, None),
        Token::Close => return None,
        Token::Char(' ' | '\n' | '\t') => return None,
        Token::Char('&') => Node::Align,
        Token::Char('~') => Node::Space(0.3),
        Token::Char('\'') => Node::Symbol("′".into()),
        Token::Char('-') => Node::Operator("−".into()),
        Token::Char(c @ ('=' | '<' | '>' | '+' | '*')) => Node::Operator(if c == '*' {
            "∗".into()
        } else {
            c.to_string()
        }),
        Token::Char(c) if c.is_ascii_digit() || c == '.' => {
            let mut number = c.to_string();
            while let Some(Token::Char(n)) = tokens.get(*at) {
                if n.is_ascii_digit() || *n == '.' {
                    number.push(*n);
                    *at += 1;
                } else {
                    break;
                }
            }
            Node::Number(number)
        }
        Token::Char(c) if c.is_alphabetic() => Node::Letter(c),
        Token::Char(c) => Node::Symbol(c.to_string()),
        Token::Command(name) => return command(&name, tokens, at),
    })
}

fn command(name: &str, tokens: &[Token], at: &mut usize) -> Option<Node> {
    Some(match name {
        "frac" | "dfrac" | "tfrac" | "cfrac" => {
            let top = argument(tokens, at);
            let bottom = argument(tokens, at);
            Node::Fraction(Box::new(top), Box::new(bottom))
        }
        "binom" => {
            let top = argument(tokens, at);
            let bottom = argument(tokens, at);
            Node::Fenced {
                open: "(".into(),
                body: Box::new(Node::Lines(vec![top, bottom])),
                close: ")".into(),
            }
        }
        "sqrt" => {
            let index = optional(tokens, at);
            let radicand = argument(tokens, at);
            Node::Root(Box::new(radicand), index.map(Box::new))
        }
        "text" | "textrm" | "mbox" | "textnormal" | "operatorname" | "mathrm" | "textit"
        | "texttt" | "mathtt" | "textsf" | "mathsf" => Node::Word(words(tokens, at)),
        "mathbf" | "textbf" | "boldsymbol" | "bm" | "mathit" | "mathcal" | "mathscr"
        | "mathfrak" | "underline" | "overline" => argument(tokens, at),
        "mathbb" => Node::Symbol(
            words(tokens, at)
                .chars()
                .map(|c| match c {
                    'R' => 'ℝ',
                    'N' => 'ℕ',
                    'Z' => 'ℤ',
                    'Q' => 'ℚ',
                    'C' => 'ℂ',
                    'P' => 'ℙ',
                    other => other,
                })
                .collect(),
        ),
        "hat" | "widehat" => Node::Accent(Box::new(argument(tokens, at)), '\u{302}'),
        "bar" => Node::Accent(Box::new(argument(tokens, at)), '\u{304}'),
        "tilde" | "widetilde" => Node::Accent(Box::new(argument(tokens, at)), '\u{303}'),
        "vec" => Node::Accent(Box::new(argument(tokens, at)), '\u{20d7}'),
        "dot" => Node::Accent(Box::new(argument(tokens, at)), '\u{307}'),
        "left" => {
            let open = delimiter(tokens, at);
            let body = lines(tokens, at, Some("right"));
            let close = if tokens.get(*at) == Some(&Token::Command("right".into())) {
                *at += 1;
                delimiter(tokens, at)
            } else {
                String::new()
            };
            Node::Fenced {
                open,
                body: Box::new(body),
                close,
            }
        }
        "right" => return None,
        "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl" | "Bigr" | "biggl" | "biggr" => {
            Node::Symbol(delimiter(tokens, at))
        }
        "begin" => {
            let environment = words(tokens, at);
            if matches!(environment.as_str(), "array" | "tabular") {
                words(tokens, at);
            }
            let body = lines(tokens, at, Some("end"));
            if tokens.get(*at) == Some(&Token::Command("end".into())) {
                *at += 1;
                words(tokens, at);
            }
            // A matrix's columns are apart; an aligned environment's `&` only aligns.
            let body = if environment.contains("matrix")
                || matches!(environment.as_str(), "cases" | "array")
            {
                spread(body)
            } else {
                body
            };
            let fences = match environment.as_str() {
                "pmatrix" => Some(("(", ")")),
                "bmatrix" => Some(("[", "]")),
                "vmatrix" => Some(("|", "|")),
                "cases" => Some(("{", "")),
                _ => None,
            };
            match fences {
                Some((open, close)) => Node::Fenced {
                    open: open.into(),
                    body: Box::new(body),
                    close: close.into(),
                },
                None => body,
            }
        }
        "label" | "tag" | "ref" | "eqref" => {
            words(tokens, at);
            return None;
        }
        "nonumber" | "notag" | "displaystyle" | "textstyle" | "limits" | "nolimits" => return None,
        "," | ":" | ">" => Node::Space(0.17),
        ";" => Node::Space(0.28),
        "!" => return None,
        " " => Node::Space(0.25),
        "quad" => Node::Space(1.0),
        "qquad" => Node::Space(2.0),
        "{" | "}" | "%" | "$" | "&" | "#" | "_" | "|" => Node::Symbol(name.into()),
        other => {
            if let Some(word) = FUNCTIONS.iter().find(|f| **f == other) {
                Node::Word((*word).into())
            } else if let Some(large) = large(other) {
                Node::Large(large.into())
            } else if let Some(operator) = operator(other) {
                Node::Operator(operator.into())
            } else if let Some(symbol) = symbol(other) {
                match symbol.chars().next() {
                    Some(c) if symbol.chars().count() == 1 && c.is_lowercase() => Node::Letter(c),
                    _ => Node::Symbol(symbol.into()),
                }
            } else {
                Node::Word(other.into())
            }
        }
    })
}

/// A matrix's alignment points as a quad of space before them.
fn spread(node: Node) -> Node {
    match node {
        Node::Align => Node::Row(vec![Node::Space(1.0), Node::Align]),
        Node::Row(items) => Node::Row(items.into_iter().map(spread).collect()),
        Node::Lines(rows) => Node::Lines(rows.into_iter().map(spread).collect()),
        other => other,
    }
}

/// The bracket after `\left`, `\right` or `\big` (`.` is none).
fn delimiter(tokens: &[Token], at: &mut usize) -> String {
    while matches!(tokens.get(*at), Some(Token::Char(' '))) {
        *at += 1;
    }
    let Some(token) = tokens.get(*at) else {
        return String::new();
    };
    *at += 1;
    match token {
        Token::Char('.') => String::new(),
        Token::Char(c) => c.to_string(),
        Token::Command(name) => match name.as_str() {
            "{" | "lbrace" => "{".into(),
            "}" | "rbrace" => "}".into(),
            "|" | "Vert" => "‖".into(),
            "vert" => "|".into(),
            "langle" => "⟨".into(),
            "rangle" => "⟩".into(),
            "lceil" => "⌈".into(),
            "rceil" => "⌉".into(),
            "lfloor" => "⌊".into(),
            "rfloor" => "⌋".into(),
            other => other.into(),
        },
        _ => String::new(),
    }
}

const FUNCTIONS: &[&str] = &[
    "log", "ln", "exp", "sin", "cos", "tan", "max", "min", "lim", "arg", "det", "sup", "inf",
    "mod", "gcd", "Pr", "deg", "dim", "ker", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan",
    "argmax", "argmin",
];

fn large(name: &str) -> Option<&'static str> {
    Some(match name {
        "sum" => "∑",
        "prod" => "∏",
        "int" => "∫",
        "iint" => "∬",
        "oint" => "∮",
        "bigcup" => "⋃",
        "bigcap" => "⋂",
        _ => return None,
    })
}

fn operator(name: &str) -> Option<&'static str> {
    Some(match name {
        "cdot" => "·",
        "times" => "×",
        "div" => "÷",
        "pm" => "±",
        "mp" => "∓",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "equiv" => "≡",
        "sim" => "∼",
        "simeq" => "≃",
        "propto" => "∝",
        "ll" => "≪",
        "gg" => "≫",
        "to" | "rightarrow" => "→",
        "leftarrow" | "gets" => "←",
        "Rightarrow" | "implies" => "⇒",
        "Leftarrow" => "⇐",
        "iff" | "Leftrightarrow" => "⇔",
        "mapsto" => "↦",
        "in" => "∈",
        "notin" => "∉",
        "subset" => "⊂",
        "subseteq" => "⊆",
        "supset" => "⊃",
        "cup" => "∪",
        "cap" => "∩",
        "land" | "wedge" => "∧",
        "lor" | "vee" => "∨",
        "mid" => "|",
        "circ" => "∘",
        "otimes" => "⊗",
        "oplus" => "⊕",
        _ => return None,
    })
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
        "infty" => "∞",
        "partial" => "∂",
        "nabla" => "∇",
        "emptyset" | "varnothing" => "∅",
        "forall" => "∀",
        "exists" => "∃",
        "neg" | "lnot" => "¬",
        "ldots" | "dots" => "…",
        "cdots" => "⋯",
        "vdots" => "⋮",
        "prime" => "′",
        "langle" => "⟨",
        "rangle" => "⟩",
        "lceil" => "⌈",
        "rceil" => "⌉",
        "lfloor" => "⌊",
        "rfloor" => "⌋",
        "Vert" => "‖",
        "vert" => "|",
        "hbar" => "ℏ",
        "ell" => "ℓ",
        "degree" => "°",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_read_into_fractions_roots_scripts_and_fences() {
        let tree = parse(r"S(s) = \frac{1}{(1-p) + \frac{p}{s}}");
        let Node::Row(items) = tree else {
            panic!("{tree:?}")
        };
        assert_eq!(items[0], Node::Letter('S'));
        assert_eq!(items[4], Node::Operator("=".into()));
        assert!(matches!(&items[5], Node::Fraction(top, _) if **top == Node::Number("1".into())));
        assert!(matches!(
            parse(r"x_i^2"),
            Node::Scripts {
                sup: Some(_),
                sub: Some(_),
                ..
            }
        ));
        assert!(matches!(parse(r"\sqrt[3]{x}"), Node::Root(_, Some(_))));
        assert!(matches!(
            parse(r"\left( \frac{a}{b} \right)"),
            Node::Fenced { ref open, ref close, .. } if open == "(" && close == ")"
        ));
        assert!(matches!(
            parse(r"\begin{aligned} a &= b \\ c &= d \end{aligned}"),
            Node::Lines(ref rows) if rows.len() == 2
        ));
        assert_eq!(parse(r"\text{hits}"), Node::Word("hits".into()));
        assert_eq!(parse(r"\label{eq} x"), Node::Letter('x'));
    }
}
