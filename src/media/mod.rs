//! Media steps: slide pictures, narration audio, clip encoding, joining and subtitles.
//!
//! Every GStreamer pipeline goes through [`run`], which plays it to the end and turns bus errors into
//! [`MediaError`]s that name the failing element.

pub mod audio;
pub mod clip;
pub mod formula;
pub mod highlight;
pub mod join;
pub mod layout;
pub mod loudness;
pub mod mp4;
pub mod narration;
pub mod picture;
pub mod slide;
pub mod subtitles;
pub mod text;
pub mod theme;

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::sys::interrupt;

/// A media step failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// GStreamer could not be initialised or a pipeline could not be built (a missing plugin, usually).
    #[error("GStreamer: {message} ({hint})", message = .0, hint = install_hint(.0))]
    Setup(String),
    /// A pipeline reported an error while running.
    #[error("GStreamer pipeline {pipeline}: {element}: {message}")]
    Pipeline {
        pipeline: String,
        element: String,
        message: String,
    },
    /// A WAV file could not be read or written.
    #[error("WAV {path}: {message}")]
    Wav { path: String, message: String },
    /// An MP4 file the muxer wrote is not laid out as expected.
    #[error("MP4 {0}")]
    Mp4(String),
    /// Drawing a slide failed.
    #[error("slide rendering: {0}")]
    Render(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// An interrupt stopped the pipeline.
    #[error("interrupted")]
    Interrupted,
}

impl From<gst::glib::Error> for MediaError {
    fn from(err: gst::glib::Error) -> Self {
        MediaError::Setup(err.to_string())
    }
}

impl From<gst::glib::BoolError> for MediaError {
    fn from(err: gst::glib::BoolError) -> Self {
        MediaError::Setup(err.to_string())
    }
}

/// The GStreamer elements vbuild's pipelines use, with the Debian package that brings each (read off
/// `dpkg -S` of their plugins on Debian 12).
pub const ELEMENTS: &[(&str, &str)] = &[
    ("filesrc", "libgstreamer1.0-0"),
    ("filesink", "libgstreamer1.0-0"),
    ("concat", "libgstreamer1.0-0"),
    ("appsink", "gstreamer1.0-plugins-base"),
    ("audioconvert", "gstreamer1.0-plugins-base"),
    ("audioresample", "gstreamer1.0-plugins-base"),
    ("videoconvert", "gstreamer1.0-plugins-base"),
    ("decodebin", "gstreamer1.0-plugins-base"),
    ("pngdec", "gstreamer1.0-plugins-good"),
    ("imagefreeze", "gstreamer1.0-plugins-good"),
    ("wavparse", "gstreamer1.0-plugins-good"),
    ("qtdemux", "gstreamer1.0-plugins-good"),
    ("mp4mux", "gstreamer1.0-plugins-good"),
    ("h264parse", "gstreamer1.0-plugins-bad"),
    ("voaacenc", "gstreamer1.0-plugins-bad"),
    ("x264enc", "gstreamer1.0-plugins-ugly"),
];

/// The elements of [`ELEMENTS`] this machine's GStreamer does not have, with their packages (GStreamer
/// itself must initialise).
pub fn missing_elements() -> Result<Vec<(&'static str, &'static str)>, MediaError> {
    init()?;
    Ok(ELEMENTS
        .iter()
        .copied()
        .filter(|(name, _)| gst::ElementFactory::find(name).is_none())
        .collect())
}

/// What to install when GStreamer says `message`: the package of the element it names (`no element
/// "x264enc"`), else GStreamer and its plugins.
pub fn install_hint(message: &str) -> String {
    let element = message
        .split("no element \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    let package = ELEMENTS
        .iter()
        .find(|(name, _)| Some(*name) == element)
        .map(|(_, package)| *package)
        .unwrap_or(
            "libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly",
        );
    format!("install it: apt-get install {package}")
}

/// Initialises GStreamer once per process.
pub fn init() -> Result<(), MediaError> {
    gst::init().map_err(MediaError::from)
}

/// The GStreamer version string: part of the keys of encoded media, whose bytes it decides.
pub fn gstreamer_version() -> String {
    gst::version_string().to_string()
}

/// Builds a pipeline called `name` (used in error messages) from a gst-launch description.
pub fn parse(name: &str, description: &str) -> Result<gst::Pipeline, MediaError> {
    init()?;
    let pipeline = gst::parse::launch(description)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| MediaError::Setup("the description is not a pipeline".into()))?;
    pipeline.set_property("name", name);
    Ok(pipeline)
}

/// Finds element `name` in `pipeline` and sets its `location` to `path`.
pub fn set_location(pipeline: &gst::Pipeline, name: &str, path: &Path) -> Result<(), MediaError> {
    let element = pipeline
        .by_name(name)
        .ok_or_else(|| MediaError::Setup(format!("no element named {name}")))?;
    element.set_property("location", path.to_string_lossy().to_string());
    Ok(())
}

/// Plays `pipeline` until end of stream; any error on the bus fails the step, and an interrupt stops it.
pub fn run(pipeline: &gst::Pipeline) -> Result<(), MediaError> {
    let result = play_to_end(pipeline);
    let _ = pipeline.set_state(gst::State::Null);
    result
}

fn play_to_end(pipeline: &gst::Pipeline) -> Result<(), MediaError> {
    let name = pipeline.name().to_string();
    let bus = pipeline.bus().expect("a pipeline has a bus");
    let failure = |element: String, message: String| MediaError::Pipeline {
        pipeline: name.clone(),
        element,
        message,
    };
    if let Err(err) = pipeline.set_state(gst::State::Playing) {
        // The bus usually holds the reason the state change failed.
        if let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error])
            && let gst::MessageView::Error(e) = msg.view()
        {
            return Err(failure(source_name(&msg), e.error().to_string()));
        }
        return Err(failure(name.clone(), err.to_string()));
    }
    loop {
        // Woken every tenth of a second to notice an interrupt.
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            if interrupt::requested() {
                return Err(MediaError::Interrupted);
            }
            continue;
        };
        match msg.view() {
            gst::MessageView::Eos(..) => return Ok(()),
            gst::MessageView::Error(e) => {
                let debug = e.debug().map(|d| format!(" ({d})")).unwrap_or_default();
                return Err(failure(source_name(&msg), format!("{}{debug}", e.error())));
            }
            _ => {}
        }
    }
}

/// The element a message came from, and the file it reads or writes if it does (a full disk says where).
fn source_name(msg: &gst::Message) -> String {
    let Some(source) = msg.src() else {
        return String::new();
    };
    let name = source.path_string().to_string();
    let file = (source.find_property("location").is_some())
        .then(|| {
            source
                .property_value("location")
                .get::<Option<String>>()
                .ok()
                .flatten()
        })
        .flatten();
    match file {
        Some(file) => format!("{name} (file {file})"),
        None => name,
    }
}
