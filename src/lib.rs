//! vbuild turns lectures written in Markdown into narrated videos the way `make` turns sources into binaries.
//!
//! The folders are the layers, from the command line down to the operating system:
//! - [`cli`]: the command line, one module per command, and the views it prints;
//! - [`project`]: a Videofile ([`config`]) and its lecture ([`lecture`]), built from start to end;
//! - [`graph`]: the DAG of content-addressed nodes, their keys, targets and why each runs;
//! - [`engine`]: the scheduler that runs the nodes' [`steps`] over the [`cache`];
//! - [`steps`]: one module per node kind, each calling [`providers`] (script writers, voices, pictures) and
//!   [`media`] (slides, clips, audio, MP4, subtitles);
//! - [`record`]: the build report, the history of builds and what providers cost;
//! - [`outputs`]: the output folder, copied out of the cache under readable names;
//! - [`sys`]: what every layer uses: atomic files, secrets kept out of text, interrupts, the allocator.

pub mod cache;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod graph;
pub mod lecture;
pub mod media;
pub mod outputs;
pub mod project;
pub mod providers;
pub mod record;
pub mod steps;
pub mod sys;

/// The README's picture of the layers is the one the `use crate::` lines draw.
#[cfg(test)]
mod layers {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Which top-level module uses which, from the `use crate::` lines and paths of `src/` (tests left out),
    /// one line a module, as the README shows it.
    fn drawn(src: &Path) -> String {
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in walkdir::WalkDir::new(src) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let inside = path.strip_prefix(src).unwrap();
            let module = inside.iter().next().unwrap().to_string_lossy();
            let module = module.trim_end_matches(".rs").to_string();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            let used = uses.entry(module.clone()).or_default();
            for part in code.split("crate::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != module && !name.is_empty() {
                    used.insert(name);
                }
            }
        }
        let mut out = String::new();
        for (module, used) in &uses {
            let used: Vec<&str> = used.iter().map(String::as_str).collect();
            out.push_str(
                &format!("{module:<9} -> {}\n", used.join(", ")).replace(" -> \n", " ->\n"),
            );
        }
        out
    }

    #[test]
    fn the_readme_draws_the_layers_the_code_has() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let drawn = drawn(&root.join("src"));
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        assert!(
            readme.contains(&format!("```\n{drawn}```\n")),
            "the README's layers are not the code's; put this in its Architecture section:\n{drawn}"
        );
    }
}
