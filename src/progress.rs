//! Progress on a terminal: one indicatif bar with the nodes that are running, hidden when stderr is not a
//! terminal (CI logs get the plain log lines instead). Log lines are printed above the bar, never through it.

use std::collections::BTreeSet;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The build's progress bar.
pub struct Progress {
    bar: ProgressBar,
    running: Mutex<BTreeSet<String>>,
}

impl Progress {
    /// A bar drawn on `bars` (hidden when stderr is not a terminal or when `hidden`).
    pub fn new(bars: &MultiProgress, hidden: bool) -> Progress {
        let bar = if hidden {
            ProgressBar::hidden()
        } else {
            bars.add(ProgressBar::new(0))
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} nodes  {wide_msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        Progress {
            bar,
            running: Mutex::new(BTreeSet::new()),
        }
    }

    /// A bar that never draws (for library users and tests).
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            running: Mutex::new(BTreeSet::new()),
        }
    }

    /// The number of nodes known so far (it grows as scripts are expanded).
    pub fn set_total(&self, nodes: usize) {
        self.bar.set_length(nodes as u64);
    }

    /// The number of nodes the bar counts to now.
    pub fn total(&self) -> u64 {
        self.bar.length().unwrap_or(0)
    }

    /// One more node is finished, whatever its result.
    pub fn advance(&self) {
        self.bar.inc(1);
    }

    /// A node started running.
    pub fn started(&self, node: &str) {
        let mut running = self.running.lock().expect("never poisoned");
        running.insert(node.to_string());
        self.show(&running);
    }

    /// A node stopped running.
    pub fn stopped(&self, node: &str) {
        let mut running = self.running.lock().expect("never poisoned");
        running.remove(node);
        self.show(&running);
    }

    fn show(&self, running: &BTreeSet<String>) {
        let names: Vec<&str> = running.iter().map(String::as_str).collect();
        self.bar.set_message(names.join(", "));
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
