//! Search queries: turning any string a user types into a safe full-text search.
//!
//! The syntax, also shown in `/search`'s option description and the README:
//!
//! | you type | it finds |
//! |---|---|
//! | `diffusion video` | papers with both words (title, keywords, abstract, authors) |
//! | `"state space model"` | the exact phrase |
//! | `transform*` | words starting with `transform` |
//! | `rlhf OR dpo` | either side |
//! | `-survey` | leaves out papers with the word |
//! | `author:hinton`, `author:"yann lecun"` | papers by that author |
//! | `cat:cs.CL` | papers in that arXiv category |
//! | `since:2025-06`, `until:2025-12-31` | published in that range (year, month or day) |
//! | `has:code` | papers with a GitHub repository |
//! | `sort:date`, `sort:upvotes` | order other than relevance |
//! | an arXiv ID or URL | that paper |
//!
//! Every word reaches SQLite's FTS5 inside double quotes, so characters FTS5 treats as syntax
//! (`- : ( ) ^ * "` and the words AND, OR, NOT, NEAR) can never cause a syntax error.

use chrono::NaiveDate;

use crate::error::UserError;
use crate::ids::{self, PaperRef};
use crate::store::{SearchSort, StoreQuery};

/// Longest query accepted, in characters. Long enough for a pasted title plus filters.
pub const MAX_QUERY_CHARS: usize = 300;

/// What a query asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchTarget {
    /// The query is an arXiv ID or a paper URL: go straight to that paper.
    Paper(PaperRef),
    Query(StoreQuery),
}

/// One searchable unit of the query.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
}

impl Term {
    fn to_fts(&self) -> String {
        match self {
            Term::Word(w) | Term::Phrase(w) => quote(w),
            Term::Prefix(w) => format!("{} *", quote(w)),
        }
    }
}

/// A raw token from the scanner: its text, whether it was quoted, and a `-` before it.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    quoted: bool,
    negated: bool,
}

/// Parses a user's query. Blank and over-long queries are user errors; anything else is a
/// valid search (that may find nothing).
pub fn parse_query(input: &str) -> Result<SearchTarget, UserError> {
    let length = input.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(UserError::new(format!(
            "That search is {length} characters long; the limit is {MAX_QUERY_CHARS}. \
             Shorten it to the words that matter most."
        )));
    }
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(blank_query());
    }
    if let Ok(reference) = ids::parse(trimmed) {
        return Ok(SearchTarget::Paper(reference));
    }

    let mut builder = QueryBuilder::default();
    for token in scan(trimmed) {
        builder.add(token)?;
    }
    builder.finish()
}

fn blank_query() -> UserError {
    UserError::new(
        "Type something to search for: words from a title or abstract, `author:name`, \
         `cat:cs.CL`, or an arXiv ID such as 2401.12345.",
    )
}

#[derive(Default)]
struct QueryBuilder {
    /// Alternatives joined by OR; each is a list of terms joined by AND.
    groups: Vec<Vec<Term>>,
    excluded: Vec<Term>,
    authors: Vec<String>,
    query: StoreQuery,
    pending_or: bool,
}

impl QueryBuilder {
    fn add(&mut self, token: Token) -> Result<(), UserError> {
        if !token.quoted && token.text == "OR" {
            self.pending_or = true;
            return Ok(());
        }
        if !token.quoted {
            if let Some((key, value)) = token.text.split_once(':') {
                if self.apply_filter(key, value)? {
                    return Ok(());
                }
            }
        }
        let Some(term) = to_term(&token) else {
            return Ok(());
        };
        if token.negated {
            self.excluded.push(term);
        } else if self.pending_or || self.groups.is_empty() {
            self.groups.push(vec![term]);
        } else if let Some(last) = self.groups.last_mut() {
            last.push(term);
        }
        self.pending_or = false;
        Ok(())
    }

