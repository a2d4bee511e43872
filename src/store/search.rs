//! Full-text search over the `papers_fts` index, with the filters that `core::search` parses.

use chrono::NaiveDate;
use rusqlite::types::Value;

use super::papers::load_paper;
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
