//! A template's declared variables and the checking of the values a caller gives them: every problem is a
//! validation error at `variables.<name>` (422 on ResoftAI), so a typo or a wrong type never reaches rendering.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};
use slipway_core::{Error, FieldError};

/// The Python keywords, which a package name may not be.
const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// What a string variable's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringRule {
    /// Any single line of text (no control characters).
    Text,
    /// A package or directory name: lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
    Slug,
    /// A Python package name: lowercase ASCII letters, digits and `_`, not starting with a digit, no keyword.
    Identifier,
    /// A reverse-DNS app id (`com.example.app`): two or more dot-separated segments of letters, digits and `_`,
    /// each starting with a letter.
    BundleId,
    /// An `http://` or `https://` URL without spaces or quotes.
    Url,
    /// A colour as `#rrggbb`.
    HexColor,
}

impl StringRule {
    /// Whether a value that passed this rule can never hold a path separator or be `.`/`..`, so it may name
    /// a file or directory.
    pub fn is_path_safe(self) -> bool {
        matches!(self, Self::Slug | Self::Identifier)
    }

    /// What is wrong with `s` under this rule, if anything.
    fn problem(self, s: &str) -> Option<&'static str> {
        let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let starts_lower = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        match self {
            Self::Text => None,
            Self::Slug => (!starts_lower || !s.chars().all(|c| lower_alnum(c) || c == '-' || c == '_'))
                .then_some("must be lowercase letters, digits, '-' and '_', starting with a letter"),
            Self::Identifier => {
                let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
                if !first_ok || !s.chars().all(|c| lower_alnum(c) || c == '_') {
                    Some("must be a Python package name: lowercase letters, digits and '_', not starting with a digit")
                } else if PYTHON_KEYWORDS.contains(&s) {
                    Some("must not be a Python keyword")
                } else {
                    None
                }
            }
            Self::BundleId => {
                let segment_ok = |seg: &str| {
                    seg.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                };
                let segments: Vec<&str> = s.split('.').collect();
                (segments.len() < 2 || !segments.iter().all(|seg| segment_ok(seg)))
                    .then_some("must be a reverse-DNS id such as com.example.app")
            }
            Self::Url => {
                let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
                let clean = !s.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'));
                match rest {
                    Some(host) if clean && !host.is_empty() && !host.starts_with('/') => None,
                    _ => Some("must be an http:// or https:// URL without spaces or quotes"),
                }
            }
            Self::HexColor => {
                let hex = s.strip_prefix('#').unwrap_or("");
                (hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit())).then_some("must be a colour as #rrggbb")
            }
        }
    }
}

/// A variable's type, with its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text of at most `max_len` characters that follows `rule`.
    String {
        /// What the text must look like.
        rule: StringRule,
        /// The most characters.
        max_len: usize,
    },
    /// `true` or `false`.
    Boolean,
    /// A whole number in `min..=max`.
    Integer {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// One of `choices`.
    Enum {
        /// The values allowed.
        choices: &'static [&'static str],
    },
}

impl Kind {
    /// The type's name as the API shows it: `string`, `boolean`, `integer` or `enum`.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::String { .. } => "string",
            Self::Boolean => "boolean",
            Self::Integer { .. } => "integer",
            Self::Enum { .. } => "enum",
        }
    }
}

/// A value written in a template's declaration (a default or an example).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// Text (strings and enums).
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

impl Literal {
    /// The literal as a checked value.
    pub fn value(self) -> VarValue {
        match self {
            Self::Str(s) => VarValue::Str(s.to_owned()),
            Self::Bool(b) => VarValue::Bool(b),
            Self::Int(i) => VarValue::Int(i),
        }
    }
}

/// One variable a template declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Its name in the templates and in `variables`.
    pub name: &'static str,
    /// What it is for, for people.
    pub description: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether the caller must give it (required variables have no default).
    pub required: bool,
    /// The value when the caller leaves it out.
    pub default: Option<Literal>,
    /// A value a required variable takes in the preview.
    pub example: Option<Literal>,
}

/// A checked value of a variable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum VarValue {
    /// Text (strings and enums).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

impl From<&VarValue> for minijinja::Value {
    fn from(v: &VarValue) -> Self {
        match v {
            VarValue::Str(s) => Self::from(s.as_str()),
            VarValue::Bool(b) => Self::from(*b),
            VarValue::Int(i) => Self::from(*i),
        }
    }
}

/// Every declared variable with its value: the caller's, else the default.
pub type Values = BTreeMap<&'static str, VarValue>;

