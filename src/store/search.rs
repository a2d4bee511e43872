//! Full-text search over the `papers_fts` index, with the filters that `core::search` parses.
//!
//! A search runs in three steps, chosen so that its time depends on the size of a page and not
//! on how many papers contain a word (BENCHMARKS.md has the measurements):
//!
//! 1. The text becomes an FTS5 expression in which every word is a quoted phrase, so no user
//!    text reaches the FTS5 parser unquoted.
//! 2. The index returns matching rows newest first and stops after [`CANDIDATES`] rows that
//!    pass the filters. Rowids grow with insertion, so "newest" means most recently stored.
//!    When fewer rows match, every match is ranked.
//! 3. `paperboy_rank` (see `rank.rs`) scores each candidate with BM25 and field weights, from
//!    document frequencies measured on the newest [`PROBE`] matches of each phrase (exact when
//!    fewer match). FTS5's own `bm25()` would count every match of every phrase first.

mod bulk;
mod rank;
mod suggest;
mod words;

pub(crate) use words::{count_queued_words, queue_paper_text};
use words::{PrefixPlan, PrefixPlans};

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::OptionalExtension;

use super::papers::load_paper;
use super::{Store, StoreError};
use crate::paper::Paper;

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    /// BM25 with field weights; near ties go to the more upvoted, then the newer paper.
    #[default]
    Relevance,
    /// Newest first.
    Date,
    /// Most upvoted first.
    Upvotes,
}

/// One searchable unit of a query, as the user typed it (without quotes or `*`).
#[derive(Debug, Clone, PartialEq)]
pub enum SearchTerm {
    Word(String),
    /// Words starting with this text.
    Prefix(String),
    /// Words in this order, side by side.
    Phrase(String),
}

/// A search the store can run. The store quotes every term itself, so any text is safe here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreQuery {
    /// Alternatives joined by OR; each is a list of terms that must all match. Empty for a
    /// search by filters alone.
    pub any_of: Vec<Vec<SearchTerm>>,
    /// Terms that must not match.
    pub excluded: Vec<SearchTerm>,
    /// Author names (or parts of them), each of which must match an author.
    pub authors: Vec<String>,
    pub excluded_authors: Vec<String>,
    /// arXiv categories the paper must all have, compared without regard to case.
    pub categories: Vec<String>,
    pub excluded_categories: Vec<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub has_code: bool,
    pub sort: SearchSort,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub paper: Paper,
    /// The BM25 score (higher is better); `None` when the search ranked nothing, as with
    /// filters alone or another order than relevance.
    pub score: Option<f64>,
}

/// Most matching rows a text search ranks: the newest ones when more match. Ranking a
/// candidate costs a few microseconds, so this bounds a search to a few milliseconds. It is
/// also the most results a text search pages through.
pub const CANDIDATES: usize = 500;

/// The same bound for `has:code`, which is tested on each paper after the index has matched
/// it: where few papers have code, each candidate costs the scan of many matches.
pub const CODE_CANDIDATES: usize = 100;

/// Matches of a phrase read to measure its document frequency. Below this the count is exact;
/// above it, the frequency is extrapolated from how far back the newest `PROBE` matches reach.
pub const PROBE: usize = 200;

/// Scores within this ratio of each other are treated as tied and ordered by upvotes, then
/// date, so that among equally relevant papers the popular and recent ones come first.
const TIE_RATIO: f64 = 1.02;

/// A matching paper before it is loaded.
#[derive(Debug, Clone)]
struct Candidate {
    key: String,
    score: Option<f64>,
    upvotes: i64,
    date: Option<String>,
}

impl Store {
    /// Runs a search and returns one page of hits plus whether more hits follow.
    pub fn search(
        &self,
        query: &StoreQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<SearchHit>, bool), StoreError> {
        let mut candidates = self.candidates(query, offset, limit)?;
        if candidates.is_empty() {
            for relaxed in relaxations(query) {
                candidates = self.candidates(&relaxed, offset, limit)?;
                if !candidates.is_empty() {
                    break;
                }
            }
        }
        let page: Vec<Candidate> = candidates.into_iter().skip(offset).collect();
        let more = page.len() > limit;
        let mut hits = Vec::with_capacity(limit);
        for candidate in page.into_iter().take(limit) {
            if let Some(paper) = load_paper(&self.conn, &candidate.key)? {
                hits.push(SearchHit {
                    paper,
                    score: candidate.score,
                });
            }
        }
        Ok((hits, more))
    }

