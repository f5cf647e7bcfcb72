//! Query strings and numeric path ids whose failures are located validation errors.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use slipway_core::Error;

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

/// The first path parameter as a positive 64-bit id; anything else is a 400 naming the parameter.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError(Error::MalformedRequest(e.body_text())))?;
        let (name, value) =
            params.iter().next().ok_or_else(|| ApiError(Error::MalformedRequest("missing id".into())))?;
        match value.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self(id)),
            _ => Err(ApiError(Error::MalformedRequest(format!("{name} must be a positive integer, got {value:?}")))),
        }
    }
}
