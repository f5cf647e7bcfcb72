//! Checks of what clients send about organizations and teams, located and worded as FastAPI would.

use slipway_core::FieldError;

use super::{TeamRole, Tier};
use crate::rules::check_email;

/// The longest name of an organization or a team, characters.
pub const MAX_NAME: usize = 200;
/// The longest slug, characters.
pub const MAX_SLUG: usize = 100;
/// The longest description, characters.
pub const MAX_DESCRIPTION: usize = 5_000;

/// Collects the problems of one request, so all of them are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<FieldError>);

impl Problems {
    /// Keeps the value, or the problem.
    pub(crate) fn keep<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

/// A trimmed text, not empty when `required`, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, FieldError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(FieldError::body(field, "value_error.any_str.min_length", format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        let msg = format!("{field} must be at most {max} characters");
        return Err(FieldError::body(field, "value_error.any_str.max_length", msg));
    }
    Ok(value.to_owned())
}

/// A slug: lowercase ASCII letters and digits in groups joined by single hyphens, 1–100 characters.
pub(crate) fn slug(value: &str) -> Result<String, FieldError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(value.to_owned())
    } else {
        let msg = "slug must be 1-100 lowercase letters, digits and single hyphens (not at either end)";
        Err(FieldError::body("slug", "value_error.str.regex", msg))
    }
}

/// A tier name.
pub(crate) fn tier(value: &str) -> Result<Tier, FieldError> {
    value.parse().map_err(|_| FieldError::body("tier", "enum", "tier must be one of free, professional, enterprise"))
}

/// A team role name.
pub(crate) fn role(value: &str) -> Result<TeamRole, FieldError> {
    value.parse().map_err(|_| FieldError::body("role", "enum", "role must be one of owner, admin, member, viewer"))
}

/// An optional contact address (`""` is refused like any other invalid address).
pub(crate) fn email(value: &str) -> Result<String, FieldError> {
    check_email("contact_email", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        for good in ["my-company", "a", "acme2", "x-1-y"] {
            assert!(slug(good).is_ok(), "{good}");
        }
        for bad in ["", "My-Company", "-a", "a-", "a--b", "a b", "a/b", "ünï", "a_b", &"a".repeat(101)] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }
}
