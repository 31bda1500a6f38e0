//! Front matter: the YAML (`---`) or TOML (`+++`) block at the top of a Markdown file that Jekyll, Hugo, Marp,
//! Slidev, MyST and remark-based sites (the Galaxy Training Network) use for a page's settings. It is read for
//! the course's title, author, language and description and is never drawn or spoken.

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// What a file's front matter says, as far as vbuild uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub author: Option<String>,
    /// `lang` or `language`.
    pub language: Option<String>,
    pub description: Option<String>,
    /// Its top-level keys, which tell the tool it was written for (`marp`, `jupytext`, `theme`, ...), with
    /// their values as text (a list of plain values joined with commas; empty for mappings).
    pub fields: BTreeMap<String, String>,
    /// The lines it takes, its fences included.
    pub lines: usize,
}

impl FrontMatter {
    /// Front matter with `fields`, its title, author, language and description read by `text`.
    fn read_by(
        text: impl Fn(&str) -> Option<String>,
        fields: BTreeMap<String, String>,
    ) -> FrontMatter {
        FrontMatter {
            title: text("title"),
            author: text("author").or_else(|| text("authors")),
            language: text("lang").or_else(|| text("language")),
            description: text("description"),
            fields,
            lines: 0,
        }
    }
}

/// A front matter block that is there but cannot be read: the line of the problem and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub line: usize,
    pub message: String,
}

/// The front matter at the start of `markdown`, if it has one. A block between `---` lines that is not a
/// YAML mapping is not front matter (it is a thematic break and text).
pub fn read(markdown: &str) -> Result<Option<FrontMatter>, Unreadable> {
    let markdown = markdown.strip_prefix('\u{feff}').unwrap_or(markdown);
    let lines: Vec<&str> = markdown.split('\n').map(|l| l.trim_end()).collect();
    let Some(&first) = lines.first() else {
        return Ok(None);
    };
    let (toml, closings): (bool, &[&str]) = match first {
        "---" => (false, &["---", "..."]),
        "+++" => (true, &["+++"]),
        _ => return Ok(None),
    };
    let Some(end) = lines.iter().skip(1).position(|l| closings.contains(l)) else {
        return Ok(None);
    };
    let body = lines[1..=end].join("\n");
    let mut front = if toml {
        from_toml(&body)?
    } else {
        match from_yaml(&body) {
            Ok(Some(front)) => front,
            Ok(None) => return Ok(None),
            // Marp reads its directives loosely (`header: ![logo](a.png)` is not valid YAML): so does vbuild.
            Err(err) => loose(&body).ok_or(err)?,
        }
    };
    front.lines = end + 2;
    Ok(Some(front))
}

/// Reads a YAML mapping; `None` when the text is not one (a `---` rule followed by prose).
pub fn from_yaml(body: &str) -> Result<Option<FrontMatter>, Unreadable> {
    if body.trim().is_empty() {
        return Ok(Some(FrontMatter::default()));
    }
    let documents = YamlLoader::load_from_str(body).map_err(|err| Unreadable {
        // The block's first line is the file's second.
        line: err.marker().line() + 1,
        message: err.info().to_string(),
    })?;
    let Some(Yaml::Hash(map)) = documents.into_iter().next() else {
        return Ok(None);
    };
    let text = |key: &str| -> Option<String> {
        match map.get(&Yaml::String(key.into()))? {
            Yaml::String(s) => Some(s.trim().to_string()),
            Yaml::Integer(n) => Some(n.to_string()),
            Yaml::Real(r) => Some(r.clone()),
            Yaml::Array(items) => {
                let names: Vec<String> = items.iter().filter_map(name_of).collect();
                (!names.is_empty()).then(|| names.join(", "))
            }
            other => name_of(other),
        }
        .filter(|s| !s.is_empty())
    };
    let fields = map
        .iter()
        .filter_map(|(key, value)| {
            let value = match value {
                Yaml::Array(items) => items
                    .iter()
                    .map(scalar)
                    .collect::<Option<Vec<_>>>()
                    .map(|items| items.join(","))
                    .unwrap_or_default(),
                other => scalar(other).unwrap_or_default(),
            };
            Some((key.as_str()?.to_string(), value))
        })
        .collect();
    Ok(Some(FrontMatter::read_by(text, fields)))
}

