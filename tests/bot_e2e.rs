//! The real `paperboy run` against a fake Discord and a fake Hugging Face on 127.0.0.1.
//!
//! The fake Discord validates every request body against Discord's OpenAPI description and
//! Discord's limits, and records every request, so these tests check what the bot sends.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Timelike, Utc};
use common::bot::{BotProcess, BotSetup};
use common::fake_hf::FakeHf;
use serde_json::{json, Value};
use support::payloads::{CHANNEL_ID, GUILD_ID, TOKEN};
use support::{FakeDiscord, InteractionBuilder};

const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";
const DIGEST_CHANNEL: u64 = 3_000_000_000_000_000_777;
const ZONE: &str = "America/New_York";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

/// A fake Discord, a fake Hugging Face serving the latest fixture day as today, and a bot
/// that has connected and ingested that day.
struct World {
    discord: FakeDiscord,
    hf: FakeHf,
    setup: BotSetup,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let dir = tempfile::tempdir().unwrap();
        let discord = FakeDiscord::start().await;
        let hf = FakeHf::start().await;
        let today = Utc::now().date_naive().to_string();
        hf.serve_file(&today, &fixture(LATEST_DAY));
        let mut setup = BotSetup::new(&dir.path().join("bot.db"), &discord.proxy_url(), TOKEN);
        setup.hf_base_url = Some(hf.base_url().to_string());
        setup.guild_ids = vec![GUILD_ID];
        World {
            discord,
            hf,
            setup,
            _dir: dir,
        }
    }

    /// Starts the bot and waits until it has identified and ingested the fixture day.
    async fn start_bot(&self, identify_count: usize) -> BotProcess {
        let bot = BotProcess::start(&self.setup);
        let identified = self
            .discord
            .wait_identify_count(identify_count, Duration::from_secs(60))
            .await;
        assert!(
            identified.is_some(),
            "bot did not identify:\n{}",
            bot.log_text()
        );
        assert!(
            bot.wait_for_log("ingested day", Duration::from_secs(30))
                .await,
            "bot did not ingest:\n{}",
            bot.log_text()
        );
        assert!(
            bot.wait_for_log("registered commands in guild", Duration::from_secs(30))
                .await,
            "bot did not register commands:\n{}",
            bot.log_text()
        );
        bot
    }
}

/// The fixture day's IDs in the order of Paperboy's trending formula: upvotes plus
/// 3 · ln(1 + stars) (all papers share one listing day, so the age decay is equal), ties by
/// upvotes, then by the newer ID.
fn expected_trending_ids() -> Vec<String> {
    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(LATEST_DAY)).unwrap()).unwrap();
    let mut rows: Vec<(f64, i64, String)> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let paper = &item["paper"];
            let upvotes = paper["upvotes"].as_i64().unwrap_or(0);
            let stars = paper["githubStars"].as_i64().unwrap_or(0);
            let gain = upvotes as f64 + 3.0 * (stars as f64).ln_1p();
            (gain, upvotes, paper["id"].as_str().unwrap().to_string())
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap()
            .then(b.1.cmp(&a.1))
            .then(b.2.cmp(&a.2))
    });
    rows.into_iter().map(|r| r.2).collect()
}