    /// Applies `key:value` when `key` is a filter name; returns false for other text with a
    /// colon (such as `BERT:` or `10:1`), which is searched as words.
    fn apply_filter(&mut self, key: &str, value: &str) -> Result<bool, UserError> {
        let value = value.trim_matches('"').trim();
        match key.to_ascii_lowercase().as_str() {
            "author" | "au" | "by" => {
                if !value.is_empty() {
                    self.authors.push(value.to_string());
                }
            }
            "cat" | "category" => self.query.categories.push(parse_category(value)?),
            "since" | "from" | "after" => self.query.since = Some(parse_date(value, false)?),
            "until" | "to" | "before" => self.query.until = Some(parse_date(value, true)?),
            "has" if value.eq_ignore_ascii_case("code") => self.query.has_code = true,
            "has" => {
                return Err(UserError::new(format!(
                    "`has:{value}` is not a filter. Use `has:code` for papers with a GitHub repository."
                )))
            }
            "sort" => self.query.sort = parse_sort(value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn finish(self) -> Result<SearchTarget, UserError> {
        let mut query = self.query;
        let mut parts: Vec<String> = Vec::new();

        let groups: Vec<String> = self
            .groups
            .iter()
            .filter(|g| !g.is_empty())
            .map(|g| g.iter().map(Term::to_fts).collect::<Vec<_>>().join(" AND "))
            .collect();
        match groups.len() {
            0 => {}
            1 => parts.push(groups[0].clone()),
            _ => parts.push(format!("({})", groups.join(") OR ("))),
        }
        for author in &self.authors {
            parts.push(format!("authors : {}", quote(author)));
        }

        let has_filters = !query.categories.is_empty()
            || query.since.is_some()
            || query.until.is_some()
            || query.has_code;
        if parts.is_empty() && !self.excluded.is_empty() {
            return Err(UserError::new(
                "A search needs at least one word to look for besides the excluded (-word) ones.",
            ));
        }
        if parts.is_empty() && !has_filters {
            return Err(blank_query());
        }

        if !parts.is_empty() {
            let mut expr = parts.join(" AND ");
            for term in &self.excluded {
                expr = format!("({expr}) NOT {}", term.to_fts());
            }
            query.fts = Some(expr);
        }
        Ok(SearchTarget::Query(query))
    }
}

/// Splits the query into tokens at whitespace, keeping double-quoted phrases whole (an
/// unclosed quote runs to the end) and noting a leading `-`.
fn scan(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            negated = chars.peek().is_some_and(|n| !n.is_whitespace());
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let text: String = chars.by_ref().take_while(|&ch| ch != '"').collect();
            tokens.push(Token {
                text,
                quoted: true,
                negated,
            });
            continue;
        }
        let mut text = String::new();
        while let Some(&ch) = chars.peek() {
            if ch.is_whitespace() {
                break;
            }
            chars.next();
            if ch == '"' && text.ends_with(':') {
                // `author:"yann lecun"`: the quoted value belongs to the filter.
                let value: String = chars.by_ref().take_while(|&q| q != '"').collect();
                text.push_str(&value);
                break;
            }
            text.push(ch);
        }
        tokens.push(Token {
            text,
            quoted: false,
            negated,
        });
    }
    tokens
}

/// Turns a token into a term, or `None` when it holds nothing searchable (only punctuation).
fn to_term(token: &Token) -> Option<Term> {
    let cleaned: String = token
        .text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if token.quoted {
        return has_word(cleaned).then(|| Term::Phrase(cleaned.to_string()));
    }
    let core = cleaned.trim_end_matches('*');
    if !has_word(core) {
        return None;
    }
    if core.len() < cleaned.len() && core.chars().last().is_some_and(char::is_alphanumeric) {
        return Some(Term::Prefix(core.to_string()));
    }
    Some(Term::Word(core.to_string()))
}

fn has_word(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Quotes text as an FTS5 string; inside quotes every character is literal but `"`, which
/// is doubled.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn parse_category(value: &str) -> Result<String, UserError> {
    let valid = !value.is_empty()
        && value.len() <= 20
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid {
        Ok(value.to_string())
    } else {
        Err(UserError::new(format!(
            "`{value}` is not an arXiv category. Use a name such as cs.CL, cs.LG or stat.ML."
        )))
    }
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. A partial date means its first day, or its last
/// day when `end_of_period` is set (so `until:2025` includes December 31).
pub fn parse_date(value: &str, end_of_period: bool) -> Result<NaiveDate, UserError> {
    let invalid = || {
        UserError::new(format!(
            "`{value}` is not a date. Use YYYY, YYYY-MM or YYYY-MM-DD, for example since:2025-06."
        ))
    };
    let parts: Vec<&str> = value.split('-').collect();
    let numbers: Vec<u32> = parts
        .iter()
        .map(|p| p.parse::<u32>().map_err(|_| invalid()))
        .collect::<Result<_, _>>()?;
    let year = *numbers.first().ok_or_else(invalid)? as i32;
    let date = match numbers.as_slice() {
        [_] if end_of_period => NaiveDate::from_ymd_opt(year, 12, 31),
        [_] => NaiveDate::from_ymd_opt(year, 1, 1),
        [_, month] if end_of_period => last_day_of_month(year, *month),
        [_, month] => NaiveDate::from_ymd_opt(year, *month, 1),
        [_, month, day] => NaiveDate::from_ymd_opt(year, *month, *day),
        _ => None,
    };
    date.filter(|d| (1990..=2100).contains(&d.year_ce().1))
        .ok_or_else(invalid)
}

use chrono::Datelike;

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

fn parse_sort(value: &str) -> Result<SearchSort, UserError> {
    match value.to_ascii_lowercase().as_str() {
        "relevance" | "best" => Ok(SearchSort::Relevance),
        "date" | "new" | "newest" | "recent" => Ok(SearchSort::Date),
        "upvotes" | "votes" | "top" => Ok(SearchSort::Upvotes),
        _ => Err(UserError::new(format!(
            "`sort:{value}` is not an order. Use sort:relevance, sort:date or sort:upvotes."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(input: &str) -> Option<String> {
        match parse_query(input).unwrap() {
            SearchTarget::Query(q) => q.fts,
            SearchTarget::Paper(p) => panic!("parsed as paper {p:?}"),
        }
    }

    #[test]
    fn words_are_quoted_and_joined() {
        assert_eq!(
            fts("diffusion video").as_deref(),
            Some("\"diffusion\" AND \"video\"")
        );
    }

    #[test]
    fn syntax_characters_stay_inside_quotes() {
        assert_eq!(
            fts("self-attention: (NEAR) ^x").as_deref(),
            Some("\"self-attention:\" AND \"(NEAR)\" AND \"^x\"")
        );
    }

    #[test]
    fn phrase_prefix_or_and_exclusion() {
        assert_eq!(
            fts("\"state space\" transform* OR rlhf -survey").as_deref(),
            Some("((\"state space\" AND \"transform\" *) OR (\"rlhf\")) NOT \"survey\"")
        );
    }

    #[test]
    fn filters_are_structured() {
        let SearchTarget::Query(q) =
            parse_query("author:\"yann lecun\" cat:cs.CL since:2025-06 has:code sort:date")
                .unwrap()
        else {
            panic!("expected a query");
        };
        assert_eq!(q.fts.as_deref(), Some("authors : \"yann lecun\""));
        assert_eq!(q.categories, vec!["cs.CL".to_string()]);
        assert_eq!(q.since, NaiveDate::from_ymd_opt(2025, 6, 1));
        assert!(q.has_code);
        assert_eq!(q.sort, SearchSort::Date);
    }

    #[test]
    fn until_month_means_its_last_day() {
        assert_eq!(
            parse_date("2024-02", true).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn blank_and_long_queries_are_user_errors() {
        assert!(parse_query("   ").is_err());
        assert!(parse_query("\"\" - * ()").is_err());
        assert!(parse_query(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
    }

    #[test]
    fn ids_go_to_the_paper() {
        assert!(matches!(
            parse_query("arXiv:2401.12345v2").unwrap(),
            SearchTarget::Paper(_)
        ));
    }

    #[test]
    fn quotes_inside_words_are_escaped() {
        let expr = fts("it\"s").unwrap();
        assert!(expr.starts_with("\"it\""));
    }
}
