//! Proactive pacing of digest posts under Discord's global rate limit.
//!
//! Discord allows a bot 50 requests per second across all routes except interaction
//! responses, and temporarily bans an IP address after 10,000 requests that got 401, 403 or
//! 429 within 10 minutes (Discord's rate-limit documentation, "Global Rate Limit" and
//! "Invalid Request Limit"). Waiting out each global 429 keeps the rate but costs one rejected
//! request per post under a backlog, so the whole process spaces its digest posts evenly
//! instead, one every `1 / POSTS_PER_SECOND` seconds.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Digest posts per second for the whole process. It stays one below Discord's 50 because
/// other REST calls (command registration, interaction followups) share the limit and
/// network jitter can bunch evenly spaced posts.
pub const POSTS_PER_SECOND: u32 = 49;

/// A limiter that hands out evenly spaced send times, first come first served.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    /// The earliest instant the next caller may send at.
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// Builds a pacer for `per_second` sends per second. Zero counts as one.
    pub fn new(per_second: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits until this caller's send time. A pacer left idle does not bank sends: after a
    /// pause the next caller goes at once and the spacing restarts from there.
    pub async fn wait_turn(&self) {
        let turn = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let turn = next.map_or(now, |at| at.max(now));
            *next = Some(turn + self.interval);
            turn
        };
        tokio::time::sleep_until(turn).await;
    }
}

/// The pacer shared by every digest post of the process.
static DIGEST_POSTS: LazyLock<Pacer> = LazyLock::new(|| Pacer::new(POSTS_PER_SECOND));

/// Waits for the next free send time of the process-wide digest pacer.
pub async fn wait_turn() {
    DIGEST_POSTS.wait_turn().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time: the crate does not enable tokio's `test-util`, so the clock cannot be paused.
    // Lower bounds are exact, and upper bounds leave room for a busy machine.

    #[tokio::test]
    async fn pacer_spaces_sends_evenly() {
        let pacer = Pacer::new(100);
        let started = Instant::now();
        for _ in 0..11 {
            pacer.wait_turn().await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    }

    #[tokio::test]
    async fn idle_pacer_sends_at_once() {
        let pacer = Pacer::new(10);
        pacer.wait_turn().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let resumed = Instant::now();
        pacer.wait_turn().await;
        let waited = resumed.elapsed();
        assert!(waited < Duration::from_millis(50), "{waited:?}");
    }

    #[tokio::test]
    async fn concurrent_callers_get_distinct_turns() {
        let pacer = std::sync::Arc::new(Pacer::new(100));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..11 {
            let pacer = std::sync::Arc::clone(&pacer);
            tasks.spawn(async move { pacer.wait_turn().await });
        }
        while tasks.join_next().await.is_some() {}
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    }
}
