//! Jupyter notebooks (`.ipynb`, as Jupyter Book builds them): their Markdown cells as written, their code
//! cells as fenced code in the kernel's language (not shown when tagged `remove-input`, `hide-input` or
//! `remove-cell`), their outputs left out (vbuild runs no kernel). The result is read as MyST.

use serde_json::Value;

use crate::lecture::markdown::longest_backtick_run;

/// A notebook's cells as one Markdown document; `None` when `json` is not a notebook.
pub fn to_markdown(json: &str) -> Option<String> {
    let notebook: Value = serde_json::from_str(json).ok()?;
    let cells = notebook.get("cells")?.as_array()?;
    let metadata = &notebook["metadata"];
    let language = metadata["kernelspec"]["language"]
        .as_str()
        .or_else(|| metadata["language_info"]["name"].as_str())
        .unwrap_or("");
    let mut out = String::new();
    for cell in cells {
        let source = match &cell["source"] {
            Value::String(text) => text.clone(),
            Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
            _ => String::new(),
        };
        let tags: Vec<&str> = cell["metadata"]["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let hidden = tags
            .iter()
            .any(|t| matches!(*t, "remove-input" | "hide-input" | "remove-cell"));
        match cell["cell_type"].as_str() {
            Some("markdown") => out.push_str(source.trim_end()),
            Some("code") if !hidden && !source.trim().is_empty() => {
                let ticks = "`".repeat(longest_backtick_run(&source).max(2) + 1);
                out.push_str(&format!(
                    "{ticks}{language}\n{}\n{ticks}",
                    source.trim_end()
                ));
            }
            _ => continue,
        }
        out.push_str("\n\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_markdown_and_code_and_hidden_input_stays_hidden() {
        let notebook = r##"{"metadata": {"kernelspec": {"language": "python"}}, "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "\n", "Some *text*."]},
            {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "source": ["import secret"], "outputs": []},
            {"cell_type": "code", "metadata": {}, "source": "x = 1\nprint(x)", "outputs": [{"text": "1"}]},
            {"cell_type": "raw", "metadata": {}, "source": "raw"}
        ], "nbformat": 4}"##;
        assert_eq!(
            to_markdown(notebook).unwrap(),
            "# Title\n\nSome *text*.\n\n```python\nx = 1\nprint(x)\n```\n\n"
        );
        assert_eq!(to_markdown("# Not JSON"), None);
    }
}
