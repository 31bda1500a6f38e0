//! Cloud speech: OpenAI-compatible `/audio/speech` and Google Cloud Text-to-Speech `text:synthesize`. Long
//! narration is split at sentence boundaries into requests within the provider's limit; the parts' audio is
//! decoded and joined.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::ProviderError;
use super::answer::Answer;
use super::http::{Body, Client};
use crate::lecture::sentences;
use crate::media::audio;
use crate::media::audio::AUDIO_RATE;
use crate::record::cost::Usage;

/// Which speech API and voice.
#[derive(Debug, Clone)]
pub enum CloudVoice {
    OpenAi { model: String, voice: String },
    Google { voice: String, language: String },
}

/// A cloud voice with its client and request limit.
#[derive(Debug, Clone)]
pub struct SpeechRequest {
    pub client: Arc<Client>,
    pub voice: CloudVoice,
    pub max_chars: usize,
}

/// Cuts `text` into pieces of at most `max_chars` characters at sentence boundaries (a longer sentence at
/// word boundaries).
pub fn split_for_requests(text: &str, max_chars: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let words = sentences::split(text).into_iter().flat_map(|sentence| {
        if sentence.chars().count() <= max_chars {
            vec![sentence]
        } else {
            sentence.split_whitespace().map(str::to_string).collect()
        }
    });
    for unit in words {
        if !current.is_empty() && current.chars().count() + 1 + unit.chars().count() > max_chars {
            pieces.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&unit);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

impl SpeechRequest {
    /// Speaks `text` and returns its samples in the fixed format, with the characters and requests used.
    pub fn speak(&self, text: &str, scratch: &Path) -> Result<(Vec<i16>, Usage), ProviderError> {
        let mut samples = Vec::new();
        let mut usage = Usage {
            characters: text.chars().count() as u64,
            ..Usage::default()
        };
        for (i, piece) in split_for_requests(text, self.max_chars.max(1))
            .iter()
            .enumerate()
        {
            let (bytes, attempts) = self.request(piece)?;
            usage.requests += u64::from(attempts);
            let file = scratch.join(format!("part-{i}.audio"));
            std::fs::write(&file, bytes)?;
            samples.extend(audio::decode(&file)?);
        }
        Ok((samples, usage))
    }

    fn request(&self, text: &str) -> Result<(Vec<u8>, u32), ProviderError> {
        match &self.voice {
            CloudVoice::OpenAi { model, voice } => {
                let body = json!({"model": model, "input": text, "voice": voice, "response_format": "wav"});
                let response = self
                    .client
                    .post("audio/speech", &Body::Json(body), "audio/wav")?;
                Ok((response.body, response.attempts))
            }
            CloudVoice::Google { voice, language } => {
                // No name: the service's default voice for the language.
                let mut selection = json!({"languageCode": language});
                if !voice.is_empty() {
                    selection["name"] = json!(voice);
                }
                let body = json!({
                    "input": {"text": text},
                    "voice": selection,
                    "audioConfig": {"audioEncoding": "LINEAR16", "sampleRateHertz": AUDIO_RATE},
                });
                let response =
                    self.client
                        .post("text:synthesize", &Body::Json(body), "application/json")?;
                let answer = Answer::parse(&self.client.name, "the answer", &response.body)?;
                let bytes = answer.base64("/audioContent")?;
                Ok((bytes, response.attempts))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_narration_is_cut_at_sentences_within_the_limit() {
        let text = "One two three. Four five six seven. Eight.";
        assert_eq!(
            split_for_requests(text, 20),
            ["One two three.", "Four five six seven.", "Eight."]
        );
        assert_eq!(split_for_requests(text, 100), [text]);
        let long = split_for_requests("aaaa bbbb cccc dddd.", 9);
        assert!(long.iter().all(|p| p.chars().count() <= 9), "{long:?}");
        assert_eq!(long.join(" "), "aaaa bbbb cccc dddd.");
    }
}
