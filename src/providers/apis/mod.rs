//! The cloud APIs vbuild speaks, one descriptor per API in a file of its own: its default address and
//! authentication, what it can do, its default models and voice, its list prices and which settings sign the
//! key of a node it serves. A new API is a new file and a variant of [`Api`].

mod google;
mod openai;
mod stability;

use std::time::Duration;

use serde::Deserialize;

use crate::graph::node::Section;
use crate::record::cost::Price;

/// The API a `[providers.NAME]` section speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Api {
    /// OpenAI-compatible: `/chat/completions`, `/audio/speech`, `/images/generations`.
    #[serde(rename = "openai")]
    OpenAi,
    /// Google Cloud Text-to-Speech: `text:synthesize`.
    #[serde(rename = "google")]
    Google,
    /// Stability AI's image API: `/v2beta/stable-image/generate/...`.
    #[serde(rename = "stability")]
    Stability,
}

/// How a provider's key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// `Authorization: Bearer KEY`.
    Bearer,
    /// The API's own key header ([`Descriptor::key_header`]).
    ApiKey,
}

/// Connection and pacing settings of one provider.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Retries after the first attempt, for 429, 5xx, timeouts and connection failures.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it (with jitter of -50%..+50%).
    pub backoff: Duration,
    pub requests_per_second: f64,
    /// Jobs of this provider running at once (enforced by the scheduler's provider pool).
    pub concurrency: usize,
}

/// What vbuild knows of one API.
#[derive(Debug)]
pub struct Descriptor {
    pub api: Api,
    /// As written in the Videofile: `api = "openai"`.
    pub name: &'static str,
    pub base_url: &'static str,
    /// How the key is sent unless the Videofile says otherwise.
    pub auth: AuthKind,
    /// The header that carries the key with `auth = "api-key"`.
    pub key_header: &'static str,
    /// The Videofile sections whose work it can do.
    pub serves: &'static [Section],
    /// The model each section uses unless the Videofile names one.
    pub models: &'static [(Section, &'static str)],
    /// The voice of a course in `language` unless the Videofile names one ("": the service's own voice for
    /// the language).
    pub default_voice: fn(language: &str) -> &'static str,
    /// Its voices speak every language (so a chapter in another language keeps the course's voice).
    pub multilingual_voices: bool,
    /// The longest text one speech request may carry (0: it does not speak).
    pub max_chars: usize,
    /// List prices in US dollars by section and model ("": every model), used without `[prices.NAME]`.
    pub prices: &'static [(Section, &'static str, Price)],
    /// For each section it serves: the name it signs a node's key with, and the settings signed after it,
    /// in order (the order is part of the key).
    pub signs: &'static [(Section, &'static str, &'static [Signed])],
}

/// A setting an API's node signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    Model,
    Voice,
    Language,
    Size,
}

impl Signed {
    /// Its name in the signature.
    pub fn name(self) -> &'static str {
        match self {
            Signed::Model => "model",
            Signed::Voice => "voice",
            Signed::Language => "language",
            Signed::Size => "size",
        }
    }
}

impl Api {
    /// Every API.
    pub const ALL: [Api; 3] = [Api::OpenAi, Api::Google, Api::Stability];

    /// The API's descriptor.
    pub fn descriptor(self) -> &'static Descriptor {
        match self {
            Api::OpenAi => &openai::DESCRIPTOR,
            Api::Google => &google::DESCRIPTOR,
            Api::Stability => &stability::DESCRIPTOR,
        }
    }

    /// The API's name as written in the Videofile.
    pub fn name(self) -> &'static str {
        self.descriptor().name
    }

    /// True when it can do `section`'s work.
    pub fn serves(self, section: Section) -> bool {
        self.descriptor().serves.contains(&section)
    }

    /// The model `section` uses unless the Videofile names one ("" if the section has no model).
    pub fn default_model(self, section: Section) -> &'static str {
        self.descriptor()
            .models
            .iter()
            .find(|(s, _)| *s == section)
            .map_or("", |(_, model)| model)
    }

    /// The list price of `model` doing `section`'s work; unknown models are free.
    pub fn list_price(self, section: Section, model: &str) -> Price {
        self.descriptor()
            .prices
            .iter()
            .find(|(s, m, _)| *s == section && (m.is_empty() || *m == model))
            .map_or(Price::default(), |(_, _, price)| *price)
    }

    /// The name and the signed settings of a node of `section` this API serves.
    pub fn signs(self, section: Section) -> (&'static str, &'static [Signed]) {
        self.descriptor()
            .signs
            .iter()
            .find(|(s, _, _)| *s == section)
            .map(|(_, name, signed)| (*name, *signed))
            .unwrap_or_else(|| panic!("{} does not serve {section:?}", self.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_signs_what_it_serves() {
        for api in Api::ALL {
            let d = api.descriptor();
            assert_eq!(d.api, api);
            for section in d.serves {
                let (name, _) = api.signs(*section);
                assert!(!name.is_empty());
            }
            assert_eq!(d.max_chars > 0, api.serves(Section::Speech), "{}", d.name);
        }
        assert_eq!(
            Api::OpenAi
                .list_price(Section::Script, "gpt-4o-mini")
                .per_million_input_tokens,
            0.15
        );
        assert_eq!(
            Api::Google
                .list_price(Section::Speech, "any")
                .per_million_characters,
            16.0
        );
        assert_eq!(
            Api::OpenAi.list_price(Section::Script, "my-model"),
            Price::default()
        );
    }
}
