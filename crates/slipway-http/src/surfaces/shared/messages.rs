//! Message texts. [`Msg`] is the row type of every surface's message table (the document's text and an English
//! one; `Accept-Language: en` picks the English). This module holds the table of the six shared routes' own
//! success texts, the Perfect21 (`000`) parts of their unions, which win the `message` key there.

use crate::lang::Lang;

/// One message: a stable key, the text a document gives, and its English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    /// A stable name for the message (tests and logs refer to it).
    pub key: &'static str,
    /// The document's own text, exactly as it is written there.
    pub doc: &'static str,
    /// The English text.
    pub en: &'static str,
}

impl Msg {
    /// A message row.
    pub const fn new(key: &'static str, doc: &'static str, en: &'static str) -> Self {
        Self { key, doc, en }
    }

    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &'static str {
        lang.pick(self.doc, self.en)
    }
}

/// `POST /api/auth/register` (000).
pub const REGISTERED: Msg =
    Msg::new("registered", "注册成功，请验证邮箱", "Registered; please confirm your e-mail address");
/// `POST /api/auth/login` (000).
pub const LOGGED_IN: Msg = Msg::new("logged_in", "登录成功", "Signed in");
/// `POST /api/auth/refresh` (000).
pub const TOKEN_REFRESHED: Msg = Msg::new("token_refreshed", "令牌刷新成功", "Token refreshed");
/// `POST /api/auth/logout` (000).
pub const LOGGED_OUT: Msg = Msg::new("logged_out", "登出成功", "Signed out");
/// `POST /api/auth/change-password` (000).
pub const PASSWORD_CHANGED: Msg =
    Msg::new("password_changed", "密码修改成功，请重新登录", "Password changed; please sign in again");

/// The shared routes' table.
pub const ALL: &[Msg] = &[REGISTERED, LOGGED_IN, TOKEN_REFRESHED, LOGGED_OUT, PASSWORD_CHANGED];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_texts_present() {
        let mut keys: Vec<&str> = ALL.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ALL.len());
        assert!(ALL.iter().all(|m| !m.doc.is_empty() && !m.en.is_empty()));
        assert_eq!(LOGGED_IN.text(Lang::En), "Signed in");
        assert_eq!(LOGGED_IN.text(Lang::Doc), "登录成功");
    }
}
