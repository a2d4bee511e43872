//! Sending one digest message to a channel: the transport, Discord's rate limits and retries.
//!
//! Without a REST proxy, serenity's `Http` posts the message and its own rate limiter waits out
//! 429 responses. With a proxy, serenity's rate limiter is off, so [`rest`](super::rest) posts the
//! message and reports the 429's `retry_after` and `global` values. Either way a failure
//! becomes a [`PostError`], and [`DigestSender::send`] decides whether to wait and retry.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{ChannelId, Http};
use tokio::time::Instant;

use super::rest::RestClient;
use super::PosterOptions;
use crate::config::Secret;
use crate::error::chain;

/// Time a proxied message post may take before it counts as failed and is retried.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Error returned by [`DigestSender::new`]. It never contains the token.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("the bot token contains characters that cannot go into an HTTP header")]
    InvalidToken,
    #[error("cannot build the HTTP client for digest posts: {0}")]
    Client(String),
}

/// Failure of one attempt to post a message, in terms both transports can report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum PostError {
    /// Discord responded with an error status; `code` is its JSON error code, or 0 without one.
    #[error("Discord responded {status} (code {code}): {message}")]
    Status {
        status: u16,
        code: i64,
        message: String,
    },
    /// Discord responded 429. `retry_after` is `None` when the response gave no wait.
    #[error("Discord responded 429 (retry after {retry_after:?}, global: {global})")]
    RateLimited {
        retry_after: Option<Duration>,
        global: bool,
    },
    /// serenity rejected the message before sending it, as too long for example.
    #[error("serenity rejected the message: {0}")]
    Invalid(String),
    /// No response: the connection failed or timed out.
    #[error("no response from Discord: {0}")]
    Transport(String),
}

/// Reason a message was not posted after every allowed retry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SendFailure {
    /// The channel is closed to Paperboy (403 or 404), so the digest is marked failing.
    Refused(String),
    /// Discord rejected the message itself: a bug on our side, never resent unchanged.
    Rejected(String),
    /// Failed for now (5xx, timeouts, long rate limits): the slot is retried next round.
    Transient(String),
}

/// The ids a log line about one message carries.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    pub digest_id: i64,
    pub guild_id: u64,
    pub channel_id: u64,
}

/// The one sender of digest messages of the process. Clones share the global rate-limit pause.
#[derive(Clone)]
pub struct DigestSender {
    transport: Transport,
    pause: GlobalPause,
}

#[derive(Clone)]
enum Transport {
    Serenity(Arc<Http>),
    Rest(Arc<RestClient>),
}

impl std::fmt::Debug for DigestSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // serenity's `Http` is left out of the output because it contains the token.
        let transport = match &self.transport {
            Transport::Serenity(_) => "serenity",
            Transport::Rest(_) => "rest proxy",
        };
        f.debug_struct("DigestSender")
            .field("transport", &transport)
            .finish_non_exhaustive()
    }
}

impl DigestSender {
    /// Builds the digest sender, choosing the transport from `rest_proxy` as `discord_http`
    /// chooses serenity's client: with a proxy, posts go through our own REST client to the
    /// proxy, and without one through `http`, whose rate limiter handles 429 responses.
    pub fn new(
        http: Arc<Http>,
        token: &Secret,
        rest_proxy: Option<&str>,
        request_timeout: Duration,
    ) -> Result<DigestSender, SenderError> {
        let transport = match rest_proxy {
            Some(proxy) => {
                Transport::Rest(Arc::new(RestClient::new(proxy, token, request_timeout)?))
            }
            None => Transport::Serenity(http),
        };
        Ok(DigestSender {
            transport,
            pause: GlobalPause::default(),
        })
    }

    /// Returns whether posts go through our own REST client to a proxy.
    pub fn is_proxied(&self) -> bool {
        matches!(self.transport, Transport::Rest(_))
    }

    /// Posts one message and returns its id. 5xx responses and failed connections are retried
    /// with exponential backoff, and a 429 is waited out as long as Discord requests. A global
    /// 429 pauses every post of the process, not just this one.
    pub(super) async fn send(
        &self,
        options: &PosterOptions,
        target: Target,
        message: &serenity::CreateMessage,
    ) -> Result<String, SendFailure> {
        let mut retry = RetryState::new(options);
        loop {
            self.pause.wait().await;
            super::pacing::wait_turn().await;
            let error = match self.post(target.channel_id, message).await {
                Ok(id) => return Ok(id),
                Err(error) => error,
            };
            let wait = self.next_wait(&mut retry, options, target, &error)?;
            tokio::time::sleep(wait).await;
        }
    }

