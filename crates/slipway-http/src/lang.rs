//! The language of human-readable messages: the documents' own (Chinese) by default, English when the client
//! prefers it with `Accept-Language: en`.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

/// Which text of a message a response carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// The documents' own texts (mostly Chinese).
    #[default]
    Doc,
    /// English.
    En,
}

impl Lang {
    /// The language `Accept-Language` prefers: English when its most preferred supported tag is `en`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Self::Doc;
        };
        let mut best: Option<(f32, Self)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Self::En,
                Some("zh") => Self::Doc,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::Doc, |(_, lang)| lang)
    }

    /// `doc` or `en`, whichever this language is.
    pub fn pick<'a>(self, doc: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Doc => doc,
            Self::En => en,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn of(value: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        Lang::from_headers(&h)
    }

    #[test]
    fn english_only_when_preferred() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Doc);
        assert_eq!(of("en"), Lang::En);
        assert_eq!(of("en-US,en;q=0.9"), Lang::En);
        assert_eq!(of("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Doc);
        assert_eq!(of("fr, en;q=0.5"), Lang::En);
        assert_eq!(of("en;q=0, zh"), Lang::Doc);
        assert_eq!(of("de"), Lang::Doc);
    }
}
