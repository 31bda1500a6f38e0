//! Log lines: env_logger's filtering (`RUST_LOG`, `-v`, `-q`) with vbuild's own line format, for people or as
//! one JSON object per line, printed above the progress bars so they never break them.
//!
//! Engine log calls carry the node and its chapter as key-values (`log::info!(node = ..., chapter = ...; ...)`),
//! which the JSON format writes as fields. Every line passes through [`secrets::redact`], and the HTTP client's
//! debug lines (which carry request headers) are never written.

use std::io::Write;

use indicatif::{MultiProgress, ProgressDrawTarget};
use log::kv::{Key, Value, VisitSource};

use crate::sys::secrets;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `[INFO ] node: message`
    Human,
    /// `{"timestamp": ..., "level": ..., "message": ..., "module": ..., "node": ..., "chapter": ...}`
    Json,
}

/// A logger that suspends the progress bars while it writes a line.
struct BarAwareLogger {
    inner: env_logger::Logger,
    bars: MultiProgress,
}

impl log::Log for BarAwareLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        if is_svg_library(record) && record.level() <= log::Level::Warn && collected(record) {
            return;
        }
        let level = if is_svg_library(record) || is_chatty_library(record) {
            // Said (naming the picture) when the picture was checked; while a slide is drawn, only for -v.
            record.level().max(log::Level::Debug)
        } else {
            record.level()
        };
        let metadata = log::Metadata::builder()
            .level(level)
            .target(record.target())
            .build();
        if !self.inner.enabled(&metadata) || is_http_client_internals(record) {
            return;
        }
        // The one choke point for secrets in log lines: the message is redacted before it is written (and
        // a long value it echoes cut).
        let message = secrets::redact(&record.args().to_string());
        let message = crate::sys::shown::message(&message);
        self.bars.suspend(|| {
            self.inner.log(
                &log::Record::builder()
                    .args(format_args!("{message}"))
                    .level(level)
                    .target(record.target())
                    .module_path(record.module_path())
                    .file(record.file())
                    .line(record.line())
                    .key_values(record.key_values())
                    .build(),
            )
        });
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// The HTTP client's own debug and trace lines (requests with their headers, presigned URLs): never written,
/// whatever `RUST_LOG` asks for.
fn is_http_client_internals(record: &log::Record) -> bool {
    let krate = record.target().split("::").next().unwrap_or_default();
    record.level() > log::Level::Info && ["ureq", "ureq_proto", "rustls"].contains(&krate)
}

/// The SVG library's own lines: they name no picture.
fn is_svg_library(record: &log::Record) -> bool {
    let krate = record.target().split("::").next().unwrap_or_default();
    matches!(krate, "usvg" | "resvg")
}

/// Libraries whose lines are for their own developers (MathCAT's rule loading): shown with `-v` only.
fn is_chatty_library(record: &log::Record) -> bool {
    let krate = record.target().split("::").next().unwrap_or_default();
    matches!(krate, "libmathcat")
}

thread_local! {
    /// The SVG library's warnings on this thread while [`collect_svg_warnings`] runs.
    static COLLECTED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the record's message when this thread collects the SVG library's warnings; true when it did.
fn collected(record: &log::Record) -> bool {
    COLLECTED.with(|cell| match cell.borrow_mut().as_mut() {
        Some(list) => {
            list.push(record.args().to_string());
            true
        }
        None => false,
    })
}

/// Runs `work` and returns, with its result, the warnings the SVG library logged on this thread meanwhile
/// (they name no file: the caller says which picture they are about).
pub fn collect_svg_warnings<T>(work: impl FnOnce() -> T) -> (T, Vec<String>) {
    COLLECTED.with(|cell| *cell.borrow_mut() = Some(Vec::new()));
    let result = work();
    let warnings = COLLECTED.with(|cell| cell.borrow_mut().take().unwrap_or_default());
    (result, warnings)
}

/// The `node` and `chapter` key-values of a record.
#[derive(Default)]
struct NodeFields {
    node: Option<String>,
    chapter: Option<String>,
}

impl<'kvs> VisitSource<'kvs> for NodeFields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        match key.as_str() {
            "node" => self.node = Some(value.to_string()).filter(|v| !v.is_empty()),
            "chapter" => self.chapter = Some(value.to_string()).filter(|v| !v.is_empty()),
            _ => {}
        }
        Ok(())
    }
}

fn fields(record: &log::Record) -> NodeFields {
    let mut fields = NodeFields::default();
    let _ = record.key_values().visit(&mut fields);
    fields
}

/// Installs the logger (`RUST_LOG` wins over `default_filter`) behind the progress bars; returns the bars.
pub fn init_logging(default_filter: &str, format: LogFormat) -> MultiProgress {
    let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter));
    match format {
        LogFormat::Human => builder.format(|buf, record| {
            let style = buf.default_level_style(record.level());
            let prefix = fields(record).node.map(|n| format!("{n}: ")).unwrap_or_default();
            writeln!(buf, "[{style}{:<5}{style:#}] {prefix}{}", record.level(), record.args())
        }),
        LogFormat::Json => builder.format(|buf, record| {
            let fields = fields(record);
            let line = serde_json::json!({
                "timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
                "level": record.level().as_str(),
                "message": record.args().to_string(),
                "module": record.module_path(),
                "node": fields.node,
                "chapter": fields.chapter,
            });
            writeln!(buf, "{line}")
        }),
    };
    let inner = builder.build();
    let max_level = inner.filter();
    if log::set_boxed_logger(Box::new(BarAwareLogger {
        inner,
        bars: bars.clone(),
    }))
    .is_ok()
    {
        log::set_max_level(max_level);
    }
    bars
}
