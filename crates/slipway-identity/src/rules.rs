//! What each document accepts as a username, an e-mail address and a password.

use slipway_core::FieldError;

/// How strong a password must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    /// Perfect21: 8+ characters with upper and lower case letters, a digit and a special character.
    Strong,
    /// ResoftAI: 8+ characters with upper and lower case letters and a digit.
    Mixed,
    /// qoder and the pet planner: 6+ characters.
    Min6,
}

impl PasswordRule {
    /// The rule's minimum length, before the configured floor.
    pub fn min_len(self) -> usize {
        match self {
            Self::Strong | Self::Mixed => 8,
            Self::Min6 => 6,
        }
    }

    /// The rule in words, for error messages and the security statistics.
    pub fn describe(self, floor: usize) -> String {
        let min = self.min_len().max(floor);
        match self {
            Self::Strong => {
                format!("at least {min} characters with upper and lower case letters, a digit and a special character")
            }
            Self::Mixed => format!("at least {min} characters with upper and lower case letters and a digit"),
            Self::Min6 => format!("at least {min} characters"),
        }
    }
}

/// What a username may look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameRule {
    /// 3 to 30 letters, digits, `_`, `-` or `.` (Perfect21, ResoftAI, qoder).
    Standard,
    /// 3 to 50 ASCII letters, digits, `_` or `-` (the pet planner).
    Planner,
}

/// The rules of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Usernames.
    pub username: UsernameRule,
    /// Passwords.
    pub password: PasswordRule,
}

impl Rules {
    /// Perfect21 (and the registration route it shares with ResoftAI: the stricter rule wins).
    pub const PERFECT21: Self = Self { username: UsernameRule::Standard, password: PasswordRule::Strong };
    /// ResoftAI.
    pub const RESOFTAI: Self = Self { username: UsernameRule::Standard, password: PasswordRule::Mixed };
    /// qoder.
    pub const QODER: Self = Self { username: UsernameRule::Standard, password: PasswordRule::Min6 };
    /// The pet planner.
    pub const PLANNER: Self = Self { username: UsernameRule::Planner, password: PasswordRule::Min6 };
}

/// Checks a password against a rule and the configured floor; `field` names it in the error.
pub fn check_password(rule: PasswordRule, floor: usize, field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    let min = rule.min_len().max(floor);
    let has = |f: fn(char) -> bool| password.chars().any(f);
    let ok = chars >= min
        && chars <= 256
        && match rule {
            PasswordRule::Strong => {
                has(char::is_uppercase)
                    && has(char::is_lowercase)
                    && has(|c| c.is_ascii_digit())
                    && has(|c| !c.is_alphanumeric() && !c.is_whitespace())
            }
            PasswordRule::Mixed => has(char::is_uppercase) && has(char::is_lowercase) && has(|c| c.is_ascii_digit()),
            PasswordRule::Min6 => true,
        };
    if ok {
        Ok(())
    } else if chars > 256 {
        Err(FieldError::body(field, "value_error.password", "password must be at most 256 characters"))
    } else {
        Err(FieldError::body(field, "value_error.password", format!("password must be {}", rule.describe(floor))))
    }
}

/// Checks a username. `@` is never allowed, so a login identifier is unambiguously a name or an address.
pub fn check_username(rule: UsernameRule, username: &str) -> Result<(), FieldError> {
    let chars = username.chars().count();
    let (ok, expected) = match rule {
        UsernameRule::Standard => (
            (3..=30).contains(&chars) && username.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')),
            "3 to 30 letters, digits, _, - or .",
        ),
        UsernameRule::Planner => (
            (3..=50).contains(&chars) && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')),
            "3 to 50 letters, digits, _ or -",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::body("username", "value_error.username", format!("username must be {expected}")))
    }
}

/// Checks an e-mail address and returns it trimmed.
pub fn check_email(field: &str, email: &str) -> Result<String, FieldError> {
    let email = email.trim();
    let invalid = || FieldError::body(field, "value_error.email", "value is not a valid email address");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(invalid());
    }
    Ok(email.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect21_passwords_need_every_class() {
        let ok = |p: &str| check_password(PasswordRule::Strong, 0, "password", p).is_ok();
        assert!(ok("Admin123!"));
        assert!(!ok("admin123!"), "no upper case");
        assert!(!ok("ADMIN123!"), "no lower case");
        assert!(!ok("Admin!!!x"), "no digit");
        assert!(!ok("Admin1234"), "no special character");
        assert!(!ok("Ad1!"), "too short");
    }

    #[test]
    fn other_documents_and_the_floor() {
        assert!(check_password(PasswordRule::Min6, 0, "password", "abcdef").is_ok());
        assert!(check_password(PasswordRule::Min6, 0, "password", "abcde").is_err());
        assert!(check_password(PasswordRule::Min6, 10, "password", "abcdefgh").is_err(), "the floor raises all");
        assert!(check_password(PasswordRule::Mixed, 0, "password", "SecurePass123").is_ok());
        assert!(check_password(PasswordRule::Mixed, 0, "password", "securepass123").is_err());
        let err = check_password(PasswordRule::Min6, 0, "new_password", "abc").unwrap_err();
        assert_eq!(err.loc, ["body", "new_password"]);
        assert!(check_password(PasswordRule::Min6, 0, "password", &"x".repeat(257)).is_err());
    }

    #[test]
    fn usernames() {
        assert!(check_username(UsernameRule::Standard, "john_doe").is_ok());
        assert!(check_username(UsernameRule::Standard, "张三丰").is_ok());
        assert!(check_username(UsernameRule::Standard, "jo").is_err());
        assert!(check_username(UsernameRule::Standard, "a@b.c").is_err());
        assert!(check_username(UsernameRule::Standard, &"a".repeat(31)).is_err());
        assert!(check_username(UsernameRule::Planner, &"a".repeat(50)).is_ok());
        assert!(check_username(UsernameRule::Planner, "test.user").is_err());
        assert!(check_username(UsernameRule::Planner, "张三丰").is_err());
    }

    #[test]
    fn email_addresses() {
        assert_eq!(check_email("email", " john@example.com ").unwrap(), "john@example.com");
        for bad in
            ["john", "john@", "@example.com", "john@example", "john@ex ample.com", "a@b@c.com", "j@-x.com", "j@x..com"]
        {
            assert!(check_email("email", bad).is_err(), "{bad}");
        }
    }
}
