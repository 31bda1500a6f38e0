//! Providers: the engines that write scripts, speak narration and draw slides.
//!
//! The built-in ones run offline: `outline` (script), `espeak` (speech) and `slides` (images, in
//! [`crate::media::slide`]).

pub mod espeak;
pub mod outline;

/// A provider failed to produce its output.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A program the provider runs could not be started.
    #[error("cannot run {program}: {source} (is it installed? see the README's set-up command)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// The program ran and reported a failure.
    #[error("{program} failed: {message}")]
    Failed { program: String, message: String },
    /// Reading or writing the provider's files failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