fn at(name: &str, kind: &str, msg: impl Into<String>) -> FieldError {
    FieldError::body(&format!("variables.{name}"), kind, msg)
}

/// Checks `given` against `v`: `Ok(None)` when the value is null.
fn check_one(v: &Variable, given: &Json) -> Result<Option<VarValue>, FieldError> {
    let value = match (v.kind, given) {
        (_, Json::Null) => return Ok(None),
        (Kind::String { rule, max_len }, Json::String(s)) => {
            if s.chars().any(char::is_control) {
                let kind = if s.contains('\0') { "value_error.nul_character" } else { "value_error.str.control" };
                return Err(at(v.name, kind, "must be a single line without control characters"));
            }
            let len = s.chars().count();
            if len > max_len {
                return Err(at(
                    v.name,
                    "value_error.any_str.max_length",
                    format!("ensure this value has at most {max_len} characters"),
                ));
            }
            if rule != StringRule::Text && len == 0 {
                return Err(at(v.name, "value_error.any_str.min_length", "ensure this value is not empty"));
            }
            if let Some(msg) = rule.problem(s) {
                return Err(at(v.name, "value_error.str.regex", msg));
            }
            VarValue::Str(s.clone())
        }
        (Kind::String { .. }, _) => return Err(at(v.name, "type_error.str", "str type expected")),
        (Kind::Boolean, Json::Bool(b)) => VarValue::Bool(*b),
        (Kind::Boolean, _) => return Err(at(v.name, "type_error.bool", "value could not be parsed to a boolean")),
        (Kind::Integer { min, max }, Json::Number(n)) => match n.as_i64() {
            Some(i) if i < min => {
                return Err(at(v.name, "value_error.number.not_ge", format!("ensure this value is at least {min}")));
            }
            Some(i) if i > max => {
                return Err(at(v.name, "value_error.number.not_le", format!("ensure this value is at most {max}")));
            }
            Some(i) => VarValue::Int(i),
            None => return Err(at(v.name, "type_error.integer", "value is not a valid integer")),
        },
        (Kind::Integer { .. }, _) => return Err(at(v.name, "type_error.integer", "value is not a valid integer")),
        (Kind::Enum { choices }, Json::String(s)) if choices.contains(&s.as_str()) => VarValue::Str(s.clone()),
        (Kind::Enum { choices }, _) => {
            let permitted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
            return Err(at(
                v.name,
                "type_error.enum",
                format!("value is not a valid enumeration member; permitted: {}", permitted.join(", ")),
            ));
        }
    };
    Ok(Some(value))
}

/// The values of every variable of `declared` from `given` (the caller's `variables`): each given value
/// checked, each left out (or null) taken from its default. All problems are answered at once: a missing
/// required variable, a wrong type, an enum value not among the choices, a value out of bounds, a variable
/// the template does not declare.
pub fn check(declared: &[Variable], given: &Map<String, Json>) -> Result<Values, Error> {
    let mut values = Values::new();
    let mut problems = Vec::new();
    for v in declared {
        match given.get(v.name).map(|g| check_one(v, g)) {
            Some(Err(problem)) => problems.push(problem),
            Some(Ok(Some(value))) => {
                values.insert(v.name, value);
            }
            Some(Ok(None)) | None => match v.default {
                Some(d) => {
                    values.insert(v.name, d.value());
                }
                None => problems.push(at(v.name, "missing", "field required")),
            },
        }
    }
    let names: Vec<&str> = declared.iter().map(|v| v.name).collect();
    for name in given.keys().filter(|k| !names.contains(&k.as_str())) {
        problems.push(at(
            name,
            "extra_forbidden",
            format!("this template has no variable {name:?}; its variables are: {}", names.join(", ")),
        ));
    }
    if problems.is_empty() { Ok(values) } else { Err(Error::Validation(problems)) }
}

/// The values the preview uses: each variable's default, or its example.
pub fn sample(declared: &[Variable]) -> Values {
    declared.iter().filter_map(|v| Some((v.name, v.default.or(v.example)?.value()))).collect()
}

