//! Extractors that turn malformed input into domain errors, so it is rendered in the route's shape.

mod auth;
mod client;
mod form;
mod json;
pub mod limits;
mod multipart;
mod nul;
mod query;
mod urlencoded;

pub use auth::{BearerToken, CurrentUser, MaybeUser, StreamUser, bearer_token_of, stream_token};
pub use client::{ClientMeta, client_ip, peer_ip};
pub use form::{JsonOrForm, OptionalBody};
pub use json::{ApiJson, MaybeJson, parse_json};
pub use multipart::{MultipartForm, TEXT_FIELD_LIMIT};
pub use nul::{NUL_KIND, pairs_value, refuse_nul};
pub use query::{ApiQuery, PathId, PathIdOrZero, PathIds, id_or_not_found};
pub use urlencoded::parse_urlencoded;
