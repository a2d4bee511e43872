//! The digest poster: a loop that finds due digests and posts each one once per local date.
//!
//! Exactly-once rests on three steps. The slot (digest, local date) is claimed in SQLite
//! before anything is sent; each message carries a nonce derived from the slot with
//! `enforce_nonce`, so a resend after a crash is deduplicated by Discord; and the outcome is
//! recorded after sending. A slot found claimed but unfinished is resent with the same nonces.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use poise::serenity_prelude as serenity;
use serenity::{ChannelId, Http};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::reply;
use crate::config::DigestConfig;
use crate::core::digest;
use crate::error::chain;
use crate::paper::Paper;
use crate::store::{Delivery, DeliveryState, Digest, SharedStore, StoreError};

/// How the poster paces itself.
#[derive(Debug, Clone)]
pub struct PosterOptions {
    pub check_interval: Duration,
    pub catch_up: chrono::Duration,
    pub max_concurrent_sends: usize,
    /// Tries per message for errors worth retrying (5xx, timeouts, 429).
    pub max_attempts: u32,
    pub first_backoff: Duration,
}

impl PosterOptions {
    pub fn from_config(config: &DigestConfig) -> Self {
        PosterOptions {
            check_interval: Duration::from_secs(config.check_interval_secs),
            catch_up: chrono::Duration::minutes(config.catch_up_minutes),
            max_concurrent_sends: config.max_concurrent_sends,
            max_attempts: 4,
            first_backoff: Duration::from_millis(500),
        }
    }
}

/// Scans for due digests forever. Errors of one round are logged and the next round runs as
/// usual, so the loop never dies on a failure.
pub async fn run_scheduler(http: Arc<Http>, store: SharedStore, options: PosterOptions) {
    tracing::info!(
        interval_secs = options.check_interval.as_secs(),
        "digest scheduler started"
    );
    let mut ticker = tokio::time::interval(options.check_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match deliver_due(&http, &store, &options, Utc::now()).await {
            Ok(posted) => tracing::debug!(posted, "digest round finished"),
            Err(error) => {
                tracing::error!(error = %chain(&error), "digest round failed; retrying next round")
            }
        }
    }
}

/// Posts every digest that is due at `now`, a few at a time. Returns how many were posted.
pub async fn deliver_due(
    http: &Arc<Http>,
    store: &SharedStore,
    options: &PosterOptions,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let digests = store.run(|s| s.active_digests()).await?;
    let mut due = Vec::new();
    for digest in digests {
        match digest::due_slot(&digest, now, options.catch_up) {
            Ok(Some((date, _))) => due.push((digest, date)),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(digest_id = digest.id, guild_id = digest.settings.guild_id, channel_id = digest.settings.channel_id, error = %error, "digest has an unreadable schedule")
            }
        }
    }

    let permits = Arc::new(Semaphore::new(options.max_concurrent_sends.max(1)));
    let mut tasks = JoinSet::new();
    for (digest, date) in due {
        let (http, store, options, permits) = (
            Arc::clone(http),
            store.clone(),
            options.clone(),
            Arc::clone(&permits),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            deliver_slot(&http, &store, &options, digest, date, now).await
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

/// The nonce of message `index` of a slot: at most 25 characters, as Discord requires, and
/// the same on every attempt so Discord drops a resend.
fn nonce(digest_id: i64, date: NaiveDate, index: usize) -> String {
    format!("pb{digest_id}d{}m{index}", date.format("%Y%m%d"))
}

/// Claims, composes, sends and records one slot. Returns whether it posted.
async fn deliver_slot(
    http: &Http,
    store: &SharedStore,
    options: &PosterOptions,
    digest: Digest,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let digest_id = digest.id;
    let base_nonce = nonce(digest_id, date, 0);
    let (delivery, fresh) = store
        .run(move |s| s.claim_delivery(digest_id, date, &base_nonce, now))
        .await?;
    if !fresh && delivery.state != DeliveryState::Claimed {
        return Ok(false);
    }
    log_claim(&digest, &delivery, fresh);

    let composed = {
        let digest = digest.clone();
        store
            .run(move |s| digest::compose(s, &digest, date, now))
            .await?
    };
    let outcome = send_digest(http, options, &digest, date, &composed).await;
    record(store, &digest, date, &composed, outcome).await
}

fn log_claim(digest: &Digest, delivery: &Delivery, fresh: bool) {
    let s = &digest.settings;
    if fresh {
        tracing::info!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, local_date = %delivery.local_date, "digest slot claimed");
    } else {
        tracing::warn!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, local_date = %delivery.local_date, "resending a slot claimed before a restart; Discord drops duplicates by nonce");
    }
}

/// What happened to a slot's messages.
enum SendOutcome {
    Sent,
    /// Nothing matched; `announced` says whether the channel was told.
    Empty {
        announced: bool,
    },
    /// Discord refused the channel for good (403 or 404): the digest is marked failing.
    Refused(String),
    /// A transient failure after every retry: the slot stays claimed for the next round.
    Transient(String),
    /// Discord rejected the message itself (400): a bug on our side, never resent unchanged.
    Rejected(String),
}

