//! arXiv categories that digests follow, and when each category listing was last requested.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::papers::{parse_ts, ts};
use super::{Store, StoreError};

impl Store {
    /// Lists the distinct arXiv categories of the digests the scheduler considers (enabled and
    /// not failing), sorted.
    pub fn followed_categories(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT trim(category.value) AS name \
             FROM digests, json_each(digests.categories) AS category \
             WHERE digests.enabled = 1 AND digests.failing_reason IS NULL \
               AND category.type = 'text' AND trim(category.value) <> '' \
             ORDER BY name",
        )?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Returns when the listing of `category` was last requested, if ever.
    pub fn category_fetched_at(&self, category: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT fetched_at FROM arxiv_category_fetches WHERE category = ?1")?
            .query_row([category], |row| row.get(0))
            .optional()?;
        text.as_deref().map(parse_ts).transpose()
    }

    /// Records a listing request of `category`: the papers it stored, or the error.
    pub fn record_category_fetch(
        &mut self,
        category: &str,
        fetched_at: DateTime<Utc>,
        papers: usize,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO arxiv_category_fetches (category, fetched_at, papers, error) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (category) DO UPDATE SET fetched_at = excluded.fetched_at, \
                 papers = excluded.papers, error = excluded.error",
            )?
            .execute(params![category, ts(fetched_at), papers as i64, error])?;
        Ok(())
    }
}
