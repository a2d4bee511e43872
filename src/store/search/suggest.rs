//! Autocomplete for paper options: a few papers whose ID or title starts like the text typed so
//! far. Discord requests suggestions on every keystroke, so each lookup reads at most a few hundred index
//! entries: an ID prefix is a range of the `papers` key, and title words go through
//! `papers_title_fts`, a small index of titles alone.

use rusqlite::params;

use crate::ids;
use crate::paper::Paper;
use crate::store::papers::load_paper;
use crate::store::{Store, StoreError};

/// Title matches read before ordering by upvotes: the newest ones.
const TITLE_CANDIDATES: usize = 200;

/// Shortest unfinished last word looked up as a prefix. One or two letters start so many title
/// words that merging their lists takes longer than a keystroke allows.
const MIN_PREFIX_CHARS: usize = 3;

impl Store {
    /// Papers whose key starts with `fragment`, or whose title has words starting with the words
    /// of `fragment` (the last one may be unfinished). Title matches come most upvoted first,
    /// among the newest [`TITLE_CANDIDATES`]. A blank fragment suggests the newest papers.
    pub fn suggest_papers(&self, fragment: &str, limit: usize) -> Result<Vec<Paper>, StoreError> {
        let finished = fragment.ends_with(char::is_whitespace);
        let fragment = fragment.trim();
        let mut keys = Vec::new();
        if let Ok(reference) = ids::parse(fragment) {
            keys.push(reference.id.key().to_string());
        } else if looks_like_key(fragment) {
            keys = self.keys_starting_with(key_prefix(fragment), limit)?;
        }
        if keys.len() < limit {
            for key in self.title_matches(fragment, finished, limit)? {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let mut papers = Vec::new();
        for key in keys.iter().take(limit) {
            if let Some(paper) = load_paper(&self.conn, key)? {
                papers.push(paper);
            }
        }
        Ok(papers)
    }

    /// Keys in `[prefix, prefix + 1)`, newest key first: a range scan of the primary key.
    fn keys_starting_with(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let Some(end) = successor(prefix) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM papers WHERE id >= ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![prefix, end, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn title_matches(
        &self,
        fragment: &str,
        finished: bool,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let Some(expression) = title_expression(fragment, finished) else {
            return self.newest_keys(limit);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id FROM (SELECT rowid FROM papers_title_fts WHERE papers_title_fts MATCH ?1 \
               ORDER BY rowid DESC LIMIT ?2) AS t \
             JOIN papers p ON p.rowid = t.rowid \
             ORDER BY COALESCE(p.upvotes, 0) DESC, t.rowid DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![expression, TITLE_CANDIDATES as i64, limit as i64],
            |r| r.get(0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn newest_keys(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM papers ORDER BY rowid DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// True for the start of an arXiv key: `2401.1`, `hep-th/99`, or `arXiv:2401`.
fn looks_like_key(fragment: &str) -> bool {
    let prefix = key_prefix(fragment);
    let new_style = prefix.starts_with(|c: char| c.is_ascii_digit())
        && prefix.chars().all(|c| c.is_ascii_digit() || c == '.');
    let old_style = prefix.contains('/')
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/'));
    new_style || old_style
}

/// Strips an `arXiv:` label from the fragment.
fn key_prefix(fragment: &str) -> &str {
    match fragment.get(..6) {
        Some(label) if label.eq_ignore_ascii_case("arxiv:") => &fragment[6..],
        _ => fragment,
    }
}

/// Returns the smallest string above every string that starts with `prefix`, which is the
/// prefix with its last character incremented. `None` for an empty prefix.
pub(super) fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(u32::from(last) + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

/// Builds an FTS5 expression requiring every word of `fragment` in the title. Unless `finished` (the
/// text typed ends with a space), the last word is a prefix, left out when shorter than
/// [`MIN_PREFIX_CHARS`]. `None` when no word remains.
fn title_expression(fragment: &str, finished: bool) -> Option<String> {
    let words: Vec<&str> = fragment
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let (last, rest) = words.split_last()?;
    let mut parts: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    if finished {
        parts.push(format!("\"{last}\""));
    } else if last.chars().count() >= MIN_PREFIX_CHARS {
        parts.push(format!("\"{last}\" *"));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_fragments_are_recognised() {
        assert!(looks_like_key("2401"));
        assert!(looks_like_key("2401.12"));
        assert!(looks_like_key("arXiv:2401.1"));
        assert!(looks_like_key("hep-th/99"));
        assert!(!looks_like_key("diffusion"));
        assert!(!looks_like_key("3d gaussian"));
    }

    #[test]
    fn successor_bounds_the_prefix() {
        assert_eq!(successor("2401.1").as_deref(), Some("2401.2"));
        assert_eq!(successor("hep-th/").as_deref(), Some("hep-th0"));
        assert_eq!(successor(""), None);
    }

    #[test]
    fn title_expression_quotes_words() {
        assert_eq!(
            title_expression("Attention is all", false).as_deref(),
            Some("\"Attention\" AND \"is\" AND \"all\" *")
        );
        assert_eq!(title_expression(" -- ", false), None);
        assert_eq!(title_expression("gr", false), None);
        assert_eq!(
            title_expression("graph ne", false).as_deref(),
            Some("\"graph\"")
        );
        assert_eq!(
            title_expression("on the", true).as_deref(),
            Some("\"on\" AND \"the\"")
        );
    }
}