/// `key: value` lines read as text, as Marp reads directives that are not valid YAML; `None` when no line
/// is one.
fn loose(body: &str) -> Option<FrontMatter> {
    let fields: BTreeMap<String, String> = body
        .lines()
        .filter(|line| !line.starts_with([' ', '\t', '-', '#']))
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let key = key.trim();
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            let value = value.trim().trim_matches(['"', '\'']).to_string();
            plain.then(|| (key.to_string(), value))
        })
        .collect();
    if fields.is_empty() {
        return None;
    }
    let text = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
    Some(FrontMatter::read_by(text, fields.clone()))
}

/// A plain value as text.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(n) => Some(n.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A person or a name: a string, or a mapping with a `name`.
fn name_of(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.trim().to_string()),
        Yaml::Hash(map) => match map.get(&Yaml::String("name".into())) {
            Some(Yaml::String(s)) => Some(s.trim().to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn from_toml(body: &str) -> Result<FrontMatter, Unreadable> {
    let table: toml::Table = body.parse().map_err(|err: toml::de::Error| Unreadable {
        line: err
            .span()
            .map_or(1, |span| body[..span.start].matches('\n').count() + 1)
            + 1,
        message: err.message().to_string(),
    })?;
    let text = |key: &str| -> Option<String> {
        match table.get(key)? {
            toml::Value::String(s) => Some(s.trim().to_string()),
            toml::Value::Array(items) => {
                let names: Vec<&str> = items.iter().filter_map(toml::Value::as_str).collect();
                (!names.is_empty()).then(|| names.join(", "))
            }
            _ => None,
        }
        .filter(|s| !s.is_empty())
    };
    let fields = table
        .iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
                    value.to_string()
                }
                _ => String::new(),
            };
            (key.clone(), value)
        })
        .collect();
    Ok(FrontMatter::read_by(text, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_toml_front_matter_are_read_and_prose_after_a_rule_is_not() {
        let yaml = "---\nlayout: tutorial_slides\ntitle: \"Quality Control\"\nauthors:\n  - name: Ana\n  - Bo\nlang: fr\n---\n\n# Body\n";
        let front = read(yaml).unwrap().unwrap();
        assert_eq!(front.title.as_deref(), Some("Quality Control"));
        assert_eq!(front.author.as_deref(), Some("Ana, Bo"));
        assert_eq!(front.language.as_deref(), Some("fr"));
        assert_eq!(front.lines, 8);
        assert_eq!(front.fields["layout"], "tutorial_slides");
        let toml = "+++\ntitle = \"Tides\"\ndescription = \"Why the sea moves\"\n+++\nText\n";
        let front = read(toml).unwrap().unwrap();
        assert_eq!(front.title.as_deref(), Some("Tides"));
        assert_eq!(front.description.as_deref(), Some("Why the sea moves"));
        assert_eq!(front.lines, 4);
        assert_eq!(
            read("---\nmarp: true\n---\n").unwrap().unwrap().fields["marp"],
            "true"
        );
        assert_eq!(read("---\nJust a sentence.\n---\n").unwrap(), None);
        assert_eq!(read("# Title\n---\n").unwrap(), None);
        let bad = read("---\n[unclosed\n---\n").unwrap_err();
        assert!(bad.line >= 2, "{bad:?}");
        // Marp's loose directives: not YAML, read line by line.
        let marp = read("---\nmarp: true\nheader :   ![#l](logo.png)\ntitle: Roaming\nstyle: |\n  h1 { color: red; }\n---\n")
            .unwrap()
            .unwrap();
        assert_eq!(marp.fields["marp"], "true");
        assert_eq!(marp.fields["header"], "![#l](logo.png)");
        assert_eq!(marp.title.as_deref(), Some("Roaming"));
    }
}
