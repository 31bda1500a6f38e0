//! Narration audio: any speech file converted to one fixed format, padded to whole video frames, and joined.
//!
//! Every narration becomes mono 16-bit PCM at [`AUDIO_RATE`] Hz. Padding each one with silence to a whole number
//! of video frames makes a clip's audio and video end together, so joined clips never drift.

use std::path::{Path, PathBuf};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::AppSink;

use super::MediaError;

/// The sample rate every narration is converted to; every supported frame rate divides it.
pub const AUDIO_RATE: u32 = 24_000;

/// Narration samples in the fixed format, with how many of them are speech (the rest is padding).
#[derive(Debug, Clone)]
pub struct Narration {
    pub samples: Vec<i16>,
    pub spoken: usize,
}

impl Narration {
    /// Seconds of speech, before padding.
    pub fn spoken_seconds(&self) -> f64 {
        self.spoken as f64 / f64::from(AUDIO_RATE)
    }

    /// Seconds including padding.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(AUDIO_RATE)
    }
}

fn spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: AUDIO_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

fn wav_error(path: &Path, err: impl ToString) -> MediaError {
    MediaError::Wav {
        path: path.display().to_string(),
        message: err.to_string(),
    }
}

/// Decodes any audio file GStreamer can read into mono PCM at [`AUDIO_RATE`].
pub fn decode(input: &Path) -> Result<Vec<i16>, MediaError> {
    let pipeline = super::parse(
        "decode-narration",
        &format!(
            "filesrc name=src ! decodebin ! audioconvert ! audioresample \
         ! audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate={AUDIO_RATE} \
         ! appsink name=sink sync=false"
        ),
    )?;
    super::set_location(&pipeline, "src", input)?;
    let sink = pipeline
        .by_name("sink")
        .and_then(|e| e.downcast::<AppSink>().ok())
        .ok_or_else(|| MediaError::Setup("no appsink".into()))?;
    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i16>::new()));
    let collected = samples.clone();
    sink.set_callbacks(
        gstreamer_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let buffer = sample.buffer().ok_or(gst::FlowError::Error)?;
                let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                let mut out = collected
                    .lock()
                    .expect("the sample buffer is never poisoned");
                out.extend(
                    map.chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]])),
                );
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    super::run(&pipeline)?;
    drop(sink);
    let samples =
        std::mem::take(&mut *samples.lock().expect("the sample buffer is never poisoned"));
    Ok(samples)
}

/// The fixed narration format, as signed into the keys of the nodes that write it.
pub const FORMAT: &str = "pcm s16le mono 24000 Hz";

/// How many samples `spoken` samples of speech take once padded to whole frames at `fps` (at least one frame).
pub fn padded_len(spoken: usize, fps: u32, min_samples: usize) -> usize {
    let per_frame = (AUDIO_RATE / fps) as usize;
    spoken.max(min_samples).div_ceil(per_frame).max(1) * per_frame
}

/// Pads `samples` with silence to at least `min_samples` and to a whole number of frames at `fps` (at least
/// one frame).
pub fn pad_to_frames(mut samples: Vec<i16>, fps: u32, min_samples: usize) -> Narration {
    let spoken = samples.len();
    samples.resize(padded_len(spoken, fps, min_samples), 0);
    Narration { samples, spoken }
}

/// The samples in `seconds` of audio: how long a slide is held at least.
pub fn samples_in(seconds: f64) -> usize {
    (seconds.max(0.0) * f64::from(AUDIO_RATE)).round() as usize
}

/// Writes samples as a WAV file in the fixed format.
pub fn write_wav(samples: &[i16], out: &Path) -> Result<(), MediaError> {
    write_wav_at(samples, AUDIO_RATE, out)
}

