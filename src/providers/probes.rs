//! What installed programs say of themselves (versions, voices, voice files' hashes), remembered in
//! `.vbuild/tools.json` with the identity (size, modification time, inode) of the files the answer depends
//! on, as ccache remembers a compiler: a build that runs nothing starts no program and reads no voice file,
//! and a changed program, package or voice file is asked again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sys::fs::write_atomic;
use crate::sys::stamp::Stamp;

/// A file as it was when an answer was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    path: PathBuf,
    stamp: Stamp,
}

impl Identity {
    fn of(path: &Path) -> Option<Identity> {
        Some(Identity {
            path: path.to_path_buf(),
            stamp: Stamp::of(path)?,
        })
    }

    fn still_holds(&self) -> bool {
        Stamp::of(&self.path) == Some(self.stamp)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Answer {
    text: String,
    files: Vec<Identity>,
}

/// The remembered answers, read at start and written back (unless `remember` is off: a dry run writes
/// nothing).
pub struct Probes {
    path: PathBuf,
    answers: BTreeMap<String, Answer>,
    changed: bool,
    remember: bool,
}

impl Probes {
    /// The answers remembered in `cache_dir` (none if there are none or they cannot be read).
    pub fn load(cache_dir: &Path, remember: bool) -> Probes {
        let path = cache_dir.join("tools.json");
        let answers = crate::sys::files::read(&path, crate::sys::files::CACHE_BYTES)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Probes {
            path,
            answers,
            changed: false,
            remember,
        }
    }

    /// These answers, written back by [`Probes::save`] if `remember` (a build) and not (a dry run).
    pub fn remembering(&self, remember: bool) -> Probes {
        Probes {
            path: self.path.clone(),
            answers: self.answers.clone(),
            changed: self.changed,
            remember,
        }
    }

    /// No answers remembered, none written (for library users and tests).
    pub fn none() -> Probes {
        Probes {
            path: PathBuf::new(),
            answers: BTreeMap::new(),
            changed: false,
            remember: false,
        }
    }

    /// The answer to `question`: the remembered one while every file it depended on is as it was, else
    /// `ask`'s, which gives the answer and the files it depends on (failures are not remembered).
    pub fn answer<E>(
        &mut self,
        question: &str,
        ask: impl FnOnce() -> Result<(String, Vec<PathBuf>), E>,
    ) -> Result<String, E> {
        if let Some(known) = self.answers.get(question)
            && !known.files.is_empty()
            && known.files.iter().all(Identity::still_holds)
        {
            return Ok(known.text.clone());
        }
        let (text, files) = ask()?;
        let files: Option<Vec<Identity>> = files.iter().map(|f| Identity::of(f)).collect();
        if let Some(files) = files.filter(|f| !f.is_empty()) {
            self.answers.insert(
                question.to_string(),
                Answer {
                    text: text.clone(),
                    files,
                },
            );
            self.changed = true;
        }
        Ok(text)
    }

    /// Writes the answers back if any is new (and remembering is on).
    pub fn save(&self) {
        if self.changed && self.remember {
            let json = serde_json::to_vec_pretty(&self.answers).expect("answers serialise");
            if let Err(err) = write_atomic(&self.path, &json) {
                log::debug!("the tools' answers were not remembered: {err}");
            }
        }
    }
}

/// The program `name` as PATH finds it.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_while_its_files_do() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("tool");
        std::fs::write(&program, "v1").unwrap();
        let asked = std::cell::Cell::new(0);
        let ask = |probes: &mut Probes| {
            probes
                .answer("tool --version", || -> Result<_, ()> {
                    asked.set(asked.get() + 1);
                    Ok((
                        std::fs::read_to_string(&program).unwrap(),
                        vec![program.clone()],
                    ))
                })
                .unwrap()
        };
        let mut probes = Probes::load(dir.path(), true);
        assert_eq!(ask(&mut probes), "v1");
        probes.save();
        let mut again = Probes::load(dir.path(), true);
        assert_eq!(ask(&mut again), "v1");
        assert_eq!(asked.get(), 1, "remembered across runs");
        // A new version of the program (another size) is asked again.
        std::fs::write(&program, "v2.0").unwrap();
        assert_eq!(ask(&mut again), "v2.0");
        assert_eq!(asked.get(), 2);
        // A dry run remembers nothing.
        let dry = Probes::load(&dir.path().join("none"), false);
        dry.save();
        assert!(!dir.path().join("none/tools.json").exists());
    }
}
