//! A cloud provider's JSON answer, read field by field with errors that name the provider and the field and
//! never show a key: the one decoder every cloud provider's answers go through.

use base64::Engine;

use super::ProviderError;
use super::http::server_message;
use crate::sys::secrets;

/// An answer of `provider` parsed as JSON.
pub struct Answer<'a> {
    provider: &'a str,
    json: serde_json::Value,
}

/// A failure to understand `provider`'s answer (redacted: an answer may echo what it was sent).
pub fn error(provider: &str, message: &str) -> ProviderError {
    ProviderError::Answer {
        provider: provider.to_string(),
        message: secrets::redact(message),
    }
}

/// A JSON pointer as a path people read: `/choices/0/message/content` -> `choices[0].message.content`.
fn field_name(pointer: &str) -> String {
    let mut name = String::new();
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        if part.chars().all(|c| c.is_ascii_digit()) {
            name.push_str(&format!("[{part}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(part);
        }
    }
    name
}

impl<'a> Answer<'a> {
    /// Parses `body` (what `what` answered, e.g. "the chat answer") as JSON.
    pub fn parse(provider: &'a str, what: &str, body: &[u8]) -> Result<Answer<'a>, ProviderError> {
        let json = serde_json::from_slice(body).map_err(|e| {
            error(
                provider,
                &format!("{what} is not JSON ({e}): {}", server_message(body)),
            )
        })?;
        Ok(Answer { provider, json })
    }

    /// The string at `pointer`.
    pub fn text(&self, pointer: &str) -> Result<&str, ProviderError> {
        self.json
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                error(
                    self.provider,
                    &format!("the answer has no {}", field_name(pointer)),
                )
            })
    }

    /// The whole number at `pointer`, or 0 where the answer has none.
    pub fn count(&self, pointer: &str) -> u64 {
        self.json
            .pointer(pointer)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }

    /// The bytes of the base64 string at `pointer`.
    pub fn base64(&self, pointer: &str) -> Result<Vec<u8>, ProviderError> {
        base64::engine::general_purpose::STANDARD
            .decode(self.text(pointer)?)
            .map_err(|e| {
                error(
                    self.provider,
                    &format!("{} is not base64: {e}", field_name(pointer)),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_or_named_in_the_error() {
        let body = br#"{"data":[{"b64_json":"aGk="}],"usage":{"prompt_tokens":7}}"#;
        let answer = Answer::parse("p", "the answer", body).unwrap();
        assert_eq!(answer.base64("/data/0/b64_json").unwrap(), b"hi");
        assert_eq!(answer.count("/usage/prompt_tokens"), 7);
        assert_eq!(answer.count("/usage/completion_tokens"), 0);
        let missing = answer.text("/choices/0/message/content").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "provider p: the answer has no choices[0].message.content"
        );
        let bad = Answer::parse("p", "the answer", br#"{"a":"%%"}"#).unwrap();
        assert!(
            bad.base64("/a")
                .unwrap_err()
                .to_string()
                .contains("a is not base64")
        );
        let key = "sk-answer-secret-0123456789";
        secrets::register(key);
        let echoed = Answer::parse("p", "the answer", format!("bad {key}").as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert!(
            echoed.starts_with("provider p: the answer is not JSON") && !echoed.contains(key),
            "{echoed}"
        );
    }
}
