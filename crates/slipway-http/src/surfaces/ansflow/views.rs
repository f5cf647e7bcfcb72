//! AnsFlow's response bodies: Django's user model, SimpleJWT's tokens and DRF pagination.

use serde::Serialize;
use slipway_core::Role;
use slipway_core::time::rfc3339;
use slipway_identity::{SignedIn, TokenPair, User};
use utoipa::ToSchema;

/// A user as Django REST framework serializes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowUser {
    /// The user's id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// The first word of the display name.
    pub first_name: String,
    /// The rest of the display name; may be empty.
    pub last_name: String,
    /// Whether the account may sign in.
    pub is_active: bool,
    /// Whether the user is an administrator.
    pub is_staff: bool,
    /// When the account was created (RFC 3339).
    pub date_joined: String,
}

impl From<&User> for AnsFlowUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            first_name: u.first_name().to_owned(),
            last_name: u.last_name().to_owned(),
            is_active: u.is_active,
            is_staff: u.role == Role::Admin,
            date_joined: rfc3339(u.created_at),
        }
    }
}

/// A new pair of tokens: `{access, refresh}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowTokens {
    /// The access token, for `Authorization: Bearer …`.
    pub access: String,
    /// The refresh token (single-use: keep the one returned).
    pub refresh: String,
}

/// A sign-in: the tokens and the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowSignIn {
    /// The access token, for `Authorization: Bearer …`.
    pub access: String,
    /// The refresh token (single-use: keep the one returned).
    pub refresh: String,
    /// The signed-in user.
    pub user: AnsFlowUser,
}

impl From<&TokenPair> for AnsFlowTokens {
    fn from(t: &TokenPair) -> Self {
        Self { access: t.access_token.clone(), refresh: t.refresh_token.clone() }
    }
}

impl From<&SignedIn> for AnsFlowSignIn {
    fn from(s: &SignedIn) -> Self {
        let AnsFlowTokens { access, refresh } = AnsFlowTokens::from(&s.tokens);
        Self { access, refresh, user: AnsFlowUser::from(&s.user) }
    }
}

/// A DRF page: `{count, next, previous, results}` with absolute `next`/`previous` links.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowPage<T> {
    /// How many items match, over all pages.
    pub count: i64,
    /// The absolute URL of the next page; `null` on the last page.
    pub next: Option<String>,
    /// The absolute URL of the previous page; `null` on the first page.
    pub previous: Option<String>,
    /// The items of this page.
    pub results: Vec<T>,
}

impl<T> AnsFlowPage<T> {
    /// Page `page` of `page_size` items out of `total`, linking to its neighbours under `base_url`.
    pub fn new(base_url: &str, page: i64, page_size: i64, total: i64, results: Vec<T>) -> Self {
        let link = |p: i64| format!("{base_url}?page={p}&page_size={page_size}");
        let last = (total + page_size - 1) / page_size;
        Self {
            count: total,
            next: (page < last).then(|| link(page + 1)),
            previous: (page > 1).then(|| link(page - 1)),
            results,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn page(base_url: &str, page: i64, page_size: i64, total: i64) -> Value {
        serde_json::to_value(AnsFlowPage::<i64>::new(base_url, page, page_size, total, vec![])).expect("serializable")
    }

    #[test]
    fn pages_link_to_their_neighbours() {
        let p = page("http://h/api/users/", 2, 10, 25);
        assert_eq!(p["next"], "http://h/api/users/?page=3&page_size=10");
        assert_eq!(p["previous"], "http://h/api/users/?page=1&page_size=10");
        let last = page("http://h/api/users/", 3, 10, 25);
        assert_eq!(last["next"], Value::Null);
        assert_eq!(page("http://h/x/", 1, 10, 0)["previous"], Value::Null);
    }

    #[test]
    fn a_page_keeps_its_keys_in_drf_order_with_null_links() {
        let p = AnsFlowPage::new("http://h/api/users/", 1, 10, 1, vec![1]);
        let expected = json!({"count": 1, "next": null, "previous": null, "results": [1]});
        assert_eq!(serde_json::to_string(&p).expect("serializable"), expected.to_string());
    }

    #[test]
    fn a_user_renders_as_django_serializes_it() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").expect("a valid time").to_utc();
        let u = User {
            id: 4,
            username: "ann".into(),
            email: "ann@example.com".into(),
            role: Role::User,
            full_name: "Ann Mary Lee".into(),
            is_active: true,
            email_verified: false,
            created_at: at,
            updated_at: at,
            last_login_at: None,
        };
        let expected = json!({
            "id": 4, "username": "ann", "email": "ann@example.com", "first_name": "Ann", "last_name": "Mary Lee",
            "is_active": true, "is_staff": false, "date_joined": "2026-01-02T03:04:05Z",
        });
        assert_eq!(serde_json::to_string(&AnsFlowUser::from(&u)).expect("serializable"), expected.to_string());
    }
}