    async fn post(
        &self,
        channel_id: u64,
        message: &serenity::CreateMessage,
    ) -> Result<String, PostError> {
        match &self.transport {
            Transport::Rest(client) => client.create_message(channel_id, message).await,
            Transport::Serenity(http) => post_with_serenity(http, channel_id, message).await,
        }
    }

    /// Decides what follows a failed attempt: the time to wait before the next one, or the
    /// failure that ends the message's delivery in this round.
    fn next_wait(
        &self,
        retry: &mut RetryState,
        options: &PosterOptions,
        target: Target,
        error: &PostError,
    ) -> Result<Duration, SendFailure> {
        let verdict = classify(error);
        let attempt = retry.attempts();
        let Target {
            digest_id,
            guild_id,
            channel_id,
        } = target;
        tracing::warn!(digest_id, guild_id, channel_id, attempt, %error, "digest message failed");
        match verdict {
            Verdict::Refused(reason) => Err(SendFailure::Refused(reason)),
            Verdict::Rejected(reason) => Err(SendFailure::Rejected(reason)),
            Verdict::GiveUp(reason) => Err(SendFailure::Transient(reason)),
            Verdict::Retry(reason) => retry.backoff(options).ok_or(SendFailure::Transient(reason)),
            Verdict::RateLimited {
                retry_after: None, ..
            } => retry
                .backoff(options)
                .ok_or_else(|| SendFailure::Transient("rate limited by Discord".to_string())),
            Verdict::RateLimited {
                retry_after: Some(wait),
                global,
            } => {
                if global {
                    self.pause.extend(wait);
                    tracing::warn!(
                        digest_id,
                        guild_id,
                        channel_id,
                        wait_ms = wait.as_millis() as u64,
                        "global rate limit: every digest post waits"
                    );
                }
                retry.rate_limit(options, wait)?;
                // A global pause is waited out at the top of the loop, with every other send.
                Ok(if global { Duration::ZERO } else { wait })
            }
        }
    }
}

/// Counts one message's retries.
struct RetryState {
    failures: u32,
    rate_limits: u32,
    next_backoff: Duration,
}

impl RetryState {
    fn new(options: &PosterOptions) -> Self {
        RetryState {
            failures: 0,
            rate_limits: 0,
            next_backoff: options.first_backoff,
        }
    }

    fn attempts(&self) -> u32 {
        self.failures + self.rate_limits + 1
    }

    /// Counts a failure and returns the backoff before the next attempt, or `None` when the
    /// attempts are used up. The backoff doubles after each failure, up to `max_backoff`.
    fn backoff(&mut self, options: &PosterOptions) -> Option<Duration> {
        self.failures += 1;
        if self.failures >= options.max_attempts {
            return None;
        }
        let wait = self.next_backoff;
        self.next_backoff = (wait * 2).min(options.max_backoff);
        Some(wait)
    }

    /// Counts a 429 and checks that waiting it out stays within the round's limits. A longer
    /// wait leaves the slot claimed for a later round instead of holding a send permit.
    fn rate_limit(&mut self, options: &PosterOptions, wait: Duration) -> Result<(), SendFailure> {
        self.rate_limits += 1;
        if wait > options.max_retry_after {
            return Err(SendFailure::Transient(format!(
                "rate limited by Discord for {} s, longer than this round waits",
                wait.as_secs_f64()
            )));
        }
        if self.rate_limits > options.max_rate_limit_waits {
            return Err(SendFailure::Transient(format!(
                "still rate limited by Discord after {} waits",
                options.max_rate_limit_waits
            )));
        }
        Ok(())
    }
}

/// Decision about one failed attempt.
enum Verdict {
    Refused(String),
    Rejected(String),
    /// Retrying in this round cannot help (a rejected token), but a later round may.
    GiveUp(String),
    /// Retry after a backoff.
    Retry(String),
    RateLimited {
        retry_after: Option<Duration>,
        global: bool,
    },
}

/// Sorts a failure. A channel that is gone or closed to us is never retried until the digest
/// is reconfigured, because Discord counts repeated 401, 403 and 429 responses toward a
/// temporary ban of the bot's IP address.
fn classify(error: &PostError) -> Verdict {
    match error {
        PostError::RateLimited {
            retry_after,
            global,
        } => Verdict::RateLimited {
            retry_after: *retry_after,
            global: *global,
        },
        PostError::Invalid(reason) => {
            Verdict::Rejected(format!("serenity rejected the message: {reason}"))
        }
        PostError::Transport(reason) => {
            Verdict::Retry(format!("no response from Discord: {reason}"))
        }
        PostError::Status {
            status,
            code,
            message,
        } => classify_status(*status, *code, message),
    }
}

