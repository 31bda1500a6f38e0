//! The slide script: what a script provider writes for one chapter and every later step reads.

use serde::{Deserialize, Serialize};

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
    pub title: String,
    pub bullets: Vec<String>,
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
