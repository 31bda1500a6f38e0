//! Why a node runs, as a typed value (cargo's `DirtyReason`): the dry run, the build report and `vbuild explain`
//! all show the same reasons, computed in one place from the signatures behind the keys.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::graph::signature::{Field, Role};

/// Why a node's key is not in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Reason {
    /// No earlier build made this node.
    New,
    /// Inputs or settings differ from the last time this node was built.
    Changed { changes: Vec<Change> },
    /// The key is the same as last time, but the cache no longer holds the output.
    OutputMissing,
    /// The key changed, but the last build's record of this node is gone (pruned), so the change is unknown.
    PreviousUnknown,
    /// The key changed, but no field the record shows did: a change it does not show (an old record's
    /// excerpt of a long value, fields of an older vbuild).
    NothingObvious,
    /// Dry run: an input of this node must run first, so its key is not known yet.
    InputRunsFirst { input: String },
    /// The command line asked for it to run again (`-B`), whatever the cache has.
    AskedAgain,
}

/// One field whose value differs from the last build (`None`: the field was not there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub role: Role,
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The node whose output the input is, if another node made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl Reason {
    /// The reason a node with signature `current` runs, given the fields of its last build (if any) and
    /// whether its key equals that build's key.
    pub fn between(
        previous: Option<(&str, Option<&[Field]>)>,
        key: &str,
        current: &[Field],
    ) -> Reason {
        match previous {
            None => Reason::New,
            Some((previous_key, _)) if previous_key == key => Reason::OutputMissing,
            Some((_, None)) => Reason::PreviousUnknown,
            Some((_, Some(fields))) => {
                let changes = diff(fields, current);
                if changes.is_empty() {
                    Reason::NothingObvious
                } else {
                    Reason::Changed { changes }
                }
            }
        }
    }
}

/// The fields that differ between two signatures, in the order of the newer one, then removed ones.
pub fn diff(old: &[Field], new: &[Field]) -> Vec<Change> {
    let find = |fields: &[Field], name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
    };
    let mut changes: Vec<Change> = new
        .iter()
        .filter_map(|field| {
            let before = find(old, &field.name);
            (before.as_deref() != Some(field.value.as_str())).then(|| Change {
                role: field.role,
                name: field.name.clone(),
                old: before,
                new: Some(field.value.clone()),
                from: field.from.clone(),
            })
        })
        .collect();
    changes.extend(
        old.iter()
            .filter(|f| find(new, &f.name).is_none())
            .map(|f| Change {
                role: f.role,
                name: f.name.clone(),
                old: Some(f.value.clone()),
                new: None,
                from: f.from.clone(),
            }),
    );
    changes
}

