//! Scripts from an OpenAI-compatible chat-completions endpoint (OpenAI, Gemini's OpenAI-compatible endpoint,
//! Ollama, vLLM, llama.cpp's server): the prompt asks for the script schema, the answer is validated, and an
//! invalid answer gets a repair prompt with the errors, up to the Videofile's `max_attempts`.

use std::sync::Arc;

use serde_json::json;

use super::ProviderError;
use super::answer::{self, Answer};
use super::http::{Body, Client};
use crate::lecture::script::{self, Script};
use crate::record::cost::Usage;

/// The built-in prompt template; `[script] prompt = "FILE"` replaces it.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../assets/prompts/script.txt");

/// The shape the answer must have, shown to the model.
const SCHEMA: &str = r#"{"slides": [{"id": "01", "title": "...", "bullets": ["..."], "visual_prompt": "...", "estimated_duration_sec": 30.0, "speaker_notes": "..."}]}"#;

/// One chapter's request.
#[derive(Debug, Clone)]
pub struct ScriptRequest {
    pub client: Arc<Client>,
    pub model: String,
    pub template: String,
    pub course_title: String,
    pub max_slides: usize,
    pub max_bullets: usize,
    pub max_attempts: u32,
}

impl ScriptRequest {
    /// The first prompt for a chapter.
    pub fn prompt(&self, chapter_title: &str, chapter_text: &str) -> String {
        self.template
            .replace("{course_title}", &self.course_title)
            .replace("{chapter_title}", chapter_title)
            .replace("{max_slides}", &self.max_slides.to_string())
            .replace("{max_bullets}", &self.max_bullets.to_string())
            .replace("{schema}", SCHEMA)
            .replace("{chapter_text}", chapter_text)
    }

    /// Asks for the chapter's script, repairing invalid answers; returns it with the tokens and requests used.
    pub fn write(
        &self,
        chapter_title: &str,
        chapter_text: &str,
    ) -> Result<(Script, Usage), ProviderError> {
        let limits = script::Limits::of_model(self.max_slides, self.max_bullets);
        ask(
            &self.client,
            &self.model,
            self.prompt(chapter_title, chapter_text),
            self.max_attempts,
            "script",
            |content| script::validate(content, limits),
        )
    }
}

/// Sends `prompt` to a chat model for a JSON answer, and reads the answer with `read`; an answer `read` finds
/// wrong gets a repair prompt with its errors, up to `max_attempts` requests in all. Returns what `read`
/// made of the first good answer, with the tokens and requests used.
pub fn ask<T>(
    client: &Client,
    model: &str,
    prompt: String,
    max_attempts: u32,
    what: &str,
    read: impl Fn(&str) -> Result<T, Vec<String>>,
) -> Result<(T, Usage), ProviderError> {
    let mut messages = vec![
        json!({"role": "system", "content": "You answer with JSON only."}),
        json!({"role": "user", "content": prompt}),
    ];
    let mut usage = Usage::default();
    let mut errors = Vec::new();
    for attempt in 1..=max_attempts {
        let body = json!({
            "model": model,
            "messages": messages,
            "temperature": 0,
            "response_format": {"type": "json_object"},
        });
        let response = client.post("chat/completions", &Body::Json(body), "application/json")?;
        usage.requests += u64::from(response.attempts);
        let answer = Answer::parse(&client.name, "the chat answer", &response.body)?;
        usage.input_tokens += answer.count("/usage/prompt_tokens");
        usage.output_tokens += answer.count("/usage/completion_tokens");
        let content = answer.text("/choices/0/message/content")?;
        match read(content) {
            Ok(read) => return Ok((read, usage)),
            Err(found) => {
                log::warn!(
                    "{}: answer {attempt} is not a valid {what}: {}",
                    client.name,
                    found.join("; ")
                );
                messages.push(json!({"role": "assistant", "content": content}));
                messages.push(json!({"role": "user", "content": format!(
                    "Your answer does not match the schema:\n- {}\nAnswer again with the corrected JSON only.",
                    found.join("\n- ")
                )}));
                errors = found;
            }
        }
    }
    Err(answer::error(
        &client.name,
        &format!(
            "no valid {what} after {max_attempts} attempts; last errors: {}",
            errors.join("; ")
        ),
    ))
}