/// arXiv IDs linked from a message body's embeds, in order of appearance.
fn linked_ids(body: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for embed in body["embeds"].as_array().into_iter().flatten() {
        let text = format!(
            "{} {}",
            embed["description"].as_str().unwrap_or(""),
            embed["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["value"].as_str().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for piece in text.split("https://arxiv.org/abs/").skip(1) {
            let id: String = piece
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if !id.is_empty() && ids.last() != Some(&id) && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The local `HH:MM` of the next minute that is at least 20 seconds away.
fn time_a_minute_ahead() -> String {
    let zone: chrono_tz::Tz = ZONE.parse().unwrap();
    let soon = (Utc::now() + ChronoDuration::seconds(80)).with_timezone(&zone);
    format!("{:02}:{:02}", soon.hour(), soon.minute())
}

fn digest_set(admin: bool) -> support::BuiltInteraction {
    InteractionBuilder::slash("digest")
        .subcommand("set")
        .option("time", json!(time_a_minute_ahead()))
        .option("zone", json!(ZONE))
        .channel_option("channel", DIGEST_CHANNEL)
        .option("count", json!(5))
        .admin(admin)
        .build()
}

fn digest_rows(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM digests", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trending_is_answered_in_time_and_in_order() {
    let world = World::start().await;
    let bot = world.start_bot(1).await;

    let interaction = InteractionBuilder::slash("trending").build();
    world.discord.send_interaction(&interaction);
    let callback = world
        .discord
        .wait_for(
            |r| r.interaction_id == Some(interaction.id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to /trending:\n{}", bot.log_text()));
    assert_eq!(callback.status, 204, "{:?}", callback.response);
    let view = world.discord.interaction(interaction.id).unwrap();
    assert!(
        view.acknowledged_after.unwrap() < Duration::from_secs(3),
        "answered after {:?}",
        view.acknowledged_after
    );

    let body = callback.body.unwrap();
    assert_eq!(body["type"], 4, "{body}");
    let shown = linked_ids(&body["data"]);
    let expected = expected_trending_ids();
    assert!(!shown.is_empty(), "no papers in {body}");
    assert_eq!(shown, expected[..shown.len()].to_vec());
    assert!(shown.len() >= 5, "only {} papers shown", shown.len());

    world.discord.assert_no_violations();
    assert_eq!(
        world.hf.requested_dates().first(),
        Some(&Utc::now().date_naive().to_string())
    );
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_posts_once_and_not_again_after_restart() {
    let world = World::start().await;
    let bot = world.start_bot(1).await;

    let set = digest_set(true);
    world.discord.send_interaction(&set);
    let reply = world
        .discord
        .wait_for(
            |r| r.interaction_id == Some(set.id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to /digest set:\n{}", bot.log_text()));
    let data = &reply.body.as_ref().unwrap()["data"];
    assert_eq!(data["flags"], 64, "the confirmation is ephemeral: {data}");
    assert!(data.to_string().contains("Digest saved"), "{data}");

    let post = world
        .discord
        .wait_for(
            |r| {
                r.method == "POST" && r.api_path() == format!("/channels/{DIGEST_CHANNEL}/messages")
            },
            Duration::from_secs(150),
        )
        .await
        .unwrap_or_else(|| panic!("no digest post:\n{}", bot.log_text()));
    let ids = linked_ids(post.body.as_ref().unwrap());
    assert_eq!(ids, expected_trending_ids()[..5].to_vec());
    assert!(
        bot.wait_for_log("digest posted", Duration::from_secs(10))
            .await
    );

    // Let the scheduler run a few more rounds in this process, then restart it.
    assert!(
        bot.wait_for_log_count("digest round finished", 6, Duration::from_secs(30))
            .await
    );
    let _ = bot.kill().await;
    let restarted = world.start_bot(2).await;
    assert!(
        restarted
            .wait_for_log_count("digest round finished", 3, Duration::from_secs(30))
            .await,
        "{}",
        restarted.log_text()
    );

    assert_eq!(world.discord.channel_posts(DIGEST_CHANNEL).len(), 1);
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_set_by_a_member_is_refused() {
    let world = World::start().await;
    let bot = world.start_bot(1).await;

    let set = digest_set(false);
    world.discord.send_interaction(&set);
    let reply = world
        .discord
        .wait_for(
            |r| r.interaction_id == Some(set.id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to /digest set:\n{}", bot.log_text()));
    let data = &reply.body.as_ref().unwrap()["data"];
    assert_eq!(data["flags"], 64, "the refusal is ephemeral: {data}");
    assert!(data.to_string().contains("Manage Server"), "{data}");
    assert_eq!(digest_rows(&world.setup.db), 0);
    assert!(world.discord.channel_posts(DIGEST_CHANNEL).is_empty());
    assert!(world.discord.channel_posts(CHANNEL_ID).is_empty());
    world.discord.assert_no_violations();
}
