//! Stability AI's image API (`/v2beta/stable-image/generate/MODEL`): pictures only.

use super::{Api, AuthKind, Descriptor, Signed};
use crate::graph::node::Section;
use crate::record::cost::Price;

pub const DESCRIPTOR: Descriptor = Descriptor {
    api: Api::Stability,
    name: "stability",
    base_url: "https://api.stability.ai",
    auth: AuthKind::Bearer,
    key_header: "api-key",
    serves: &[Section::Images],
    models: &[(Section::Images, "core")],
    default_voice: |_| "",
    multilingual_voices: false,
    max_chars: 0,
    prices: &[(
        Section::Images,
        "core",
        Price {
            per_million_characters: 0.0,
            per_million_input_tokens: 0.0,
            per_million_output_tokens: 0.0,
            per_image: 0.03,
            per_request: 0.0,
        },
    )],
    signs: &[(Section::Images, "stability", &[Signed::Model])],
};
