//! The built-in `espeak` speech provider: runs espeak-ng (a Debian package) to speak narration to WAV.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::ProviderError;
use crate::media::slide::escape;
use crate::providers::probes::{Probes, on_path};
use crate::sys::interrupt;

const PROGRAM: &str = "espeak-ng";

/// The installed espeak-ng's version line: part of every audio key, since another version speaks other bytes.
pub fn version(probes: &mut Probes) -> Result<String, ProviderError> {
    probes.answer("espeak-ng --version", || {
        let text = ask_version()?;
        Ok((text, on_path(PROGRAM).into_iter().collect()))
    })
}

fn ask_version() -> Result<String, ProviderError> {
    let output = Command::new(PROGRAM)
        .arg("--version")
        .output()
        .map_err(|source| ProviderError::Spawn {
            program: PROGRAM.into(),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next().unwrap_or_default();
    // "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/..." -> keep the version, not the path.
    Ok(line
        .split("Data at")
        .next()
        .unwrap_or(line)
        .trim()
        .to_string())
}

/// Checks that espeak-ng has `voice` (for chapters in `language`): a configuration error if not.
pub fn check_voice(voice: &str, language: &str, probes: &mut Probes) -> Result<(), ProviderError> {
    probes.answer(&format!("espeak-ng has the voice {voice}"), || {
        ask_voice(voice, language)?;
        Ok::<_, ProviderError>(("yes".to_string(), on_path(PROGRAM).into_iter().collect()))
    })?;
    Ok(())
}

fn ask_voice(voice: &str, language: &str) -> Result<(), ProviderError> {
    let status = Command::new(PROGRAM)
        .args(["-v", voice, "-q", "x"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|source| ProviderError::Spawn {
            program: PROGRAM.into(),
            source,
        })?;
    if status.success() {
        return Ok(());
    }
    Err(ProviderError::Missing {
        program: format!("the espeak-ng voice {voice:?}"),
        message: format!(
            "it would speak {language}; `espeak-ng --voices` lists the voices there are (set [speech] voice, or [speech.voices] {language} = \"...\")"
        ),
    })
}

/// The pause asked for after each sentence but the last when a slide's sentences are spoken by one
/// espeak-ng process, so the sentences can be cut apart at it (milliseconds). espeak-ng shortens it at fast
/// rates (0.39 s for 1000 ms at 450 words a minute) and its own pauses grow at slow ones (0.96 s at 80):
/// 2000 ms keeps it twice as long as any of its own at every rate.
pub const BREAK_MS: u32 = 2000;

/// How a slide's sentences are spoken: part of the audio key, since it decides the bytes.
pub fn process() -> String {
    format!("one espeak-ng per slide, SSML breaks of {BREAK_MS} ms")
}

/// Speaks `sentences` with `voice` at `rate` words per minute into the WAV file `out`, with one espeak-ng
/// process: as SSML, a break of [`BREAK_MS`] after each sentence but the last (starting espeak-ng once per
/// sentence cost 10 times the CPU, half of it in the system).
pub fn speak_sentences(
    sentences: &[String],
    voice: &str,
    rate: u32,
    out: &Path,
) -> Result<(), ProviderError> {
    let escaped: Vec<String> = sentences.iter().map(|s| escape(s)).collect();
    let text = format!(
        "<speak>{}</speak>",
        escaped.join(&format!(" <break time=\"{BREAK_MS}ms\"/> "))
    );
    run(&text, voice, &["-m"], rate, out)
}

/// Speaks `text` with `voice` at `rate` words per minute into the WAV file `out`.
pub fn speak(text: &str, voice: &str, rate: u32, out: &Path) -> Result<(), ProviderError> {
    run(text, voice, &[], rate, out)
}

/// Runs espeak-ng with `voice`, `options` and `rate` on `text` (its standard input), writing `out`.
fn run(
    text: &str,
    voice: &str,
    options: &[&str],
    rate: u32,
    out: &Path,
) -> Result<(), ProviderError> {
    let mut child = Command::new(PROGRAM)
        .args(["-v", voice, "-s", &rate.to_string()])
        .args(options)
        .args(["--stdin", "-w"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ProviderError::Spawn {
            program: PROGRAM.into(),
            source,
        })?;
    let written = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes());
    // A program that stopped before reading all of it closed the pipe: what it said on the way out (its
    // status and message) is the error to report, not the broken pipe.
    let pipe_broke = match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        other => other.is_err(),
    };
    // Polled, so that an interrupt stops the child rather than waiting for it.
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if interrupt::requested() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ProviderError::Interrupted);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_end(&mut stderr)?;
    }
    if !status.success() {
        return Err(ProviderError::Failed {
            program: PROGRAM.into(),
            message: format!("voice {voice:?}: {}", super::why_it_failed(status, &stderr)),
        });
    }
    if pipe_broke {
        return Err(ProviderError::Failed {
            program: PROGRAM.into(),
            message: format!("voice {voice:?}: it stopped reading the text before its end"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaks_a_wav_and_reports_a_bad_voice() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("a.wav");
        speak("Hello there.", "en-us", 170, &wav).unwrap();
        let reader = hound::WavReader::open(&wav).unwrap();
        assert!(reader.duration() > reader.spec().sample_rate / 4);
        let err = speak("Hi.", "nosuchvoice", 170, &dir.path().join("b.wav")).unwrap_err();
        assert!(err.to_string().contains("nosuchvoice"), "{err}");
    }
}