/// Writes mono 16-bit samples at `rate` as a WAV file (an engine's own rate, to be decoded to the fixed
/// format).
pub fn write_wav_at(samples: &[i16], rate: u32, out: &Path) -> Result<(), MediaError> {
    let spec = hound::WavSpec {
        sample_rate: rate,
        ..spec()
    };
    let mut writer = hound::WavWriter::create(out, spec).map_err(|e| wav_error(out, e))?;
    let mut fast = writer.get_i16_writer(samples.len() as u32);
    for &sample in samples {
        fast.write_sample(sample);
    }
    fast.flush().map_err(|e| wav_error(out, e))?;
    writer.finalize().map_err(|e| wav_error(out, e))
}

/// Opens a WAV file written by [`write_wav`], checking its format.
fn open_wav(
    path: &Path,
) -> Result<hound::WavReader<std::io::BufReader<std::fs::File>>, MediaError> {
    let reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
    if reader.spec() != spec() {
        return Err(wav_error(
            path,
            format!("unexpected format {:?}", reader.spec()),
        ));
    }
    Ok(reader)
}

/// Reads the samples of a WAV file written by [`write_wav`].
pub fn read_wav(path: &Path) -> Result<Vec<i16>, MediaError> {
    open_wav(path)?
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| wav_error(path, e))
}

/// A WAV file in the fixed format written a piece at a time (a long chapter is never held in memory).
pub struct WavStream {
    path: PathBuf,
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
}

impl WavStream {
    pub fn create(path: &Path) -> Result<WavStream, MediaError> {
        Ok(WavStream {
            writer: hound::WavWriter::create(path, spec()).map_err(|e| wav_error(path, e))?,
            path: path.to_path_buf(),
        })
    }

    /// Appends `samples`.
    pub fn samples(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        let mut fast = self.writer.get_i16_writer(samples.len() as u32);
        for &sample in samples {
            fast.write_sample(sample);
        }
        fast.flush().map_err(|e| wav_error(&self.path, e))
    }

    /// Appends `count` samples of silence.
    pub fn silence(&mut self, count: usize) -> Result<(), MediaError> {
        for _ in 0..count {
            self.writer
                .write_sample(0i16)
                .map_err(|e| wav_error(&self.path, e))?;
        }
        Ok(())
    }

    /// Writes the header's lengths and closes the file.
    pub fn finish(self) -> Result<(), MediaError> {
        self.writer.finalize().map_err(|e| wav_error(&self.path, e))
    }
}

/// The length in seconds of a WAV file in the fixed format, from its header.
pub fn wav_seconds(path: &Path) -> Result<f64, MediaError> {
    let reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
    Ok(f64::from(reader.duration()) / f64::from(reader.spec().sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_reaches_a_whole_frame() {
        let narration = pad_to_frames(vec![1; 2401], 10, 0);
        assert_eq!(narration.samples.len(), 4800);
        assert_eq!(narration.spoken, 2401);
        assert_eq!(pad_to_frames(Vec::new(), 10, 0).samples.len(), 2400);
        // A slide is held at least the minimum, in whole frames.
        let held = pad_to_frames(vec![1; 100], 10, samples_in(3.05));
        assert_eq!((held.samples.len(), held.spoken), (31 * 2400, 100));
    }

    #[test]
    fn decodes_resamples_and_joins() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("in.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&source, spec).unwrap();
        for i in 0..48_000 {
            let v = ((i as f32 / 20.0).sin() * 8000.0) as i16;
            writer.write_sample(v).unwrap();
            writer.write_sample(v).unwrap();
        }
        writer.finalize().unwrap();
        let samples = decode(&source).unwrap();
        assert!(
            (samples.len() as i64 - i64::from(AUDIO_RATE)).abs() < 64,
            "{}",
            samples.len()
        );
        let a = dir.path().join("a.wav");
        write_wav(&pad_to_frames(samples, 10, 0).samples, &a).unwrap();
        let joined = dir.path().join("j.wav");
        let mut stream = WavStream::create(&joined).unwrap();
        stream.samples(&read_wav(&a).unwrap()).unwrap();
        stream.silence(24_000).unwrap();
        stream.finish().unwrap();
        assert!((wav_seconds(&joined).unwrap() - 2.0).abs() < 1e-9);
    }
}
