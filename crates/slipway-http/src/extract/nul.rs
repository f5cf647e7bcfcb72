//! NUL characters: PostgreSQL refuses them in text, so no request value holding one gets past the extractors.
//! One rule for bodies, forms, query strings and path parameters: a validation error located at the value.

use serde_json::{Map, Value};
use slipway_core::{Error, FieldError};

/// The kind of the field error a NUL character gives.
pub const NUL_KIND: &str = "value_error.nul_character";
const NUL_MSG: &str = "must not contain the NUL character (\\u0000)";

/// The path below the request part to the first NUL character in `value`; a key holding one ends the path.
fn nul_in(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => s.contains('\0').then(Vec::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let mut path = nul_in(v)?;
            path.insert(0, i.to_string());
            Some(path)
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(vec![k.clone()]);
            }
            let mut path = nul_in(v)?;
            path.insert(0, k.clone());
            Some(path)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// Refuses a request value that holds a NUL character anywhere, keys included: a validation error located at
/// it below `part` (`body`, `query` or `path`).
pub fn refuse_nul(part: &str, value: &Value) -> Result<(), Error> {
    match nul_in(value) {
        None => Ok(()),
        Some(path) => {
            let mut loc = vec![part.to_owned()];
            loc.extend(path);
            Err(Error::Validation(vec![FieldError { loc, msg: NUL_MSG.to_owned(), kind: NUL_KIND.to_owned() }]))
        }
    }
}

/// Name-value pairs (a form, a query string, path parameters) as a JSON object; a repeated name holds a list.
pub fn pairs_value<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        let v = Value::String(v.to_owned());
        match map.get_mut(k) {
            Some(Value::Array(list)) => list.push(v),
            Some(first) => *first = Value::Array(vec![first.take(), v]),
            None => {
                map.insert(k.to_owned(), v);
            }
        }
    }
    Value::Object(map)
}

/// Whether a JSON text may hold a NUL character: JSON can only write one as the escape `\u0000`.
pub(super) fn may_hold_nul(json: &[u8]) -> bool {
    json.windows(6).any(|w| w == b"\\u0000")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loc(part: &str, v: Value) -> Vec<String> {
        match refuse_nul(part, &v) {
            Err(Error::Validation(f)) => {
                assert_eq!(f[0].kind, NUL_KIND);
                f[0].loc.clone()
            }
            other => panic!("expected a NUL refusal, got {other:?}"),
        }
    }

    #[test]
    fn finds_nul_in_values_keys_and_nested_lists() {
        assert_eq!(loc("body", json!({"identifier": "a\u{0}b", "password": "x"})), ["body", "identifier"]);
        assert_eq!(loc("body", json!({"a": {"b\u{0}": 1}})), ["body", "a", "b\u{0}"]);
        assert_eq!(loc("body", json!({"tags": ["ok", "n\u{0}"]})), ["body", "tags", "1"]);
        assert_eq!(loc("body", json!("\u{0}")), ["body"]);
        assert!(refuse_nul("body", &json!({"a": ["b", 1, null, true, {"c": "d"}]})).is_ok());
    }

    #[test]
    fn pairs_keep_every_value_of_a_repeated_name() {
        let v = pairs_value([("tag", "a"), ("tag", "b\u{0}"), ("page", "1")]);
        assert_eq!(v, json!({"tag": ["a", "b\u{0}"], "page": "1"}));
        assert_eq!(loc("query", v), ["query", "tag", "1"]);
    }

    #[test]
    fn only_the_escape_can_write_nul_in_json() {
        assert!(may_hold_nul(br#"{"a":"x\u0000"}"#));
        assert!(!may_hold_nul(br#"{"a":"x\u0001"}"#));
    }
}
