//! Query strings and numeric path ids whose failures are located validation errors.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use slipway_core::{Error, FieldError};

use super::nul::{pairs_value, refuse_nul};
use super::urlencoded::parse_urlencoded;

use crate::error::ApiError;

/// A query string parsed into `T`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Self(parse_urlencoded("query", query.as_bytes())?))
    }
}

/// A string id as the Perfect21 and planner documents write them (`"42"`): a positive integer, or else the
/// thing does not exist (404 `what raw`), unlike [`PathId`], whose documents answer a malformed id with 400.
pub fn id_or_not_found(raw: &str, what: &str) -> Result<i64, Error> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| Error::NotFound(format!("{what} {raw}")))
}

/// The first path parameter as a positive 64-bit id; anything else is a validation error located at the
/// parameter (`loc: ["path", "<name>"]`): ResoftAI answers 422, qoder and AnsFlow 400.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

/// Reads `value`, the path parameter `name`, as a positive 64-bit id.
fn positive_id(name: &str, value: &str) -> Result<i64, Error> {
    refuse_nul("path", &pairs_value([(name, value)]))?;
    match value.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        Ok(_) => Err(Error::Validation(vec![FieldError::path(
            name,
            "value_error.number.not_gt",
            "ensure this value is greater than 0",
        )])),
        Err(_) => Err(Error::Validation(vec![FieldError::path(
            name,
            "type_error.integer",
            format!("value is not a valid integer: {value:?}"),
        )])),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|e| {
            Error::Validation(vec![FieldError {
                loc: vec!["path".into()],
                msg: e.body_text(),
                kind: "value_error".into(),
            }])
        })?;
        let (name, value) =
            params.iter().next().ok_or_else(|| Error::Internal("PathId on a route without a path parameter".into()))?;
        Ok(Self(positive_id(name, value)?))
    }
}

/// The first path parameter as a 64-bit id that may also be 0 (qoder's monitoring names the Slipway host 0);
/// anything else is a validation error located at the parameter, as with [`PathId`].
#[derive(Debug, Clone, Copy)]
pub struct PathIdOrZero(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathIdOrZero {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|e| {
            Error::Validation(vec![FieldError {
                loc: vec!["path".into()],
                msg: e.body_text(),
                kind: "value_error".into(),
            }])
        })?;
        let (name, value) = params
            .iter()
            .next()
            .ok_or_else(|| Error::Internal("PathIdOrZero on a route without a path parameter".into()))?;
        if value == "0" {
            return Ok(Self(0));
        }
        Ok(Self(positive_id(name, value)?))
    }
}

/// Every path parameter as a positive 64-bit id, in route order (`/api/files/{file_id}/versions/{version}`);
/// a bad one is a validation error located at it, as with [`PathId`].
#[derive(Debug, Clone, Copy)]
pub struct PathIds<const N: usize>(pub [i64; N]);

impl<S: Send + Sync, const N: usize> FromRequestParts<S> for PathIds<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|e| {
            Error::Validation(vec![FieldError {
                loc: vec!["path".into()],
                msg: e.body_text(),
                kind: "value_error".into(),
            }])
        })?;
        let mut ids = [0; N];
        let mut count = 0;
        for (name, value) in &params {
            let slot = ids.get_mut(count).ok_or_else(|| Error::Internal(format!("PathIds<{N}> on a longer route")))?;
            *slot = positive_id(name, value)?;
            count += 1;
        }
        if count != N {
            return Err(Error::Internal(format!("PathIds<{N}> on a route with {count} parameters")).into());
        }
        Ok(Self(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ids_are_located_at_their_parameter() {
        assert_eq!(positive_id("id", "42").unwrap(), 42);
        for (raw, kind) in [
            ("abc", "type_error.integer"),
            ("0", "value_error.number.not_gt"),
            ("-3", "value_error.number.not_gt"),
            ("1\u{0}", crate::extract::NUL_KIND),
        ] {
            let err = positive_id("config_id", raw).unwrap_err();
            assert_eq!(err.field_errors()[0].loc, ["path", "config_id"], "{raw}");
            assert_eq!(err.field_errors()[0].kind, kind, "{raw}");
        }
    }
}