/// A literal as JSON, as a caller would send it.
pub fn literal_json(l: Literal) -> Json {
    match l {
        Literal::Str(s) => Json::from(s),
        Literal::Bool(b) => Json::from(b),
        Literal::Int(i) => Json::from(i),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NAME: Variable = Variable {
        name: "project_name",
        description: "name",
        kind: Kind::String { rule: StringRule::Slug, max_len: 10 },
        required: true,
        default: None,
        example: Some(Literal::Str("my-app")),
    };
    const DB: Variable = Variable {
        name: "database",
        description: "db",
        kind: Kind::Enum { choices: &["sqlite", "postgresql"] },
        required: false,
        default: Some(Literal::Str("sqlite")),
        example: None,
    };
    const AUTH: Variable = Variable {
        name: "enable_auth",
        description: "auth",
        kind: Kind::Boolean,
        required: false,
        default: Some(Literal::Bool(false)),
        example: None,
    };
    const PORT: Variable = Variable {
        name: "port",
        description: "port",
        kind: Kind::Integer { min: 1, max: 65535 },
        required: false,
        default: Some(Literal::Int(8000)),
        example: None,
    };
    const ALL: [Variable; 4] = [NAME, DB, AUTH, PORT];

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn problems(v: Json) -> Vec<(String, String)> {
        match check(&ALL, &map(v)) {
            Err(Error::Validation(fields)) => fields.into_iter().map(|f| (f.field(), f.kind)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn given_values_are_kept_and_the_rest_defaulted() {
        let values = check(&ALL, &map(json!({"project_name": "shop", "port": 9000, "database": null}))).unwrap();
        assert_eq!(values["project_name"], VarValue::Str("shop".into()));
        assert_eq!(values["port"], VarValue::Int(9000));
        assert_eq!(values["database"], VarValue::Str("sqlite".into()), "null is the default");
        assert_eq!(values["enable_auth"], VarValue::Bool(false));
    }

    #[test]
    fn each_kind_of_bad_value_names_its_variable() {
        let f = |field: &str, kind: &str| (format!("variables.{field}"), kind.to_owned());
        assert_eq!(problems(json!({})), [f("project_name", "missing")]);
        assert_eq!(problems(json!({"project_name": 7})), [f("project_name", "type_error.str")]);
        assert_eq!(problems(json!({"project_name": "x", "enable_auth": "yes"})), [f("enable_auth", "type_error.bool")]);
        assert_eq!(problems(json!({"project_name": "x", "port": "80"})), [f("port", "type_error.integer")]);
        assert_eq!(problems(json!({"project_name": "x", "port": 1.5})), [f("port", "type_error.integer")]);
        assert_eq!(problems(json!({"project_name": "x", "port": 70000})), [f("port", "value_error.number.not_le")]);
        assert_eq!(problems(json!({"project_name": "x", "database": "oracle"})), [f("database", "type_error.enum")]);
        assert_eq!(problems(json!({"project_name": "x", "colour": "red"})), [f("colour", "extra_forbidden")]);
        assert_eq!(problems(json!({"project_name": "a/b"})), [f("project_name", "value_error.str.regex")]);
        assert_eq!(problems(json!({"project_name": "..", "port": 0})).len(), 2, "all problems at once");
        assert_eq!(
            problems(json!({"project_name": "abcdefghijk"})),
            [f("project_name", "value_error.any_str.max_length")]
        );
        assert_eq!(problems(json!({"project_name": "a\u{0}b"})), [f("project_name", "value_error.nul_character")]);
    }

    #[test]
    fn string_rules() {
        use StringRule::*;
        for (rule, good, bad) in [
            (Slug, &["my-app", "a", "shop_2"][..], &["My-App", "-x", "a/b", "a.b", "..", "1st", "a b"][..]),
            (Identifier, &["my_app", "_x", "pkg2"], &["my-app", "2x", "class", "a/b", "a.b"]),
            (BundleId, &["com.example.app", "io.x_y.App2"], &["app", "com..x", "com.1x", "com.ex-ample.app"]),
            (
                Url,
                &["http://localhost:8000", "https://api.example.com/v1"],
                &["ftp://x", "http://", "http://a b", "javascript:alert(1)"],
            ),
            (HexColor, &["#4f46e5", "#FFFFFF"], &["4f46e5", "#fff", "#gggggg"]),
        ] {
            for g in good {
                assert_eq!(rule.problem(g), None, "{rule:?} {g}");
            }
            for b in bad {
                assert!(rule.problem(b).is_some(), "{rule:?} {b}");
            }
        }
        assert!(Slug.is_path_safe() && Identifier.is_path_safe() && !Text.is_path_safe() && !Url.is_path_safe());
    }

    #[test]
    fn the_sample_takes_defaults_and_examples() {
        let s = sample(&ALL);
        assert_eq!(s.len(), 4);
        assert_eq!(s["project_name"], VarValue::Str("my-app".into()));
    }
}
