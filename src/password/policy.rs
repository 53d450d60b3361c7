//! Password policy: length and character-class rules, each broken rule reported with its
//! own code and message.
//!
//! Lengths count Unicode scalar values (what `[...password].length` counts in JavaScript),
//! so "é" or "😀" is one character. Classes follow Unicode: an uppercase letter is any
//! character with the Uppercase property ("É" counts), a lowercase letter likewise, a digit
//! any numeric character, and a special character anything that is neither a letter nor
//! a digit nor a control character (space and punctuation count, as in OWASP's list).

use crate::error::{Error, Result};

use super::MAX_PASSWORD_BYTES;

/// The rules. The default is the reference backend's: 8 or more characters with an
/// uppercase letter, a number and a special character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub min_length: usize,
    /// `None`: only the hashing limit (`MAX_PASSWORD_BYTES` bytes) applies.
    pub max_length: Option<usize>,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_length: 8,
            max_length: None,
            require_uppercase: true,
            require_lowercase: false,
            require_digit: true,
            require_symbol: true,
        }
    }
}

/// The outcome: every broken rule, in the order above, and one sentence describing the
/// whole policy when any is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReport {
    pub errors: Vec<Error>,
    pub message: Option<String>,
}

impl PolicyReport {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl Policy {
    pub fn validate(&self) -> Result<()> {
        if self.min_length < 1 {
            return Err(Error::invalid_option("minLength must be at least 1"));
        }
        if let Some(max) = self.max_length {
            if max < self.min_length {
                return Err(Error::invalid_option(format!(
                    "maxLength ({max}) must not be less than minLength ({})",
                    self.min_length
                )));
            }
        }
        Ok(())
    }

    /// Checks `password` against every rule.
    pub fn check(&self, password: &str) -> Result<PolicyReport> {
        self.validate()?;
        let mut errors = Vec::new();
        let (mut length, mut upper, mut lower, mut digit, mut symbol) =
            (0, false, false, false, false);
        for c in password.chars() {
            length += 1;
            if c.is_uppercase() {
                upper = true;
            } else if c.is_lowercase() {
                lower = true;
            } else if c.is_numeric() {
                digit = true;
            } else if !c.is_alphanumeric() && !c.is_control() {
                symbol = true;
            }
        }
        if length < self.min_length {
            errors.push(Error::PasswordTooShort(self.min_length));
        }
        match self.max_length {
            Some(max) if length > max => errors.push(Error::PasswordTooLong(max)),
            _ if password.len() > MAX_PASSWORD_BYTES => {
                errors.push(Error::PasswordTooLarge(MAX_PASSWORD_BYTES))
            }
            _ => {}
        }
        if self.require_uppercase && !upper {
            errors.push(Error::PasswordNoUppercase);
        }
        if self.require_lowercase && !lower {
            errors.push(Error::PasswordNoLowercase);
        }
        if self.require_digit && !digit {
            errors.push(Error::PasswordNoDigit);
        }
        if self.require_symbol && !symbol {
            errors.push(Error::PasswordNoSymbol);
        }
        let message = (!errors.is_empty()).then(|| self.summary());
        Ok(PolicyReport { errors, message })
    }

    /// The policy in one sentence, in the reference backend's words: for the default,
    /// "Password must be 8+ chars, 1 uppercase, 1 number, 1 special char."
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.max_length {
            Some(max) if max == self.min_length => format!("{max} chars"),
            Some(max) => format!("{}-{max} chars", self.min_length),
            None => format!("{}+ chars", self.min_length),
        }];
        for (required, name) in [
            (self.require_uppercase, "1 uppercase"),
            (self.require_lowercase, "1 lowercase"),
            (self.require_digit, "1 number"),
            (self.require_symbol, "1 special char"),
        ] {
            if required {
                parts.push(name.to_owned());
            }
        }
        format!("Password must be {}.", parts.join(", "))
    }
}
