//! The digest poster: a loop that finds due digests and posts each one once per local date.
//!
//! Exactly-once delivery rests on four records, each written before the next step:
//!
//! 1. The slot (digest, local date) is claimed in SQLite before anything is sent. A slot found
//!    claimed but unfinished, after a crash or a failed round, is resumed, never started anew.
//! 2. The papers chosen for the slot are stored with the claim, so a resumed slot posts the
//!    same papers even if an ingest changed the ranking meanwhile.
//! 3. Each message carries a nonce derived from the slot, with `enforce_nonce`, so Discord
//!    returns the existing message for a resend of one it already created. The id of every
//!    message Discord confirmed is stored, so a resumed slot skips those messages.
//! 4. The outcome (sent, empty, failed) is recorded after the last message.
//!
//! NOTE: Discord keeps nonces for "a few minutes" only (no exact figure is documented). A crash
//! between Discord creating a message and step 3 storing its id, followed by a restart after
//! that window but within `digest.catch_up_minutes`, posts that message twice.

mod pacing;
mod rest;
mod send;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::reply;
use crate::config::DigestConfig;
use crate::core::digest;
use crate::error::chain;
use crate::ids::ArxivId;
use crate::paper::Paper;
use crate::store::{Delivery, DeliveryState, Digest, SharedStore, StoreError};

pub use send::{DigestSender, SenderError, DEFAULT_REQUEST_TIMEOUT};
use send::{SendFailure, Target};

/// Pacing and retry settings of the poster.
#[derive(Debug, Clone)]
pub struct PosterOptions {
    pub check_interval: Duration,
    /// A slot is still posted when it is at most this late, as after downtime.
    pub catch_up: chrono::Duration,
    /// Digests delivered at the same time, at most.
    pub max_concurrent_sends: usize,
    /// Attempts per message for failures worth retrying (5xx, timeouts, refused connections).
    pub max_attempts: u32,
    /// Wait after the first such failure; it doubles after each further one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Maximum 429 responses one message waits out before its slot is left for the next round.
    pub max_rate_limit_waits: u32,
    /// Longest `retry_after` waited out within a round; a longer one leaves the slot for a
    /// later round.
    pub max_retry_after: Duration,
}

impl Default for PosterOptions {
    fn default() -> Self {
        PosterOptions::from_config(&DigestConfig::default())
    }
}

impl PosterOptions {
    pub fn from_config(config: &DigestConfig) -> Self {
        PosterOptions {
            check_interval: Duration::from_secs(config.check_interval_secs),
            catch_up: chrono::Duration::minutes(config.catch_up_minutes),
            max_concurrent_sends: config.max_concurrent_sends,
            max_attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_rate_limit_waits: 5,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Scans for due digests forever. A failed or panicking round is logged and the next round
/// runs as usual, so the loop never ends on an error. If it ends anyway, `discord::run` stops
/// the bot.
pub async fn run_scheduler(sender: DigestSender, store: SharedStore, options: PosterOptions) {
    tracing::info!(
        interval_secs = options.check_interval.as_secs(),
        proxied = sender.is_proxied(),
        "digest scheduler started"
    );
    let mut ticker = tokio::time::interval(options.check_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // The round runs as its own task so that a panic inside it ends only the round.
        let round = {
            let (sender, store, options) = (sender.clone(), store.clone(), options.clone());
            tokio::spawn(async move { deliver_due(&sender, &store, &options, Utc::now()).await })
        };
        match round.await {
            Ok(Ok(posted)) => tracing::debug!(posted, "digest round finished"),
            Ok(Err(error)) => {
                tracing::error!(error = %chain(&error), "digest round failed; retrying next round")
            }
            Err(error) => {
                tracing::error!(error = %error, "digest round panicked; retrying next round")
            }
        }
    }
}

/// Posts every digest that is due at `now`, at most `max_concurrent_sends` at a time.
/// Returns how many digests were posted in this call.
pub async fn deliver_due(
    sender: &DigestSender,
    store: &SharedStore,
    options: &PosterOptions,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let due = due_slots(store, options, now).await?;
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(options.max_concurrent_sends.max(1)));
    let mut tasks = JoinSet::new();
    for (digest, date) in due {
        let (sender, store, options, permits) = (
            sender.clone(),
            store.clone(),
            options.clone(),
            Arc::clone(&permits),
        );
        let clock = RoundClock { now, started };
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            deliver_slot(&sender, &store, &options, digest, date, clock).await
        });
    }

