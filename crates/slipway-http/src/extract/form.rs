//! Bodies that may come as JSON or as `application/x-www-form-urlencoded` (OAuth2-style logins), or not at all.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use slipway_core::Error;

use super::json::parse_json;
use super::urlencoded::parse_urlencoded;
use crate::error::ApiError;
use crate::middleware::BodyLimit;

/// A request body parsed from JSON or from a URL-encoded form, by its content type.
#[derive(Debug, Clone)]
pub struct JsonOrForm<T>(pub T);

/// Like [`JsonOrForm`], but an empty body is `None` (refresh routes take the token from a header instead).
#[derive(Debug, Clone)]
pub struct OptionalBody<T>(pub Option<T>);

/// Reads the body and says whether it is a form; refuses other content types.
async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<(bool, Bytes), ApiError> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let json = ct.is_empty() || ct.starts_with("application/json") || ct.contains("+json");
    if !form && !json {
        return Err(Error::UnsupportedMediaType(format!(
            "expected application/json or application/x-www-form-urlencoded, got {ct:?}"
        ))
        .into());
    }
    let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
    let bytes = Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge { limit_bytes: limit }
        } else {
            Error::MalformedRequest(r.body_text())
        }
    })?;
    Ok((form, bytes))
}

fn parse<T: DeserializeOwned>(form: bool, bytes: &[u8]) -> Result<T, Error> {
    if form { parse_urlencoded("body", bytes) } else { parse_json(bytes) }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (form, bytes) = read(req, state).await?;
        Ok(Self(parse(form, &bytes)?))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (form, bytes) = read(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        Ok(Self(Some(parse(form, &bytes)?)))
    }
}
