//! Clip encoding: a slide picture held for a number of frames, encoded once to H.264 in MP4.
//!
//! The clip's audio stays lossless PCM next to it (see [`super::audio`]): AAC frames do not line up with
//! video frames, so AAC is encoded once per joined video instead of once per clip.

use std::path::Path;

use super::MediaError;

/// The clip encoder's version and fixed settings: part of every clip key.
///
/// One x264 thread: with more, x264's output depends on thread timing and the same clip would not give the same
/// bytes twice. Clips are encoded in parallel instead.
pub const SETTINGS: &str = "x264 veryfast stillimage bframes=0 threads=1 I420 v2";

/// Encodes `image` (PNG) as `frames` frames at `fps` into the MP4 file `out` (video only).
///
/// Every clip is encoded with the same caps and settings, so clips can be joined without re-encoding.
pub fn encode(image: &Path, frames: u64, fps: u32, out: &Path) -> Result<(), MediaError> {
    // videoconvert before imagefreeze: the colour conversion runs once, not once per frame.
    let pipeline = super::parse(
        "encode-clip",
        &format!(
            "filesrc name=src ! pngdec ! videoconvert ! video/x-raw,format=I420 \
         ! imagefreeze num-buffers={frames} ! video/x-raw,framerate={fps}/1 \
         ! x264enc speed-preset=veryfast tune=stillimage bframes=0 threads=1 key-int-max={} \
         ! video/x-h264,profile=high ! h264parse ! mp4mux ! filesink name=sink",
            fps * 10
        ),
    )?;
    super::set_location(&pipeline, "src", image)?;
    super::set_location(&pipeline, "sink", out)?;
    super::run(&pipeline)?;
    super::mp4::clear_timestamps(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::slide::{SlideContent, SlideStyle, render_png};
    use crate::media::theme::Theme;

    #[test]
    fn the_same_slide_encodes_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let content = SlideContent {
            course_title: "C".into(),
            chapter_title: "Ch".into(),
            title: "Title".into(),
            blocks: SlideContent::from_script(&[], &["one".into()]),
            number: 1,
        };
        let style = SlideStyle {
            width: 320,
            height: 180,
            theme: Theme::Dark,
        };
        let png = dir.path().join("s.png");
        let rendered = render_png(&content, style, None, &|_| None).unwrap();
        std::fs::write(&png, rendered.png).unwrap();
        let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
        encode(&png, 25, 10, &a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        encode(&png, 25, 10, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
}
