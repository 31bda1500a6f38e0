//! The programs and voices a build uses, found before any work: a missing one is an error up front.

use std::collections::{BTreeMap, BTreeSet};

use super::StepError;
use crate::config::Videofile;
use crate::media;
use crate::providers::piper::{self, Piper};
use crate::providers::probes::Probes;
use crate::providers::{ProviderError, espeak, voices};
use crate::sys::files;

/// Versions of the external programs whose output lands in the cache.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Empty when the build does not speak with espeak-ng, so it need not be installed.
    pub espeak: String,
    /// The voice that speaks each language of the course.
    pub speakers: BTreeMap<String, Speaker>,
    pub gstreamer: String,
}

/// Who speaks one language of the course.
#[derive(Debug, Clone)]
pub enum Speaker {
    /// An espeak-ng voice.
    Espeak(String),
    Piper(Piper),
    /// A cloud voice name (empty: the service's default for the language) and language code.
    Cloud {
        voice: String,
        language: String,
    },
}

impl Tools {
    /// Loads each piper voice once for each version of its files (remembered in `probes`), so a voice file
    /// piper cannot load is named before any work; a dry run, which speaks nothing, need not.
    pub fn load_voices(&self, probes: &mut Probes) -> Result<(), StepError> {
        for speaker in self.speakers.values() {
            if let Speaker::Piper(piper) = speaker {
                piper.load_once(probes)?;
            }
        }
        Ok(())
    }

    /// Asks the installed programs for their versions and finds the voice of each of `languages` (the
    /// course's, its chapters' and its translations'): a voice that does not exist is an error before any
    /// work; a language piper has no voice for is spoken by espeak-ng, else it is an error too
    /// (`piper_variable` is the `VBUILD_PIPER` variable, if set).
    pub fn detect(
        videofile: &Videofile,
        languages: &BTreeSet<String>,
        piper_variable: Option<&str>,
        probes: &mut Probes,
    ) -> Result<Tools, StepError> {
        let speech = &videofile.speech;
        let course = videofile.course.language();
        let mut espeak = if speech.provider == "espeak" {
            espeak::version(probes)?
        } else {
            String::new()
        };
        let mut speakers = BTreeMap::new();
        for language in languages {
            let named = voices::named(speech, course, language);
            let speaker = match speech.provider.as_str() {
                "espeak" => {
                    let voice =
                        named.unwrap_or_else(|| crate::lecture::language::espeak_voice(language));
                    espeak::check_voice(&voice, language, probes)?;
                    Speaker::Espeak(voice)
                }
                "piper" => {
                    let english = language.to_lowercase().split('-').next() == Some("en");
                    // A voice file of `[speech.voices]` is relative to the project folder; `[speech] model`
                    // is already joined to it (folded, it is the same path).
                    let model = named.map(|m| files::normalise(&videofile.project_dir.join(m)));
                    if model.is_none() && !english {
                        // espeak-ng speaks the languages piper has no voice for, if it is installed.
                        let fallback = if espeak.is_empty() {
                            espeak::version(probes).ok()
                        } else {
                            Some(espeak.clone())
                        };
                        let voice = crate::lecture::language::espeak_voice(language);
                        let Some(version) = fallback
                            .filter(|_| espeak::check_voice(&voice, language, probes).is_ok())
                        else {
                            return Err(StepError::Provider(ProviderError::Missing {
                                program: "a piper voice".into(),
                                message: format!(
                                    "nothing speaks {language}: name a voice file with [speech.voices] {language} = \"voices/x.onnx\" (the installed voice is English), or install espeak-ng to speak it"
                                ),
                            }));
                        };
                        log::info!(
                            "{language} is spoken by espeak-ng's {voice} voice: piper has none for it (name one with [speech.voices] {language} = \"voices/x.onnx\")"
                        );
                        espeak = version;
                        speakers.insert(language.clone(), Speaker::Espeak(voice));
                        continue;
                    }
                    let piper = piper::find(
                        speech.piper.location.as_deref(),
                        piper_variable,
                        model.as_deref(),
                        probes,
                    )?;
                    Speaker::Piper(piper)
                }
                provider => Speaker::Cloud {
                    // A service whose voices speak every language keeps the course's voice; another
                    // picks its own voice for the language.
                    voice: named.unwrap_or_else(|| match videofile.providers.get(provider) {
                        Some(settings) if !settings.api.descriptor().multilingual_voices => {
                            String::new()
                        }
                        _ => speech.voice.clone(),
                    }),
                    language: if language == course {
                        speech.language.clone()
                    } else {
                        language.clone()
                    },
                },
            };
            speakers.insert(language.clone(), speaker);
        }
        Ok(Tools {
            espeak,
            speakers,
            gstreamer: media::gstreamer_version(),
        })
    }
}