    let mut posted = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(true)) => posted += 1,
            Ok(Ok(false)) => {}
            Ok(Err(error)) => tracing::error!(error = %chain(&error), "digest delivery failed"),
            Err(error) => tracing::error!(error = %error, "digest delivery task panicked"),
        }
    }
    Ok(posted)
}

/// Lists the enabled digests with a slot due at `now`, each with the slot's local date.
async fn due_slots(
    store: &SharedStore,
    options: &PosterOptions,
    now: DateTime<Utc>,
) -> Result<Vec<(Digest, NaiveDate)>, StoreError> {
    let digests = store.run(|s| s.active_digests()).await?;
    let mut due = Vec::new();
    for digest in digests {
        match digest::due_slot(&digest, now, options.catch_up) {
            Ok(Some((date, _))) => due.push((digest, date)),
            Ok(None) => {}
            Err(error) => {
                let s = &digest.settings;
                tracing::error!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, error = %error, "digest has an unreadable schedule");
            }
        }
    }
    Ok(due)
}

/// The instant a round started, in UTC (given, so tests can fix it) and on the monotonic
/// clock, so that records written later in the round get `now` plus the time elapsed.
#[derive(Debug, Clone, Copy)]
struct RoundClock {
    now: DateTime<Utc>,
    started: Instant,
}

impl RoundClock {
    fn current(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default();
        self.now + elapsed
    }
}

/// Builds the nonce of message `index` of a slot, the same on every attempt so that Discord
/// drops a resend. Discord accepts at most 25 characters; this form stays within that for digest ids
/// below 10^11 and fewer than 100 messages per slot.
fn nonce(digest_id: i64, date: NaiveDate, index: usize) -> String {
    format!("pb{digest_id}d{}m{index}", date.format("%Y%m%d"))
}

fn target(digest: &Digest) -> Target {
    Target {
        digest_id: digest.id,
        guild_id: digest.settings.guild_id,
        channel_id: digest.settings.channel_id,
    }
}

/// Claims, composes, sends and records one slot. Returns whether it posted.
async fn deliver_slot(
    sender: &DigestSender,
    store: &SharedStore,
    options: &PosterOptions,
    digest: Digest,
    date: NaiveDate,
    clock: RoundClock,
) -> Result<bool, StoreError> {
    let digest_id = digest.id;
    let first_nonce = nonce(digest_id, date, 0);
    let now = clock.now;
    let (delivery, fresh) = store
        .run(move |s| s.claim_delivery(digest_id, date, &first_nonce, now))
        .await?;
    if !fresh && delivery.state != DeliveryState::Claimed {
        return Ok(false);
    }
    log_claim(&digest, &delivery, fresh);

    let papers = papers_for_slot(store, &digest, &delivery, clock).await?;
    let outcome = send_digest(sender, store, options, &digest, &delivery, &papers).await?;
    record(store, &digest, date, &papers, outcome, clock).await
}

fn log_claim(digest: &Digest, delivery: &Delivery, fresh: bool) {
    let s = &digest.settings;
    if fresh {
        tracing::info!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, local_date = %delivery.local_date, "digest slot claimed");
    } else {
        tracing::warn!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, local_date = %delivery.local_date, confirmed_messages = delivery.message_ids.len(), "resuming a slot claimed earlier; Discord drops resent messages by nonce");
    }
}

/// Returns the papers of a slot: the ones stored with the claim when a resumed slot has them,
/// else a fresh choice, stored before anything is sent.
async fn papers_for_slot(
    store: &SharedStore,
    digest: &Digest,
    delivery: &Delivery,
    clock: RoundClock,
) -> Result<Vec<Paper>, StoreError> {
    let (digest_id, date) = (digest.id, delivery.local_date);
    if delivery.composed_at.is_some() {
        let ids: Vec<ArxivId> = delivery
            .paper_ids
            .iter()
            .filter_map(|key| ArxivId::from_key(key).ok())
            .collect();
        return store.run(move |s| s.papers_by_ids(&ids)).await;
    }

    let digest = digest.clone();
    let now = clock.now;
    store
        .run(move |s| {
            let papers = digest::compose(s, &digest, date, now)?;
            let keys: Vec<String> = papers.iter().map(|p| p.id.key().to_string()).collect();
            s.record_composition(digest_id, date, &keys, now)?;
            Ok(papers)
        })
        .await
}

