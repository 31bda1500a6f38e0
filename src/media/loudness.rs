//! Loudness: a chapter's narration measured as EBU R128 and ITU-R BS.1770 measure it (integrated loudness,
//! true peak), and brought to a target loudness under a true-peak ceiling by one gain and a look-ahead
//! limiter that only touches the rare peaks the gain lifts above the ceiling.
//!
//! Speech engines differ by several LU (piper about -20.6 LUFS, espeak -21 with peaks near 0 dBTP), and
//! listeners and platforms expect speech at -16 to -19 LUFS with peaks at most -1 dBTP (AES TD1004).

use std::collections::VecDeque;

use ebur128::{EbuR128, Mode};

use super::audio::AUDIO_RATE;

/// How loud the narration is made: `[speech] loudness` and `true_peak`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Integrated loudness, LUFS.
    pub loudness: f64,
    /// Ceiling of the true peak, dBTP.
    pub true_peak: f64,
}

/// What a chapter's narration measured before and after levelling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levelled {
    /// Integrated loudness of the speech as spoken (LUFS), if it is not silence.
    pub before: Option<f64>,
    /// The gain applied (dB).
    pub gain: f64,
    /// Integrated loudness after (LUFS), if it is not silence.
    pub loudness: Option<f64>,
    /// True peak after (dBTP).
    pub true_peak: f64,
}

/// An EBU R128 meter of mono audio in the fixed format.
pub struct Meter(EbuR128);

impl Default for Meter {
    /// A meter of integrated loudness and true peak.
    fn default() -> Meter {
        Meter::with(Mode::I | Mode::TRUE_PEAK)
    }
}

impl Meter {
    /// A meter of integrated loudness only: the true peak's oversampling costs most of a measurement, and
    /// a trial of the gain needs only the loudness.
    pub fn loudness_only() -> Meter {
        Meter::with(Mode::I)
    }

    fn with(mode: Mode) -> Meter {
        Meter(EbuR128::new(1, AUDIO_RATE, mode).expect("mono at the fixed rate is a valid meter"))
    }

    /// Measures `samples`, following those measured before.
    pub fn add(&mut self, samples: &[i16]) {
        self.0
            .add_frames_i16(samples)
            .expect("a mono meter takes any number of samples");
    }

    /// The integrated loudness (LUFS); `None` for silence (nothing above the absolute gate).
    pub fn loudness(&self) -> Option<f64> {
        self.0.loudness_global().ok().filter(|l| l.is_finite())
    }

    /// The true peak (dBTP); that of silence for a meter of loudness only.
    pub fn true_peak(&self) -> f64 {
        let linear = self.0.true_peak(0).unwrap_or(0.0);
        20.0 * linear.max(1e-10).log10()
    }
}

/// Samples a peak is seen ahead of time, so the gain can come down smoothly before it (5 ms).
const LOOK_AHEAD: usize = AUDIO_RATE as usize / 200;

/// How fast the gain comes back after a peak: this part of the way each sample (a time constant of 50 ms).
const RELEASE: f32 = 1.0 / (AUDIO_RATE as f32 / 20.0);

/// How far below the ceiling sample peaks are held, for the peaks between samples and the AAC encoder's
/// overshoot (dB).
const MARGIN: f64 = 0.5;

/// A gain, then a look-ahead limiter: samples are pushed in order and come out in order, each scaled by the
/// gain and, near a peak that would pass the ceiling, by less. No sample is moved in time.
pub struct Leveller {
    gain: f32,
    ceiling: f32,
    /// The samples pushed and not yet given back (at most [`LOOK_AHEAD`]), after the gain.
    ahead: VecDeque<f32>,
    /// Of those, the ones above the ceiling: (number, the gain that brings it to the ceiling).
    peaks: VecDeque<(u64, f32)>,
    /// How many samples were pushed.
    pushed: u64,
    /// The limiter's gain on the last sample given back.
    envelope: f32,
}

impl Leveller {
    /// A leveller applying `gain` dB under a true-peak `ceiling` (dBTP).
    pub fn new(gain: f64, ceiling: f64) -> Leveller {
        Leveller {
            gain: 10f64.powf(gain / 20.0) as f32,
            ceiling: (32767.0 * 10f64.powf((ceiling - MARGIN) / 20.0)) as f32,
            ahead: VecDeque::with_capacity(LOOK_AHEAD + 1),
            peaks: VecDeque::new(),
            pushed: 0,
            envelope: 1.0,
        }
    }

