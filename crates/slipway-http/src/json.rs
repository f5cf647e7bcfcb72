//! JSON helpers of the error renderers.

use serde_json::{Map, Value};

/// Merges `extra` into `base`; keys already in `base` win (the union rule: earlier documents win).
pub fn merge_first_wins(base: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (k, v) in extra {
        base.entry(k).or_insert(v);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn earlier_documents_win_shared_keys() {
        let mut base = json!({"message": "登录成功", "a": 1}).as_object().cloned().unwrap_or_default();
        merge_first_wins(&mut base, json!({"message": "ok", "b": 2}).as_object().cloned().unwrap_or_default());
        assert_eq!(Value::Object(base), json!({"message": "登录成功", "a": 1, "b": 2}));
    }
}
