//! Full-text search over the `papers_fts` index, with the filters that `core::search` parses.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension};

use super::papers::{load_paper, ts};
use super::{Store, StoreError};
use crate::paper::Paper;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    /// BM25 with field weights; ties go to the more upvoted, then the newer paper.
    #[default]
    Relevance,
    /// Newest first.
    Date,
    /// Most upvoted first.
    Upvotes,
}

/// A search the store can run: an FTS5 expression built only from quoted phrases (so no user
/// text reaches the FTS5 parser unquoted) plus structured filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreQuery {
    /// A safe FTS5 MATCH expression, or `None` for a filter-only search.
    pub fts: Option<String>,
    pub categories: Vec<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub has_code: bool,
    pub sort: SearchSort,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub paper: Paper,
    /// BM25 score as FTS5 reports it (lower is better); `None` for filter-only searches.
    pub bm25: Option<f64>,
}

/// BM25 weights of the indexed columns, in index order: title, keywords, abstract, authors.
const BM25: &str = "bm25(papers_fts, 10.0, 5.0, 2.0, 1.0)";

impl Store {
    /// Runs a search and returns one page of hits plus whether more hits follow.
    pub fn search(
        &self,
        query: &StoreQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<SearchHit>, bool), StoreError> {
        let (sql, params) = build_sql(query, offset, limit + 1);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<f64>>(1)?))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (key, bm25) = row?;
            if let Some(paper) = load_paper(&self.conn, &key)? {
                hits.push(SearchHit { paper, bm25 });
            }
        }
        let more = hits.len() > limit;
        hits.truncate(limit);
        Ok((hits, more))
    }
}

fn build_sql(query: &StoreQuery, offset: usize, limit: usize) -> (String, Vec<Value>) {
    let mut params: Vec<Value> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();

    let (from, score) = match &query.fts {
        Some(expr) => {
            params.push(Value::Text(expr.clone()));
            conditions.push("papers_fts MATCH ?".to_string());
            (
                "papers_fts JOIN papers p ON p.rowid = papers_fts.rowid",
                BM25.to_string(),
            )
        }
        None => ("papers p", "NULL".to_string()),
    };

    for category in &query.categories {
        params.push(Value::Text(category.clone()));
        conditions.push("EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = ?)".into());
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

    let order = match (query.sort, query.fts.is_some()) {
        (SearchSort::Relevance, true) => {
            format!("round({BM25}, 2), COALESCE(p.upvotes, 0) DESC, p.published DESC, p.id DESC")
        }
        (SearchSort::Upvotes, _) => {
            "COALESCE(p.upvotes, 0) DESC, p.published DESC, p.id DESC".to_string()
        }
        _ => "COALESCE(p.published, p.daily_date) DESC, COALESCE(p.upvotes, 0) DESC, p.id DESC"
            .to_string(),
    };
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    params.push(Value::Integer(limit as i64));
    params.push(Value::Integer(offset as i64));
    let sql =
        format!("SELECT p.id, {score} FROM {from} {filter} ORDER BY {order} LIMIT ? OFFSET ?");
    (sql, params)
}

impl Store {
    /// Inserts papers the store lacks, with their authors, index rows and first snapshot, in
    /// one transaction, and returns how many it inserted. Papers already stored are skipped,
    /// not merged.
    ///
    /// This is the fast path for loading an archive into a new store: it never reads a stored
    /// paper, where [`Store::upsert_papers`] loads and merges each one. Full-text rowids follow
    /// the order of `papers`, and search treats a higher rowid as newer (see `CANDIDATES`), so
    /// give papers oldest first.
    pub fn bulk_insert(
        &mut self,
        papers: &[Paper],
        observed_at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let previous: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn
            .pragma_update(None, "cache_size", BULK_CACHE_SIZE)?;
        let result = self.insert_new_papers(papers, &ts(observed_at));
        let restored = self.conn.pragma_update(None, "cache_size", previous);
        let inserted = result?;
        restored?;
        Ok(inserted)
    }

    fn insert_new_papers(&mut self, papers: &[Paper], now: &str) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut inserted = 0;
        {
            let mut writer = BulkWriter::new(&tx)?;
            for paper in papers {
                if writer.insert(paper, now)? {
                    inserted += 1;
                }
            }
        }
        tx.commit()?;
        Ok(inserted)
    }
}