    /// Pushes `samples`; appends to `out` those that come out.
    pub fn push(&mut self, samples: &[i16], out: &mut Vec<i16>) {
        for &sample in samples {
            let value = f32::from(sample) * self.gain;
            if value.abs() > self.ceiling {
                self.peaks
                    .push_back((self.pushed, self.ceiling / value.abs()));
            }
            self.ahead.push_back(value);
            self.pushed += 1;
            if self.ahead.len() > LOOK_AHEAD {
                self.give_back(out);
            }
        }
    }

    /// Gives back the samples still held.
    pub fn finish(mut self, out: &mut Vec<i16>) {
        while !self.ahead.is_empty() {
            self.give_back(out);
        }
    }

    /// Gives back the oldest sample held, scaled by the limiter's gain: the lowest of what each peak ahead
    /// asks, each asking less the further off it is (a ramp over the look-ahead), and released slowly.
    fn give_back(&mut self, out: &mut Vec<i16>) {
        let Some(value) = self.ahead.pop_front() else {
            return;
        };
        let number = self.pushed - 1 - self.ahead.len() as u64;
        while self.peaks.front().is_some_and(|&(at, _)| at < number) {
            self.peaks.pop_front();
        }
        let asked = (self.peaks.iter())
            .map(|&(at, gain)| gain + (1.0 - gain) * (at - number) as f32 / LOOK_AHEAD as f32)
            .fold(1.0f32, f32::min);
        self.envelope = asked.min(self.envelope + (1.0 - self.envelope) * RELEASE);
        out.push((value * self.envelope).round().clamp(-32768.0, 32767.0) as i16);
    }
}

/// The gain that brings speech measured at `before` LUFS to `target` (none for silence).
pub fn gain_for(before: Option<f64>, target: &Target) -> f64 {
    before.map_or(0.0, |before| target.loudness - before)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech-like test audio: a 220 Hz tone whose level swells, with short loud bursts (plosives).
    fn speech_like(seconds: usize, level: f32) -> Vec<i16> {
        (0..seconds * AUDIO_RATE as usize)
            .map(|i| {
                let t = i as f32 / AUDIO_RATE as f32;
                let swell = 0.6 + 0.4 * (t * 1.3).sin();
                let burst = if i % 12_000 < 240 { 3.0 } else { 1.0 };
                (level * swell * burst * (t * 220.0 * std::f32::consts::TAU).sin()) as i16
            })
            .collect()
    }

    fn level(samples: &[i16], target: &Target) -> (Vec<i16>, Meter, f64) {
        let mut before = Meter::default();
        before.add(samples);
        let gain = gain_for(before.loudness(), target);
        let mut leveller = Leveller::new(gain, target.true_peak);
        let mut out = Vec::new();
        for piece in samples.chunks(1000) {
            leveller.push(piece, &mut out);
        }
        leveller.finish(&mut out);
        let mut after = Meter::default();
        after.add(&out);
        (out, after, gain)
    }

    #[test]
    fn quiet_and_peaky_speech_is_brought_to_the_target_under_the_ceiling_in_time() {
        let target = Target {
            loudness: -18.0,
            true_peak: -1.5,
        };
        for level_of_speech in [1500.0, 9000.0] {
            let speech = speech_like(20, level_of_speech);
            let (out, after, gain) = level(&speech, &target);
            assert_eq!(out.len(), speech.len(), "no sample added or lost");
            let loudness = after.loudness().unwrap();
            assert!((loudness - -18.0).abs() < 0.5, "{loudness} LUFS");
            assert!(after.true_peak() <= -1.5, "{} dBTP", after.true_peak());
            // In time: away from the bursts the output is the input times the gain, sample for sample.
            let gain = 10f64.powf(gain / 20.0);
            for i in 5000..7000 {
                let expected = f64::from(speech[i]) * gain;
                let error = (f64::from(out[i]) - expected).abs();
                assert!(
                    error <= 1.0 + 0.01 * expected.abs(),
                    "sample {i}: {} for {expected}",
                    out[i]
                );
            }
        }
    }

    #[test]
    fn silence_stays_silence() {
        let target = Target {
            loudness: -18.0,
            true_peak: -1.5,
        };
        let (out, after, _) = level(&vec![0; 24_000], &target);
        assert!(out.iter().all(|&s| s == 0));
        assert_eq!(after.loudness(), None);
    }
}
