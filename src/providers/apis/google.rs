//! Google Cloud Text-to-Speech (`text:synthesize`): speech only, its key in `X-Goog-Api-Key` by default.

use super::{Api, AuthKind, Descriptor, Signed};
use crate::graph::node::Section;
use crate::record::cost::Price;

pub const DESCRIPTOR: Descriptor = Descriptor {
    api: Api::Google,
    name: "google",
    base_url: "https://texttospeech.googleapis.com/v1",
    auth: AuthKind::ApiKey,
    key_header: "X-Goog-Api-Key",
    serves: &[Section::Speech],
    models: &[],
    // An English course gets a standard American voice; another language the service's own for it.
    default_voice: |language| {
        if language == "en" {
            "en-US-Standard-C"
        } else {
            ""
        }
    },
    multilingual_voices: false,
    max_chars: 5000,
    prices: &[(
        Section::Speech,
        "",
        Price {
            per_million_characters: 16.0,
            per_million_input_tokens: 0.0,
            per_million_output_tokens: 0.0,
            per_image: 0.0,
            per_request: 0.0,
        },
    )],
    signs: &[(
        Section::Speech,
        "google-tts",
        &[Signed::Voice, Signed::Language],
    )],
};