/// SQLite's page cache during a bulk insert, in KiB (a negative `cache_size` is KiB). The key
/// index of `papers` and the index segments being merged then stay in memory: at 100,000
/// papers this cut the insert time by a third against the default of 2 MiB.
const BULK_CACHE_SIZE: i64 = -256 * 1024;

/// The prepared statements of one bulk insert.
struct BulkWriter<'t> {
    paper: rusqlite::Statement<'t>,
    author: rusqlite::Statement<'t>,
    fts: rusqlite::Statement<'t>,
    snapshot: rusqlite::Statement<'t>,
}

impl<'t> BulkWriter<'t> {
    fn new(tx: &'t rusqlite::Transaction<'_>) -> Result<Self, StoreError> {
        Ok(BulkWriter {
            paper: tx.prepare(
                "INSERT OR IGNORE INTO papers (id, title, abstract, published, daily_date, \
                   upvotes, num_comments, github_repo, github_stars, project_page, ai_summary, \
                   ai_keywords, categories, thumbnail, first_seen, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15) \
                 RETURNING rowid",
            )?,
            author: tx.prepare(
                "INSERT INTO paper_authors (paper_id, position, name) VALUES (?1, ?2, ?3)",
            )?,
            fts: tx.prepare(
                "INSERT INTO papers_fts (rowid, title, keywords, abstract, authors) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            snapshot: tx.prepare(
                "INSERT OR IGNORE INTO snapshots (paper_id, taken_at, upvotes, github_stars) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
        })
    }

    /// Writes one paper; returns false when its key was already stored.
    fn insert(&mut self, paper: &Paper, now: &str) -> Result<bool, StoreError> {
        let key = paper.id.key();
        let rowid: Option<i64> = self
            .paper
            .query_row(
                params![
                    key,
                    paper.title,
                    paper.abstract_text,
                    paper.published.map(ts),
                    paper.daily_date.map(|d| d.to_string()),
                    paper.upvotes,
                    paper.num_comments,
                    paper.github_repo,
                    paper.github_stars,
                    paper.project_page,
                    paper.ai_summary,
                    json_list(&paper.ai_keywords),
                    json_list(&paper.categories),
                    paper.thumbnail,
                    now,
                ],
                |r| r.get(0),
            )
            .optional()?;
        let Some(rowid) = rowid else {
            return Ok(false);
        };
        for (position, name) in paper.authors.iter().enumerate() {
            self.author.execute(params![key, position as i64, name])?;
        }
        self.fts.execute(params![
            rowid,
            paper.title,
            fts_keywords(paper),
            paper.abstract_text,
            paper.authors.join(" ; ")
        ])?;
        if paper.upvotes.is_some() || paper.github_stars.is_some() {
            self.snapshot
                .execute(params![key, now, paper.upvotes, paper.github_stars])?;
        }
        Ok(true)
    }
}

/// The `keywords` column of a paper's index row: Hugging Face's keywords, then the arXiv
/// categories, so that `cs.CL` and "diffusion model" both find it.
// NOTE: `write_fts` in papers.rs builds the same text; the two must stay identical.
fn fts_keywords(paper: &Paper) -> String {
    paper
        .ai_keywords
        .iter()
        .chain(paper.categories.iter())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

impl Store {
    /// Merges the full-text index into one segment. Worth running after a large bulk insert:
    /// queries then read one doclist per term instead of one per segment.
    pub fn optimize_search_index(&mut self) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO papers_fts (papers_fts) VALUES ('optimize')",
            [],
        )?;
        Ok(())
    }

    /// Papers for autocomplete.
    pub fn suggest_papers(&self, fragment: &str, limit: usize) -> Result<Vec<Paper>, StoreError> {
        self.suggest_ids(fragment, limit)
    }
}
