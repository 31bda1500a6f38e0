//! `vbuild config`: every key of the Videofile with its effective value and where that came from (the
//! default, the Videofile's line, a profile, the environment, `--set`, the lecture), read from the key table
//! ([`crate::config::keys`]), so no key can be missing. A key the course does not read (piper's keys with
//! espeak-ng, `rate` with piper) is shown as a comment saying why; a key that is not set, as a comment.

use std::fmt::Write;

use super::Said;
use crate::config::Videofile;
use crate::config::keys::KEYS;
use crate::config::layers::Origin;
use crate::error::Error;
use crate::project::Project;
use crate::providers::apis::AuthKind;
use crate::sys::secrets;

/// `vbuild config`.
pub(super) fn command(project: &Project) -> Result<Said, Error> {
    Ok(Said::ok(view(&project.videofile)))
}

/// The effective configuration, section by section, one key a line.
pub fn view(videofile: &Videofile) -> String {
    let mut out = String::new();
    let mut section = "";
    for key in KEYS {
        if key.section != section {
            heading(&mut out, key.section);
            section = key.section;
        }
        let path = key.path();
        let origin = origin_of(videofile, &path);
        match ((key.value)(videofile), key.unread(videofile)) {
            (Some(value), None) => line(&mut out, key.name, &value, &origin.to_string()),
            (Some(value), Some(why)) => {
                let unread = format!("# {}", setting(key.name, &value));
                let _ = writeln!(out, "{unread:<40} # {origin}; {why}");
            }
            (None, _) => {
                let _ = writeln!(
                    out,
                    "{:<40} # not set: {}",
                    format!("# {}", key.name),
                    key.about
                );
            }
        }
    }
    for (name, provider) in &videofile.providers {
        heading(&mut out, &format!("providers.{name}"));
        let limits = &provider.limits;
        let auth = match provider.auth {
            AuthKind::Bearer => "bearer",
            AuthKind::ApiKey => "api-key",
        };
        let values: [(&str, toml::Value); 11] = [
            ("api", provider.api.name().into()),
            ("base_url", provider.base_url.as_str().into()),
            ("api_key_env", provider.api_key_env.as_str().into()),
            ("auth", auth.into()),
            (
                "connect_timeout_sec",
                limits.connect_timeout.as_secs_f64().into(),
            ),
            ("read_timeout_sec", limits.read_timeout.as_secs_f64().into()),
            ("max_retries", i64::from(limits.max_retries).into()),
            ("backoff_sec", limits.backoff.as_secs_f64().into()),
            ("requests_per_second", limits.requests_per_second.into()),
            ("concurrency", (limits.concurrency as i64).into()),
            ("max_chars", (provider.max_chars as i64).into()),
        ];
        for (key, value) in &values {
            let origin = origin_of(videofile, &format!("providers.{name}.{key}"));
            line(&mut out, key, value, &origin.to_string());
        }
    }
    for (provider, price) in &videofile.prices {
        heading(&mut out, &format!("prices.{provider}"));
        let table = toml::Value::try_from(price).expect("prices serialise");
        for (key, value) in table.as_table().into_iter().flatten() {
            let origin = origin_of(videofile, &format!("prices.{provider}.{key}"));
            line(&mut out, key, value, &origin.to_string());
        }
    }
    out
}

/// Where the value at `path` came from; a key no layer set has its default.
fn origin_of(videofile: &Videofile, path: &str) -> Origin {
    videofile
        .origins
        .get(path)
        .cloned()
        .unwrap_or(Origin::Default)
}

/// A `[section]` line, after a blank line unless it is the first.
fn heading(out: &mut String, section: &str) {
    let gap = if out.is_empty() { "" } else { "\n" };
    let _ = writeln!(out, "{gap}[{section}]");
}

/// `key = value  # note`.
fn line(out: &mut String, key: &str, value: &toml::Value, note: &str) {
    let _ = writeln!(out, "{:<40} # {note}", setting(key, value));
}

/// `key = value`, the value redacted (or hidden, for a key that holds a secret itself).
fn setting(key: &str, value: &toml::Value) -> String {
    let value = if is_secret(key) {
        "\"<redacted>\"".to_string()
    } else {
        secrets::redact(&value.to_string())
    };
    format!("{key} = {value}")
}

/// True for a key whose value is a secret itself (`api_key`, `token`), not the name of a variable holding one
/// (`api_key_env`).
fn is_secret(key: &str) -> bool {
    let key = key.to_lowercase();
    key.split('_')
        .any(|word| ["key", "token", "secret", "password"].contains(&word))
        && !key.ends_with("_env")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::fixture::{course, load};

    #[test]
    fn secret_keys_are_recognised_by_their_words() {
        assert!(is_secret("api_key") && is_secret("token") && !is_secret("api_key_env"));
        assert!(!is_secret("per_million_input_tokens") && !is_secret("keyframes"));
    }

    /// The line of `key` in `view`, with its spaces squeezed.
    fn line_of(view: &str, key: &str) -> String {
        let found = view
            .lines()
            .find(|l| l.trim_start_matches("# ").starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} in\n{view}"));
        found.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_key_is_shown_with_its_origin_even_one_the_voice_does_not_read() {
        let (dir, _) = course("");
        let project = load(
            dir.path(),
            &[
                "cache.reports=3",
                "speech.length_scale=1.5",
                "course.currency=EUR",
            ],
        );
        let view = view(&project.videofile);
        for key in KEYS {
            line_of(&view, key.name);
        }
        assert_eq!(
            line_of(&view, "reports"),
            "reports = 3 # --set cache.reports=3"
        );
        assert_eq!(
            line_of(&view, "currency"),
            "currency = \"EUR\" # --set course.currency=EUR"
        );
        assert_eq!(
            line_of(&view, "length_scale"),
            "# length_scale = 1.5 # --set speech.length_scale=1.5; the espeak voice does not read it"
        );
        assert_eq!(line_of(&view, "rate"), "rate = 165 # default");
        assert_eq!(line_of(&view, "language"), "language = \"en\" # default");
        assert_eq!(line_of(&view, "timeout"), "timeout = \"5m\" # default");
        assert!(line_of(&view, "remote").starts_with("# remote # not set: "));
        let line = |n: usize| view.lines().nth(n).unwrap().to_string();
        assert_eq!(line(0), "[course]");
    }
}
