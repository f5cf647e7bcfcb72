//! JSON helpers shared by the error renderers and the surfaces.

use serde_json::{Map, Value};

/// Merges `extra` into `base`; keys already in `base` win (the union rule: earlier documents win).
pub fn merge_first_wins(base: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (k, v) in extra {
        base.entry(k).or_insert(v);
    }
}

/// The union of several documents' response objects, in seed file order: every key of each is present, and
/// where two use one key the earlier document's value stands.
pub fn union<const N: usize>(bodies: [Value; N]) -> Value {
    let mut out = Map::new();
    for body in bodies {
        if let Value::Object(map) = body {
            merge_first_wins(&mut out, map);
        }
    }
    Value::Object(out)
}

/// A timestamp as the documents render them.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> Value {
    Value::String(slipway_core::time::rfc3339(t))
}

/// An optional timestamp; `null` when absent.
pub fn ts_opt(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null, ts)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn earlier_documents_win_shared_keys() {
        let u = union([json!({"message": "登录成功", "a": 1}), json!({"message": "ok", "b": 2}), json!({"c": 3})]);
        assert_eq!(u, json!({"message": "登录成功", "a": 1, "b": 2, "c": 3}));
    }
}
