//! arXiv identifiers: parsing every form users paste into one canonical key.
//!
//! arXiv has used two identifier schemes (arXiv help page "Understanding the arXiv identifier"):
//!
//! - new style since April 2007: `YYMM.NNNN` for 0704–1412 and `YYMM.NNNNN` from 1501 on;
//! - old style from July 1991 to March 2007: `archive[.SC]/YYMMNNN`, e.g. `math.CA/0611800`.
//!
//! Both may carry a `vN` version suffix. The canonical key drops the version and the old-style
//! subject class (arXiv's own preferred form, e.g. `math/0611800`), so each paper has exactly one
//! key however it was written.

use std::fmt;

use serde::{Serialize, Serializer};
use url::Url;

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
    /// The rejected text, trimmed and shortened to [`MAX_ECHOED_INPUT_CHARS`] characters, with
    /// backticks replaced by `'` so that the message's code span stays intact.
    pub input: String,
}

/// Maximum number of characters of a rejected input that [`IdError`] repeats to the user.
pub const MAX_ECHOED_INPUT_CHARS: usize = 80;

/// Archives that issued old-style identifiers, from the archive list on arxiv.org.
///
/// Archives opened with or after the new scheme (`econ`, `eess`, `q-fin`, `stat`) have only
/// new-style identifiers, so they are left out. Names are matched case-sensitively, as arXiv
/// writes them.
// NOTE: `stat` is left out on the understanding that it opened in April 2007. If an old-style
// `stat/YYMMNNN` identifier turns up, add it here.
const OLD_STYLE_ARCHIVES: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th",
    "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph", "solv-int", "supr-con",
];

/// Archives whose old-style identifiers may name a two-letter subject class (`math.GT/0309136`).
/// The `cond-mat` and `physics` subject classes appear only in metadata, never in identifiers.
const ARCHIVES_WITH_SUBJECT_CLASS: &[&str] = &["cs", "math", "nlin", "q-bio"];

/// Path prefixes under arxiv.org that are followed by an identifier.
const ARXIV_PATH_KINDS: &[&str] = &["abs", "pdf", "html", "format", "ps", "e-print", "src"];

/// The registrant prefix of the DOIs that arXiv assigns, as in `10.48550/arXiv.2202.01037`.
const ARXIV_DOI_PREFIX: &str = "10.48550/";

