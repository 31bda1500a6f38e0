//! Cloud pictures: OpenAI-compatible `/images/generations` and Stability's image API. The slide renderer
//! composes the picture with the slide's title and bullets.

use std::sync::Arc;

use serde_json::json;

use super::ProviderError;
use super::answer::{self, Answer};
use super::http::{Body, Client};
use crate::record::cost::Usage;

/// Which image API and model.
#[derive(Debug, Clone)]
pub enum Painter {
    OpenAi { model: String, size: String },
    Stability { model: String },
}

/// A picture request with its client.
#[derive(Debug, Clone)]
pub struct PictureRequest {
    pub client: Arc<Client>,
    pub painter: Painter,
}

impl PictureRequest {
    /// Draws `prompt`; returns the picture's bytes (PNG or JPEG) with the images and requests used.
    pub fn draw(&self, prompt: &str) -> Result<(Vec<u8>, Usage), ProviderError> {
        let (bytes, attempts) = match &self.painter {
            Painter::OpenAi { model, size } => {
                let body = json!({"model": model, "prompt": prompt, "size": size, "n": 1, "response_format": "b64_json"});
                let response = self.client.post(
                    "images/generations",
                    &Body::Json(body),
                    "application/json",
                )?;
                let answer = Answer::parse(&self.client.name, "the answer", &response.body)?;
                let bytes = answer.base64("/data/0/b64_json")?;
                (bytes, response.attempts)
            }
            Painter::Stability { model } => {
                let boundary =
                    format!("vbuild-{}", &blake3::hash(prompt.as_bytes()).to_hex()[..16]);
                let mut form = Vec::new();
                for (name, value) in [("prompt", prompt), ("output_format", "png")] {
                    form.extend_from_slice(
                        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
                    );
                }
                form.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
                let body = Body::Bytes(format!("multipart/form-data; boundary={boundary}"), form);
                let response = self.client.post(
                    &format!("v2beta/stable-image/generate/{model}"),
                    &body,
                    "image/*",
                )?;
                (response.body, response.attempts)
            }
        };
        if !(bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8")) {
            return Err(answer::error(
                &self.client.name,
                "the picture is neither PNG nor JPEG",
            ));
        }
        Ok((
            bytes,
            Usage {
                images: 1,
                requests: u64::from(attempts),
                ..Usage::default()
            },
        ))
    }
}
