//! Digest settings per (guild, channel) and the delivery slots that make posting exactly-once.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::papers::{parse_ts, ts};
use super::{Store, StoreError};

pub const DEFAULT_DEDUPE_DAYS: u32 = 7;

/// What a digest posts on a day when Hugging Face lists nothing (weekends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekendPolicy {
    /// Post nothing.
    Skip,
    /// Post the best papers of the past days that this channel has not seen.
    BestOfWeek,
}

impl WeekendPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            WeekendPolicy::Skip => "skip",
            WeekendPolicy::BestOfWeek => "best_of_week",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "skip" => Some(WeekendPolicy::Skip),
            "best_of_week" => Some(WeekendPolicy::BestOfWeek),
            _ => None,
        }
    }
}

/// Everything an admin configures for one digest. Values are validated before they get here.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DigestSettings {
    pub guild_id: u64,
    pub channel_id: u64,
    /// Local post time as `HH:MM`.
    pub post_time: String,
    /// IANA zone name.
    pub zone: String,
    /// Comma-separated lower-case weekday abbreviations, e.g. `mon,tue,wed,thu,fri`.
    pub weekdays: String,
    pub paper_count: u32,
    pub min_upvotes: i64,
    pub keywords: Vec<String>,
    pub exclude_keywords: Vec<String>,
    pub categories: Vec<String>,
    pub dedupe_days: u32,
    pub weekend_policy: WeekendPolicy,
    /// Whether a day with no matching papers is announced in the channel.
    pub announce_empty: bool,
}

/// A stored digest with its state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Digest {
    pub id: i64,
    pub settings: DigestSettings,
    pub enabled: bool,
    /// Set when Discord refused the channel (403 or 404); the digest waits for a new `set`.
    pub failing_reason: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Claimed before sending; a restart that finds this state resends with the same nonce.
    Claimed,
    Sent,
    Failed,
    /// Nothing matched, so nothing was posted.
    Empty,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Claimed => "claimed",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Empty => "empty",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "claimed" => Ok(DeliveryState::Claimed),
            "sent" => Ok(DeliveryState::Sent),
            "failed" => Ok(DeliveryState::Failed),
            "empty" => Ok(DeliveryState::Empty),
            other => Err(StoreError::Corrupt {
                what: "delivery state",
                value: other.to_string(),
            }),
        }
    }
}

/// The delivery slot of one digest on one local date.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Delivery {
    pub digest_id: i64,
    pub local_date: NaiveDate,
    pub state: DeliveryState,
    pub nonce: String,
    pub claimed_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Keys of the papers chosen for the slot, in posting order.
    pub paper_ids: Vec<String>,
    /// When `paper_ids` was fixed; `None` until the papers are chosen.
    pub composed_at: Option<DateTime<Utc>>,
    /// Ids of the slot's messages that Discord confirmed, in posting order.
    pub message_ids: Vec<String>,
    pub error: Option<String>,
}

const DIGEST_COLUMNS: &str = "id, guild_id, channel_id, post_time, zone, weekdays, paper_count, \
     min_upvotes, keywords, exclude_keywords, categories, dedupe_days, weekend_policy, \
     announce_empty, enabled, failing_reason, last_error, updated_at";

const DELIVERY_COLUMNS: &str = "digest_id, local_date, state, nonce, claimed_at, finished_at, \
     paper_ids, error, composed_at, message_ids";

fn to_json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

