//! Interrupts: the first SIGINT, SIGTERM or SIGHUP asks the build to stop (nothing new starts, running jobs
//! stop at their next check, the report is written marked interrupted, scratch files are cleaned, exit code
//! 130); a second one ends the process at once.
//!
//! Long jobs poll [`requested`]: speech children are killed, GStreamer pipelines stop, HTTP retries give up.
//! A request already sent to a paid provider is let finish, so what it was paid for lands in the cache.

use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of an interrupted build (128 + SIGINT, as shells report it).
pub const EXIT_CODE: u8 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        // The build says it was interrupted when it notices (from its own thread, so the line is never lost
        // to a process that ends first).
        if REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!("vbuild: interrupted again; stopping at once");
            std::process::exit(i32::from(EXIT_CODE));
        }
    });
    if let Err(err) = installed {
        log::debug!("no interrupt handler: {err}");
    }
}

/// True once an interrupt has asked the build to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
