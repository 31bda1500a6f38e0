//! Clip encoding: a slide picture held for a number of frames, encoded once to H.264 in MP4.
//!
//! The clip's audio stays lossless PCM next to it (see [`super::audio`]): AAC frames do not line up with
//! video frames, so AAC is encoded once per joined video instead of once per clip.

use std::path::Path;

use super::MediaError;

/// The clip encoder's version and fixed settings: part of every clip key.
pub const SETTINGS: &str = "x264 veryfast stillimage bframes=0 threads=2 I420 v1";

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
         ! x264enc speed-preset=veryfast tune=stillimage bframes=0 threads=2 key-int-max={} \
         ! video/x-h264,profile=high ! h264parse ! mp4mux ! filesink name=sink",
            fps * 10
        ),
    )?;
    super::set_location(&pipeline, "src", image)?;
    super::set_location(&pipeline, "sink", out)?;
    super::run(&pipeline)
}
