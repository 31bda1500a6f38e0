//! Providers: the engines that write scripts, speak narration and draw pictures.
//!
//! Built in and offline: `outline` (script), `espeak` (speech) and the slide renderer
//! ([`crate::media::slide`]). Cloud providers (`[providers.NAME]` sections) share one HTTP client each
//! ([`http::Client`]): `openai` (chat scripts, speech, images), `google` (speech), `stability` (images).

pub mod answer;
pub mod apis;
pub mod espeak;
pub mod http;
pub mod llm;
pub mod outline;
pub mod picture;
pub mod piper;
pub mod probes;
pub mod translator;
pub mod tts;
pub mod voices;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ConfigError, Videofile};
use crate::graph::node::Section;
use crate::providers::apis::AuthKind;

/// A provider failed to produce its output.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A program the provider runs could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// A program the Videofile's provider needs is not installed (a configuration problem: exit code 2).
    #[error("{program} is not installed: {message}")]
    Missing { program: String, message: String },
    /// A voice file the Videofile names is not a voice (a configuration problem: exit code 2).
    #[error(
        "the voice file {} is not a piper voice: {why}; a piper voice is a .onnx model with its .onnx.json \
         beside it, e.g. from https://huggingface.co/rhasspy/piper-voices",
        path.display()
    )]
    NotAVoice {
        path: std::path::PathBuf,
        why: String,
    },
    /// The program ran and reported a failure.
    #[error("{program} failed: {message}")]
    Failed { program: String, message: String },
    /// A cloud request failed for good (after any retries); the message is the server's, without the key.
    #[error("provider {provider}: {request}: {message}")]
    Http {
        provider: String,
        request: String,
        message: String,
    },
    /// The service answered, but not with what its API promises.
    #[error("provider {provider}: {message}")]
    Answer { provider: String, message: String },
    /// Reading or writing the provider's files failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The audio a provider answered with could not be read.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    /// An interrupt stopped the work before it was done.
    #[error("interrupted")]
    Interrupted,
}

/// How a program that failed ended, for a message: `killed by signal 9 (SIGKILL)`, `exited with status 3`.
pub fn how_it_ended(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("it exited with status {code}"),
        (None, Some(signal)) => {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL: stopped from outside, or out of memory)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGSEGV => " (SIGSEGV: it crashed)",
                libc::SIGABRT => " (SIGABRT: it crashed)",
                libc::SIGINT => " (SIGINT)",
                _ => "",
            };
            format!("it was killed by signal {signal}{name}")
        }
        (None, None) => "it ended".into(),
    }
}

/// What a failed program said on its way out (its last lines, cut), or else how it ended.
pub fn why_it_failed(status: std::process::ExitStatus, said: &[u8]) -> String {
    let said = String::from_utf8_lossy(said);
    let said = said.trim().trim_start_matches("Error:").trim();
    if said.is_empty() {
        return format!("{} and said nothing", how_it_ended(status));
    }
    let last: Vec<&str> = said.lines().rev().take(3).collect();
    let last: Vec<&str> = last.into_iter().rev().collect();
    crate::sys::shown::value(&last.join(" / ")).into_owned()
}

/// The cloud providers a build uses, each with its one client (and so its one set of limits).
#[derive(Default)]
pub struct Clients(BTreeMap<String, Arc<http::Client>>);

impl Clients {
    /// Connects the providers the Videofile's sections use; `variable` reads the environment (the process
    /// first, then `.env`). With `require_keys`, a missing key is a configuration error naming the variable.
    pub fn connect(
        videofile: &Videofile,
        variable: &dyn Fn(&str) -> Option<String>,
        require_keys: bool,
    ) -> Result<Clients, ConfigError> {
        let used = Section::ALL.map(|section| videofile.provider_used(section));
        let mut clients = BTreeMap::new();
        for (name, settings) in videofile
            .providers
            .iter()
            .filter(|(name, _)| used.contains(&Some(name.as_str())))
        {
            let key = match variable(&settings.api_key_env).filter(|k| !k.is_empty()) {
                Some(key) => key,
                None if !require_keys => String::new(),
                None => {
                    return Err(ConfigError::MissingVariable {
                        path: videofile.path.clone(),
                        section: format!("providers.{name}"),
                        variable: settings.api_key_env.clone(),
                    });
                }
            };
            let auth = match settings.auth {
                AuthKind::Bearer => http::Auth::Bearer(key),
                AuthKind::ApiKey => http::Auth::Header(settings.api.descriptor().key_header, key),
            };
            let client = http::Client::new(name, &settings.base_url, auth, settings.limits);
            clients.insert(name.clone(), Arc::new(client));
        }
        Ok(Clients(clients))
    }

    /// The client of provider `name` (one the Videofile's sections use).
    pub fn get(&self, name: &str) -> Arc<http::Client> {
        self.0
            .get(name)
            .cloned()
            .expect("clients exist for every provider a section uses")
    }
}
