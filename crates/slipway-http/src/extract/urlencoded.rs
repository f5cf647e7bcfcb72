//! URL-encoded data (query strings, forms) parsed with the path of every failure.

use serde::de::DeserializeOwned;
use slipway_core::{Error, FieldError};

use super::nul::{pairs_value, refuse_nul};

/// Refuses URL-encoded data holding a NUL character (`%00`) in a name or a value.
fn refuse_nul_pairs(part: &str, bytes: &[u8]) -> Result<(), Error> {
    if !bytes.contains(&0) && !bytes.windows(3).any(|w| w == b"%00") {
        return Ok(());
    }
    let pairs: Vec<_> = form_urlencoded::parse(bytes).collect();
    refuse_nul(part, &pairs_value(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))))
}

/// Parses URL-encoded `bytes` into `T`; a bad or missing field, or a NUL character anywhere, becomes a
/// validation error located in `part` (`query` or `body`). Unknown names are ignored.
pub fn parse_urlencoded<T: DeserializeOwned>(part: &str, bytes: &[u8]) -> Result<T, Error> {
    refuse_nul_pairs(part, bytes)?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let mut loc = vec![part.to_owned()];
        loc.extend(e.path().iter().map(ToString::to_string).filter(|s| !s.is_empty() && s != "?" && s != "."));
        let msg = e.into_inner().to_string();
        let (kind, msg) = match msg.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
            Some(name) => {
                loc.push(name.to_owned());
                ("missing", "field required".to_owned())
            }
            None => ("type_error", msg),
        };
        Error::Validation(vec![FieldError { loc, msg, kind: kind.to_owned() }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Paging {
        page: Option<u32>,
        page_size: Option<u32>,
        name: String,
    }

    #[test]
    fn names_the_bad_parameter() {
        let err = parse_urlencoded::<Paging>("query", b"name=x&page=1&page_size=lots").unwrap_err();
        let f = &err.field_errors()[0];
        assert_eq!(f.loc, ["query", "page_size"]);
        let err = parse_urlencoded::<Paging>("body", b"page=2").unwrap_err();
        assert_eq!(err.field_errors()[0].loc, ["body", "name"]);
        assert_eq!(err.field_errors()[0].kind, "missing");
        let ok: Paging = parse_urlencoded("query", b"name=a%20b&page=3&unknown=1").unwrap();
        assert_eq!((ok.name.as_str(), ok.page), ("a b", Some(3)));
    }

    #[test]
    fn nul_characters_are_refused_where_they_sit() {
        let err = parse_urlencoded::<Paging>("query", b"name=a%00b").unwrap_err();
        assert_eq!(err.field_errors()[0].loc, ["query", "name"]);
        assert_eq!(err.field_errors()[0].kind, crate::extract::NUL_KIND);
        let err = parse_urlencoded::<Paging>("body", b"name=a&x%00=1").unwrap_err();
        assert_eq!(err.field_errors()[0].loc, ["body", "x\u{0}"]);
        let ok: Paging = parse_urlencoded("query", b"name=%2500").unwrap();
        assert_eq!(ok.name, "%00");
    }
}
