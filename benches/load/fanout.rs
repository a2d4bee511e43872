//! The fan-out part: a store whose digests all fell due a minute ago, and the bot posting them
//! to a fake Discord that allows each client a global number of requests per second.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::bot::{Bot, Memory};
use crate::report::mib;
use crate::store::fan_out_store;
use crate::support::payloads::{GUILD_ID, TOKEN};
use crate::support::FakeDiscord;

/// The channel of the first digest. Digest `n` posts to channel `FIRST_CHANNEL + n`.
const FIRST_CHANNEL: u64 = 3_100_000_000_000_000_000;

/// The run ends after this long even if some digests are still unposted.
const MAX_RUN: Duration = Duration::from_secs(600);

pub struct FanOutOutcome {
    digests: usize,
    rate: u32,
    /// From the first message post the fake received to the last accepted one.
    span: Duration,
    /// From the bot's start to the last accepted post.
    since_start: Duration,
    accepted_posts: usize,
    rate_limited: usize,
    other_failures: usize,
    /// Channels by number of messages created in them.
    channels_by_messages: HashMap<usize, usize>,
    deduplicated: usize,
    deliveries_by_state: Vec<(String, i64)>,
    finished: bool,
    memory: Memory,
}

pub async fn run(dir: &Path, digests: usize, rate: u32) -> Result<FanOutOutcome> {
    std::fs::create_dir_all(dir)?;
    let db = dir.join("fanout.db");
    let built = Instant::now();
    fan_out_store(&db, digests, GUILD_ID, FIRST_CHANNEL)?;
    eprintln!(
        "stored {digests} due digests in {:.1} s",
        built.elapsed().as_secs_f64()
    );

    let discord = FakeDiscord::start().await;
    discord.set_global_rate_limit(rate);
    let bot = Bot::start(&db, &discord.proxy_url(), TOKEN, GUILD_ID)?;

    let deadline = Instant::now() + MAX_RUN;
    let mut finished = false;
    let mut memory = bot.memory()?;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        memory = bot.memory()?;
        let accepted = count_posts(&discord, |status| status == 200);
        eprintln!(
            "  {accepted} of {digests} posted after {:.0} s",
            bot.started_at.elapsed().as_secs_f64()
        );
        if accepted >= digests {
            finished = true;
            break;
        }
    }
    // A short grace period shows any post beyond one per digest.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let posts: Vec<_> = discord
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.route == Some("/channels/{channel_id}/messages"))
        .collect();
    let accepted: Vec<_> = posts.iter().filter(|r| r.status == 200).collect();
    let first = posts.first().map(|r| r.received_at);
    let last = accepted.last().map(|r| r.received_at);
    let span = match (first, last) {
        (Some(first), Some(last)) => last.duration_since(first),
        _ => Duration::ZERO,
    };
    let since_start = last.map_or(Duration::ZERO, |last| last.duration_since(bot.started_at));

    let mut channels_by_messages: HashMap<usize, usize> = HashMap::new();
    let mut deduplicated = 0;
    for n in 0..digests as u64 {
        let channel = FIRST_CHANNEL + n;
        *channels_by_messages
            .entry(discord.channel_messages(channel).len())
            .or_default() += 1;
        deduplicated += discord.deduplicated_posts(channel).len();
    }
    bot.stop().await;

    let deliveries_by_state = deliveries_by_state(&db)?;
    Ok(FanOutOutcome {
        digests,
        rate,
        span,
        since_start,
        accepted_posts: accepted.len(),
        rate_limited: posts.iter().filter(|r| r.status == 429).count(),
        other_failures: posts
            .iter()
            .filter(|r| r.status != 200 && r.status != 429)
            .count(),
        channels_by_messages,
        deduplicated,
        deliveries_by_state,
        finished,
        memory,
    })
}

fn count_posts(discord: &FakeDiscord, status: impl Fn(u16) -> bool) -> usize {
    discord
        .requests_matching("POST", "/channels/")
        .iter()
        .filter(|r| status(r.status))
        .count()
}

fn deliveries_by_state(db: &Path) -> Result<Vec<(String, i64)>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut statement =
        conn.prepare("SELECT state, COUNT(*) FROM deliveries GROUP BY state ORDER BY state")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect::<Result<Vec<_>, _>>()
        .context("cannot read the deliveries table")
}

impl FanOutOutcome {
    pub fn print(&self) {
        let floor = self.digests as f64 / f64::from(self.rate);
        let seconds = self.span.as_secs_f64();
        let achieved = if seconds > 0.0 {
            self.accepted_posts as f64 / seconds
        } else {
            0.0
        };
        println!(
            "\n== fan-out ({} digests, global limit {} requests/s) ==",
            self.digests, self.rate
        );
        println!(
            "all posted: {}; accepted posts {}; first post to last accepted post {:.1} s \
             (floor {:.0} s, goal <= {:.0} s); bot start to last post {:.1} s",
            self.finished,
            self.accepted_posts,
            seconds,
            floor,
            floor / 0.95,
            self.since_start.as_secs_f64()
        );
        println!(
            "rate: {:.1} requests/s = {:.1} % of the limit (goal >= 95 %); 429 answers: {}; \
             other failed posts: {}",
            achieved,
            100.0 * achieved / f64::from(self.rate),
            self.rate_limited,
            self.other_failures
        );
        let mut counts: Vec<_> = self.channels_by_messages.iter().collect();
        counts.sort();
        println!(
            "channels by messages created (messages: channels): {counts:?}; nonce repeats \
             answered with the existing message: {}",
            self.deduplicated
        );
        println!("deliveries by state: {:?}", self.deliveries_by_state);
        println!(
            "bot memory at the end: VmRSS {:.1} MiB, VmHWM {:.1} MiB",
            mib(self.memory.rss_kib),
            mib(self.memory.hwm_kib)
        );
    }
}
