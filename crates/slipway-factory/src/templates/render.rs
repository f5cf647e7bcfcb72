//! Rendering a template's files with checked values (minijinja, strict about undefined names, so a typo in a
//! template fails its tests instead of writing an empty string).

use std::collections::{BTreeMap, HashSet};

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use slipway_core::Error;

use super::catalog::Template;
use super::variables::Values;
use crate::files::normalize_path;

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Where it goes in the project (normalized).
    pub path: String,
    /// Its text.
    pub content: String,
    /// The condition it was written under, if any.
    pub when: Option<&'static str>,
}

/// A fault in a shipped template (values are checked before rendering, so no caller can cause one).
fn bug(t: &Template, what: &str, e: &minijinja::Error) -> Error {
    Error::Internal(format!("template {} ({}): {what}: {e:#}", t.id, t.name))
}

/// The environment every template renders in: strict undefined, no HTML escaping (templates escape where a
/// file format needs it), files keep their last newline.
fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let syntax = SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| Error::Internal(format!("template syntax: {e}")))?;
    env.set_syntax(syntax);
    Ok(env)
}

/// The values the templates see: the variables, then the derived values in their order.
fn context(env: &Environment<'static>, t: &Template, values: &Values) -> Result<Value, Error> {
    let mut ctx: BTreeMap<String, Value> = values.iter().map(|(k, v)| ((*k).to_owned(), Value::from(v))).collect();
    for d in t.derived {
        let value = env
            .compile_expression(d.expr)
            .and_then(|e| e.eval(Value::from(ctx.clone())))
            .map_err(|e| bug(t, d.name, &e))?;
        ctx.insert(d.name.to_owned(), value);
    }
    Ok(Value::from(ctx))
}

/// Whether `when` holds (no condition: always).
fn included(env: &Environment<'static>, t: &Template, when: Option<&'static str>, ctx: &Value) -> Result<bool, Error> {
    match when {
        None => Ok(true),
        Some(cond) => {
            Ok(env.compile_expression(cond).and_then(|e| e.eval(ctx.clone())).map_err(|e| bug(t, cond, &e))?.is_true())
        }
    }
}

/// Renders the files of `t` with `values` (already checked against its variables). With `all`, files whose
/// condition is false are rendered too (the preview lists them).
pub fn render_files(t: &Template, values: &Values, all: bool) -> Result<Vec<RenderedFile>, Error> {
    let env = environment()?;
    let ctx = context(&env, t, values)?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (path_template, file) in t.files() {
        if !all && !included(&env, t, file.when, &ctx)? {
            continue;
        }
        let rendered = env
            .render_named_str(&path_template, &path_template, ctx.clone())
            .map_err(|e| bug(t, &path_template, &e))?;
        let path = normalize_path(&rendered, "path").map_err(|e| Error::Internal(format!("template {}: {e}", t.id)))?;
        // A value may name a directory, never add or remove one.
        if path != rendered || path.split('/').count() != path_template.split('/').count() {
            return Err(Error::Internal(format!("template {}: {path_template:?} rendered as {rendered:?}", t.id)));
        }
        if !seen.insert(path.clone()) {
            return Err(Error::Internal(format!("template {}: two files at {path}", t.id)));
        }
        let content =
            env.render_named_str(&path_template, file.source, ctx.clone()).map_err(|e| bug(t, &path_template, &e))?;
        out.push(RenderedFile { path, content, when: file.when });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::catalog::{Part, TemplateFile};
    use crate::templates::variables::VarValue;

    fn one_file(path: &'static str, source: &'static str, when: Option<&'static str>) -> Template {
        let files: &'static [TemplateFile] = Box::leak(Box::new([TemplateFile { path, source, when }]));
        let parts: &'static [Part] = Box::leak(Box::new([Part { prefix: "", files }]));
        Template {
            id: 99,
            name: "test",
            description: "",
            category: "cli",
            version: "0",
            variables: &[],
            derived: &[],
            parts,
            readme: "README.md",
        }
    }

    fn values() -> Values {
        [("name", VarValue::Str("demo".into())), ("flag", VarValue::Bool(false))].into_iter().collect()
    }

    #[test]
    fn a_misspelt_name_fails_instead_of_rendering_empty() {
        let t = one_file("a.txt", "Hello {{ nmae }}\n", None);
        let err = render_files(&t, &values(), false).unwrap_err();
        assert!(matches!(&err, Error::Internal(m) if m.contains("a.txt")), "{err:?}");
        let t = one_file("a.txt", "{% if flg %}x{% endif %}", None);
        assert!(render_files(&t, &values(), false).is_err(), "strict even in conditions");
    }

    #[test]
    fn text_is_not_html_escaped_and_keeps_its_last_newline() {
        let t = one_file("{{ name }}/index.html", "<b>{{ name }} & co</b>\n", None);
        let out = render_files(&t, &values(), false).unwrap();
        assert_eq!(out[0].path, "demo/index.html");
        assert_eq!(out[0].content, "<b>demo & co</b>\n");
    }

    #[test]
    fn conditions_leave_files_out_unless_all_are_asked_for() {
        let t = one_file("x.py", "x = 1\n", Some("flag"));
        assert!(render_files(&t, &values(), false).unwrap().is_empty());
        assert_eq!(render_files(&t, &values(), true).unwrap().len(), 1);
    }

    #[test]
    fn a_path_that_leaves_its_place_is_refused() {
        let mut v = values();
        v.insert("name", VarValue::Str("a/b".into()));
        assert!(render_files(&one_file("{{ name }}/x.py", "", None), &v, false).is_err(), "a value adds a directory");
        v.insert("name", VarValue::Str("..".into()));
        assert!(render_files(&one_file("{{ name }}/x.py", "", None), &v, false).is_err(), "a value climbs out");
    }
}