/// The part of `old` and `new` that differs, with a little context, each at most about 100 characters:
/// `("…data is messy.…", "…data is very messy.…")`.
fn differing_parts(old: &str, new: &str) -> (String, String) {
    const CONTEXT: usize = 20;
    const MIDDLE: usize = 60;
    let (a, b): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let start = prefix.saturating_sub(CONTEXT);
    let part = |chars: &[char]| {
        let end = (chars.len() - suffix + CONTEXT).min(chars.len());
        let middle_end = end.min(prefix + MIDDLE + CONTEXT);
        let mut shown: String = chars[start..middle_end].iter().collect();
        if start > 0 {
            shown.insert(0, '…');
        }
        if middle_end < chars.len() {
            shown.push('…');
        }
        shown
    };
    (part(&a), part(&b))
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.old, &self.new) {
            // What another node made changed: name that node, as cargo names a stale dependency.
            (Some(_), Some(_)) if self.from.is_some() => write!(
                f,
                "{} {} changed: {} made a new output",
                self.role,
                self.name,
                self.from.as_deref().unwrap_or_default()
            ),
            (Some(old), Some(new)) => {
                let (old, new) = differing_parts(old, new);
                write!(f, "{} {} changed: {old:?} -> {new:?}", self.role, self.name)
            }
            (None, Some(new)) => write!(f, "{} {} added: {new:?}", self.role, self.name),
            (Some(old), None) => write!(f, "{} {} removed (was {old:?})", self.role, self.name),
            (None, None) => write!(f, "{} {} changed", self.role, self.name),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::New => f.write_str("new: never built before"),
            Reason::Changed { changes } => {
                let shown: Vec<String> = changes.iter().map(Change::to_string).collect();
                f.write_str(&shown.join("; "))
            }
            Reason::OutputMissing => f.write_str("its output is missing from the cache"),
            Reason::PreviousUnknown => {
                f.write_str("changed since the last build (its record there was pruned)")
            }
            Reason::NothingObvious => f.write_str(
                "its key changed, but nothing its record shows did (an older record, or a long value's hidden part)",
            ),
            Reason::InputRunsFirst { input } => write!(f, "its input {input} would run first"),
            Reason::AskedAgain => f.write_str("asked to run again (-B)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::node::NodeKind;
    use crate::graph::signature::Signature;

    fn fields(voice: &str, text: &str) -> (String, Vec<Field>) {
        let mut s = Signature::new(NodeKind::Audio, 1);
        s.setting("voice", voice).input("narration", text);
        (s.key().to_string(), s.fields().to_vec())
    }

    #[test]
    fn names_the_changed_setting_and_input_with_old_and_new_values() {
        let (old_key, old) = fields("en-us", "Hello.");
        let (key, new) = fields("en-gb", "Hello there.");
        let reason = Reason::between(Some((&old_key, Some(&old))), &key, &new);
        assert_eq!(
            reason.to_string(),
            "setting voice changed: \"en-us\" -> \"en-gb\"; input narration changed: \"Hello.\" -> \"Hello there.\""
        );
        assert_eq!(Reason::between(None, &key, &new), Reason::New);
        assert_eq!(
            Reason::between(Some((&key, Some(&new))), &key, &new),
            Reason::OutputMissing
        );
        assert_eq!(
            Reason::between(Some((&old_key, None)), &key, &new),
            Reason::PreviousUnknown
        );
    }

    #[test]
    fn long_values_show_the_part_that_differs() {
        let old = format!(
            "{}Real data is messy. We remove{}",
            "a".repeat(500),
            "z".repeat(500)
        );
        let new = old.replace("is messy", "is very messy");
        let (a, b) = differing_parts(&old, &new);
        // 20 characters of context either side of the difference ("" -> "very ").
        assert_eq!(a, "…aaaaaaaReal data is messy. We removezzzz…");
        assert_eq!(b, "…aaaaaaaReal data is very messy. We removezzzz…");
    }

    #[test]
    fn a_changed_input_names_the_node_that_made_it() {
        let signed = |hash: &str| {
            let mut s = Signature::new(NodeKind::Clip, 1);
            s.input_from("audio", "audio:03-linear-regression/01".into(), hash);
            (s.key().to_string(), s.fields().to_vec())
        };
        let (old_key, old) = signed("3f2a");
        let (key, new) = signed("9b1c");
        assert_eq!(
            Reason::between(Some((&old_key, Some(&old))), &key, &new).to_string(),
            "input audio changed: audio:03-linear-regression/01 made a new output"
        );
        // A key that changed with no field to show for it says so, rather than blaming a pruned record.
        assert_eq!(
            Reason::between(Some((&old_key, Some(&new))), &key, &new),
            Reason::NothingObvious
        );
    }

    #[test]
    fn added_and_removed_fields_are_changes() {
        let mut a = Signature::new(NodeKind::Audio, 1);
        a.input("part 1", "x").input("part 2", "y");
        let mut b = Signature::new(NodeKind::Audio, 1);
        b.input("part 1", "x");
        let changes = diff(a.fields(), b.fields());
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].to_string(), "input part 2 removed (was \"y\")");
    }
}
