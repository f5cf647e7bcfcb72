//! The PHC string format of argon2id hashes: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, salt and hash in
//! unpadded standard base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// The parts of an argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phc {
    /// Memory cost, KiB.
    pub m: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism.
    pub p: u32,
    /// The salt.
    pub salt: Vec<u8>,
    /// The hash.
    pub hash: Vec<u8>,
}

impl Phc {
    /// Renders the PHC string.
    pub fn format(&self) -> String {
        format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.m,
            self.t,
            self.p,
            STANDARD_NO_PAD.encode(&self.salt),
            STANDARD_NO_PAD.encode(&self.hash)
        )
    }

    /// Parses an argon2id (version 19) PHC string; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('$');
        if !parts.next()?.is_empty() || parts.next()? != "argon2id" || parts.next()? != "v=19" {
            return None;
        }
        let (mut m, mut t, mut p) = (None, None, None);
        for kv in parts.next()?.split(',') {
            let (k, v) = kv.split_once('=')?;
            let v: u32 = v.parse().ok()?;
            match k {
                "m" => m = Some(v),
                "t" => t = Some(v),
                "p" => p = Some(v),
                _ => return None,
            }
        }
        let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some() || salt.len() < 8 || hash.len() < 16 {
            return None;
        }
        Some(Self { m: m?, t: t?, p: p?, salt, hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let phc = Phc { m: 19456, t: 2, p: 1, salt: vec![7; 16], hash: vec![9; 32] };
        let s = phc.format();
        assert!(s.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{s}");
        assert_eq!(Phc::parse(&s), Some(phc));
    }

    #[test]
    fn refuses_other_formats() {
        for bad in [
            "",
            "$argon2i$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=16$m=1,t=1,p=1$a$b",
            "plain",
            "$argon2id$v=19$m=x,t=1,p=1$a$b",
        ] {
            assert_eq!(Phc::parse(bad), None, "{bad}");
        }
    }
}
