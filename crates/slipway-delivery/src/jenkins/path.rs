//! A job's path (`folder/job`, each segment a job inside the previous folder) and a build's parameters (a flat
//! map of scalars, sent as a form).

use serde_json::Value;
use slipway_core::FieldError;

/// Longest job path accepted, characters.
const PATH_MAX: usize = 1024;
/// Most parameters accepted.
const PARAMS_MAX: usize = 200;
/// Longest parameter value accepted, characters.
const VALUE_MAX: usize = 64 * 1024;

/// A validated job path: non-empty segments, none `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPath {
    segments: Vec<String>,
}

impl JobPath {
    /// Parses `a/b` (leading and trailing slashes ignored); the error says what is wrong.
    pub fn parse(path: &str) -> Result<Self, String> {
        let trimmed = path.trim().trim_matches('/');
        if trimmed.is_empty() {
            return Err("job_name may not be blank".into());
        }
        if trimmed.chars().count() > PATH_MAX {
            return Err(format!("job_name is longer than {PATH_MAX} characters"));
        }
        let segments: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
        if segments.iter().any(|s| s.trim().is_empty()) {
            return Err("job_name has an empty folder or job name (\"a//b\")".into());
        }
        if segments.iter().any(|s| s == "." || s == "..") {
            return Err("job_name may not contain \".\" or \"..\" segments".into());
        }
        if segments.iter().any(|s| s.chars().any(char::is_control)) {
            return Err("job_name may not contain control characters".into());
        }
        Ok(Self { segments })
    }

    /// The segments, outermost folder first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The URL path below the server: `job/a/job/b/` (the client percent-encodes each segment).
    pub fn url_segments(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().flat_map(|s| ["job", s.as_str()])
    }
}

impl std::fmt::Display for JobPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

/// A build's parameters as form fields, from a JSON object of strings, numbers and booleans (`null` or absent:
/// none). `field` names the body field in errors.
pub fn form_parameters(value: Option<&Value>, field: &str) -> Result<Vec<(String, String)>, FieldError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(FieldError::body(field, "type_error.dict", "parameters must be an object")),
    };
    if map.len() > PARAMS_MAX {
        return Err(FieldError::body(field, "value_error", format!("at most {PARAMS_MAX} parameters")));
    }
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map {
        let at = format!("{field}.{name}");
        if name.trim().is_empty() {
            return Err(FieldError::body(field, "value_error", "a parameter name may not be blank"));
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(FieldError::body(&at, "type_error", "a parameter must be a string, number or boolean")),
        };
        if text.chars().count() > VALUE_MAX {
            return Err(FieldError::body(&at, "value_error", format!("longer than {VALUE_MAX} characters")));
        }
        out.push((name.clone(), text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_folders_and_a_job() {
        let p = JobPath::parse("/team/web app/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.segments(), ["team", "web app"]);
        assert_eq!(p.url_segments().collect::<Vec<_>>(), ["job", "team", "job", "web app"]);
        assert_eq!(p.to_string(), "team/web app");
        for bad in ["", " / ", "a//b", "a/../b", "./a", "a/\u{7}"] {
            assert!(JobPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parameters_are_a_flat_map_of_scalars() {
        let v = json!({"BRANCH": "main", "COUNT": 3, "DRY": true});
        let p = form_parameters(Some(&v), "parameters").unwrap_or_default();
        assert_eq!(p, [("BRANCH".into(), "main".into()), ("COUNT".into(), "3".into()), ("DRY".into(), "true".into())]);
        assert!(form_parameters(None, "parameters").is_ok_and(|p| p.is_empty()));
        let nested = form_parameters(Some(&json!({"A": {"b": 1}})), "parameters").unwrap_err();
        assert_eq!(nested.loc, ["body", "parameters", "A"]);
        assert!(form_parameters(Some(&json!([1])), "parameters").is_err());
        assert!(form_parameters(Some(&json!({"A": null})), "parameters").is_err());
    }
}
