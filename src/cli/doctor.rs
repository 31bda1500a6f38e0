//! `vbuild doctor`: every piece of the system the Videofile needs (GStreamer and the elements vbuild's
//! pipelines use, the speech engine and its voices, the cloud providers' keys, the remote cache's
//! credentials), each checked, and for what is missing, what installs or sets it.

use super::Said;
use crate::error::Error;
use crate::graph::node::Section;
use crate::media;
use crate::project::Project;
use crate::providers::probes::Probes;
use crate::steps::Speaker;

/// One thing checked.
pub struct Finding {
    /// What was checked: `GStreamer`, `x264enc`, `speech`, ...
    pub what: String,
    /// `None` when it is there; else what to do.
    pub fix: Option<String>,
    /// What was found (a version), when it is there.
    pub found: String,
}

impl Finding {
    fn ok(what: impl Into<String>, found: impl Into<String>) -> Finding {
        Finding {
            what: what.into(),
            fix: None,
            found: found.into(),
        }
    }

    fn missing(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            what: what.into(),
            fix: Some(fix.into()),
            found: String::new(),
        }
    }
}

/// Checks what `project` needs.
pub fn examine(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    match media::missing_elements() {
        Err(err) => findings.push(Finding::missing("GStreamer", err.to_string())),
        Ok(missing) => {
            findings.push(Finding::ok("GStreamer", media::gstreamer_version()));
            for (element, package) in media::ELEMENTS {
                findings.push(if missing.iter().any(|(m, _)| m == element) {
                    Finding::missing(
                        format!("GStreamer element {element}"),
                        format!("apt-get install {package}"),
                    )
                } else {
                    Finding::ok(format!("GStreamer element {element}"), *package)
                });
            }
        }
    }
    let speech = &project.videofile.speech.provider;
    let languages: Vec<String> = project.languages().into_iter().collect();
    // Asked afresh, not remembered: the doctor checks what is installed now.
    match project.tools(&mut Probes::none()) {
        Ok(tools) => {
            for (language, speaker) in &tools.speakers {
                let found = match speaker {
                    Speaker::Espeak(voice) => format!("{}, voice {voice}", tools.espeak),
                    Speaker::Piper(piper) => {
                        // The voice is loaded as a build would load it (asked afresh: tools did, too).
                        if let Err(err) = piper.load() {
                            findings.push(Finding::missing(
                                format!("speech in {language}"),
                                err.to_string(),
                            ));
                            continue;
                        }
                        format!(
                            "piper-tts {} in {}, voice {} (loaded)",
                            piper.version,
                            piper.python.display(),
                            piper.model.display()
                        )
                    }
                    Speaker::Cloud { voice, .. } if voice.is_empty() => {
                        format!("{speech}, its own voice for {language}")
                    }
                    Speaker::Cloud { voice, .. } => format!("{speech}, voice {voice}"),
                };
                findings.push(Finding::ok(format!("speech in {language}"), found));
            }
        }
        Err(err) => {
            let err = Error::Tools(err);
            let fix = match err.hint() {
                Some(hint) => format!("{err}; {hint}"),
                None => err.to_string(),
            };
            findings.push(Finding::missing(
                format!("speech ({speech}, speaking {})", languages.join(", ")),
                fix,
            ));
        }
    }
    let videofile = &project.videofile;
    for (name, settings) in &videofile.providers {
        let users: Vec<&str> = (Section::ALL.iter())
            .filter(|section| videofile.provider_used(**section) == Some(name.as_str()))
            .map(|section| section.key())
            .collect();
        if users.is_empty() {
            continue;
        }
        let what = format!("[providers.{name}] key for [{}]", users.join("], ["));
        let variable = &settings.api_key_env;
        findings.push(if project.is_set(variable) {
            Finding::ok(what, format!("{variable} is set"))
        } else {
            Finding::missing(what, format!("export {variable}=... or put it in .env"))
        });
    }
    if let Some(token) = &videofile.cache.token_env {
        findings.push(if project.is_set(token) {
            Finding::ok("[cache] token", format!("{token} is set"))
        } else {
            Finding::missing(
                "[cache] token",
                format!("export {token}=... or put it in .env"),
            )
        });
    }
    findings.push(Finding::ok(
        "fonts",
        "compiled into vbuild (DejaVu Sans, DejaVu Sans Mono, Droid Sans Fallback)",
    ));
    findings
}

/// The findings as lines: `ok`/`missing`, what, and what was found or what to do.
pub fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        match &finding.fix {
            None => out.push_str(&format!("ok       {}: {}\n", finding.what, finding.found)),
            Some(fix) => out.push_str(&format!("missing  {}: {fix}\n", finding.what)),
        }
    }
    let missing = findings.iter().filter(|f| f.fix.is_some()).count();
    out.push_str(&match missing {
        0 => "vbuild: doctor: everything this course needs is here\n".to_string(),
        n => format!("vbuild: doctor: {n} missing; the lines above say what to do\n"),
    });
    out
}

/// `vbuild doctor`: the findings, and exit code 2 when anything is missing.
pub(super) fn command(project: &Project) -> Said {
    let findings = examine(project);
    Said {
        out: report(&findings),
        err: String::new(),
        code: if findings.iter().any(|f| f.fix.is_some()) {
            2
        } else {
            0
        },
    }
}
