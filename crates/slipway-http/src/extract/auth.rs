//! The authenticated caller, from `Authorization: Bearer <access token>`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use slipway_core::Error;
use slipway_identity::Authenticated;

use crate::error::ApiError;
use crate::state::AppState;

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_token_of(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token_of(&parts.headers)
}

/// A caller with a valid access token; anything less is refused in the route's shape.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(Error::Unauthenticated)?;
        Ok(Self(state.identity.authenticate(token).await?))
    }
}

/// A caller who may or may not have signed in; an invalid token counts as none.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Authenticated>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts) {
            Some(token) => Ok(Self(state.identity.authenticate(token).await.ok())),
            None => Ok(Self(None)),
        }
    }
}

/// The raw bearer token, whatever it is (ResoftAI and the planner send refresh tokens this way).
#[derive(Debug, Clone)]
pub struct BearerToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(bearer(parts).map(str::to_owned)))
    }
}

/// A token from `Authorization: Bearer`, or from an `access_token` / `token` query parameter for clients that
/// cannot set headers (browsers' `EventSource` and `WebSocket`).
pub fn stream_token(parts: &Parts) -> Option<String> {
    if let Some(t) = bearer(parts) {
        return Some(t.to_owned());
    }
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "access_token" || k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

/// The caller of a streaming route (SSE, WebSocket): a valid access token from the header or the query.
#[derive(Debug, Clone)]
pub struct StreamUser(pub Authenticated);

impl FromRequestParts<AppState> for StreamUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = stream_token(parts).ok_or(Error::Unauthenticated)?;
        Ok(Self(state.identity.authenticate(&token).await?))
    }
}
