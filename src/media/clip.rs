//! Clip encoding: a slide picture held for a number of frames, encoded once to H.264 in MP4.
//!
//! The clip's audio stays lossless PCM next to it (see [`super::audio`]): AAC frames do not line up with
//! video frames, so AAC is encoded once per joined video instead of once per clip.

use std::path::Path;

use super::MediaError;

/// The x264 settings of every clip, chosen by measurement (`cargo bench --bench clip`):
/// - a constant quantizer, so a still slide is as sharp in its first frame as in its last and costs no bits
///   once drawn (the default, constant bitrate, drew the first frame at 47 dB and kept spending bits); 20
///   keeps text edges and the themes' gradients clean (PSNR 54-57 dB against the slide on the example);
/// - `ultrafast` with CABAC: a still slide's frames after the first are all skipped blocks, which the
///   faster presets find as well in half the CPU, and CABAC keeps the files 20% smaller;
/// - Main profile (what these settings use; every H.264 player decodes it);
/// - no B-frames (they break joining without re-encoding), one thread: with more, x264's output depends on
///   thread timing and the same clip would not give the same bytes twice. Clips are encoded in parallel.
const X264: &str = "x264enc speed-preset=ultrafast tune=stillimage pass=quant quantizer=20 cabac=true \
    bframes=0 threads=1";

/// Seconds between key frames: a player seeks to the key frame before the time asked for and decodes from
/// there, so a seek costs at most this much decoding.
const KEY_FRAME_SECONDS: u32 = 10;

/// The pipeline that encodes a clip of `frames` frames at `fps`. Its text (less the file names) is part of
/// every clip key, so a change to any setting re-encodes the clips.
///
/// - videoconvert runs before imagefreeze, so the colour conversion runs once, not once per frame;
/// - BT.709 is asked for at every size: the pixels are converted with its matrix and the stream is tagged
///   with its primaries, transfer and matrix (left to choose, GStreamer took BT.601's matrix below 720 lines
///   and tagged the sRGB transfer, which colour-managed players show too light).
pub fn pipeline(frames: u64, fps: u32) -> String {
    format!(
        "filesrc name=src ! pngdec ! videoconvert ! video/x-raw,format=I420,colorimetry=bt709 \
         ! imagefreeze num-buffers={frames} ! video/x-raw,framerate={fps}/1 \
         ! {X264} key-int-max={} ! video/x-h264,profile=main ! h264parse ! mp4mux ! filesink name=sink",
        fps * KEY_FRAME_SECONDS
    )
}

/// Encodes `image` (PNG) as `frames` frames at `fps` into the MP4 file `out` (video only).
///
/// Every clip is encoded with the same caps and settings, so clips can be joined without re-encoding.
pub fn encode(image: &Path, frames: u64, fps: u32, out: &Path) -> Result<(), MediaError> {
    let pipeline = super::parse("encode-clip", &pipeline(frames, fps))?;
    super::set_location(&pipeline, "src", image)?;
    super::set_location(&pipeline, "sink", out)?;
    super::run(&pipeline)?;
    super::mp4::clear_timestamps(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::slide::{SlideContent, SlideStyle, render_png};
    use crate::media::theme::Theme;
    use gstreamer::prelude::*;

    /// A slide of `width` x `height`, as PNG in `dir`.
    pub(crate) fn slide_png(dir: &Path, width: u32, height: u32) -> std::path::PathBuf {
        let content = SlideContent {
            course_title: "C".into(),
            chapter_title: "Ch".into(),
            title: "Title".into(),
            blocks: SlideContent::from_script(&[], &["one".into(), "two words".into()]),
            number: 1,
        };
        let style = SlideStyle {
            width,
            height,
            theme: Theme::Dark,
        };
        let png = dir.join(format!("{width}.png"));
        let rendered = render_png(&content, style, None, &|_| None).unwrap();
        std::fs::write(&png, rendered.png).unwrap();
        png
    }

    /// The frames a pipeline ending in `appsink name=sink` gives, with the caps of the first.
    fn frames_of(description: &str) -> (String, Vec<Vec<u8>>) {
        let pipeline = crate::media::parse("frames", description).unwrap();
        let sink = pipeline.by_name("sink").unwrap();
        let sink = sink.downcast::<gstreamer_app::AppSink>().unwrap();
        pipeline.set_state(gstreamer::State::Playing).unwrap();
        let mut caps = String::new();
        let mut frames = Vec::new();
        while let Ok(sample) = sink.pull_sample() {
            if caps.is_empty() {
                caps = sample.caps().unwrap().to_string();
            }
            let buffer = sample.buffer().unwrap().map_readable().unwrap();
            frames.push(buffer.as_slice().to_vec());
        }
        pipeline.set_state(gstreamer::State::Null).unwrap();
        (caps, frames)
    }

    /// PSNR of the luma of two I420 frames of `pixels` pixels.
    fn luma_psnr(a: &[u8], b: &[u8], pixels: usize) -> f64 {
        let squared: f64 = (a[..pixels].iter().zip(&b[..pixels]))
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum();
        10.0 * (255.0f64.powi(2) / (squared / pixels as f64).max(1e-10)).log10()
    }

    #[test]
    fn a_still_slide_is_as_sharp_in_its_first_frame_as_in_its_last_and_tagged_bt709() {
        let dir = tempfile::tempdir().unwrap();
        for (width, height) in [(320, 180), (1280, 720)] {
            let png = slide_png(dir.path(), width, height);
            let clip = dir.path().join("clip.mp4");
            encode(&png, 30, 10, &clip).unwrap();
            let (_, reference) = frames_of(&format!(
                "filesrc location={} ! pngdec ! videoconvert \
                 ! video/x-raw,format=I420,colorimetry=bt709 ! appsink name=sink sync=false",
                png.display()
            ));
            let (caps, frames) = frames_of(&format!(
                "filesrc location={} ! decodebin ! appsink name=sink sync=false",
                clip.display()
            ));
            assert!(caps.contains("colorimetry=(string)bt709"), "{caps}");
            assert_eq!(frames.len(), 30);
            let pixels = (width * height) as usize;
            let first = luma_psnr(&frames[0], &reference[0], pixels);
            let last = luma_psnr(&frames[29], &reference[0], pixels);
            assert!(
                first > 45.0,
                "{width}x{height}: the first frame: {first:.1} dB"
            );
            assert!(
                (first - last).abs() < 1.0,
                "{width}x{height}: first frame {first:.1} dB, last {last:.1} dB"
            );
        }
    }

    #[test]
    fn the_pipeline_in_the_key_is_the_pipeline_that_runs() {
        // Any setting changed in the pipeline changes the clip key, which holds this text.
        let text = pipeline(25, 10);
        assert!(
            text.contains(X264) && text.contains("num-buffers=25"),
            "{text}"
        );
        assert!(text.contains("key-int-max=100"), "{text}");
    }

    #[test]
    fn the_same_slide_encodes_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let png = slide_png(dir.path(), 320, 180);
        let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
        encode(&png, 25, 10, &a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        encode(&png, 25, 10, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
}