    fn candidates(
        &self,
        query: &StoreQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let plans = self.prefix_plans(query)?;
        match Expression::build(query, &plans) {
            Some(expression) => self.text_candidates(query, &expression, offset + limit + 1),
            None => self.filter_candidates(query, offset, limit + 1),
        }
    }

    /// Plans each prefix the query must match. Excluded prefixes keep FTS5's exact query:
    /// leaving out only a prefix's common words would let the rare ones through.
    fn prefix_plans(&self, query: &StoreQuery) -> Result<PrefixPlans, StoreError> {
        let mut plans = PrefixPlans::new();
        for term in query.any_of.iter().flatten() {
            if let SearchTerm::Prefix(prefix) = term {
                if !plans.contains_key(prefix) {
                    plans.insert(prefix.clone(), self.prefix_plan(prefix)?);
                }
            }
        }
        Ok(plans)
    }

    /// Ranks the newest matches of a text search and returns them best first; the first
    /// `wanted` are exact, the rest may be left out.
    fn text_candidates(
        &self,
        query: &StoreQuery,
        expression: &Expression,
        wanted: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let ranked = query.sort == SearchSort::Relevance && expression.has_scored_phrase();
        let mut params: Vec<Value> = Vec::new();
        let score = if ranked {
            let frequencies = expression
                .phrases
                .iter()
                .map(|phrase| self.document_frequency(phrase))
                .collect::<Result<Vec<f64>, StoreError>>()?;
            params.push(Value::Blob(rank::frequencies_blob(&frequencies)));
            format!("{}(papers_fts, ?)", rank::NAME)
        } else {
            "NULL".to_string()
        };
        params.push(Value::Text(expression.text.clone()));
        let mut conditions = vec!["papers_fts MATCH ?".to_string()];
        if !self.add_rowid_bounds(query, &mut conditions, &mut params)? {
            return Ok(Vec::new());
        }
        let cap = if query.has_code {
            CODE_CANDIDATES
        } else {
            CANDIDATES
        };
        let index_conditions = conditions.len();
        add_filters(query, &mut conditions, &mut params);
        // The window stays the same on every page. Growing it with the offset would let the
        // older matches it takes in rank above papers already shown, so pages would repeat.
        params.push(Value::Integer(cap as i64));
        if ranked && conditions.len() == index_conditions {
            return self.ranked_index_candidates(&score, &conditions, &params, wanted);
        }

        // CROSS JOIN keeps the index as the outer loop, so rows come in rowid order and the
        // LIMIT stops the scan.
        let sql = format!(
            "SELECT p.id, {score}, COALESCE(p.upvotes, 0), COALESCE(p.published, p.daily_date) \
             FROM papers_fts CROSS JOIN papers p ON p.rowid = papers_fts.rowid \
             WHERE {} ORDER BY papers_fts.rowid DESC LIMIT ?",
            conditions.join(" AND ")
        );
        let mut candidates = self.query_candidates(&sql, &params)?;
        sort_candidates(&mut candidates, query.sort);
        Ok(candidates)
    }

