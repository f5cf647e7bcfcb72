//! `Content-Disposition: attachment` for downloads: a plain ASCII `filename` every client reads, and for a
//! name that is not plain ASCII also its exact UTF-8 form as RFC 5987's `filename*` (RFC 6266).

use axum::http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The bytes RFC 5987 lets stand as they are in `filename*` (`attr-char`); the rest is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The header value that makes a client save the response as `filename`.
pub fn attachment(filename: &str) -> HeaderValue {
    let plain = filename.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !filename.contains(['"', '\\']);
    let value = if plain {
        format!("attachment; filename=\"{filename}\"")
    } else {
        let fallback: String = filename
            .chars()
            .map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' { c } else { '_' })
            .collect();
        let exact = utf8_percent_encode(filename, ATTR_CHAR);
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
    };
    // Only printable ASCII is left in `value`; the fallback covers a value the header type would refuse.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_are_quoted_and_others_get_an_exact_utf8_form() {
        assert_eq!(attachment("main.py"), "attachment; filename=\"main.py\"");
        assert_eq!(attachment("my notes.md"), "attachment; filename=\"my notes.md\"");
        assert_eq!(
            attachment("需求 文档.md"),
            "attachment; filename=\"__ __.md\"; filename*=UTF-8''%E9%9C%80%E6%B1%82%20%E6%96%87%E6%A1%A3.md"
        );
        assert_eq!(attachment("a\"b.txt"), "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt");
        assert_eq!(attachment("tab\there"), "attachment; filename=\"tab_here\"; filename*=UTF-8''tab%09here");
    }
}