impl ArxivId {
    /// Parses a bare canonical key such as `2401.12345`, without prefixes or versions.
    ///
    /// Keys are exactly what [`ArxivId::key`] returns, so a stored key always reads back as the
    /// same id. A non-canonical form such as `math.CA/0611800` is rejected here; use [`parse`].
    pub fn from_key(key: &str) -> Result<Self, IdError> {
        match parse_identifier(key) {
            Some(reference) if reference.version.is_none() && reference.id.0 == key => {
                Ok(reference.id)
            }
            _ => Err(IdError::for_input(key)),
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

impl IdError {
    fn for_input(input: &str) -> Self {
        let trimmed = input.trim();
        let mut echoed: String = trimmed
            .chars()
            .take(MAX_ECHOED_INPUT_CHARS)
            .map(|c| if c == '`' { '\'' } else { c })
            .collect();
        if trimmed.chars().count() > MAX_ECHOED_INPUT_CHARS {
            echoed.push('…');
        }
        IdError { input: echoed }
    }
}

/// Parses an arXiv ID or a URL that names one.
///
/// Accepted forms:
///
/// - a bare ID with an optional `arXiv:` prefix (any case) and `vN` suffix;
/// - arxiv.org, www.arxiv.org and export.arxiv.org links to `/abs`, `/pdf` (with or without
///   `.pdf`), `/html`, `/format`, `/ps`, `/e-print` and `/src`;
/// - ar5iv links (`ar5iv.labs.arxiv.org/html/…`, `ar5iv.org/abs/…`);
/// - the arXiv DOI `10.48550/arXiv.…`, bare or on doi.org and dx.doi.org;
/// - Hugging Face paper pages on huggingface.co and hf.co, optionally with `.md`;
/// - alphaXiv `/abs` and `/overview` pages, optionally with `.md`.
///
/// Links may omit the scheme and may carry a trailing slash, query or fragment. Surrounding
/// whitespace and the angle brackets that Discord users add to suppress embeds are ignored.
pub fn parse(input: &str) -> Result<PaperRef, IdError> {
    let text = strip_paste_wrapping(input);
    locate_identifier(text)
        .and_then(|identifier| parse_identifier(&identifier))
        .ok_or_else(|| IdError::for_input(input))
}

/// Removes surrounding whitespace and one pair of `<…>`.
fn strip_paste_wrapping(input: &str) -> &str {
    let trimmed = input.trim();
    match trimmed
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
    {
        Some(inner) => inner.trim(),
        None => trimmed,
    }
}

/// Extracts the identifier part (with any version) from a URL, DOI or prefixed ID.
/// Returns `None` for URLs that do not point at a paper.
fn locate_identifier(text: &str) -> Option<String> {
    if looks_like_url(text) {
        return identifier_in_url(text);
    }
    if let Some(rest) = strip_prefix_ignore_ascii_case(text, "arxiv:") {
        return Some(rest.to_string());
    }
    if let Some(rest) = strip_arxiv_doi_prefix(text) {
        return Some(rest.to_string());
    }
    Some(text.to_string())
}

/// True for text with a scheme or starting with a known host, such as `arxiv.org/abs/…`.
fn looks_like_url(text: &str) -> bool {
    if text.contains("://") {
        return true;
    }
    let first_segment = text.split('/').next().unwrap_or_default();
    site_for_host(&first_segment.to_ascii_lowercase()).is_some()
}

/// The websites whose paper links contain an arXiv identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Arxiv,
    Ar5iv,
    Doi,
    HuggingFace,
    AlphaXiv,
}

fn site_for_host(host: &str) -> Option<Site> {
    match host {
        "arxiv.org" | "www.arxiv.org" | "export.arxiv.org" => Some(Site::Arxiv),
        "ar5iv.labs.arxiv.org" | "ar5iv.org" => Some(Site::Ar5iv),
        "doi.org" | "dx.doi.org" => Some(Site::Doi),
        "huggingface.co" | "www.huggingface.co" | "hf.co" => Some(Site::HuggingFace),
        "alphaxiv.org" | "www.alphaxiv.org" => Some(Site::AlphaXiv),
        _ => None,
    }
}

fn identifier_in_url(text: &str) -> Option<String> {
    let url = if text.contains("://") {
        Url::parse(text).ok()?
    } else {
        Url::parse(&format!("https://{text}")).ok()?
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let site = site_for_host(url.host_str()?)?;
    let segments = path_segments(&url)?;
    let (kind, rest) = segments.split_first()?;
    let tail = rest.join("/");

    match site {
        Site::Arxiv if ARXIV_PATH_KINDS.contains(kind) => {
            let tail = if *kind == "pdf" {
                strip_suffix_or_keep(&tail, ".pdf")
            } else {
                &tail
            };
            Some(tail.to_string())
        }
        Site::Ar5iv if matches!(*kind, "html" | "abs") => Some(tail),
        Site::Doi => strip_arxiv_doi_prefix(&segments.join("/")).map(str::to_string),
        Site::HuggingFace if *kind == "papers" => {
            Some(strip_suffix_or_keep(&tail, ".md").to_string())
        }
        Site::AlphaXiv if matches!(*kind, "abs" | "overview") => {
            Some(strip_suffix_or_keep(&tail, ".md").to_string())
        }
        _ => None,
    }
}

/// Returns the non-empty path segments, allowing one trailing slash and rejecting `//`.
fn path_segments(url: &Url) -> Option<Vec<&str>> {
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    if segments.is_empty() || segments.contains(&"") {
        return None;
    }
    Some(segments)
}

fn strip_suffix_or_keep<'a>(text: &'a str, suffix: &str) -> &'a str {
    text.strip_suffix(suffix).unwrap_or(text)
}

fn strip_prefix_ignore_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Strips `10.48550/arXiv.`; DOIs are case-insensitive, so `arxiv.` matches too.
fn strip_arxiv_doi_prefix(text: &str) -> Option<&str> {
    let suffix = text.strip_prefix(ARXIV_DOI_PREFIX)?;
    strip_prefix_ignore_ascii_case(suffix, "arxiv.")
}

/// Parses a bare identifier with an optional version, e.g. `2401.12345v2` or `math.CA/0611800`.
fn parse_identifier(text: &str) -> Option<PaperRef> {
    let (body, version) = split_version(text)?;
    let key = if body.contains('/') {
        old_style_key(body)?
    } else {
        new_style_key(body)?
    };
    Some(PaperRef {
        id: ArxivId(key),
        version,
    })
}

/// Splits a trailing `vN` (N ≥ 1) from an identifier. Returns `None` for a malformed version.
///
/// Only a `v` that follows a digit starts a version, because archive names such as `solv-int`
/// contain the letter too.
fn split_version(text: &str) -> Option<(&str, Option<u32>)> {
    let Some((body, digits)) = text.rsplit_once('v') else {
        return Some((text, None));
    };
    let follows_digit = body.as_bytes().last().is_some_and(u8::is_ascii_digit);
    if !follows_digit || !is_digits(digits) {
        return Some((text, None));
    }
    let version: u32 = digits.parse().ok()?;
    (version >= 1).then_some((body, Some(version)))
}

/// Validates `YYMM.NNNN` (0704–1412) or `YYMM.NNNNN` (1501 on) and returns it as the key.
///
/// The sequence width depends on the month, so `1501.0001` and `0704.00001` are rejected rather
/// than mapped onto another paper's key. `YY` runs from 07 (2007) to 99 (2099).
/// Sequence numbers start at 1.
fn new_style_key(body: &str) -> Option<String> {
    let (yymm, number) = body.split_once('.')?;
    let (year, month) = year_and_month(yymm)?;
    if year < 7 || (year == 7 && month < 4) {
        return None;
    }
    let expected_width = if year <= 14 { 4 } else { 5 };
    if number.len() != expected_width || !is_digits(number) || is_all_zeros(number) {
        return None;
    }
    Some(body.to_string())
}

/// Validates `archive[.SC]/YYMMNNN` from 9107 to 0703 and returns `archive/YYMMNNN`.
fn old_style_key(body: &str) -> Option<String> {
    let (archive_part, digits) = body.split_once('/')?;
    let archive = match archive_part.split_once('.') {
        Some((archive, subject_class)) => {
            let class_allowed = ARCHIVES_WITH_SUBJECT_CLASS.contains(&archive)
                && subject_class.len() == 2
                && subject_class.bytes().all(|b| b.is_ascii_uppercase());
            class_allowed.then_some(archive)?
        }
        None => archive_part,
    };
    if !OLD_STYLE_ARCHIVES.contains(&archive) || digits.len() != 7 || !is_digits(digits) {
        return None;
    }
    let (year, month) = year_and_month(&digits[..4])?;
    // Orders YYMM across the century change, so 9107 stays 9107 and 0703 becomes 10703.
    let sortable_yymm = if year >= 91 {
        year * 100 + month
    } else {
        (100 + year) * 100 + month
    };
    if !(9107..=10703).contains(&sortable_yymm) || is_all_zeros(&digits[4..]) {
        return None;
    }
    Some(format!("{archive}/{digits}"))
}

/// Splits four digits `YYMM` into year and month, rejecting months outside 01–12.
fn year_and_month(yymm: &str) -> Option<(u32, u32)> {
    if yymm.len() != 4 || !is_digits(yymm) {
        return None;
    }
    let year = yymm[..2].parse().ok()?;
    let month = yymm[2..].parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_all_zeros(text: &str) -> bool {
    text.bytes().all(|b| b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_of(input: &str) -> String {
        match parse(input) {
            Ok(reference) => reference.id.key().to_string(),
            Err(error) => panic!("`{input}` should parse: {error}"),
        }
    }

    fn version_of(input: &str) -> Option<u32> {
        parse(input)
            .map(|reference| reference.version)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bare_new_style_ids() {
        for (input, key, version) in [
            ("0704.0001", "0704.0001", None),
            ("0706.0001", "0706.0001", None),
            ("0706.0001v2", "0706.0001", Some(2)),
            ("1412.7878", "1412.7878", None),
            ("1501.00001", "1501.00001", None),
            ("2401.12345v3", "2401.12345", Some(3)),
            ("9912.12345v2", "9912.12345", Some(2)),
            ("2401.12345v10", "2401.12345", Some(10)),
        ] {
            assert_eq!(key_of(input), key, "key of {input}");
            assert_eq!(version_of(input), version, "version of {input}");
        }
    }

    #[test]
    fn prefixed_ids() {
        for (input, key) in [
            ("arXiv:2401.12345", "2401.12345"),
            ("arxiv:2401.12345v2", "2401.12345"),
            ("ARXIV:2106.15928", "2106.15928"),
            ("arXiv:hep-th/9901001", "hep-th/9901001"),
            ("arXiv:math/0611800v2", "math/0611800"),
        ] {
            assert_eq!(key_of(input), key, "key of {input}");
        }
        assert_eq!(version_of("arxiv:2401.12345v2"), Some(2));
    }

    #[test]
    fn old_style_ids() {
        for (input, key, version) in [
            ("hep-th/9901001", "hep-th/9901001", None),
            ("hep-th/9901001v1", "hep-th/9901001", Some(1)),
            ("cond-mat/0702661v2", "cond-mat/0702661", Some(2)),
            ("astro-ph/0601001", "astro-ph/0601001", None),
            ("math.CA/0611800v2", "math/0611800", Some(2)),
            ("math.GT/0309136", "math/0309136", None),
            ("cs.AI/0101001", "cs/0101001", None),
            ("q-bio.BM/0401004", "q-bio/0401004", None),
            ("solv-int/9901001v3", "solv-int/9901001", Some(3)),
            ("hep-th/9107001", "hep-th/9107001", None),
            ("math/0703001", "math/0703001", None),
        ] {
            assert_eq!(key_of(input), key, "key of {input}");
            assert_eq!(version_of(input), version, "version of {input}");
        }
    }

    #[test]
    fn arxiv_urls() {
        for (input, key) in [
            ("https://arxiv.org/abs/2401.12345", "2401.12345"),
            ("https://arxiv.org/abs/2401.12345v2", "2401.12345"),
            ("http://arxiv.org/abs/hep-ex/0307015", "hep-ex/0307015"),
            ("https://arxiv.org/abs/math.DG/0307245", "math/0307245"),
            ("https://arxiv.org/pdf/2401.12345", "2401.12345"),
            ("https://arxiv.org/pdf/2401.12345v2", "2401.12345"),
            ("https://arxiv.org/pdf/2009.01812.pdf", "2009.01812"),
            ("https://arxiv.org/pdf/2009.01812v1.pdf", "2009.01812"),
            ("https://arxiv.org/pdf/hep-th/9901001v3", "hep-th/9901001"),
            ("https://arxiv.org/pdf/hep-th/9901001.pdf", "hep-th/9901001"),
            ("https://arxiv.org/html/2401.12345v1", "2401.12345"),
            ("https://arxiv.org/html/2401.12345v1#S3", "2401.12345"),
            ("https://arxiv.org/html/1706.03762v7/", "1706.03762"),
            ("https://arxiv.org/format/0905.2326v2", "0905.2326"),
            ("https://arxiv.org/ps/hep-th/9901001v3", "hep-th/9901001"),
            ("https://arxiv.org/e-print/2401.12345", "2401.12345"),
            ("https://arxiv.org/src/0706.0001", "0706.0001"),
            ("https://export.arxiv.org/abs/2401.12345", "2401.12345"),
            ("https://www.arxiv.org/abs/2401.12345", "2401.12345"),
            ("HTTPS://ArXiv.org/abs/2401.12345", "2401.12345"),
            ("https://arxiv.org/abs/2401.12345/", "2401.12345"),
            ("https://arxiv.org/abs/2401.12345?context=cs", "2401.12345"),
            (
                "https://arxiv.org/abs/hep-th/9901001?fmt=txt",
                "hep-th/9901001",
            ),
            ("https://arxiv.org/abs/2401.12345#comments", "2401.12345"),
            ("arxiv.org/abs/2401.12345", "2401.12345"),
            ("www.arxiv.org/pdf/2401.12345v2.pdf", "2401.12345"),
            ("http://arxiv.org/abs/1707.08567v1", "1707.08567"),
        ] {
            assert_eq!(key_of(input), key, "key of {input}");
        }
        assert_eq!(
            version_of("https://arxiv.org/pdf/2009.01812v4.pdf"),
            Some(4)
        );
        assert_eq!(
            version_of("https://arxiv.org/html/2401.12345v1#S3"),
            Some(1)
        );
    }

    #[test]
    fn mirror_doi_and_reader_urls() {
        for (input, key) in [
            ("https://ar5iv.labs.arxiv.org/html/2401.12345", "2401.12345"),
            ("https://ar5iv.org/abs/2401.12345", "2401.12345"),
            ("ar5iv.org/html/hep-th/9901001", "hep-th/9901001"),
            ("10.48550/arXiv.2202.01037", "2202.01037"),
            ("10.48550/arxiv.astro-ph/0508450", "astro-ph/0508450"),
            ("https://doi.org/10.48550/arXiv.2202.01037", "2202.01037"),
            ("http://dx.doi.org/10.48550/arXiv.2202.01037", "2202.01037"),
            ("doi.org/10.48550/ARXIV.2202.01037", "2202.01037"),
            ("https://huggingface.co/papers/2401.12345", "2401.12345"),
            ("hf.co/papers/2401.12345", "2401.12345"),
            ("https://huggingface.co/papers/2401.12345.md", "2401.12345"),
            (
                "https://huggingface.co/papers/2401.12345#community",
                "2401.12345",
            ),
            (
                "https://huggingface.co/papers/2401.12345?utm_source=x",
                "2401.12345",
            ),
            ("https://www.alphaxiv.org/abs/2401.12345", "2401.12345"),
            ("alphaxiv.org/abs/2401.12345v1", "2401.12345"),
            ("https://www.alphaxiv.org/abs/2401.12345.md", "2401.12345"),
            (
                "https://www.alphaxiv.org/overview/2401.12345v4",
                "2401.12345",
            ),
        ] {
            assert_eq!(key_of(input), key, "key of {input}");
        }
        assert_eq!(
            version_of("https://www.alphaxiv.org/overview/2401.12345v4"),
            Some(4)
        );
    }

    #[test]
    fn discord_paste_wrapping() {
        for input in [
            "  2401.12345  ",
            "\n2401.12345\t",
            "<https://arxiv.org/abs/2401.12345>",
            " <https://arxiv.org/abs/2401.12345> ",
            "< https://arxiv.org/abs/2401.12345 >",
        ] {
            assert_eq!(key_of(input), "2401.12345", "key of {input:?}");
        }
    }

    #[test]
    fn rejects_malformed_ids() {
        for input in [
            "",
            "   ",
            "<>",
            "abc",
            "1234.1234",
            "1234.12345",
            "1501.0001",
            "0704.00001",
            "0703.0001",
            "0612.0001",
            "2413.12345",
            "2400.12345",
            "2401.00000",
            "0704.0000",
            "2401.123456",
            "2401.1234",
            "2401.12345v0",
            "2401.12345v",
            "2401.12345V2",
            "2401.12345v+2",
            "2401.12345v99999999999",
            "2401.12345 v2",
            "0000.0000",
            "0808.05394",
            "hep-th/990100",
            "hep-th/99010011",
            "hep-th/9901000",
            "hep-th/9106001",
            "hep-th/0704001",
            "hep-th/1001001",
            "hep-th/9913001",
            "HEP-TH/9901001",
            "cond—mat/0702661",
            "foo-bar/9901001",
            "stat/0601001",
            "hep-th.AB/9901001",
            "cond-mat.str-el/0702661",
            "math.ca/0611800",
            "math.CAX/0611800",
            "math.CA/0611800/1",
            "arXiv:",
            "arXiv:abc",
            "arXiv 2401.12345",
        ] {
            assert!(parse(input).is_err(), "`{input}` should be rejected");
        }
    }

    #[test]
    fn rejects_urls_without_an_id() {
        for input in [
            "https://arxiv.org/",
            "https://arxiv.org/abs/",
            "https://arxiv.org/list/hep-th/new",
            "https://arxiv.org/list/cs.AI/2401",
            "https://arxiv.org/abs//2401.12345",
            "https://arxiv.org/ABS/2401.12345",
            "https://arxiv.org/abs/2401.12345.pdf",
            "https://arxiv.org/abs/2401.12345/extra",
            "ftp://arxiv.org/abs/2401.12345",
            "https://example.com/abs/2401.12345",
            "https://arxiv.org.example.com/abs/2401.12345",
            "https://huggingface.co/papers?date=2024-05-27",
            "https://huggingface.co/papers",
            "https://huggingface.co/2401.12345",
            "https://huggingface.co/papers/2401.12345/extra",
            "https://alphaxiv.org/abs/2608.glm-5",
            "https://www.alphaxiv.org/abs/glm-5.md",
            "https://doi.org/10.1103/PhysRevB.85.115117",
            "https://doi.org/10.48550/2202.01037",
            "10.48551/arXiv.2202.01037",
            "https://ar5iv.labs.arxiv.org/papers/2401.12345",
            "https://arxiv.org/abs/2401.12345 trailing words",
            "<https://arxiv.org/abs/2401.12345",
        ] {
            assert!(parse(input).is_err(), "`{input}` should be rejected");
        }
    }

    #[test]
    fn error_message_shows_input_and_example() {
        let error = parse("  not a paper ").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`not a paper`"), "message: {message}");
        assert!(message.contains("2401.12345"), "message: {message}");
    }

    #[test]
    fn error_message_shortens_long_input() {
        let long_input = "x".repeat(500);
        let error = parse(&long_input).unwrap_err();
        assert_eq!(error.input.chars().count(), MAX_ECHOED_INPUT_CHARS + 1);
        assert!(error.input.ends_with('…'));
    }

    #[test]
    fn error_message_replaces_backticks() {
        let error = parse("`2401`").unwrap_err();
        assert_eq!(error.input, "'2401'");
    }

    #[test]
    fn from_key_accepts_only_canonical_keys() {
        assert_eq!(
            ArxivId::from_key("2401.12345").map(|id| id.to_string()),
            Ok("2401.12345".into())
        );
        assert_eq!(
            ArxivId::from_key("hep-th/9901001").map(|id| id.to_string()),
            Ok("hep-th/9901001".into())
        );
        for input in [
            "2401.12345v2",
            "arXiv:2401.12345",
            " 2401.12345",
            "math.CA/0611800",
            "1501.0001",
        ] {
            assert!(
                ArxivId::from_key(input).is_err(),
                "`{input}` is not a canonical key"
            );
        }
    }

    #[test]
    fn id_urls_and_style() {
        let new_style = ArxivId::from_key("2401.12345").unwrap();
        assert!(new_style.is_new_style());
        assert_eq!(new_style.abs_url(), "https://arxiv.org/abs/2401.12345");
        assert_eq!(new_style.pdf_url(), "https://arxiv.org/pdf/2401.12345");

        let old_style = ArxivId::from_key("hep-th/9901001").unwrap();
        assert!(!old_style.is_new_style());
        assert_eq!(old_style.abs_url(), "https://arxiv.org/abs/hep-th/9901001");
    }

    #[test]
    fn id_serializes_as_key() {
        let id = ArxivId::from_key("math/0611800").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"math/0611800\"");
    }

    /// Generates canonical new-style keys across both sequence widths.
    fn new_style_key_strategy() -> impl Strategy<Value = String> {
        (7u32..=99, 1u32..=12, 1u32..=99_999)
            .prop_filter("the new scheme started in 0704", |(year, month, _)| {
                *year > 7 || *month >= 4
            })
            .prop_map(|(year, month, number)| {
                if year <= 14 {
                    format!("{year:02}{month:02}.{:04}", number % 9_999 + 1)
                } else {
                    format!("{year:02}{month:02}.{number:05}")
                }
            })
    }

    /// Generates old-style identifiers as users write them (with an optional subject class)
    /// together with their canonical key.
    fn old_style_strategy() -> impl Strategy<Value = (String, String)> {
        let months = (0u32..(12 * 15 + 9)).prop_map(|offset| {
            // Offsets count months from 9107 to 0703.
            let total = 1991 * 12 + 6 + offset;
            (total / 12 % 100, total % 12 + 1)
        });
        (
            proptest::sample::select(OLD_STYLE_ARCHIVES),
            proptest::option::of("[A-Z]{2}"),
            months,
            1u32..=999,
        )
            .prop_map(|(archive, subject_class, (year, month), number)| {
                let key = format!("{archive}/{year:02}{month:02}{number:03}");
                let written = match subject_class {
                    Some(class) if ARCHIVES_WITH_SUBJECT_CLASS.contains(&archive) => {
                        format!("{archive}.{class}/{year:02}{month:02}{number:03}")
                    }
                    _ => key.clone(),
                };
                (written, key)
            })
    }

    fn any_valid_id() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            new_style_key_strategy().prop_map(|key| (key.clone(), key)),
            old_style_strategy(),
        ]
    }

    const DECORATIONS: &[&str] = &[
        "{}",
        "arXiv:{}",
        "ARXIV:{}",
        "  {}\n",
        "<https://arxiv.org/abs/{}>",
        "https://arxiv.org/abs/{}",
        "http://www.arxiv.org/abs/{}/",
        "https://export.arxiv.org/abs/{}?fmt=txt",
        "arxiv.org/abs/{}#comments",
        "https://arxiv.org/pdf/{}",
        "https://arxiv.org/pdf/{}.pdf",
        "https://arxiv.org/html/{}#S2",
        "https://arxiv.org/format/{}",
        "https://arxiv.org/ps/{}",
        "https://arxiv.org/e-print/{}",
        "https://arxiv.org/src/{}",
        "https://ar5iv.labs.arxiv.org/html/{}",
        "ar5iv.org/abs/{}",
        "https://huggingface.co/papers/{}",
        "hf.co/papers/{}.md",
        "https://huggingface.co/papers/{}#community",
        "https://www.alphaxiv.org/abs/{}",
        "alphaxiv.org/overview/{}.md",
    ];

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = parse(&input);
        }

