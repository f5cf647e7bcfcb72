//! NUL characters: PostgreSQL refuses them in text and JSON, so no value holding one is stored. One rule for
//! every request part and every payload Slipway receives: a validation error located at the value.

use serde_json::Value;

use crate::{Error, FieldError};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
}