fn from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Store {
    /// Creates or replaces the digest of a channel. Reconfiguring re-enables it and clears a
    /// failing mark, because the admin may have fixed the channel's permissions.
    pub fn upsert_digest(
        &mut self,
        settings: &DigestSettings,
        by_user: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Digest, StoreError> {
        let s = settings;
        self.conn
            .prepare_cached(
                "INSERT INTO digests (guild_id, channel_id, post_time, zone, weekdays, \
                   paper_count, min_upvotes, keywords, exclude_keywords, categories, \
                   dedupe_days, weekend_policy, announce_empty, enabled, failing_reason, \
                   last_error, created_by, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, NULL, NULL, \
                   ?14, ?15, ?15) \
                 ON CONFLICT (guild_id, channel_id) DO UPDATE SET post_time = excluded.post_time, \
                   zone = excluded.zone, weekdays = excluded.weekdays, \
                   paper_count = excluded.paper_count, min_upvotes = excluded.min_upvotes, \
                   keywords = excluded.keywords, exclude_keywords = excluded.exclude_keywords, \
                   categories = excluded.categories, dedupe_days = excluded.dedupe_days, \
                   weekend_policy = excluded.weekend_policy, \
                   announce_empty = excluded.announce_empty, enabled = 1, \
                   failing_reason = NULL, last_error = NULL, updated_at = excluded.updated_at",
            )?
            .execute(params![
                s.guild_id as i64,
                s.channel_id as i64,
                s.post_time,
                s.zone,
                s.weekdays,
                s.paper_count,
                s.min_upvotes,
                to_json(&s.keywords),
                to_json(&s.exclude_keywords),
                to_json(&s.categories),
                s.dedupe_days,
                s.weekend_policy.as_str(),
                s.announce_empty,
                by_user.map(|u| u as i64),
                ts(now),
            ])?;
        self.digest(s.guild_id, s.channel_id)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    pub fn digest(&self, guild_id: u64, channel_id: u64) -> Result<Option<Digest>, StoreError> {
        let sql =
            format!("SELECT {DIGEST_COLUMNS} FROM digests WHERE guild_id = ?1 AND channel_id = ?2");
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row(
                params![guild_id as i64, channel_id as i64],
                RawDigest::from_row,
            )
            .optional()?;
        row.map(RawDigest::into_digest).transpose()
    }

    pub fn digest_by_id(&self, id: i64) -> Result<Option<Digest>, StoreError> {
        let sql = format!("SELECT {DIGEST_COLUMNS} FROM digests WHERE id = ?1");
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], RawDigest::from_row)
            .optional()?;
        row.map(RawDigest::into_digest).transpose()
    }

    /// All digests of a guild, enabled or not, by channel.
    pub fn guild_digests(&self, guild_id: u64) -> Result<Vec<Digest>, StoreError> {
        let sql =
            format!("SELECT {DIGEST_COLUMNS} FROM digests WHERE guild_id = ?1 ORDER BY channel_id");
        self.query_digests(&sql, params![guild_id as i64])
    }

    /// Digests the scheduler should consider: enabled and not marked failing.
    pub fn active_digests(&self) -> Result<Vec<Digest>, StoreError> {
        let sql = format!(
            "SELECT {DIGEST_COLUMNS} FROM digests WHERE enabled = 1 AND failing_reason IS NULL ORDER BY id"
        );
        self.query_digests(&sql, [])
    }

    fn query_digests(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Digest>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, RawDigest::from_row)?;
        let mut digests = Vec::new();
        for row in rows {
            digests.push(row?.into_digest()?);
        }
        Ok(digests)
    }

    /// Turns a digest off. Returns false when the channel had no digest.
    pub fn disable_digest(
        &mut self,
        guild_id: u64,
        channel_id: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE digests SET enabled = 0, updated_at = ?3 \
                 WHERE guild_id = ?1 AND channel_id = ?2",
            )?
            .execute(params![guild_id as i64, channel_id as i64, ts(now)])?;
        Ok(changed > 0)
    }

    /// Marks a digest failing so the scheduler skips it until it is reconfigured.
    pub fn mark_digest_failing(&mut self, digest_id: i64, reason: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE digests SET failing_reason = ?2, last_error = ?2 WHERE id = ?1",
            )?
            .execute(params![digest_id, reason])?;
        Ok(())
    }

    pub fn set_digest_error(
        &mut self,
        digest_id: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE digests SET last_error = ?2 WHERE id = ?1")?
            .execute(params![digest_id, error])?;
        Ok(())
    }

    /// Claims the slot of a digest on a local date. Returns the slot as stored: a fresh claim
    /// when this call made it, or the earlier row (claimed, sent, ...) when one existed.
    pub fn claim_delivery(
        &mut self,
        digest_id: i64,
        local_date: NaiveDate,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<(Delivery, bool), StoreError> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO deliveries (digest_id, local_date, state, nonce, claimed_at) \
                 VALUES (?1, ?2, 'claimed', ?3, ?4)",
            )?
            .execute(params![digest_id, local_date.to_string(), nonce, ts(now)])?;
        let delivery = self
            .delivery(digest_id, local_date)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))?;
        Ok((delivery, inserted > 0))
    }

    /// Fixes the papers of a claimed slot, so that a resend after a restart posts the same ones.
    pub fn record_composition(
        &mut self,
        digest_id: i64,
        local_date: NaiveDate,
        paper_ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE deliveries SET paper_ids = ?3, composed_at = ?4 \
                 WHERE digest_id = ?1 AND local_date = ?2",
            )?
            .execute(params![
                digest_id,
                local_date.to_string(),
                to_json(paper_ids),
                ts(now)
            ])?;
        Ok(())
    }

    /// Appends the id of a message Discord confirmed to its slot, so that a resend skips it.
    pub fn record_message_sent(
        &mut self,
        digest_id: i64,
        local_date: NaiveDate,
        message_id: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE deliveries SET message_ids = json_insert(message_ids, '$[#]', ?3) \
                 WHERE digest_id = ?1 AND local_date = ?2",
            )?
            .execute(params![digest_id, local_date.to_string(), message_id])?;
        Ok(())
    }

    /// Records how a claimed slot ended.
    pub fn finish_delivery(
        &mut self,
        digest_id: i64,
        local_date: NaiveDate,
        state: DeliveryState,
        paper_ids: &[String],
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE deliveries SET state = ?3, paper_ids = ?4, error = ?5, finished_at = ?6 \
                 WHERE digest_id = ?1 AND local_date = ?2",
            )?
            .execute(params![
                digest_id,
                local_date.to_string(),
                state.as_str(),
                to_json(paper_ids),
                error,
                ts(now)
            ])?;
        Ok(())
    }

    pub fn delivery(
        &self,
        digest_id: i64,
        local_date: NaiveDate,
    ) -> Result<Option<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE digest_id = ?1 AND local_date = ?2"
        );
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row(
                params![digest_id, local_date.to_string()],
                RawDelivery::from_row,
            )
            .optional()?;
        row.map(RawDelivery::into_delivery).transpose()
    }

    /// The most recent slot of a digest, whatever its state.
    pub fn last_delivery(&self, digest_id: i64) -> Result<Option<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE digest_id = ?1 \
             ORDER BY local_date DESC LIMIT 1"
        );
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([digest_id], RawDelivery::from_row)
            .optional()?;
        row.map(RawDelivery::into_delivery).transpose()
    }

    /// Keys of papers a digest posted on local dates on or after `since`, so they are not
    /// posted again within the dedupe window.
    pub fn recently_posted(
        &self,
        digest_id: i64,
        since: NaiveDate,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT paper_ids FROM deliveries \
             WHERE digest_id = ?1 AND local_date >= ?2 AND state = 'sent'",
        )?;
        let rows = stmt.query_map(params![digest_id, since.to_string()], |r| {
            r.get::<_, String>(0)
        })?;
        let mut keys = Vec::new();
        for row in rows {
            keys.extend(from_json(&row?));
        }
        Ok(keys)
    }
}