        #[test]
        fn parse_never_panics_on_id_like_text(input in "[a-zA-Z0-9./:<>#?v -]{0,40}") {
            let _ = parse(&input);
        }

        #[test]
        fn decorations_keep_key(
            (written, key) in any_valid_id(),
            version in proptest::option::of(1u32..=40),
            decoration in proptest::sample::select(DECORATIONS),
        ) {
            let versioned = match version {
                Some(v) => format!("{written}v{v}"),
                None => written.clone(),
            };
            let input = decoration.replace("{}", &versioned);
            let reference = parse(&input);
            prop_assert!(reference.is_ok(), "`{}` should parse", input);
            let reference = reference.unwrap();
            prop_assert_eq!(reference.id.key(), key.as_str(), "key of `{}`", input);
            prop_assert_eq!(reference.version, version, "version of `{}`", input);
        }

        #[test]
        fn doi_forms_keep_key((written, key) in any_valid_id()) {
            for input in [
                format!("10.48550/arXiv.{written}"),
                format!("https://doi.org/10.48550/arXiv.{written}"),
                format!("dx.doi.org/10.48550/arxiv.{written}"),
            ] {
                let reference = parse(&input);
                prop_assert!(reference.is_ok(), "`{}` should parse", input);
                let id = reference.unwrap().id;
                prop_assert_eq!(id.key(), key.as_str());
            }
        }

        #[test]
        fn key_round_trips_through_from_key((written, _key) in any_valid_id()) {
            let id = parse(&written).unwrap().id;
            prop_assert_eq!(ArxivId::from_key(id.key()), Ok(id.clone()));
            prop_assert_eq!(parse(id.key()).unwrap().id, id);
        }

        #[test]
        fn wrong_sequence_width_is_rejected(key in new_style_key_strategy()) {
            // Padding or trimming the sequence number must never land on a valid key, because
            // the width encodes which numbering period the paper belongs to.
            let (yymm, number) = key.split_once('.').unwrap();
            let padded = format!("{yymm}.0{number}");
            prop_assert!(parse(&padded).is_err(), "`{}` should be rejected", padded);
            if let Some(trimmed) = number.strip_prefix('0') {
                let trimmed = format!("{yymm}.{trimmed}");
                prop_assert!(parse(&trimmed).is_err(), "`{}` should be rejected", trimmed);
            }
        }
    }
}
