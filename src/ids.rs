//! arXiv identifiers: parsing every form users paste into one canonical key.

use std::fmt;

use serde::{Serialize, Serializer};

/// A canonical arXiv key (no version), e.g. `2401.12345` or `hep-th/9901001`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArxivId(String);

/// A parsed reference to a paper: its key plus the version the user named, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperRef {
    pub id: ArxivId,
    pub version: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an arXiv ID or paper URL. Try an ID such as 2401.12345 or hep-th/9901001, or a link such as https://arxiv.org/abs/2401.12345")]
pub struct IdError {
    pub input: String,
}

impl ArxivId {
    /// Parses a bare canonical key such as `2401.12345`, without prefixes or versions.
    pub fn from_key(key: &str) -> Result<Self, IdError> {
        match parse(key) {
            Ok(r) if r.version.is_none() && r.id.0 == key => Ok(r.id),
            _ => Err(IdError { input: key.to_string() }),
        }
    }

    pub fn key(&self) -> &str {
        &self.0
    }

    /// True for the `YYMM.NNNNN` scheme used since April 2007.
    pub fn is_new_style(&self) -> bool {
        !self.0.contains('/')
    }

    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.0)
    }

    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self.0)
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArxivId({})", self.0)
    }
}

impl Serialize for ArxivId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Parses an arXiv ID or a URL that names one.
// TODO: replace with the full parser (every URL form, old-style IDs, DOIs).
pub fn parse(input: &str) -> Result<PaperRef, IdError> {
    let err = || IdError { input: input.to_string() };
    let s = input.trim();
    let s = s
        .strip_prefix("arXiv:")
        .or_else(|| s.strip_prefix("arxiv:"))
        .unwrap_or(s);
    let s = s.rsplit('/').next().unwrap_or(s);
    let (key, version) = match s.split_once('v') {
        Some((k, v)) => (k, Some(v.parse::<u32>().map_err(|_| err())?)),
        None => (s, None),
    };
    let (yymm, num) = key.split_once('.').ok_or_else(err)?;
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if yymm.len() != 4 || !all_digits(yymm) || !(4..=5).contains(&num.len()) || !all_digits(num) {
        return Err(err());
    }
    Ok(PaperRef {
        id: ArxivId(key.to_string()),
        version,
    })
}