/// Outcome of a slot's messages.
enum SendOutcome {
    Sent,
    /// Nothing matched; `announced` is whether a notice was posted instead.
    Empty {
        announced: bool,
    },
    Failed(SendFailure),
}

/// Sends the messages of a slot that Discord has not confirmed yet, storing each id as soon
/// as Discord confirms it. Only a failing store write is an error; a failed post is an
/// outcome to record.
async fn send_digest(
    sender: &DigestSender,
    store: &SharedStore,
    options: &PosterOptions,
    digest: &Digest,
    delivery: &Delivery,
    papers: &[Paper],
) -> Result<SendOutcome, StoreError> {
    let s = &digest.settings;
    let date = delivery.local_date;
    let messages = if papers.is_empty() {
        tracing::warn!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, %date, announce = s.announce_empty, "no papers match this digest today");
        if !s.announce_empty {
            return Ok(SendOutcome::Empty { announced: false });
        }
        vec![digest::empty_notice(date)]
    } else {
        digest::render_digest(papers, date)
    };

    let confirmed = delivery.message_ids.len();
    for (index, message) in messages.iter().enumerate().skip(confirmed) {
        let builder = reply::to_channel_message(message, &nonce(digest.id, date, index));
        let message_id = match sender.send(options, target(digest), &builder).await {
            Ok(id) => id,
            Err(failure) => return Ok(SendOutcome::Failed(failure)),
        };
        let digest_id = digest.id;
        store
            .run(move |s| s.record_message_sent(digest_id, date, &message_id))
            .await?;
    }
    Ok(if papers.is_empty() {
        SendOutcome::Empty { announced: true }
    } else {
        SendOutcome::Sent
    })
}

/// Stores the outcome of a slot and logs it. Returns whether the channel got a post.
async fn record(
    store: &SharedStore,
    digest: &Digest,
    date: NaiveDate,
    papers: &[Paper],
    outcome: SendOutcome,
    clock: RoundClock,
) -> Result<bool, StoreError> {
    let Target {
        digest_id: id,
        guild_id,
        channel_id,
    } = target(digest);
    let at = clock.current();
    match outcome {
        SendOutcome::Sent => {
            let keys: Vec<String> = papers.iter().map(|p| p.id.key().to_string()).collect();
            let count = keys.len();
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Sent, &keys, None, at)?;
                    s.set_digest_error(id, None)
                })
                .await?;
            tracing::info!(digest_id = id, guild_id, channel_id, %date, papers = count, "digest posted");
            Ok(true)
        }
        SendOutcome::Empty { announced } => {
            store
                .run(move |s| s.finish_delivery(id, date, DeliveryState::Empty, &[], None, at))
                .await?;
            Ok(announced)
        }
        SendOutcome::Failed(SendFailure::Refused(reason)) => {
            tracing::error!(digest_id = id, guild_id, channel_id, %date, %reason, "channel unavailable to the bot; digest marked failing until reconfigured");
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Failed, &[], Some(&reason), at)?;
                    s.mark_digest_failing(id, &reason)
                })
                .await?;
            Ok(false)
        }
        SendOutcome::Failed(SendFailure::Rejected(reason)) => {
            tracing::error!(digest_id = id, guild_id, channel_id, %date, %reason, "Discord rejected the digest message; the slot is not retried");
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Failed, &[], Some(&reason), at)?;
                    s.set_digest_error(id, Some(&reason))
                })
                .await?;
            Ok(false)
        }
        SendOutcome::Failed(SendFailure::Transient(reason)) => {
            tracing::warn!(digest_id = id, guild_id, channel_id, %date, %reason, "digest not posted; the slot stays claimed and is retried next round");
            store
                .run(move |s| s.set_digest_error(id, Some(&reason)))
                .await?;
            Ok(false)
        }
    }
}
