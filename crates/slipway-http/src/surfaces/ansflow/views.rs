//! AnsFlow's view of users (Django's user model) and DRF pagination.

use serde_json::{Value, json};
use slipway_identity::User;

use crate::json::ts;

/// A user as Django REST framework serializes it.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "first_name": u.first_name(),
        "last_name": u.last_name(),
        "is_active": u.is_active,
        "is_staff": u.role == slipway_core::Role::Admin,
        "date_joined": ts(u.created_at),
    })
}

/// A DRF page: `{count, next, previous, results}` with absolute `next`/`previous` links.
pub fn page(base_url: &str, page: i64, page_size: i64, total: i64, results: Vec<Value>) -> Value {
    let link = |p: i64| Value::String(format!("{base_url}?page={p}&page_size={page_size}"));
    let last = (total + page_size - 1) / page_size;
    json!({
        "count": total,
        "next": if page < last { link(page + 1) } else { Value::Null },
        "previous": if page > 1 { link(page - 1) } else { Value::Null },
        "results": results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_their_neighbours() {
        let p = page("http://h/api/users/", 2, 10, 25, vec![]);
        assert_eq!(p["next"], "http://h/api/users/?page=3&page_size=10");
        assert_eq!(p["previous"], "http://h/api/users/?page=1&page_size=10");
        let last = page("http://h/api/users/", 3, 10, 25, vec![]);
        assert_eq!(last["next"], Value::Null);
        assert_eq!(page("http://h/x/", 1, 10, 0, vec![])["previous"], Value::Null);
    }
}
