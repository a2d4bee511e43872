//! The cache of summaries written by a language model, one per paper, length and model.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::papers::ts;
use super::{Store, StoreError};
use crate::ids::ArxivId;

impl Store {
    /// Returns the cached summary of a paper for a length (`short` or `detailed`) and model.
    pub fn generated_summary(
        &self,
        id: &ArxivId,
        length: &str,
        model: &str,
    ) -> Result<Option<String>, StoreError> {
        let summary = self
            .conn
            .prepare_cached(
                "SELECT summary FROM generated_summaries \
                 WHERE paper_id = ?1 AND length = ?2 AND model = ?3",
            )?
            .query_row(params![id.key(), length, model], |row| row.get(0))
            .optional()?;
        Ok(summary)
    }

    /// Stores a generated summary, replacing an earlier one for the same paper, length and
    /// model. Fails when the paper is not in the store, because of the foreign key.
    pub fn save_generated_summary(
        &mut self,
        id: &ArxivId,
        length: &str,
        model: &str,
        summary: &str,
        created_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO generated_summaries (paper_id, length, model, summary, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (paper_id, length, model) DO UPDATE SET \
                 summary = excluded.summary, created_at = excluded.created_at",
            )?
            .execute(params![id.key(), length, model, summary, ts(created_at)])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::Paper;

    #[test]
    fn summary_cached_per_length_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let id = ArxivId::from_key("2401.12345").unwrap();
        store
            .upsert_papers(&[Paper::new(id.clone(), "T", "A.")], Utc::now())
            .unwrap();

        assert_eq!(store.generated_summary(&id, "short", "m").unwrap(), None);
        store
            .save_generated_summary(&id, "short", "m", "first", Utc::now())
            .unwrap();
        store
            .save_generated_summary(&id, "short", "m", "second", Utc::now())
            .unwrap();
        assert_eq!(
            store.generated_summary(&id, "short", "m").unwrap(),
            Some("second".to_string())
        );
        assert_eq!(store.generated_summary(&id, "detailed", "m").unwrap(), None);
        assert_eq!(
            store.generated_summary(&id, "short", "other").unwrap(),
            None
        );
    }
}
