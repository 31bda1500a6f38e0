//! `audio`: one slide's narration spoken, sentence by sentence, with where each sentence starts and ends
//! (the subtitles follow those times). The pronunciation dictionary changes what is said, never what is shown.

use std::path::Path;

use serde_json::json;

use super::{Inputs, Job, Prepared, Produced, Speaker, StepError, sign_api};
use crate::cache::Store;
use crate::config::Delivery;
use crate::graph::node::NodeKind;
use crate::graph::node::{Section, SlideId};
use crate::graph::signature::Signature;
use crate::lecture::pronounce::Dictionary;
use crate::lecture::sentences;
use crate::media::{audio, narration};
use crate::providers::apis::{Api, Signed};
use crate::providers::espeak;
use crate::providers::piper::{self, Piper};
use crate::providers::tts::{self, CloudVoice, SpeechRequest};
use crate::record::cost::Usage;

/// Speaks a slide's narration, as it is said (the pronunciation dictionary applied): whole, and in
/// sentences (as many as the written narration has, so the subtitles can follow them).
struct Speak {
    spoken: String,
    sentences: Vec<String>,
    voice: Voice,
}

/// Who speaks the narration.
enum Voice {
    Espeak { voice: String, rate: u32 },
    Piper { piper: Piper, delivery: Delivery },
    Cloud(SpeechRequest),
}

pub fn prepare(slide: SlideId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let vf = ctx.videofile;
    let text = inputs.slide(slide).speaker_notes.clone();
    let mut signature = Signature::new(NodeKind::Audio, 1);
    signature.setting("format", audio::FORMAT);
    let speech = &vf.speech;
    let language = inputs.language(slide.chapter);
    let speaker = ctx
        .tools
        .speakers
        .get(language)
        .expect("every language of the course has a speaker");
    let voice = match (speaker, vf.providers.get(&speech.provider)) {
        (Speaker::Piper(piper), _) => {
            let delivery = speech.piper.delivery;
            signature
                .setting("provider", "piper")
                .setting("engine", format!("piper-tts {}", piper.version))
                .setting("voice", &piper.voice_hash)
                .setting("speaker", delivery.speaker)
                .setting("length scale", delivery.length_scale)
                .setting("noise scale", delivery.noise_scale)
                .setting("noise w scale", delivery.noise_w_scale)
                .setting("peak", piper::PEAK)
                .setting("timing", narration::TIMING);
            Voice::Piper {
                piper: piper.clone(),
                delivery,
            }
        }
        (Speaker::Espeak(voice), _) => {
            signature
                .setting("provider", "espeak")
                .setting("engine", &ctx.tools.espeak)
                .setting("voice", voice)
                .setting("rate", speech.rate)
                .setting("process", espeak::process())
                .setting("timing", narration::TIMING);
            Voice::Espeak {
                voice: voice.clone(),
                rate: speech.rate,
            }
        }
        (Speaker::Cloud { voice, language }, Some(settings)) => {
            sign_api(
                &mut signature,
                "provider",
                settings.api,
                Section::Speech,
                |setting| match setting {
                    Signed::Model => speech.model.clone(),
                    Signed::Voice => voice.clone(),
                    Signed::Language => language.clone(),
                    Signed::Size => unreachable!("speech has no size"),
                },
            );
            let cloud = match settings.api {
                Api::Google => CloudVoice::Google {
                    voice: voice.clone(),
                    language: language.clone(),
                },
                _ => CloudVoice::OpenAi {
                    model: speech.model.clone(),
                    voice: voice.clone(),
                },
            };
            Voice::Cloud(SpeechRequest {
                client: ctx.clients.get(&speech.provider),
                voice: cloud,
                max_chars: settings.max_chars,
            })
        }
        (Speaker::Cloud { .. }, None) => unreachable!("cloud speakers have a provider"),
    };
    // The written narration and the dictionary entries that change it decide what is said; a dictionary that
    // changes nothing here leaves the key as it was.
    let dictionary = Dictionary::new(inputs.pronounce(slide.chapter));
    let used = dictionary.used(&text);
    if !used.is_empty() {
        signature.setting("pronounce", used.join("; "));
    }
    signature.input("narration", &text);
    let sentences = sentences::split(&text)
        .iter()
        .map(|s| dictionary.apply(s))
        .collect();
    let spoken = dictionary.apply(&text);
    Prepared::new(
        signature,
        Speak {
            spoken,
            sentences,
            voice,
        },
    )
}

impl Job for Speak {
    fn usage(&self) -> Usage {
        Usage {
            characters: self.spoken.chars().count() as u64,
            requests: match &self.voice {
                Voice::Espeak { .. } | Voice::Piper { .. } => 0,
                Voice::Cloud(request) => {
                    tts::split_for_requests(&self.spoken, request.max_chars.max(1)).len() as u64
                }
            },
            ..Usage::default()
        }
    }

    fn provider(&self) -> Option<&str> {
        match &self.voice {
            Voice::Cloud(request) => Some(&request.client.name),
            Voice::Espeak { .. } | Voice::Piper { .. } => None,
        }
    }

    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let (speech, usage) = match &self.voice {
            Voice::Espeak { voice, rate } => (
                speak_espeak(&self.sentences, voice, *rate, scratch)?,
                self.usage(),
            ),
            Voice::Piper { piper, delivery } => {
                let mut spoken = Vec::new();
                for (i, sentence) in self.sentences.iter().enumerate() {
                    let (samples, rate) = piper.speak(sentence, *delivery)?;
                    let wav = scratch.join(format!("sentence-{i}.wav"));
                    audio::write_wav_at(&samples, rate, &wav)?;
                    spoken.push(audio::decode(&wav)?);
                }
                (narration::join(&spoken), self.usage())
            }
            Voice::Cloud(request) => {
                let (samples, usage) = request.speak(&self.spoken, scratch)?;
                let lengths: Vec<usize> =
                    self.sentences.iter().map(|s| s.chars().count()).collect();
                let sentences = narration::align(&samples, &lengths);
                (narration::Speech { samples, sentences }, usage)
            }
        };
        let wav = scratch.join("speech.wav");
        audio::write_wav(&speech.samples, &wav)?;
        Ok(Produced::using(usage)
            .file("speech", wav)
            .fact("samples", json!(speech.samples.len()))
            .fact("sentences", json!(speech.sentences)))
    }
}

/// A slide's sentences spoken by espeak-ng: by one process with a long break after each sentence, cut apart
/// at the breaks; one process per sentence if the breaks cannot be told (a sentence that says nothing).
fn speak_espeak(
    sentences: &[String],
    voice: &str,
    rate: u32,
    scratch: &Path,
) -> Result<narration::Speech, StepError> {
    if sentences.is_empty() {
        return Ok(narration::join::<Vec<i16>>(&[]));
    }
    let wav = scratch.join("slide.wav");
    espeak::speak_sentences(sentences, voice, rate, &wav)?;
    let samples = audio::decode(&wav)?;
    if let Some(pieces) = narration::cut_at_breaks(&samples, sentences.len()) {
        return Ok(narration::join(&pieces));
    }
    log::debug!(
        "espeak-ng: the breaks between {} sentences were not found; speaking them one at a time",
        sentences.len()
    );
    let mut spoken = Vec::new();
    for (i, sentence) in sentences.iter().enumerate() {
        let wav = scratch.join(format!("sentence-{i}.wav"));
        espeak::speak(sentence, voice, rate, &wav)?;
        spoken.push(audio::decode(&wav)?);
    }
    Ok(narration::join(&spoken))
}
