//! `MultipartForm`: a `multipart/form-data` body read part by part (multer, the parser under axum's own
//! extractor), so an uploaded file streams to the file store instead of being buffered. Parts without a file
//! name are text fields, as Starlette reads them: read whole up to [`TEXT_FIELD_LIMIT`], UTF-8, no NUL.
//! A malformed body is a validation error at `body`; one past the route's limit (see
//! [`crate::middleware::body_limit`]) is 413.

use std::error::Error as StdError;

use axum::extract::{FromRequest, Request};
use axum::http::header;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::LengthLimitError;
use slipway_core::{Error, FieldError};
use slipway_factory::files::{FormPart, UploadForm};

use super::nul::{pairs_value, refuse_nul};
use crate::error::ApiError;
use crate::middleware::BodyLimit;

/// The longest text field, bytes.
pub const TEXT_FIELD_LIMIT: usize = 64 * 1024;

/// A multipart form whose parts are read one after another.
pub struct MultipartForm {
    inner: multer::Multipart<'static>,
    /// The limit a 413 quotes (the route's file limit).
    limit: u64,
}

impl std::fmt::Debug for MultipartForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartForm").field("limit", &self.limit).finish_non_exhaustive()
    }
}

fn malformed(msg: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError {
        loc: vec!["body".into()],
        msg: msg.into(),
        kind: "value_error.multipart".into(),
    }])
}

/// Whether `e` or an error it was caused by is a body past its length limit.
fn past_limit(e: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A parser error as the domain reads it.
fn form_error(e: &multer::Error, limit: u64) -> Error {
    let too_large = match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => true,
        multer::Error::StreamReadFailed(cause) => past_limit(cause.as_ref()),
        _ => false,
    };
    if too_large {
        Error::PayloadTooLarge { limit_bytes: limit }
    } else {
        malformed(format!("invalid multipart body: {e}"))
    }
}

impl<S: Send + Sync> FromRequest<S> for MultipartForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let boundary = multer::parse_boundary(content_type).map_err(|_| {
            malformed(format!("expected a multipart/form-data body with a boundary, got {content_type:?}"))
        })?;
        let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
        let inner = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
        Ok(Self { inner, limit })
    }
}

/// A text field's value: UTF-8 of at most [`TEXT_FIELD_LIMIT`] bytes without NUL, refused at its name.
async fn read_text(field: &mut multer::Field<'static>, name: &str, limit: u64) -> Result<String, Error> {
    let at = |kind: &str, msg: String| Error::Validation(vec![FieldError::body(name, kind, msg)]);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&e, limit))? {
        if bytes.len() + chunk.len() > TEXT_FIELD_LIMIT {
            return Err(at(
                "value_error.any_str.max_length",
                format!("ensure this value has at most {TEXT_FIELD_LIMIT} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let value = String::from_utf8(bytes).map_err(|_| at("value_error.str", "must be UTF-8 text".into()))?;
    refuse_nul("body", &pairs_value([(name, value.as_str())]))?;
    Ok(value)
}

impl UploadForm for MultipartForm {
    async fn next_part(&mut self) -> Result<Option<FormPart<'_>>, Error> {
        let limit = self.limit;
        let Some(mut field) = self.inner.next_field().await.map_err(|e| form_error(&e, limit))? else {
            return Ok(None);
        };
        let name = field.name().unwrap_or_default().to_owned();
        refuse_nul("body", &pairs_value([(name.as_str(), "")]))?;
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let body = field.map_err(move |e| form_error(&e, limit)).boxed();
                Ok(Some(FormPart::File { name, filename, body }))
            }
            None => {
                let value = read_text(&mut field, &name, limit).await?;
                Ok(Some(FormPart::Text { name, value }))
            }
        }
    }
}
