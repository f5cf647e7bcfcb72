//! NUL characters: PostgreSQL refuses them in text, so no request value holding one gets past the extractors.
//! One rule for bodies, forms, query strings and path parameters (`slipway_core::nul`): a validation error
//! located at the value.

use serde_json::{Map, Value};
pub use slipway_core::nul::{NUL_KIND, refuse_nul};

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
    use serde_json::json;
    use slipway_core::Error;

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