fn classify_status(status: u16, code: i64, message: &str) -> Verdict {
    match (status, code) {
        (403, 50001) => {
            Verdict::Refused("Missing Access: Paperboy cannot see this channel".to_string())
        }
        (403, 50013) => Verdict::Refused(
            "Missing Permissions: Paperboy cannot post or embed links in this channel".to_string(),
        ),
        (404, 10003) => Verdict::Refused("Unknown Channel: the channel was deleted".to_string()),
        (404, 10004) => Verdict::Refused(
            "Unknown Guild: Paperboy is no longer a member of this server".to_string(),
        ),
        (403 | 404, _) => Verdict::Refused(format!(
            "Discord refused the channel ({status}, code {code}): {message}"
        )),
        (401, _) => Verdict::GiveUp("Discord rejected the bot token (401)".to_string()),
        (408 | 500..=599, _) => Verdict::Retry(format!("Discord responded {status}: {message}")),
        _ => Verdict::Rejected(format!(
            "Discord rejected the message ({status}, code {code}): {message}"
        )),
    }
}

async fn post_with_serenity(
    http: &Http,
    channel_id: u64,
    message: &serenity::CreateMessage,
) -> Result<String, PostError> {
    if channel_id == 0 {
        // `ChannelId::new` panics on 0, which Discord never issues.
        return Err(PostError::Invalid("channel id 0".to_string()));
    }
    ChannelId::new(channel_id)
        .send_message(http, message.clone())
        .await
        .map(|posted| posted.id.to_string())
        .map_err(|e| from_serenity(&e))
}

fn from_serenity(error: &serenity::Error) -> PostError {
    use serenity::{HttpError, ModelError};
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            if status == 429 {
                // serenity keeps the wait to itself; its rate limiter has already waited.
                return PostError::RateLimited {
                    retry_after: None,
                    global: false,
                };
            }
            PostError::Status {
                status,
                code: response.error.code as i64,
                message: response.error.message.clone(),
            }
        }
        serenity::Error::Http(HttpError::Request(e)) => PostError::Transport(chain(e)),
        // With the cache on, serenity checks Send Messages itself and makes no request.
        serenity::Error::Model(ModelError::InvalidPermissions { .. }) => PostError::Status {
            status: 403,
            code: 50013,
            message: "Missing Permissions (from serenity's cache)".to_string(),
        },
        serenity::Error::Model(other) => PostError::Invalid(other.to_string()),
        other => PostError::Transport(chain(other)),
    }
}

/// A pause that every send of the process waits out, set by a global 429.
#[derive(Clone, Default)]
struct GlobalPause {
    until: Arc<Mutex<Option<Instant>>>,
}

impl GlobalPause {
    /// Makes every send wait at least `wait` from now.
    fn extend(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut current = self.until.lock().unwrap_or_else(|e| e.into_inner());
        *current = Some(current.map_or(until, |earlier| earlier.max(until)));
    }

    /// Returns once no pause is in force. A pause extended meanwhile is waited out as well.
    async fn wait(&self) {
        loop {
            let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: i64) -> bool {
        matches!(classify_status(status, code, "x"), Verdict::Refused(_))
    }

    #[test]
    fn closed_channels_are_refused() {
        assert!(refused(403, 50001));
        assert!(refused(403, 50013));
        assert!(refused(404, 10003));
        assert!(refused(404, 10004));
        assert!(!refused(400, 50035));
        assert!(!refused(500, 0));
    }

    #[test]
    fn server_errors_are_retried() {
        assert!(matches!(classify_status(502, 0, "x"), Verdict::Retry(_)));
        assert!(matches!(
            classify(&PostError::Transport("timed out".into())),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            classify_status(400, 50035, "x"),
            Verdict::Rejected(_)
        ));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = PosterOptions {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_attempts: 5,
            ..PosterOptions::default()
        };
        let mut retry = RetryState::new(&options);
        let waits: Vec<Option<Duration>> = (0..5).map(|_| retry.backoff(&options)).collect();
        assert_eq!(
            waits,
            vec![
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(300)),
                Some(Duration::from_millis(300)),
                None
            ]
        );
    }

    #[test]
    fn long_rate_limit_defers_to_next_round() {
        let options = PosterOptions {
            max_retry_after: Duration::from_secs(10),
            ..PosterOptions::default()
        };
        let mut retry = RetryState::new(&options);
        assert!(retry.rate_limit(&options, Duration::from_secs(2)).is_ok());
        assert!(matches!(
            retry.rate_limit(&options, Duration::from_secs(11)),
            Err(SendFailure::Transient(_))
        ));
    }

    #[tokio::test]
    async fn global_pause_keeps_the_later_end() {
        let pause = GlobalPause::default();
        let started = Instant::now();
        pause.extend(Duration::from_millis(120));
        pause.extend(Duration::from_millis(20));
        pause.wait().await;
        assert!(started.elapsed() >= Duration::from_millis(120));
    }
}
