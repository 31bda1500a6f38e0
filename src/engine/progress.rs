//! Progress on a terminal: one indicatif bar with the nodes that are running, hidden when stderr is not a
//! terminal (CI logs get the plain log lines instead). Log lines are printed above the bar, never through it.
//!
//! The bar counts the work left, not the graph: a node the cache had finishes without work, so it leaves the
//! count instead of filling the bar (a one-sentence edit starts near 0%, not at 86%). The clock ticks while
//! long nodes run, each running node shows its time against what its kind took before, and the ETA comes
//! from those times (`vbuild runs` keeps them per kind).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// How often the bar is drawn again while nothing finishes.
const TICK: Duration = Duration::from_millis(250);

/// The build's progress bar.
pub struct Progress {
    bar: ProgressBar,
    tally: Arc<Mutex<Tally>>,
}

/// What the bar knows of the work.
#[derive(Debug, Default)]
struct Tally {
    /// Nodes running now: since when, and how long their kind took before.
    running: BTreeMap<String, (Instant, Option<f64>)>,
    /// Seconds each kind took before, by kind name.
    expected: HashMap<String, f64>,
    /// Nodes that finished without work (the cache had them, or they were skipped).
    without_work: u64,
    /// Nodes run by this build and the seconds they took.
    ran: u64,
    ran_seconds: f64,
    jobs: usize,
}

impl Tally {
    /// Seconds of work left, when it can be told: what the running nodes have left by their kinds' times,
    /// and `waiting` more nodes at the mean time of a node, over the jobs.
    fn eta(&self, waiting: u64) -> Option<f64> {
        let mean = if self.ran > 0 {
            Some(self.ran_seconds / self.ran as f64)
        } else if !self.expected.is_empty() {
            Some(self.expected.values().sum::<f64>() / self.expected.len() as f64)
        } else {
            None
        }?;
        let running: f64 = (self.running.values())
            .map(|(since, expected)| {
                (expected.unwrap_or(mean) - since.elapsed().as_secs_f64()).max(0.0)
            })
            .sum();
        Some((running + waiting as f64 * mean) / self.jobs.max(1) as f64)
    }

    /// The message beside the bar: the ETA, then each running node with its time so far (and its kind's
    /// usual time).
    fn message(&self, waiting: u64) -> String {
        let nodes: Vec<String> = (self.running.iter())
            .map(|(name, (since, expected))| {
                let so_far = since.elapsed().as_secs();
                match expected {
                    Some(usual) if *usual >= 1.0 => format!("{name} {so_far}s/~{usual:.0}s"),
                    _ => format!("{name} {so_far}s"),
                }
            })
            .collect();
        match self.eta(waiting) {
            Some(eta) if waiting + self.running.len() as u64 > 0 => {
                format!("ETA {}  {}", short(eta), nodes.join(", "))
            }
            _ => nodes.join(", "),
        }
    }
}

/// `1m05s`, `12s`.
fn short(seconds: f64) -> String {
    let whole = seconds.ceil() as u64;
    if whole >= 60 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{whole}s")
    }
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
                "{elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} to run  {wide_msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        let progress = Progress {
            bar,
            tally: Arc::new(Mutex::new(Tally {
                jobs: 1,
                ..Tally::default()
            })),
        };
        if !hidden {
            progress.tick();
        }
        progress
    }

    /// A bar that never draws (for library users and tests).
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            tally: Arc::new(Mutex::new(Tally::default())),
        }
    }

    /// What each kind took before (seconds by kind name) and how many jobs run at once, for the ETA.
    pub fn expect(&self, per_kind: HashMap<String, f64>, jobs: usize) {
        let mut tally = self.lock();
        tally.expected = per_kind;
        tally.jobs = jobs;
    }

    /// Draws the bar again four times a second until it is finished, so the clock and the running nodes'
    /// times move while nothing finishes.
    fn tick(&self) {
        let (bar, tally) = (self.bar.clone(), self.tally.clone());
        std::thread::spawn(move || {
            while !bar.is_finished() {
                std::thread::sleep(TICK);
                draw(&bar, &tally.lock().unwrap_or_else(|e| e.into_inner()));
                bar.tick();
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The number of nodes known so far (it grows as scripts are expanded).
    pub fn set_total(&self, nodes: usize) {
        // Nodes that finished without work have left the count; it grows only by new nodes.
        let without_work = self.lock().without_work;
        self.bar
            .set_length((nodes as u64).saturating_sub(without_work));
    }

    /// The number of nodes the bar counts to now.
    pub fn total(&self) -> u64 {
        self.bar.length().unwrap_or(0)
    }

    /// One more node is finished: one that ran fills the bar; one the cache had (or that was skipped) leaves
    /// the count.
    pub fn advance(&self, ran: Option<f64>) {
        let mut tally = self.lock();
        match ran {
            Some(seconds) => {
                tally.ran += 1;
                tally.ran_seconds += seconds;
                self.bar.inc(1);
            }
            None => {
                tally.without_work += 1;
                let length = self.bar.length().unwrap_or(0);
                self.bar.set_length(length.saturating_sub(1));
            }
        }
        draw(&self.bar, &tally);
    }

    /// A node of `kind` started running.
    pub fn started(&self, node: &str, kind: &str) {
        let mut tally = self.lock();
        let expected = tally.expected.get(kind).copied();
        tally
            .running
            .insert(node.to_string(), (Instant::now(), expected));
        draw(&self.bar, &tally);
    }

    /// A node stopped running.
    pub fn stopped(&self, node: &str) {
        let mut tally = self.lock();
        tally.running.remove(node);
        draw(&self.bar, &tally);
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Writes what `tally` knows beside `bar`.
fn draw(bar: &ProgressBar, tally: &Tally) {
    bar.set_message(tally.message(waiting(bar, tally)));
}

/// Nodes still to finish that are not running.
fn waiting(bar: &ProgressBar, tally: &Tally) -> u64 {
    (bar.length().unwrap_or(0))
        .saturating_sub(bar.position())
        .saturating_sub(tally.running.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_nodes_leave_the_count_and_the_eta_comes_from_each_kinds_times() {
        let progress = Progress::hidden();
        progress.expect(HashMap::from([("audio".to_string(), 8.0)]), 2);
        progress.set_total(10);
        // Nine nodes the cache had: the bar does not fill, it shrinks to the one node that runs.
        for _ in 0..9 {
            progress.advance(None);
        }
        assert_eq!((progress.bar.position(), progress.total()), (0, 1));
        progress.started("audio:01-a/01", "audio");
        let tally = progress.lock();
        let message = tally.message(waiting(&progress.bar, &tally));
        assert!(
            message.starts_with("ETA 4s  audio:01-a/01 0s/~8s"),
            "{message}"
        );
        drop(tally);
        // Scripts expand: the count grows by the new nodes only.
        progress.set_total(14);
        assert_eq!(progress.total(), 5);
        progress.stopped("audio:01-a/01");
        progress.advance(Some(6.0));
        assert_eq!(progress.bar.position(), 1);
        // Four nodes wait; the mean time of a node this build ran is 6 s, over two jobs.
        let tally = progress.lock();
        assert_eq!(tally.eta(waiting(&progress.bar, &tally)), Some(12.0));
    }
}
