//! The slide script: what a script provider writes for one chapter and every later step reads.

use serde::{Deserialize, Serialize};

use crate::lecture::markdown::Block;

/// The version of the script JSON schema; part of every script node's key.
pub const SCHEMA_VERSION: u32 = 1;

/// One chapter's slides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub slides: Vec<Slide>,
}

/// One slide: what is shown and what is said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slide {
    /// `CC-SS`: chapter and slide number.
    pub id: String,
    /// Inline Markdown (`**bold**`, `` `code` ``, ...).
    pub title: String,
    /// Short points, drawn as a list when the slide has no `content` (what a model writes).
    pub bullets: Vec<String>,
    /// The lecture's own blocks shown on the slide, in order (what the outline writer writes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Block>,
    /// A description of the picture an image provider could draw for this slide.
    pub visual_prompt: String,
    /// The narration's expected length at an ordinary speaking rate.
    pub estimated_duration_sec: f64,
    /// The narration: the words a speaker reads while the slide is shown.
    pub speaker_notes: String,
}

impl Script {
    /// Serialises the script as the pretty JSON stored in the cache and shown to authors.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a script always serialises");
        bytes.push(b'\n');
        bytes
    }

    /// Reads a script back from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Script, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// What a chapter's script may hold, from the Videofile and its writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_slides: usize,
    pub max_bullets: usize,
    /// Every slide must have a title and narration (a model's answer); the outline writer may hold a slide
    /// silent, and leave a deck's slide untitled as its author did.
    pub complete: bool,
}

impl Limits {
    /// What a language model is asked for.
    pub fn of_model(max_slides: usize, max_bullets: usize) -> Limits {
        Limits {
            max_slides,
            max_bullets,
            complete: true,
        }
    }
}

/// Reads a language model's answer as a script and checks it against the schema and the limits; the errors
/// are written to be sent back to the model in a repair prompt.
pub fn validate(answer: &str, limits: Limits) -> Result<Script, Vec<String>> {
    let json = unfenced(answer);
    let script: Script = serde_json::from_str(json)
        .map_err(|e| vec![format!("the answer is not a valid script: {e}")])?;
    let errors = check(&script, limits);
    if errors.is_empty() {
        Ok(script)
    } else {
        Err(errors)
    }
}

/// A model's JSON answer without the Markdown code fence a model may put around it.
pub fn unfenced(answer: &str) -> &str {
    answer
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim()
}

/// What is wrong with `script` under `limits` (nothing when it is good): a script is checked whatever wrote
/// it and wherever it came from (a model, the cache, a remote cache).
pub fn check(script: &Script, limits: Limits) -> Vec<String> {
    let mut errors = Vec::new();
    if script.slides.is_empty() {
        errors.push("\"slides\" is empty: write at least one slide".to_string());
    }
    if script.slides.len() > limits.max_slides {
        errors.push(format!(
            "there are {} slides; write at most {}",
            script.slides.len(),
            limits.max_slides
        ));
        return errors;
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, slide) in script.slides.iter().enumerate() {
        let at = format!(
            "slide {} ({:?})",
            i + 1,
            crate::sys::shown::value(&slide.id)
        );
        if !ids.insert(slide.id.as_str()) {
            errors.push(format!("{at}: the id is used twice"));
        }
        if limits.complete && slide.title.trim().is_empty() {
            errors.push(format!("{at}: \"title\" is empty"));
        }
        if limits.complete && slide.speaker_notes.trim().is_empty() {
            errors.push(format!(
                "{at}: \"speaker_notes\" is empty; it is the narration"
            ));
        }
        if slide.bullets.len() > limits.max_bullets {
            errors.push(format!(
                "{at}: {} bullets; write at most {}",
                slide.bullets.len(),
                limits.max_bullets
            ));
        }
        if !(slide.estimated_duration_sec.is_finite() && slide.estimated_duration_sec >= 0.0) {
            errors.push(format!(
                "{at}: \"estimated_duration_sec\" must be a number of 0 or more"
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"slides":[{"id":"s1","title":"T","bullets":["a"],"visual_prompt":"v","estimated_duration_sec":3.5,"speaker_notes":"Hello."}]}"#;

    #[test]
    fn a_valid_answer_passes_even_in_a_code_fence() {
        assert_eq!(
            validate(GOOD, Limits::of_model(3, 3)).unwrap().slides.len(),
            1
        );
        assert!(validate(&format!("```json\n{GOOD}\n```"), Limits::of_model(3, 3)).is_ok());
    }

    #[test]
    fn errors_name_what_to_fix() {
        let errors = validate(&GOOD.replace("Hello.", ""), Limits::of_model(3, 0)).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("speaker_notes") && errors[1].contains("at most 0"));
        let unknown =
            validate(&GOOD.replace("\"id\"", "\"ident\""), Limits::of_model(3, 3)).unwrap_err();
        assert!(unknown[0].contains("unknown field `ident`"), "{unknown:?}");
    }
}