    /// Ranks a search without filters on the `papers` row from the index alone, then reads
    /// the row of only the candidates that can reach the first `wanted` places. Reading the
    /// row of each of [`CANDIDATES`] matches cost a page read apiece and was most of the time
    /// of a search in a million-paper store.
    fn ranked_index_candidates(
        &self,
        score: &str,
        conditions: &[String],
        params: &[Value],
        wanted: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let sql = format!(
            "SELECT papers_fts.rowid, {score} FROM papers_fts \
             WHERE {} ORDER BY papers_fts.rowid DESC LIMIT ?",
            conditions.join(" AND ")
        );
        let mut stmt = self.prepare_search(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<f64>>(1)?))
        })?;
        let mut scored: Vec<(i64, Option<f64>)> = rows.collect::<Result<_, _>>()?;
        scored.sort_by(|a, b| bucket(b.1).cmp(&bucket(a.1)).then(b.0.cmp(&a.0)));

        // Upvotes and dates only reorder near ties, which share a bucket: nothing below the
        // bucket of the last wanted place can move into the first `wanted`.
        let cut = match scored.get(wanted.saturating_sub(1)) {
            Some(&(_, last)) => {
                let floor = bucket(last);
                scored.partition_point(|&(_, score)| bucket(score) >= floor)
            }
            None => scored.len(),
        };
        scored.truncate(cut);

        let mut row = self.conn.prepare_cached(
            "SELECT id, COALESCE(upvotes, 0), COALESCE(published, daily_date) \
             FROM papers WHERE rowid = ?",
        )?;
        let mut candidates = Vec::with_capacity(scored.len());
        for (rowid, score) in scored {
            let found = row
                .query_row([rowid], |r| {
                    Ok(Candidate {
                        key: r.get(0)?,
                        score,
                        upvotes: r.get(1)?,
                        date: r.get(2)?,
                    })
                })
                .optional()?;
            // A row deleted since the index was read has no paper to show.
            candidates.extend(found);
        }
        sort_candidates(&mut candidates, SearchSort::Relevance);
        Ok(candidates)
    }

    /// Runs a search by filters alone, ordered in SQL by date (or by upvotes with `sort:upvotes`).
    fn filter_candidates(
        &self,
        query: &StoreQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut conditions = vec!["1".to_string()];
        let mut params = Vec::new();
        add_filters(query, &mut conditions, &mut params);
        let order = match query.sort {
            SearchSort::Upvotes => "COALESCE(p.upvotes, 0) DESC, p.id DESC",
            _ => "COALESCE(p.published, p.daily_date) DESC, COALESCE(p.upvotes, 0) DESC, p.id DESC",
        };
        params.push(Value::Integer((offset + limit) as i64));
        let sql = format!(
            "SELECT p.id, NULL, COALESCE(p.upvotes, 0), COALESCE(p.published, p.daily_date) \
             FROM papers p WHERE {} ORDER BY {order} LIMIT ?",
            conditions.join(" AND ")
        );
        self.query_candidates(&sql, &params)
    }

    fn query_candidates(&self, sql: &str, params: &[Value]) -> Result<Vec<Candidate>, StoreError> {
        let mut stmt = self.prepare_search(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok(Candidate {
                key: r.get(0)?,
                score: r.get(1)?,
                upvotes: r.get(2)?,
                date: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Prepares a search statement, first registering the ranking function on this connection
    /// if SQLite does not know it yet.
    fn prepare_search(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StoreError> {
        match self.conn.prepare_cached(sql) {
            Err(error) if is_unknown_rank_function(&error) => {
                rank::register(&self.conn)?;
                Ok(self.conn.prepare_cached(sql)?)
            }
            other => Ok(other?),
        }
    }

    /// Counts the documents that contain a phrase: exactly up to [`PROBE`], and above that
    /// extrapolated from the share of rowids that its newest `PROBE` matches span. Phrases
    /// that do not score get [`rank::NOT_SCORED`] and cost nothing.
    fn document_frequency(&self, phrase: &Phrase) -> Result<f64, StoreError> {
        if !phrase.scored {
            return Ok(rank::NOT_SCORED);
        }
        if let Some(known) = phrase.known_frequency {
            return Ok(known);
        }
        let version = self.data_version()?;
        if let Some(known) = self.frequencies.borrow_mut().get(version, &phrase.fts) {
            return Ok(known);
        }
        let measured = self.measure_frequency(phrase)?;
        self.frequencies
            .borrow_mut()
            .insert(version, &phrase.fts, measured);
        Ok(measured)
    }

    /// Identifies the content of the store: SQLite's `data_version` changes when another
    /// connection commits, and the change count when this one writes.
    fn data_version(&self) -> Result<(i64, u64), StoreError> {
        let version: i64 = self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        Ok((version, self.conn.total_changes()))
    }

    fn measure_frequency(&self, phrase: &Phrase) -> Result<f64, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*), min(rowid) FROM (SELECT rowid FROM papers_fts \
             WHERE papers_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)",
        )?;
        let (count, oldest): (i64, Option<i64>) = stmt
            .query_row(rusqlite::params![phrase.fts, PROBE as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if (count as usize) < PROBE {
            return Ok(count as f64);
        }
        let newest: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(max(rowid), 0) FROM papers")?
            .query_row([], |r| r.get(0))?;
        let spanned = (newest - oldest.unwrap_or(newest) + 1).max(1) as f64;
        Ok(count as f64 * newest.max(1) as f64 / spanned)
    }

    /// Narrows a dated search to the rowids of papers stored for those months, from the
    /// `search_months` table that triggers keep. The bounds are a superset (papers stored out of
    /// date order widen them) and the exact date test still runs. Returns false when no stored
    /// paper falls in the range.
    fn add_rowid_bounds(
        &self,
        query: &StoreQuery,
        conditions: &mut Vec<String>,
        params: &mut Vec<Value>,
    ) -> Result<bool, StoreError> {
        if query.since.is_none() && query.until.is_none() {
            return Ok(true);
        }
        let first = query.since.map(|d| d.format("%Y-%m").to_string());
        let last = query.until.map(|d| d.format("%Y-%m").to_string());
        let bounds: (Option<i64>, Option<i64>) = self
            .conn
            .prepare_cached(
                "SELECT min(first_rowid), max(last_rowid) FROM search_months \
                 WHERE (?1 IS NULL OR month >= ?1) AND (?2 IS NULL OR month <= ?2)",
            )?
            .query_row(rusqlite::params![first, last], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let (Some(low), Some(high)) = bounds else {
            return Ok(false);
        };
        conditions.push("papers_fts.rowid BETWEEN ? AND ?".to_string());
        params.push(Value::Integer(low));
        params.push(Value::Integer(high));
        Ok(true)
    }

    /// Merges the full-text indexes into one segment each and counts their words again. Worth
    /// running after a large bulk insert: a query then reads one doclist per word instead of
    /// one per segment, and prefixes see the words of the new papers.
    pub fn optimize_search_index(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "INSERT INTO papers_fts (papers_fts) VALUES ('optimize');
             INSERT INTO papers_title_fts (papers_title_fts) VALUES ('optimize');",
        )?;
        self.recount_search_words()
    }
}

/// Document frequencies by phrase, valid while the store's content is unchanged. Common words
/// recur across queries, and counting one costs a read of its newest [`PROBE`] matches.
#[derive(Debug, Default)]
pub(super) struct FrequencyCache {
    version: Option<(i64, u64)>,
    by_phrase: std::collections::HashMap<String, f64>,
}

/// Phrases remembered at most; the cache starts over when it is full.
const FREQUENCY_CACHE_SIZE: usize = 4096;

impl FrequencyCache {
    fn get(&mut self, version: (i64, u64), phrase: &str) -> Option<f64> {
        self.entries_at(version).get(phrase).copied()
    }

    fn insert(&mut self, version: (i64, u64), phrase: &str, frequency: f64) {
        let entries = self.entries_at(version);
        if entries.len() >= FREQUENCY_CACHE_SIZE {
            entries.clear();
        }
        entries.insert(phrase.to_string(), frequency);
    }

    /// Returns the entries measured at `version`, forgetting all others.
    fn entries_at(&mut self, version: (i64, u64)) -> &mut std::collections::HashMap<String, f64> {
        if self.version != Some(version) {
            self.version = Some(version);
            self.by_phrase.clear();
        }
        &mut self.by_phrase
    }
}

/// Looser forms of a word search that found nothing, to try in order: every word but one (for
/// three to [`MAX_RELAXED_WORDS`] words), then any word. A search without stemming misses
/// "falls" for "fall", and a remembered word may not be in the paper at all; BM25 still ranks
/// the papers that match more words first. Filters, authors and exclusions are kept.
fn relaxations(query: &StoreQuery) -> Vec<StoreQuery> {
    let terms: Vec<&SearchTerm> = query.any_of.iter().flatten().collect();
    if terms.len() < 2 {
        return Vec::new();
    }
    let mut relaxed = Vec::new();
    if query.any_of.len() == 1 && (3..=MAX_RELAXED_WORDS).contains(&terms.len()) {
        let all_but_one = (0..terms.len())
            .map(|left_out| {
                terms
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != left_out)
                    .map(|(_, t)| (*t).clone())
                    .collect()
            })
            .collect();
        relaxed.push(StoreQuery {
            any_of: all_but_one,
            ..query.clone()
        });
    }
    relaxed.push(StoreQuery {
        any_of: terms.iter().map(|t| vec![(*t).clone()]).collect(),
        ..query.clone()
    });
    relaxed
}

/// Most words for which a search tries every-word-but-one: that form has n × (n − 1) phrases.
const MAX_RELAXED_WORDS: usize = 8;

fn is_unknown_rank_function(error: &rusqlite::Error) -> bool {
    let message = match error {
        rusqlite::Error::SqlInputError { msg, .. } => msg.as_str(),
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.as_str(),
        _ => return false,
    };
    message.contains("no such function") && message.contains(rank::NAME)
}

/// Adds the exact tests of every filter on `p`, the `papers` row.
fn add_filters(query: &StoreQuery, conditions: &mut Vec<String>, params: &mut Vec<Value>) {
    const IN_CATEGORY: &str =
        "EXISTS (SELECT 1 FROM json_each(p.categories) WHERE lower(value) = lower(?))";
    for category in &query.categories {
        params.push(Value::Text(category.clone()));
        conditions.push(IN_CATEGORY.to_string());
    }
    for category in &query.excluded_categories {
        params.push(Value::Text(category.clone()));
        conditions.push(format!("NOT {IN_CATEGORY}"));
    }
    if let Some(since) = query.since {
        params.push(Value::Text(since.to_string()));
        conditions.push("COALESCE(p.published, p.daily_date) >= ?".into());
    }
    if let Some(until) = query.until {
        // Dates are compared as text, so the day after `until` bounds the whole day.
        let next = until.succ_opt().unwrap_or(until);
        params.push(Value::Text(next.to_string()));
        conditions.push("COALESCE(p.published, p.daily_date) < ?".into());
    }
    if query.has_code {
        conditions.push("p.github_repo IS NOT NULL".into());
    }
}

/// Orders candidates for the page: by score with near ties broken by upvotes and date, or by
/// date or upvotes alone. Unranked candidates fall back to date order.
fn sort_candidates(candidates: &mut [Candidate], sort: SearchSort) {
    let by_date = |a: &Candidate, b: &Candidate| {
        b.date
            .cmp(&a.date)
            .then(b.upvotes.cmp(&a.upvotes))
            .then(b.key.cmp(&a.key))
    };
    match sort {
        SearchSort::Upvotes => {
            candidates.sort_by(|a, b| b.upvotes.cmp(&a.upvotes).then_with(|| by_date(a, b)))
        }
        SearchSort::Date => candidates.sort_by(by_date),
        SearchSort::Relevance => candidates.sort_by(|a, b| {
            bucket(b.score)
                .cmp(&bucket(a.score))
                .then(b.upvotes.cmp(&a.upvotes))
                .then_with(|| by_date(a, b))
        }),
    }
}

/// Maps a score to a logarithmic scale with steps of [`TIE_RATIO`]. Equal buckets are ties.
fn bucket(score: Option<f64>) -> i64 {
    match score {
        Some(score) if score > 0.0 => (score.ln() / TIE_RATIO.ln()).round() as i64,
        _ => i64::MIN,
    }
}

/// The FTS5 expression of a query's text, words, authors and categories, with its phrases in
/// the order FTS5 numbers them (left to right), which is the order `paperboy_rank` takes their
/// document frequencies in.
#[derive(Debug)]
struct Expression {
    text: String,
    phrases: Vec<Phrase>,
}

#[derive(Debug)]
struct Phrase {
    /// The phrase alone, with its column filter, as an FTS5 expression.
    fts: String,
    /// Whether a match adds to the score: categories only filter, and excluded phrases never
    /// match a result.
    scored: bool,
    /// Its document frequency when already known, as for the words a prefix stands for.
    known_frequency: Option<f64>,
}

impl Expression {
    /// Builds the expression, or `None` when the query has nothing for the index to match.
    fn build(query: &StoreQuery, plans: &PrefixPlans) -> Option<Expression> {
        let mut expression = Expression {
            text: String::new(),
            phrases: Vec::new(),
        };
        let mut parts = Vec::new();
        let groups: Vec<String> = query
            .any_of
            .iter()
            .filter(|group| !group.is_empty())
            .map(|group| {
                let terms: Vec<String> = group
                    .iter()
                    .map(|term| expression.term(term, plans))
                    .collect();
                format!("({})", terms.join(" AND "))
            })
            .collect();
        if !groups.is_empty() {
            // Parenthesised as a whole: FTS5's AND binds tighter than OR, and the authors and
            // categories below must apply to every alternative.
            parts.push(format!("({})", groups.join(" OR ")));
        }
        for author in &query.authors {
            parts.push(expression.phrase(format!("authors : {}", quote(author)), true));
        }
        for category in &query.categories {
            parts.push(expression.phrase(format!("keywords : {}", quote(category)), false));
        }
        if parts.is_empty() {
            return None;
        }
        let mut text = parts.join(" AND ");
        for term in &query.excluded {
            text = format!("({text}) NOT {}", expression.phrase(term_fts(term), false));
        }
        for author in &query.excluded_authors {
            let phrase = expression.phrase(format!("authors : {}", quote(author)), false);
            text = format!("({text}) NOT {phrase}");
        }
        expression.text = text;
        Some(expression)
    }

    /// Records a phrase and returns its text for the expression.
    fn phrase(&mut self, fts: String, scored: bool) -> String {
        self.phrases.push(Phrase {
            fts: fts.clone(),
            scored,
            known_frequency: None,
        });
        fts
    }

    /// Records a term that must match: one phrase, or for a prefix planned as words, an OR of
    /// one phrase per word.
    fn term(&mut self, term: &SearchTerm, plans: &PrefixPlans) -> String {
        let (lead, words) = match term {
            SearchTerm::Prefix(prefix) => match plans.get(prefix) {
                Some(PrefixPlan::Words { lead, words }) if !words.is_empty() => (lead, words),
                _ => return self.phrase(term_fts(term), true),
            },
            _ => return self.phrase(term_fts(term), true),
        };
        let alternatives: Vec<String> = words
            .iter()
            .map(|(word, docs)| {
                // The word's own count is used for the phrase's, an estimate from above.
                let fts = if lead.is_empty() {
                    quote(word)
                } else {
                    quote(&format!("{lead} {word}"))
                };
                self.phrases.push(Phrase {
                    fts: fts.clone(),
                    scored: true,
                    known_frequency: Some(*docs),
                });
                fts
            })
            .collect();
        format!("({})", alternatives.join(" OR "))
    }

    fn has_scored_phrase(&self) -> bool {
        self.phrases.iter().any(|p| p.scored)
    }
}

fn term_fts(term: &SearchTerm) -> String {
    match term {
        SearchTerm::Word(text) | SearchTerm::Phrase(text) => quote(text),
        // FTS5 merges the doclists of every word that starts with the prefix before the first
        // row; `words.rs` keeps this for prefixes whose words are rare.
        SearchTerm::Prefix(text) => format!("{} *", quote(text)),
    }
}

/// Quotes text as an FTS5 string. Inside quotes every character is literal except `"`, which
/// is doubled, so syntax characters and the words AND, OR, NOT and NEAR are searched as text.
/// Control characters become spaces: SQLite reads the expression as a C string, so a NUL
/// would end it early and leave the quote open.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\"\""),
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ArxivId;
    use chrono::{TimeZone, Utc};

    fn paper(key: &str, title: &str, upvotes: i64) -> Paper {
        let mut p = Paper::new(ArxivId::from_key(key).unwrap(), title, "An abstract.");
        p.upvotes = Some(upvotes);
        p
    }

    fn store_with(papers: &[Paper]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 8, 18, 12, 0, 0).unwrap();
        store.upsert_papers(papers, at).unwrap();
        (dir, store)
    }

    fn words(text: &str) -> StoreQuery {
        StoreQuery {
            any_of: vec![text
                .split_whitespace()
                .map(|w| SearchTerm::Word(w.to_string()))
                .collect()],
            ..StoreQuery::default()
        }
    }

    fn keys(hits: &[SearchHit]) -> Vec<String> {
        hits.iter().map(|h| h.paper.id.to_string()).collect()
    }

    #[test]
    fn tied_scores_are_ordered_by_upvotes_across_pages() {
        // Thirty equal titles score alike, so upvotes alone order them, on every page. The
        // oldest papers have the most upvotes, so a cut by recency would show the wrong ones.
        let papers: Vec<Paper> = (1..=30)
            .map(|n| paper(&format!("2508.{n:05}"), "Sparse attention kernels", 100 - n))
            .collect();
        let (_dir, store) = store_with(&papers);
        let query = words("attention");

        let (first, more) = store.search(&query, 0, 10).unwrap();
        assert!(more);
        let expected: Vec<String> = (1..=10).map(|n| format!("2508.{n:05}")).collect();
        assert_eq!(keys(&first), expected);

        let (second, _) = store.search(&query, 10, 10).unwrap();
        let expected: Vec<String> = (11..=20).map(|n| format!("2508.{n:05}")).collect();
        assert_eq!(keys(&second), expected);
    }

    #[test]
    fn search_ranks_better_match_first() {
        let mut papers: Vec<Paper> = (1..=20)
            .map(|n| {
                paper(
                    &format!("2508.{n:05}"),
                    "Attention kernels for sparse models",
                    100 + n,
                )
            })
            .collect();
        papers.push(paper("2508.00099", "Attention", 0));
        let (_dir, store) = store_with(&papers);

        let (hits, _) = store.search(&words("attention"), 0, 3).unwrap();
        assert_eq!(keys(&hits), ["2508.00099", "2508.00020", "2508.00019"]);
    }

    #[test]
    fn frequencies_are_measured_again_after_a_write() {
        let (_dir, mut store) = store_with(&[paper("2508.00001", "Graph kernels", 1)]);
        let phrase = Phrase {
            fts: quote("kernels"),
            scored: true,
            known_frequency: None,
        };
        assert_eq!(store.document_frequency(&phrase).unwrap(), 1.0);

        let at = Utc.with_ymd_and_hms(2026, 8, 19, 12, 0, 0).unwrap();
        store
            .upsert_papers(&[paper("2508.00002", "Kernels again", 1)], at)
            .unwrap();
        assert_eq!(store.document_frequency(&phrase).unwrap(), 2.0);
    }

    #[test]
    fn large_prefix_searches_its_words() {
        let (_dir, store) = store_with(&[
            paper("2508.00001", "Computer vision at scale", 1),
            paper("2508.00002", "Compiler passes for kernels", 2),
            paper("2508.00003", "Graph kernels", 3),
        ]);
        // A count this large makes the prefix plan an OR of its words.
        store
            .conn
            .execute(
                "UPDATE search_words SET docs = 60000 WHERE word = 'computer'",
                [],
            )
            .unwrap();
        let query = StoreQuery {
            any_of: vec![vec![SearchTerm::Prefix("Comp".into())]],
            ..StoreQuery::default()
        };
        assert!(matches!(
            store.prefix_plan("Comp").unwrap(),
            PrefixPlan::Words { .. }
        ));

        let (hits, more) = store.search(&query, 0, 10).unwrap();
        let mut found = keys(&hits);
        found.sort();
        assert_eq!(found, ["2508.00001", "2508.00002"]);
        assert!(!more);
        assert!(hits.iter().all(|h| h.score.is_some_and(|s| s > 0.0)));
    }

    #[test]
    fn frequency_cache_forgets_everything_on_a_new_version() {
        let mut cache = FrequencyCache::default();
        cache.insert((1, 0), "\"model\"", 5.0);
        assert_eq!(cache.get((1, 0), "\"model\""), Some(5.0));
        assert_eq!(cache.get((2, 0), "\"model\""), None);
        assert_eq!(cache.get((1, 0), "\"model\""), None);
    }
}
