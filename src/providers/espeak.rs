//! The built-in `espeak` speech provider: runs espeak-ng (a Debian package) to speak narration to WAV.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::ProviderError;
use crate::interrupt;
use crate::probes::{Probes, on_path};

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

/// Speaks `text` with `voice` at `rate` words per minute into the WAV file `out`.
pub fn speak(text: &str, voice: &str, rate: u32, out: &Path) -> Result<(), ProviderError> {
    let mut child = Command::new(PROGRAM)
        .args(["-v", voice, "-s", &rate.to_string(), "--stdin", "-w"])
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
