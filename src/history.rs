//! Build history under `.vbuild/`: the reports of past builds (`builds/`).

use std::fs;
use std::path::Path;

use crate::report::Report;

/// Every stored build report, oldest first; each is the file `builds/ID.json` of its own id.
pub fn reports(cache_dir: &Path) -> Vec<Report> {
    let Ok(entries) = fs::read_dir(cache_dir.join("builds")) else {
        return Vec::new();
    };
    let mut reports: Vec<Report> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_stem().is_some_and(|s| s != "latest")
        })
        .filter_map(|p| {
            let report: Report = serde_json::from_slice(&fs::read(&p).ok()?).ok()?;
            let stem = p.file_stem()?.to_str()?;
            (report.id == stem).then_some(report)
        })
        .collect();
    reports.sort_by(|a, b| (a.started_unix, &a.id).cmp(&(b.started_unix, &b.id)));
    reports
}
