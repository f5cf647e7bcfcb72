//! Length limits for stored text: surfaces check their fields before a value goes to a service, so an
//! oversized name or description is a clear validation error in the route's shape, not a database error.
//!
//! ```ignore
//! limits::check([
//!     limits::text("name", &body.name, limits::NAME),
//!     limits::optional("description", body.description.as_deref(), limits::DESCRIPTION),
//! ])?;
//! ```

use slipway_core::{Error, FieldError};

/// Names, titles, usernames.
pub const NAME: usize = 100;
/// Single-line values: URLs, model names, labels.
pub const LINE: usize = 255;
/// Descriptions and comments.
pub const DESCRIPTION: usize = 2_000;
/// Long text: prompts, requirements, scripts.
pub const TEXT: usize = 100_000;

/// The kind of the field error an oversized text gives (pydantic's name for it).
pub const MAX_LENGTH_KIND: &str = "value_error.any_str.max_length";

/// `value` of body field `field` (a dotted path for nested fields) has at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    // Counting stops past the limit, so a huge value costs no more than a short one.
    if value.chars().nth(max).is_none() {
        return Ok(());
    }
    Err(FieldError::body(field, MAX_LENGTH_KIND, format!("ensure this value has at most {max} characters")))
}

/// Like [`text`], for a field that may be absent.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<(), FieldError> {
    value.map_or(Ok(()), |v| text(field, v, max))
}

/// Every failed check of a request as one validation error, so the client learns of all its fields at once.
pub fn check(results: impl IntoIterator<Item = Result<(), FieldError>>) -> Result<(), Error> {
    let fields: Vec<FieldError> = results.into_iter().filter_map(Result::err).collect();
    if fields.is_empty() { Ok(()) } else { Err(Error::Validation(fields)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(text("name", "猫猫猫", 3).is_ok());
        let f = text("name", "猫猫猫猫", 3).unwrap_err();
        assert_eq!(f.loc, ["body", "name"]);
        assert_eq!(f.kind, MAX_LENGTH_KIND);
        assert_eq!(f.msg, "ensure this value has at most 3 characters");
        assert!(text("name", "", 0).is_ok());
    }

    #[test]
    fn collects_every_failed_field() {
        assert!(check([text("a", "ok", 5), optional("b", None, 1)]).is_ok());
        let err = check([text("a", "toolong", 3), text("b", "ok", 5), optional("c.d", Some("xyz"), 2)]).unwrap_err();
        let locs: Vec<_> = err.field_errors().iter().map(|f| f.loc.join(".")).collect();
        assert_eq!(locs, ["body.a", "body.c.d"]);
    }
}
