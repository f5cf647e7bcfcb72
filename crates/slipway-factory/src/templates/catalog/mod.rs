//! The templates shipped in the binary: their metadata, variables and files. The files live under
//! `crates/slipway-factory/templates/<dir>/` and are embedded at build time; their text is minijinja.

mod backend;
mod cli;
mod common;
mod frontend;
mod fullstack;
mod mobile;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::variables::Variable;

/// The categories a template has (the document's five).
pub const CATEGORIES: [&str; 5] = ["backend", "frontend", "fullstack", "cli", "mobile"];

/// The day the shipped templates were released (their `created_at`).
const RELEASED: NaiveDate = match NaiveDate::from_ymd_opt(2025, 11, 1) {
    Some(d) => d,
    None => panic!("the release date is a real date"),
};

/// One file of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateFile {
    /// Where it goes in the project, below its part's prefix; may use variables (`{{ package_name }}/cli.py`).
    pub path: &'static str,
    /// Its text, a minijinja template.
    pub source: &'static str,
    /// A minijinja expression: the file is written only when it is true (`enable_auth`).
    pub when: Option<&'static str>,
}

/// A group of files written under one directory of the project (a full-stack app's `backend/` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The directory, `""` or ending in `/`.
    pub prefix: &'static str,
    /// Its files.
    pub files: &'static [TemplateFile],
}

/// A value the templates see that the caller does not set: a minijinja expression over the variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derived {
    /// Its name in the templates.
    pub name: &'static str,
    /// The expression (`"http://localhost:" ~ port`).
    pub expr: &'static str,
}

/// A project template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Its id, from 1.
    pub id: i64,
    /// Its name.
    pub name: &'static str,
    /// What it makes.
    pub description: &'static str,
    /// One of [`CATEGORIES`].
    pub category: &'static str,
    /// Its version.
    pub version: &'static str,
    /// The variables a caller may (or must) give.
    pub variables: &'static [Variable],
    /// Values computed from the variables.
    pub derived: &'static [Derived],
    /// Its files.
    pub parts: &'static [Part],
    /// The path (as rendered) of the file the preview shows.
    pub readme: &'static str,
}

impl Template {
    /// When it was released.
    pub fn created_at(&self) -> DateTime<Utc> {
        RELEASED.and_time(NaiveTime::MIN).and_utc()
    }

    /// Every file with its full path template (prefix included), in order.
    pub fn files(&self) -> impl Iterator<Item = (String, &'static TemplateFile)> + '_ {
        self.parts.iter().flat_map(|p| p.files.iter().map(move |f| (format!("{}{}", p.prefix, f.path), f)))
    }

    /// The variable called `name`.
    pub fn variable(&self, name: &str) -> Option<&'static Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

/// Every template, by id.
pub static ALL: [&Template; 5] =
    [&backend::TEMPLATE, &frontend::TEMPLATE, &fullstack::TEMPLATE, &cli::TEMPLATE, &mobile::TEMPLATE];

/// The template with this id.
pub fn by_id(id: i64) -> Option<&'static Template> {
    ALL.iter().copied().find(|t| t.id == id)
}

/// One file of a template: `dir` and `src` name it under `templates/`, `path` (default `src`) is where it goes,
/// `when` (optional) the condition it is written under.
macro_rules! tfile {
    ($dir:literal, $src:literal) => {
        tfile!($dir, $src => $src)
    };
    ($dir:literal, $src:literal, when = $cond:literal) => {
        tfile!($dir, $src => $src, when = $cond)
    };
    ($dir:literal, $src:literal => $path:literal) => {
        $crate::templates::TemplateFile {
            path: $path,
            source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $dir, "/", $src)),
            when: None,
        }
    };
    ($dir:literal, $src:literal => $path:literal, when = $cond:literal) => {
        $crate::templates::TemplateFile {
            path: $path,
            source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $dir, "/", $src)),
            when: Some($cond),
        }
    };
}
use tfile;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::variables::Kind;

    #[test]
    fn ids_run_from_one_and_every_category_has_a_template() {
        for (i, t) in ALL.iter().enumerate() {
            assert_eq!(t.id, i as i64 + 1, "{}", t.name);
            assert!(CATEGORIES.contains(&t.category), "{}", t.category);
            assert_eq!(by_id(t.id), Some(*t));
        }
        for c in CATEGORIES {
            assert!(ALL.iter().any(|t| t.category == c), "{c}");
        }
        assert_eq!(by_id(0), None);
        assert_eq!(by_id(6), None);
        assert_eq!(ALL[0].created_at().to_rfc3339(), "2025-11-01T00:00:00+00:00");
    }

    #[test]
    fn declarations_are_consistent() {
        use crate::templates::variables::{Literal, check};
        for t in ALL {
            let mut names: Vec<&str> = t.variables.iter().map(|v| v.name).collect();
            names.extend(t.derived.iter().map(|d| d.name));
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{}: a name is declared twice", t.name);
            for v in t.variables {
                assert_eq!(
                    v.required,
                    v.default.is_none(),
                    "{}.{}: required exactly when there is no default",
                    t.name,
                    v.name
                );
                assert!(v.required == v.example.is_some(), "{}.{}: required variables have an example", t.name, v.name);
                let sample = v.default.or(v.example).map(crate::templates::variables::literal_json);
                let mut given = serde_json::Map::new();
                given.insert(v.name.to_owned(), sample.unwrap_or_default());
                let own = t.variables.iter().filter(|o| o.name == v.name).copied().collect::<Vec<_>>();
                assert!(
                    check(&own, &given).is_ok(),
                    "{}.{}: its default or example passes its own check",
                    t.name,
                    v.name
                );
                if let (Kind::Enum { choices }, Some(Literal::Str(d))) = (v.kind, v.default) {
                    assert!(choices.contains(&d));
                }
            }
            for (path, _) in t.files() {
                assert!(!path.starts_with('/') && !path.contains("//"), "{}: {path}", t.name);
            }
        }
    }

    #[test]
    fn variables_in_file_paths_cannot_hold_a_path_separator() {
        let env = minijinja::Environment::new();
        let mut checked = 0;
        for t in ALL {
            for (path, _) in t.files() {
                let tpl = env.template_from_str(&path).unwrap();
                for name in tpl.undeclared_variables(false) {
                    let v = t.variable(&name).unwrap_or_else(|| panic!("{}: {path} uses {name}, no variable", t.name));
                    let safe = matches!(v.kind, Kind::String { rule, .. } if rule.is_path_safe());
                    assert!(safe, "{}: {path} uses {name}, whose values may hold a path separator", t.name);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 4, "the CLI's package directory is named by a variable");
    }
}
