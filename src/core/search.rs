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
//! `-author:` and `-cat:` leave out an author or a category; a prefix needs at least
//! [`MIN_PREFIX_CHARS`] letters or digits before the `*`.
//!
//! The store quotes every word before it reaches SQLite's FTS5, so characters FTS5 treats as
//! syntax (`- : ( ) ^ * "` and the words AND, OR, NOT, NEAR) can never cause a syntax error.

use chrono::{Datelike, NaiveDate};

use crate::error::UserError;
use crate::ids::{self, PaperRef};
use crate::store::{SearchSort, SearchTerm, StoreQuery};

/// Longest query accepted, in characters. Long enough for a pasted title plus filters.
pub const MAX_QUERY_CHARS: usize = 300;

/// Shortest prefix accepted before a `*`, counted in the last word. The index lists every word
/// that starts with the prefix, and one or two letters start a large share of all words.
pub const MIN_PREFIX_CHARS: usize = 3;

/// What a query asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchTarget {
    /// The query is an arXiv ID or a paper URL: go straight to that paper.
    Paper(PaperRef),
    Query(StoreQuery),
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
    query: StoreQuery,
    /// Set by `OR`: the next term starts a new alternative.
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
                if self.apply_filter(key, value, token.negated)? {
                    return Ok(());
                }
            }
        }
        let Some(term) = to_term(&token)? else {
            return Ok(());
        };
        let groups = &mut self.query.any_of;
        if token.negated {
            self.query.excluded.push(term);
        } else if self.pending_or || groups.is_empty() {
            groups.push(vec![term]);
        } else if let Some(last) = groups.last_mut() {
            last.push(term);
        }
        self.pending_or = false;
        Ok(())
    }

    /// Applies `key:value` when `key` is a filter name; returns false for other text with a
    /// colon (such as `BERT:` or `10:1`), which is searched as words. A leading `-` leaves out
    /// an author or a category; other filters cannot be negated.
    fn apply_filter(&mut self, key: &str, value: &str, negated: bool) -> Result<bool, UserError> {
        let value = value.trim_matches('"').trim();
        let key = key.to_ascii_lowercase();
        let query = &mut self.query;
        match (key.as_str(), negated) {
            ("author" | "au" | "by", _) => {
                let names = if negated {
                    &mut query.excluded_authors
                } else {
                    &mut query.authors
                };
                if has_word(value) {
                    names.push(value.to_string());
                }
            }
            ("cat" | "category", false) => query.categories.push(parse_category(value)?),
            ("cat" | "category", true) => query.excluded_categories.push(parse_category(value)?),
            ("since" | "from" | "after" | "until" | "to" | "before" | "has" | "sort", true) => {
                return Err(UserError::new(format!(
                    "`-{key}:` cannot be negated: only author: and cat: can. Remove the `-`."
                )))
            }
            _ => return self.apply_value_filter(&key, value),
        }
        Ok(true)
    }

    /// Applies the filters that take one value: dates, `has:` and `sort:`.
    fn apply_value_filter(&mut self, key: &str, value: &str) -> Result<bool, UserError> {
        match key {
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
        let query = self.query;
        let has_positive_text =
            !query.any_of.is_empty() || !query.authors.is_empty() || !query.categories.is_empty();
        let has_exclusions = !query.excluded.is_empty() || !query.excluded_authors.is_empty();
        if has_exclusions && !has_positive_text {
            return Err(UserError::new(
                "A search needs at least one word, author or category to look for besides the \
                 excluded (-word) ones.",
            ));
        }
        let has_filters = !query.excluded_categories.is_empty()
            || query.since.is_some()
            || query.until.is_some()
            || query.has_code;
        if !has_positive_text && !has_filters {
            return Err(blank_query());
        }
        if let (Some(since), Some(until)) = (query.since, query.until) {
            if since > until {
                return Err(UserError::new(format!(
                    "since:{since} is after until:{until}, so no paper can match. Swap the dates."
                )));
            }
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

/// Turns a token into a term, or `None` when it contains nothing searchable (only punctuation).
/// Control characters, NUL included, count as spaces.
fn to_term(token: &Token) -> Result<Option<SearchTerm>, UserError> {
    let cleaned: String = token
        .text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if token.quoted {
        return Ok(has_word(cleaned).then(|| SearchTerm::Phrase(cleaned.to_string())));
    }
    // `(transform*)` and `comp*,`: punctuation after the `*` still ends a prefix.
    let before_punctuation = cleaned.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '*');
    let cleaned = if before_punctuation.ends_with('*') {
        before_punctuation
    } else {
        cleaned
    };
    let core = cleaned.trim_end_matches('*');
    if !has_word(core) {
        return Ok(None);
    }
    let is_prefix =
        core.len() < cleaned.len() && core.chars().last().is_some_and(char::is_alphanumeric);
    if !is_prefix {
        return Ok(Some(SearchTerm::Word(core.to_string())));
    }
    let last_word = core
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or(core);
    if last_word.chars().count() < MIN_PREFIX_CHARS {
        return Err(UserError::new(format!(
            "`{cleaned}` is too short a prefix: type at least {MIN_PREFIX_CHARS} letters before \
             the *, or the whole word without it."
        )));
    }
    let core = core.trim_start_matches(|c: char| !c.is_alphanumeric());
    Ok(Some(SearchTerm::Prefix(core.to_string())))
}

fn has_word(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
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
            "`{value}` is not a date from 1990 to 2100. Use YYYY, YYYY-MM or YYYY-MM-DD, for \
             example since:2025-06."
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
    use SearchTerm::{Phrase, Prefix, Word};

    fn query(input: &str) -> StoreQuery {
        match parse_query(input) {
            Ok(SearchTarget::Query(q)) => q,
            other => panic!("`{input}` did not parse as a search: {other:?}"),
        }
    }

    fn word(text: &str) -> SearchTerm {
        Word(text.to_string())
    }

    #[test]
    fn words_form_one_group() {
        assert_eq!(
            query("diffusion video").any_of,
            vec![vec![word("diffusion"), word("video")]]
        );
    }

    #[test]
    fn syntax_characters_stay_in_words() {
        assert_eq!(
            query("self-attention: (NEAR) ^x").any_of,
            vec![vec![word("self-attention:"), word("(NEAR)"), word("^x")]]
        );
    }

    #[test]
    fn phrase_prefix_or_and_exclusion() {
        let q = query("\"state space\" transform* OR rlhf -survey");
        assert_eq!(
            q.any_of,
            vec![
                vec![Phrase("state space".into()), Prefix("transform".into())],
                vec![word("rlhf")]
            ]
        );
        assert_eq!(q.excluded, vec![word("survey")]);
    }

    #[test]
    fn punctuation_after_the_star_keeps_a_prefix() {
        for input in ["(transform*)", "transform*.", "transform*,", "transform*:"] {
            assert_eq!(
                query(input).any_of,
                vec![vec![Prefix("transform".into())]],
                "{input}"
            );
        }
    }

    #[test]
    fn filters_are_structured() {
        let q = query("author:\"yann lecun\" cat:cs.CL since:2025-06 has:code sort:date");
        assert!(q.any_of.is_empty());
        assert_eq!(q.authors, vec!["yann lecun".to_string()]);
        assert_eq!(q.categories, vec!["cs.CL".to_string()]);
        assert_eq!(q.since, NaiveDate::from_ymd_opt(2025, 6, 1));
        assert!(q.has_code);
        assert_eq!(q.sort, SearchSort::Date);
    }

    #[test]
    fn author_and_category_can_be_excluded() {
        let q = query("diffusion -author:smith -cat:cs.CV");
        assert_eq!(q.excluded_authors, vec!["smith".to_string()]);
        assert_eq!(q.excluded_categories, vec!["cs.CV".to_string()]);
        assert!(q.authors.is_empty());
        assert!(q.categories.is_empty());
    }

    #[test]
    fn other_filters_cannot_be_negated() {
        for input in ["diffusion -since:2024", "x -has:code", "x -sort:date"] {
            assert!(parse_query(input).is_err(), "{input}");
        }
    }

    #[test]
    fn reversed_date_range_is_rejected() {
        let error = parse_query("llm since:2025 until:2024").unwrap_err();
        assert!(error.0.contains("Swap"), "{}", error.0);
    }

    #[test]
    fn short_prefix_is_rejected() {
        assert!(parse_query("a*").is_err());
        assert!(parse_query("self-a*").is_err());
        assert!(parse_query("gpt*").is_ok());
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
        assert!(parse_query("-survey").is_err());
        let long = parse_query(&"a".repeat(MAX_QUERY_CHARS + 1)).unwrap_err();
        assert!(long.0.contains(&MAX_QUERY_CHARS.to_string()), "{}", long.0);
    }

    #[test]
    fn ids_go_to_the_paper() {
        for input in [
            "arXiv:2401.12345v2",
            "https://arxiv.org/abs/2401.12345",
            "https://huggingface.co/papers/2401.12345",
            "https://www.alphaxiv.org/abs/2401.12345",
        ] {
            assert!(
                matches!(parse_query(input), Ok(SearchTarget::Paper(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn quotes_inside_words_stay_in_the_word() {
        assert_eq!(query("it\"s").any_of, vec![vec![word("it\"s")]]);
    }

    /// Inputs that must parse as searches without an error.
    const HOSTILE: &[&str] = &[
        "nul\0byte",
        "\u{1F680} rocket launch \u{1F525}",
        "\u{05E9}\u{05DC}\u{05D5}\u{05DD} \u{0639}\u{0627}\u{0644}\u{0645}",
        "\u{202E}reversed\u{202C} text",
        "cafe\u{0301} na\u{0308}ive",
        "AND OR NOT NEAR",
        "NEAR(a b, 3)",
        "\"unclosed phrase",
        "title: abstract: col:value",
        "x:y:z",
        "^start",
        "{title abstract}: gan",
        "'single' `tick` \\back\\slash",
        "中文 检索",
        "a OR OR b",
        "OR",
    ];

    #[test]
    fn hostile_strings_parse_or_fail_politely() {
        for input in HOSTILE {
            match parse_query(input) {
                Ok(SearchTarget::Query(_)) | Ok(SearchTarget::Paper(_)) => {}
                Err(error) => assert!(!error.0.is_empty(), "{input:?}"),
            }
        }
    }

    #[test]
    fn operator_words_are_plain_words() {
        let q = query("AND NOT NEAR");
        assert_eq!(q.any_of, vec![vec![word("AND"), word("NOT"), word("NEAR")]]);
    }

    #[test]
    fn column_like_tokens_are_words() {
        let q = query("title:gan abstract:");
        assert_eq!(q.any_of, vec![vec![word("title:gan"), word("abstract:")]]);
    }

    #[test]
    fn nul_is_a_space() {
        assert_eq!(query("nul\0byte").any_of, vec![vec![word("nul byte")]]);
    }

    mod against_a_store {
        use super::*;
        use crate::core::{search as run_search, SearchOutcome};
        use crate::error::Error;
        use crate::ids::ArxivId;
        use crate::paper::Paper;
        use crate::store::Store;
        use chrono::{TimeZone, Utc};
        use proptest::prelude::*;

        fn store() -> (tempfile::TempDir, Store) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(&dir.path().join("s.db")).unwrap();
            let papers: Vec<Paper> = (1..=30)
                .map(|n| {
                    let id = ArxivId::from_key(&format!("2501.{n:05}")).unwrap();
                    let mut p = Paper::new(
                        id,
                        format!("Diffusion model number {n} for caf\u{e9} video"),
                        "We study attention, NEAR operators and \u{1F680} launches.",
                    );
                    p.authors = vec!["Yann LeCun".into(), format!("Author {n}")];
                    p.categories = vec!["cs.CV".into()];
                    p.published = Utc.with_ymd_and_hms(2025, 1, n, 0, 0, 0).single();
                    p.upvotes = Some(i64::from(n));
                    p
                })
                .collect();
            let at = Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap();
            store.upsert_papers(&papers, at).unwrap();
            (dir, store)
        }

        fn outcome(store: &Store, input: &str) -> Result<SearchOutcome, Error> {
            run_search(store, input, 0, 10)
        }

        #[test]
        fn hostile_strings_never_fail_the_store() {
            let (_dir, store) = store();
            for input in HOSTILE {
                if let Err(error) = outcome(&store, input) {
                    assert!(error.is_user_error(), "{input:?}: {error:?}");
                }
            }
        }

        #[test]
        fn filters_apply_to_every_alternative() {
            let (_dir, store) = store();
            let Ok(SearchOutcome::Hits { hits, .. }) =
                outcome(&store, "diffusion OR video author:nobody")
            else {
                panic!("expected hits");
            };
            assert!(hits.is_empty(), "{hits:?}");
        }

        #[test]
        fn category_filter_ignores_case() {
            let (_dir, store) = store();
            let Ok(SearchOutcome::Hits { hits, .. }) = outcome(&store, "cat:cs.cv") else {
                panic!("expected hits");
            };
            assert_eq!(hits.len(), 10);
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_text_never_fails(input in "\\PC{0,80}") {
                let (_dir, store) = store();
                if let Err(error) = outcome(&store, &input) {
                    prop_assert!(error.is_user_error(), "{:?}: {:?}", input, error);
                }
            }

            #[test]
            fn syntax_soup_never_fails(
                parts in proptest::collection::vec(
                    prop_oneof![
                        Just("\"".to_string()), Just("*".to_string()), Just("-".to_string()),
                        Just("OR".to_string()), Just("NOT".to_string()), Just("(".to_string()),
                        Just(")".to_string()), Just(":".to_string()), Just("author:".to_string()),
                        Just("cat:".to_string()), Just("since:".to_string()), Just("^".to_string()),
                        Just("\0".to_string()), Just(" ".to_string()), "[a-z\u{e9}\u{1F680}]{1,6}",
                    ],
                    0..24,
                )
            ) {
                let input = parts.concat();
                let (_dir, store) = store();
                if let Err(error) = outcome(&store, &input) {
                    prop_assert!(error.is_user_error(), "{:?}: {:?}", input, error);
                }
            }
        }
    }
}
