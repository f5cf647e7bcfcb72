//! A template's preview: what it declares and makes, as text a person reads before applying it.

use std::collections::BTreeMap;
use std::fmt::Write;

use slipway_core::Error;

use super::catalog::Template;
use super::render::{RenderedFile, render_files};
use super::variables::{Kind, Literal, Variable, sample};

/// What a template makes with its defaults and examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The paths applying it with those values writes, in order.
    pub files: Vec<String>,
    /// The preview text: the file tree, the optional files, the variables and the rendered README.
    pub text: String,
}

/// A directory of the file tree: its subdirectories and files by name.
#[derive(Default)]
struct Dir {
    dirs: BTreeMap<String, Dir>,
    files: Vec<String>,
}

impl Dir {
    fn add(&mut self, path: &str) {
        match path.split_once('/') {
            Some((dir, rest)) => self.dirs.entry(dir.to_owned()).or_default().add(rest),
            None => self.files.push(path.to_owned()),
        }
    }

    /// Writes the tree below this directory, each line starting with `indent`.
    fn write(&self, out: &mut String, indent: &str) {
        let mut files = self.files.clone();
        files.sort();
        let entries: Vec<(String, Option<&Dir>)> = self
            .dirs
            .iter()
            .map(|(name, d)| (format!("{name}/"), Some(d)))
            .chain(files.into_iter().map(|f| (f, None)))
            .collect();
        let count = entries.len();
        for (i, (name, dir)) in entries.into_iter().enumerate() {
            let last = i + 1 == count;
            let _ = writeln!(out, "{indent}{}{name}", if last { "└── " } else { "├── " });
            if let Some(d) = dir {
                d.write(out, &format!("{indent}{}", if last { "    " } else { "│   " }));
            }
        }
    }
}

fn literal(l: Literal) -> String {
    match l {
        Literal::Str(s) => format!("{s:?}"),
        Literal::Bool(b) => b.to_string(),
        Literal::Int(i) => i.to_string(),
    }
}

fn describe(v: &Variable) -> String {
    let kind = match v.kind {
        Kind::String { max_len, .. } => format!("string (≤ {max_len})"),
        Kind::Boolean => "boolean".to_owned(),
        Kind::Integer { min, max } => format!("integer {min}–{max}"),
        Kind::Enum { choices } => format!("enum: {}", choices.join(" | ")),
    };
    let value = match (v.default, v.example) {
        (Some(d), _) => format!("default {}", literal(d)),
        (None, Some(e)) => format!("required, e.g. {}", literal(e)),
        (None, None) => "required".to_owned(),
    };
    format!("{}: {kind}, {value} — {}", v.name, v.description)
}

/// The preview of `t`, rendered with each variable's default (or, for required ones, its example).
pub fn preview(t: &Template) -> Result<Preview, Error> {
    let values = sample(t.variables);
    let every: Vec<RenderedFile> = render_files(t, &values, true)?;
    let written: Vec<RenderedFile> = render_files(t, &values, false)?;
    let files: Vec<String> = written.iter().map(|f| f.path.clone()).collect();

    let mut text = format!("{} {} ({})\n{}\n\n", t.name, t.version, t.category, t.description);
    let _ = writeln!(text, "Files ({}):", files.len());
    let mut tree = Dir::default();
    files.iter().for_each(|f| tree.add(f));
    text.push_str(".\n");
    tree.write(&mut text, "");
    let optional: Vec<&RenderedFile> = every.iter().filter(|f| !files.contains(&f.path)).collect();
    if !optional.is_empty() {
        text.push_str("\nWritten only when:\n");
        for f in optional {
            let _ = writeln!(text, "  {}: {}", f.path, f.when.unwrap_or("true"));
        }
    }
    text.push_str("\nVariables:\n");
    for v in t.variables {
        let _ = writeln!(text, "  {}", describe(v));
    }
    if let Some(readme) = written.iter().find(|f| f.path == t.readme) {
        let _ = write!(text, "\n{}:\n\n{}", readme.path, readme.content);
    }
    Ok(Preview { files, text })
}
