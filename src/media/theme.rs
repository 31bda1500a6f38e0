//! Slide themes and colours: the roles text and shapes are drawn in (title, text, accent, ...), and what
//! each role is in a theme.

use std::fmt;

use serde::Deserialize;

/// The colour scheme of the built-in slide renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        })
    }
}

/// A colour on the slide: a role the theme decides, or a highlighter's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Title,
    Text,
    Muted,
    Accent,
    Link,
    Panel,
    Stripe,
    Rgb(u8, u8, u8),
}

/// The colours of a theme, as SVG colours.
pub struct Palette {
    pub background: [&'static str; 2],
    pub title: &'static str,
    pub text: &'static str,
    pub accent: &'static str,
    pub muted: &'static str,
    pub link: &'static str,
    pub panel: &'static str,
    pub stripe: &'static str,
}

/// The colours of `theme`.
pub fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Dark => Palette {
            background: ["#0f172a", "#1e293b"],
            title: "#f8fafc",
            text: "#e2e8f0",
            accent: "#38bdf8",
            muted: "#94a3b8",
            link: "#7dd3fc",
            panel: "#334155",
            stripe: "#1e293b",
        },
        Theme::Light => Palette {
            background: ["#ffffff", "#f1f5f9"],
            title: "#0f172a",
            text: "#1e293b",
            accent: "#0284c7",
            muted: "#64748b",
            link: "#0369a1",
            panel: "#e2e8f0",
            stripe: "#f1f5f9",
        },
    }
}

/// `colour` as an SVG colour under `palette`.
pub fn paint(colour: Colour, palette: &Palette) -> String {
    match colour {
        Colour::Title => palette.title.into(),
        Colour::Text => palette.text.into(),
        Colour::Muted => palette.muted.into(),
        Colour::Accent => palette.accent.into(),
        Colour::Link => palette.link.into(),
        Colour::Panel => palette.panel.into(),
        Colour::Stripe => palette.stripe.into(),
        Colour::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
    }
}
