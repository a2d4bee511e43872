//! Crash safety of digest delivery: the real bot is killed with SIGKILL at random points while
//! it posts many digests, and restarted, repeatedly. In the end every digest must have been
//! posted exactly once, as counted at the fake Discord, and the store must pass SQLite's
//! integrity check.

mod common;
mod support;

use std::path::Path;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Timelike, Utc};
use common::bot::{BotProcess, BotSetup};
use paperboy::sources::hf;
use paperboy::store::{DigestSettings, Store, WeekendPolicy};
use support::payloads::TOKEN;
use support::{FakeDiscord, Fault};

const DIGESTS: u64 = 120;
const KILLS: usize = 8;
const ZONE: &str = "Europe/Paris";
const FIRST_CHANNEL: u64 = 5_000_000_000_000_000_000;

/// A small deterministic generator, so a failing run can be repeated from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Fills the store with the latest fixture day, observed an hour ago, and `DIGESTS` digests
/// whose post time passed two minutes ago, so that all are due when the bot starts.
fn prepare_store(db: &Path) {
    let mut store = Store::open(db).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf/daily_papers_2026-08-18_latest-schema_ai_summary_model.json");
    let day = hf::parse_day(&std::fs::read_to_string(path).unwrap()).unwrap();
    let now = Utc::now();
    store
        .upsert_papers(&day.papers, now - ChronoDuration::hours(1))
        .unwrap();

    let zone: chrono_tz::Tz = ZONE.parse().unwrap();
    let due = (now - ChronoDuration::minutes(2)).with_timezone(&zone);
    let created = now - ChronoDuration::minutes(30);
    for i in 0..DIGESTS {
        let settings = DigestSettings {
            guild_id: 7_000 + i,
            channel_id: FIRST_CHANNEL + i,
            post_time: format!("{:02}:{:02}", due.hour(), due.minute()),
            zone: ZONE.to_string(),
            weekdays: "mon,tue,wed,thu,fri,sat,sun".to_string(),
            paper_count: 3,
            min_upvotes: 0,
            keywords: Vec::new(),
            exclude_keywords: Vec::new(),
            categories: Vec::new(),
            dedupe_days: 7,
            weekend_policy: WeekendPolicy::BestOfWeek,
            announce_empty: false,
        };
        store.upsert_digest(&settings, None, created).unwrap();
    }
}

fn posted_channels(discord: &FakeDiscord) -> usize {
    (0..DIGESTS)
        .filter(|i| !discord.channel_posts(FIRST_CHANNEL + i).is_empty())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_delivery_never_doubles_or_loses_a_post() {
    let seed = 0x5eed_0000_0000_0001 ^ Utc::now().timestamp_micros() as u64;
    eprintln!("crash-safety seed: {seed:#x}");
    let mut rng = Rng(seed | 1);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    prepare_store(&db);
    let discord = FakeDiscord::start().await;
    // Each post takes a moment, so delivery of all digests spans several kill points.
    for i in 0..DIGESTS {
        discord.fail_channel(FIRST_CHANNEL + i, Fault::Delay(Duration::from_millis(40)));
    }
    let mut setup = BotSetup::new(&db, &discord.proxy_url(), TOKEN);
    setup.max_concurrent_sends = 4;

    for round in 0..KILLS {
        let bot = BotProcess::start(&setup);
        let posted_before = posted_channels(&discord);
        // Half the kills wait for the next post so they land in the middle of delivery; the
        // others strike at a random moment, start-up included.
        if round % 2 == 0 && posted_before < DIGESTS as usize {
            let target = posted_before + 1 + rng.below(3) as usize;
            let _ = discord
                .wait_for(
                    |r| r.method == "POST" && r.api_path().starts_with("/channels/"),
                    Duration::from_secs(20),
                )
                .await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while posted_channels(&discord) < target.min(DIGESTS as usize)
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(rng.below(40))).await;
        } else {
            tokio::time::sleep(Duration::from_millis(200 + rng.below(1500))).await;
        }
        let _ = bot.kill().await;
        eprintln!(
            "round {round}: killed with {} of {DIGESTS} channels posted",
            posted_channels(&discord)
        );
    }

    let bot = BotProcess::start(&setup);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while posted_channels(&discord) < DIGESTS as usize && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        bot.wait_for_log_count("digest round finished", 2, Duration::from_secs(30))
            .await,
        "{}",
        bot.log_text()
    );
    let _ = bot.kill().await;

    for i in 0..DIGESTS {
        let posts = discord.channel_posts(FIRST_CHANNEL + i);
        assert_eq!(posts.len(), 1, "channel {i} got {} posts", posts.len());
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_string()]);
    discord.assert_no_violations();
}
