//! The `skip` / `limit` window of the factory's lists (projects, files, activities), checked the way
//! FastAPI checks them: `skip` ≥ 0, `limit` in 1..=`max`, each failure located in the query.

use slipway_core::FieldError;

/// The most rows one page of a factory list holds.
pub const MAX_LIMIT: i64 = 100;

/// A checked window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Rows to skip.
    pub skip: i64,
    /// Rows to return.
    pub limit: i64,
}

impl Window {
    /// The window of raw `skip` and `limit` (defaults 0 and `default_limit`); problems are pushed onto
    /// `problems`, so a caller reports them with its other query errors at once.
    pub fn check(skip: Option<i64>, limit: Option<i64>, default_limit: i64, problems: &mut Vec<FieldError>) -> Self {
        let (skip, limit) = (skip.unwrap_or(0), limit.unwrap_or(default_limit));
        if skip < 0 {
            problems.push(FieldError::query("skip", "value_error.number.not_ge", "ensure this value is >= 0"));
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            let msg = format!("ensure this value is between 1 and {MAX_LIMIT}");
            problems.push(FieldError::query("limit", "value_error.number.range", msg));
        }
        Self { skip, limit }
    }
}