async fn send_digest(
    http: &Http,
    options: &PosterOptions,
    digest: &Digest,
    date: NaiveDate,
    papers: &[Paper],
) -> SendOutcome {
    let s = &digest.settings;
    let messages = if papers.is_empty() {
        tracing::warn!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, %date, "no papers match this digest today");
        if !s.announce_empty {
            return SendOutcome::Empty { announced: false };
        }
        vec![digest::empty_notice(date)]
    } else {
        digest::render_digest(papers, date)
    };

    let channel = ChannelId::new(s.channel_id);
    for (index, message) in messages.iter().enumerate() {
        let builder = reply::to_channel_message(message, &nonce(digest.id, date, index));
        if let Err(failure) = send_with_retry(http, options, channel, builder, digest).await {
            return failure;
        }
    }
    if papers.is_empty() {
        SendOutcome::Empty { announced: true }
    } else {
        SendOutcome::Sent
    }
}

async fn send_with_retry(
    http: &Http,
    options: &PosterOptions,
    channel: ChannelId,
    builder: serenity::CreateMessage,
    digest: &Digest,
) -> Result<(), SendOutcome> {
    let mut backoff = options.first_backoff;
    for attempt in 1..=options.max_attempts {
        let error = match channel.send_message(http, builder.clone()).await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        let class = classify(&error);
        let s = &digest.settings;
        tracing::warn!(digest_id = digest.id, guild_id = s.guild_id, channel_id = s.channel_id, attempt, error = %chain(&error), "digest message failed");
        match class {
            ErrorClass::Refused(reason) => return Err(SendOutcome::Refused(reason)),
            ErrorClass::Rejected(reason) => return Err(SendOutcome::Rejected(reason)),
            ErrorClass::Transient(_) if attempt < options.max_attempts => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
            ErrorClass::Transient(reason) => return Err(SendOutcome::Transient(reason)),
        }
    }
    Err(SendOutcome::Transient("no attempt was made".to_string()))
}

enum ErrorClass {
    Refused(String),
    Rejected(String),
    Transient(String),
}

/// Sorts a Discord error: the channel is gone or closed to us (never retried until the digest
/// is reconfigured, because repeated 403s count toward Discord's invalid-request ban), the
/// message is invalid, or the failure may pass.
fn classify(error: &serenity::Error) -> ErrorClass {
    use serenity::HttpError;
    let serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) = error else {
        if let serenity::Error::Model(serenity::ModelError::InvalidPermissions { .. }) = error {
            return ErrorClass::Refused(
                "Missing Permissions: Paperboy cannot post in this channel".into(),
            );
        }
        return ErrorClass::Transient(chain(error));
    };
    let status = response.status_code.as_u16();
    let code = response.error.code;
    match (status, code) {
        (403, 50001) => {
            ErrorClass::Refused("Missing Access: Paperboy cannot see this channel".into())
        }
        (403, 50013) => ErrorClass::Refused(
            "Missing Permissions: Paperboy cannot post or embed links in this channel".into(),
        ),
        (404, 10003) => ErrorClass::Refused("Unknown Channel: the channel was deleted".into()),
        (403, _) | (404, _) => ErrorClass::Refused(format!(
            "Discord refused the channel ({status}, code {code})"
        )),
        (429, _) | (500..=599, _) => ErrorClass::Transient(format!("Discord answered {status}")),
        _ => ErrorClass::Rejected(format!(
            "Discord rejected the message ({status}, code {code}): {}",
            response.error.message
        )),
    }
}

async fn record(
    store: &SharedStore,
    digest: &Digest,
    date: NaiveDate,
    papers: &[Paper],
    outcome: SendOutcome,
) -> Result<bool, StoreError> {
    let id = digest.id;
    let (guild_id, channel_id) = (digest.settings.guild_id, digest.settings.channel_id);
    let paper_ids: Vec<String> = papers.iter().map(|p| p.id.key().to_string()).collect();
    let now = Utc::now();
    match outcome {
        SendOutcome::Sent => {
            let count = paper_ids.len();
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Sent, &paper_ids, None, now)?;
                    s.set_digest_error(id, None)
                })
                .await?;
            tracing::info!(digest_id = id, guild_id, channel_id, %date, papers = count, "digest posted");
            Ok(true)
        }
        SendOutcome::Empty { announced } => {
            store
                .run(move |s| s.finish_delivery(id, date, DeliveryState::Empty, &[], None, now))
                .await?;
            Ok(announced)
        }
        SendOutcome::Refused(reason) => {
            tracing::error!(digest_id = id, guild_id, channel_id, %date, %reason, "channel refused; digest marked failing until reconfigured");
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Failed, &[], Some(&reason), now)?;
                    s.mark_digest_failing(id, &reason)
                })
                .await?;
            Ok(false)
        }
        SendOutcome::Rejected(reason) => {
            tracing::error!(digest_id = id, guild_id, channel_id, %date, %reason, "Discord rejected the digest message");
            store
                .run(move |s| {
                    s.finish_delivery(id, date, DeliveryState::Failed, &[], Some(&reason), now)?;
                    s.set_digest_error(id, Some(&reason))
                })
                .await?;
            Ok(false)
        }
        SendOutcome::Transient(reason) => {
            tracing::warn!(digest_id = id, guild_id, channel_id, %date, %reason, "digest not posted; the slot stays claimed and is retried next round");
            store
                .run(move |s| s.set_digest_error(id, Some(&reason)))
                .await?;
            Ok(false)
        }
    }
}
