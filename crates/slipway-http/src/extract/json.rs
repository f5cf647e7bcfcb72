//! `ApiJson<T>`: a JSON body whose every failure is a domain error naming the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use slipway_core::{Error, FieldError};

use super::nul::{may_hold_nul, refuse_nul};
use crate::error::ApiError;
use crate::middleware::BodyLimit;

/// A JSON request body, parsed into `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn is_json_content_type(ct: &str) -> bool {
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON body that may be left out: no body (or only white space) is `None`; a body that is there must
/// parse, with the errors of [`ApiJson`].
#[derive(Debug, Clone)]
pub struct MaybeJson<T>(pub Option<T>);

/// The body's bytes within the route's limit, after checking a declared content type is JSON.
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        if !is_json_content_type(ct) {
            return Err(Error::UnsupportedMediaType(format!("expected application/json, got {ct:?}")).into());
        }
    }
    let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
    Ok(Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge { limit_bytes: limit }
        } else {
            Error::MalformedRequest(rejection.body_text())
        }
    })?)
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        Ok(Self(parse_json(&bytes)?))
    }
}

impl<T, S> FromRequest<S> for MaybeJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        Ok(Self(Some(parse_json(&bytes)?)))
    }
}

/// Text between the first pair of backticks in a serde message (the field name).
fn quoted(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// serde_json appends the position; the field path says more to a client.
fn without_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

/// Parses a JSON body; syntax errors are malformed requests, shape errors and NUL characters anywhere (keys
/// included) are field validation errors. Unknown fields are the target type's business: FastAPI and DRF
/// ignore them, and so does every type that does not say `deny_unknown_fields`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Validation(vec![FieldError {
            loc: vec!["body".into()],
            msg: "a JSON request body is required".into(),
            kind: "missing".into(),
        }]));
    }
    if may_hold_nul(bytes)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
    {
        refuse_nul("body", &value)?;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let mut loc = vec!["body".to_owned()];
        loc.extend(e.path().iter().filter_map(|seg| {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => Some(index.to_string()),
                Segment::Map { key } => Some(key.clone()),
                Segment::Enum { variant } => Some(variant.clone()),
                Segment::Unknown => None,
            }
        }));
        let inner = e.into_inner();
        if inner.classify() != Category::Data {
            return Error::MalformedRequest(format!("invalid JSON: {inner}"));
        }
        let text = inner.to_string();
        let msg = without_position(&text);
        let (kind, msg) = if msg.starts_with("missing field") {
            loc.extend(quoted(msg).map(str::to_owned));
            ("missing", "field required".to_owned())
        } else if msg.starts_with("unknown field") {
            // The path already ends at the unknown key.
            ("extra_forbidden", msg.to_owned())
        } else if msg.starts_with("invalid type") {
            ("type_error", msg.to_owned())
        } else {
            ("value_error", msg.to_owned())
        };
        Error::Validation(vec![FieldError { loc, msg, kind: kind.to_owned() }])
    })?;
    de.end().map_err(|e| Error::MalformedRequest(format!("invalid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        password: String,
        remember_me: Option<bool>,
        tags: Option<Vec<u32>>,
    }

    fn field(err: Error) -> FieldError {
        match err {
            Error::Validation(mut f) => f.remove(0),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn missing_field_is_located() {
        let f = field(parse_json::<Login>(br#"{"username":"a"}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "password"]);
        assert_eq!(f.kind, "missing");
    }

    #[test]
    fn wrong_type_is_located() {
        let f = field(parse_json::<Login>(br#"{"username":"a","password":"b","remember_me":"yes"}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "remember_me"]);
        assert_eq!(f.kind, "type_error");
        assert!(!f.msg.contains("line"), "{}", f.msg);

        let f = field(parse_json::<Login>(br#"{"username":"a","password":"b","tags":[1,"x"]}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "tags", "1"]);
    }

    /// A request type as the surfaces write them: unknown fields are ignored, as FastAPI and DRF do.
    #[derive(Debug, serde::Deserialize)]
    struct Lenient {
        name: String,
    }

    #[test]
    fn unknown_fields_are_ignored_unless_the_type_refuses_them() {
        let ok: Lenient = parse_json(br#"{"name":"a","model_name":"gpt","nested":{"x":[1]}}"#).unwrap();
        assert_eq!(ok.name, "a");
        let f = field(parse_json::<Login>(br#"{"username":"a","password":"b","admin":true}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "admin"]);
        assert_eq!(f.kind, "extra_forbidden");
    }

    #[test]
    fn nul_characters_are_refused_at_the_field_even_in_unknown_keys() {
        let f = field(parse_json::<Lenient>(br#"{"name":"a\u0000b"}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "name"]);
        assert_eq!(f.kind, crate::extract::NUL_KIND);
        let f = field(parse_json::<Lenient>(br#"{"name":"a","extra":{"k\u0000":1}}"#).unwrap_err());
        assert_eq!(f.loc, ["body", "extra", "k\u{0}"]);
        let ok: Lenient = parse_json(br#"{"name":"a\\u0000b"}"#).unwrap();
        assert_eq!(ok.name, "a\\u0000b", "an escaped backslash before u0000 is text");
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_malformed() {
        assert!(matches!(parse_json::<Login>(b"{\"username\":").unwrap_err(), Error::MalformedRequest(_)));
        assert!(matches!(
            parse_json::<Login>(br#"{"username":"a","password":"b"} x"#).unwrap_err(),
            Error::MalformedRequest(_)
        ));
    }

    #[test]
    fn empty_body_is_a_missing_body() {
        let f = field(parse_json::<Login>(b"  ").unwrap_err());
        assert_eq!(f.loc, ["body"]);
        assert_eq!(f.kind, "missing");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
        assert!(!is_json_content_type("text/plain"));
    }
}
