//! OpenAI and every OpenAI-compatible server (Ollama, vLLM, llama.cpp, Gemini's compatible endpoint):
//! chat completions for scripts, `/audio/speech`, `/images/generations`.

use super::{Api, AuthKind, Descriptor, Signed};
use crate::graph::node::Section;
use crate::record::cost::Price;

const ZERO: Price = Price {
    per_million_characters: 0.0,
    per_million_input_tokens: 0.0,
    per_million_output_tokens: 0.0,
    per_image: 0.0,
    per_request: 0.0,
};

pub const DESCRIPTOR: Descriptor = Descriptor {
    api: Api::OpenAi,
    name: "openai",
    base_url: "https://api.openai.com/v1",
    auth: AuthKind::Bearer,
    key_header: "api-key",
    serves: &[
        Section::Translate,
        Section::Script,
        Section::Speech,
        Section::Images,
    ],
    models: &[
        (Section::Translate, "gpt-4o-mini"),
        (Section::Script, "gpt-4o-mini"),
        (Section::Speech, "tts-1"),
        (Section::Images, "dall-e-3"),
    ],
    default_voice: |_| "alloy",
    multilingual_voices: true,
    max_chars: 4096,
    prices: &[
        (
            Section::Translate,
            "gpt-4o-mini",
            Price {
                per_million_input_tokens: 0.15,
                per_million_output_tokens: 0.60,
                ..ZERO
            },
        ),
        (
            Section::Translate,
            "gpt-4o",
            Price {
                per_million_input_tokens: 2.50,
                per_million_output_tokens: 10.0,
                ..ZERO
            },
        ),
        (
            Section::Script,
            "gpt-4o-mini",
            Price {
                per_million_input_tokens: 0.15,
                per_million_output_tokens: 0.60,
                ..ZERO
            },
        ),
        (
            Section::Script,
            "gpt-4o",
            Price {
                per_million_input_tokens: 2.50,
                per_million_output_tokens: 10.0,
                ..ZERO
            },
        ),
        (
            Section::Speech,
            "tts-1",
            Price {
                per_million_characters: 15.0,
                ..ZERO
            },
        ),
        (
            Section::Speech,
            "tts-1-hd",
            Price {
                per_million_characters: 30.0,
                ..ZERO
            },
        ),
        (
            Section::Images,
            "dall-e-3",
            Price {
                per_image: 0.04,
                ..ZERO
            },
        ),
    ],
    signs: &[
        (Section::Translate, "openai-chat", &[Signed::Model]),
        (Section::Script, "openai-chat", &[Signed::Model]),
        (
            Section::Speech,
            "openai-speech",
            &[Signed::Model, Signed::Voice],
        ),
        (
            Section::Images,
            "openai-images",
            &[Signed::Model, Signed::Size],
        ),
    ],
};
