//! `page` / `page_size` query parameters, validated the same way on every surface.

use serde::Deserialize;
use slipway_core::{Error, FieldError};
use slipway_identity::UserFilter;

/// A 1-based page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Page number, from 1.
    pub page: i64,
    /// Items per page.
    pub page_size: i64,
}

impl Paging {
    /// Validates raw values: `page` ≥ 1, `page_size` in 1..=`max`, with defaults.
    pub fn new(page: Option<i64>, page_size: Option<i64>, default_size: i64, max: i64) -> Result<Self, Error> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(default_size);
        let mut problems = Vec::new();
        if page < 1 {
            problems.push(FieldError::query("page", "value_error", "page must be at least 1"));
        }
        if !(1..=max).contains(&page_size) {
            problems.push(FieldError::query(
                "page_size",
                "value_error",
                format!("page_size must be between 1 and {max}"),
            ));
        }
        if problems.is_empty() { Ok(Self { page, page_size }) } else { Err(Error::Validation(problems)) }
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.page_size)
    }
}

/// The headers of [`total_count`].
pub type TotalCount = [(axum::http::HeaderName, axum::http::HeaderValue); 1];

/// `X-Total-Count: <total>`, the header a bare-array list carries its total in.
pub fn total_count(total: i64) -> TotalCount {
    [(axum::http::HeaderName::from_static("x-total-count"), axum::http::HeaderValue::from(total))]
}

/// The query parameters of a paginated user list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page.
    pub page_size: Option<i64>,
    /// Only this role (`user` or `admin`).
    pub role: Option<String>,
    /// Only active (1) or disabled (0) users.
    pub status: Option<i64>,
    /// Substring of the username or e-mail address.
    pub search: Option<String>,
}

impl UserListQuery {
    /// The filter this query asks for.
    pub fn filter(&self) -> Result<UserFilter, Error> {
        let role = match self.role.as_deref() {
            None | Some("") => None,
            Some(r) => Some(r.parse::<slipway_core::Role>()?.as_str().to_owned()),
        };
        let is_active = match self.status {
            None => None,
            Some(1) => Some(true),
            Some(0) => Some(false),
            Some(_) => {
                return Err(Error::Validation(vec![FieldError::query(
                    "status",
                    "value_error",
                    "status must be 0 or 1",
                )]));
            }
        };
        Ok(UserFilter { role, is_active, search: self.search.clone().filter(|s| !s.is_empty()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_validated() {
        assert_eq!(Paging::new(None, None, 10, 100).unwrap(), Paging { page: 1, page_size: 10 });
        assert_eq!(Paging::new(Some(3), Some(20), 10, 100).unwrap().offset(), 40);
        assert_eq!(Paging::new(Some(0), Some(101), 10, 100).unwrap_err().field_errors().len(), 2);
    }
}