struct RawDigest {
    id: i64,
    guild_id: i64,
    channel_id: i64,
    post_time: String,
    zone: String,
    weekdays: String,
    paper_count: u32,
    min_upvotes: i64,
    keywords: String,
    exclude_keywords: String,
    categories: String,
    dedupe_days: u32,
    weekend_policy: String,
    announce_empty: bool,
    enabled: bool,
    failing_reason: Option<String>,
    last_error: Option<String>,
    updated_at: String,
}

impl RawDigest {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawDigest {
            id: r.get(0)?,
            guild_id: r.get(1)?,
            channel_id: r.get(2)?,
            post_time: r.get(3)?,
            zone: r.get(4)?,
            weekdays: r.get(5)?,
            paper_count: r.get(6)?,
            min_upvotes: r.get(7)?,
            keywords: r.get(8)?,
            exclude_keywords: r.get(9)?,
            categories: r.get(10)?,
            dedupe_days: r.get(11)?,
            weekend_policy: r.get(12)?,
            announce_empty: r.get(13)?,
            enabled: r.get(14)?,
            failing_reason: r.get(15)?,
            last_error: r.get(16)?,
            updated_at: r.get(17)?,
        })
    }

    fn into_digest(self) -> Result<Digest, StoreError> {
        let weekend_policy =
            WeekendPolicy::parse(&self.weekend_policy).ok_or_else(|| StoreError::Corrupt {
                what: "weekend policy",
                value: self.weekend_policy.clone(),
            })?;
        Ok(Digest {
            id: self.id,
            settings: DigestSettings {
                guild_id: self.guild_id as u64,
                channel_id: self.channel_id as u64,
                post_time: self.post_time,
                zone: self.zone,
                weekdays: self.weekdays,
                paper_count: self.paper_count,
                min_upvotes: self.min_upvotes,
                keywords: from_json(&self.keywords),
                exclude_keywords: from_json(&self.exclude_keywords),
                categories: from_json(&self.categories),
                dedupe_days: self.dedupe_days,
                weekend_policy,
                announce_empty: self.announce_empty,
            },
            enabled: self.enabled,
            failing_reason: self.failing_reason,
            last_error: self.last_error,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

struct RawDelivery {
    digest_id: i64,
    local_date: String,
    state: String,
    nonce: String,
    claimed_at: String,
    finished_at: Option<String>,
    paper_ids: String,
    error: Option<String>,
    composed_at: Option<String>,
    message_ids: String,
}

impl RawDelivery {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawDelivery {
            digest_id: r.get(0)?,
            local_date: r.get(1)?,
            state: r.get(2)?,
            nonce: r.get(3)?,
            claimed_at: r.get(4)?,
            finished_at: r.get(5)?,
            paper_ids: r.get(6)?,
            error: r.get(7)?,
            composed_at: r.get(8)?,
            message_ids: r.get(9)?,
        })
    }

    fn into_delivery(self) -> Result<Delivery, StoreError> {
        let local_date = NaiveDate::parse_from_str(&self.local_date, "%Y-%m-%d").map_err(|_| {
            StoreError::Corrupt {
                what: "delivery date",
                value: self.local_date.clone(),
            }
        })?;
        Ok(Delivery {
            digest_id: self.digest_id,
            local_date,
            state: DeliveryState::parse(&self.state)?,
            nonce: self.nonce,
            claimed_at: parse_ts(&self.claimed_at)?,
            finished_at: self.finished_at.as_deref().map(parse_ts).transpose()?,
            paper_ids: from_json(&self.paper_ids),
            composed_at: self.composed_at.as_deref().map(parse_ts).transpose()?,
            message_ids: from_json(&self.message_ids),
            error: self.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn settings() -> DigestSettings {
        DigestSettings {
            guild_id: 1,
            channel_id: 2,
            post_time: "09:00".into(),
            zone: "Europe/Paris".into(),
            weekdays: "mon,tue,wed,thu,fri".into(),
            paper_count: 5,
            min_upvotes: 0,
            keywords: vec!["diffusion".into()],
            exclude_keywords: vec![],
            categories: vec![],
            dedupe_days: 7,
            weekend_policy: WeekendPolicy::Skip,
            announce_empty: false,
        }
    }

    #[test]
    fn claim_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 8, 18, 7, 0, 0).unwrap();
        let digest = store.upsert_digest(&settings(), Some(9), now).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 8, 18).unwrap();
        let (_, first) = store.claim_delivery(digest.id, date, "n1", now).unwrap();
        let (existing, second) = store.claim_delivery(digest.id, date, "n2", now).unwrap();
        assert!(first);
        assert!(!second);
        assert_eq!(existing.nonce, "n1");
        assert_eq!(existing.state, DeliveryState::Claimed);
    }

    #[test]
    fn delivery_progress_is_kept_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 8, 18, 7, 0, 0).unwrap();
        let digest = store.upsert_digest(&settings(), None, now).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 8, 18).unwrap();
        let (fresh, _) = store.claim_delivery(digest.id, date, "n1", now).unwrap();
        assert_eq!(fresh.composed_at, None);
        assert!(fresh.message_ids.is_empty());

        let papers = vec!["2608.00002".to_string(), "2608.00001".to_string()];
        store
            .record_composition(digest.id, date, &papers, now)
            .unwrap();
        store.record_message_sent(digest.id, date, "111").unwrap();
        store.record_message_sent(digest.id, date, "222").unwrap();

        let (resumed, fresh_claim) = store.claim_delivery(digest.id, date, "n2", now).unwrap();
        assert!(!fresh_claim);
        assert_eq!(resumed.composed_at, Some(now));
        assert_eq!(resumed.paper_ids, papers);
        assert_eq!(resumed.message_ids, vec!["111", "222"]);
        assert_eq!(resumed.state, DeliveryState::Claimed);
    }

    #[test]
    fn reconfigure_clears_failing_mark() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 8, 18, 7, 0, 0).unwrap();
        let digest = store.upsert_digest(&settings(), None, now).unwrap();
        store
            .mark_digest_failing(digest.id, "Missing Permissions")
            .unwrap();
        assert!(store.active_digests().unwrap().is_empty());
        store.upsert_digest(&settings(), None, now).unwrap();
        assert_eq!(store.active_digests().unwrap().len(), 1);
    }
}
