//! Translations from an OpenAI-compatible chat model: a batch of segments goes out as
//! `{"target_language": "fr", "segments": [...]}` after the instructions, and the answer must be
//! `{"segments": [...]}` with as many, in order, each keeping its placeholders; an answer that does not gets a
//! repair prompt with what is wrong.

use std::sync::Arc;

use serde_json::json;

use super::ProviderError;
use super::http::Client;
use super::llm;
use crate::lecture::script::unfenced;
use crate::lecture::translate::Segment;
use crate::record::cost::Usage;

/// The instructions before every batch; their version is part of every segment's key.
pub const INSTRUCTIONS: &str = "Translate each segment of a lecture from {source} into {target}. \
Segments are Markdown (keep **bold**, *italic* and [links] as they are marked). Keep every placeholder \
such as ⟦1⟧ exactly once, where it belongs in the translation. Answer with a JSON object \
{\"segments\": [...]} holding the translations as strings, as many as were sent and in the same order.";

/// Who translates, and how much at once.
#[derive(Debug, Clone)]
pub struct Translator {
    pub client: Arc<Client>,
    pub model: String,
    pub source: String,
    pub target: String,
    pub max_attempts: u32,
}

impl Translator {
    /// The request's text: the instructions, then the segments as JSON.
    pub fn prompt(&self, segments: &[&Segment]) -> String {
        let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        let body = json!({"target_language": self.target, "segments": texts});
        format!(
            "{}\n\n{body}",
            INSTRUCTIONS
                .replace("{source}", &self.source)
                .replace("{target}", &self.target)
        )
    }

    /// Translates `segments` in one request (and its repairs); returns the translations, placeholders still
    /// in, with the tokens and requests used.
    pub fn translate(&self, segments: &[&Segment]) -> Result<(Vec<String>, Usage), ProviderError> {
        llm::ask(
            &self.client,
            &self.model,
            self.prompt(segments),
            self.max_attempts,
            "translation",
            |content| read(content, segments),
        )
    }
}

/// Reads an answer as the translations of `segments`, or says what is wrong with it (for a repair prompt).
pub fn read(answer: &str, segments: &[&Segment]) -> Result<Vec<String>, Vec<String>> {
    let json = unfenced(answer);
    #[derive(serde::Deserialize)]
    struct Answer {
        segments: Vec<String>,
    }
    let answer: Answer = serde_json::from_str(json).map_err(|e| {
        vec![format!(
            "the answer is not a JSON object {{\"segments\": [strings]}}: {e}"
        )]
    })?;
    if answer.segments.len() != segments.len() {
        return Err(vec![format!(
            "there are {} segments; translate all {} that were sent, in order",
            answer.segments.len(),
            segments.len()
        )]);
    }
    let errors: Vec<String> = (answer.segments.iter().zip(segments).enumerate())
        .filter_map(|(i, (text, segment))| {
            let blank = text.trim().is_empty().then(|| "it is empty".to_string());
            blank
                .or_else(|| segment.check(text).err())
                .map(|e| format!("segment {}: {e}", i + 1))
        })
        .collect();
    if errors.is_empty() {
        Ok(answer.segments)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::Chapter;
    use crate::lecture::markdown::Block;
    use crate::lecture::translate::segments;

    #[test]
    fn answers_of_the_wrong_count_or_with_lost_placeholders_are_sent_back() {
        let chapter = Chapter {
            title: "Run `make`".into(),
            blocks: vec![Block::Paragraph {
                text: "Hello.".into(),
            }],
            deck: false,
        };
        let found = segments(&chapter, &[]);
        let segs: Vec<&Segment> = found.iter().collect();
        assert_eq!(
            read(r#"{"segments": ["Lancez ⟦1⟧", "Bonjour."]}"#, &segs),
            Ok(vec!["Lancez ⟦1⟧".to_string(), "Bonjour.".to_string()])
        );
        let short = read(r#"{"segments": ["Bonjour."]}"#, &segs).unwrap_err();
        assert!(short[0].contains("there are 1 segments"), "{short:?}");
        let lost = read(
            r#"```json
{"segments": ["Lancez make", ""]}
```"#,
            &segs,
        )
        .unwrap_err();
        assert_eq!(lost.len(), 2, "{lost:?}");
        assert!(lost[0].starts_with("segment 1: placeholder ⟦1⟧ is missing"));
        assert!(lost[1].starts_with("segment 2: it is empty"));
        assert!(read("Voici la traduction", &segs).is_err());
    }
}
