//! `/search` pages and `/paper` autocomplete through the real bot and the fake Discord.

mod common;
mod support;

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use common::bot::{BotProcess, BotSetup};
use paperboy::store::Store;
use serde_json::{json, Value};
use support::payloads::{GUILD_ID, TOKEN};
use support::{FakeDiscord, InteractionBuilder, RecordedRequest};

/// Stores every fixture day, so that common words match more than one page.
fn fill_store(db: &Path) {
    let mut store = Store::open(db).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let reports = paperboy::ingest::ingest_files(&mut store, &files, Utc::now());
    assert!(reports.iter().all(|r| r.error.is_none()));
}

async fn start() -> (FakeDiscord, BotProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    fill_store(&db);
    let discord = FakeDiscord::start().await;
    let mut setup = BotSetup::new(&db, &discord.proxy_url(), TOKEN);
    setup.guild_ids = vec![GUILD_ID];
    let bot = BotProcess::start(&setup);
    assert!(discord
        .wait_identified(Duration::from_secs(60))
        .await
        .is_some());
    assert!(
        bot.wait_for_log("registered commands in guild", Duration::from_secs(30))
            .await,
        "{}",
        bot.log_text()
    );
    (discord, bot, dir)
}

async fn answer(discord: &FakeDiscord, id: u64) -> RecordedRequest {
    discord
        .wait_for(
            |r| r.interaction_id == Some(id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .expect("the bot answered")
}

/// The ranks shown in a message, read from the start of each list entry.
fn ranks(data: &Value) -> Vec<u64> {
    let mut ranks = Vec::new();
    for embed in data["embeds"].as_array().into_iter().flatten() {
        let description = embed["description"].as_str().unwrap_or("");
        for line in description.lines() {
            let trimmed = line.trim_start_matches(['*', '#', ' ']);
            let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && trimmed[digits.len()..].starts_with('.') {
                ranks.push(digits.parse().unwrap());
            }
        }
    }
    ranks
}

fn custom_ids(data: &Value) -> Vec<(String, bool)> {
    let mut ids = Vec::new();
    for row in data["components"].as_array().into_iter().flatten() {
        for button in row["components"].as_array().into_iter().flatten() {
            ids.push((
                button["custom_id"].as_str().unwrap().to_string(),
                button["disabled"].as_bool().unwrap_or(false),
            ));
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_turn_for_the_owner_only() {
    let (discord, bot, _dir) = start().await;

    let search = InteractionBuilder::slash("search")
        .option("query", json!("model"))
        .build();
    discord.send_interaction(&search);
    let first = answer(&discord, search.id).await;
    let data = first.body.as_ref().unwrap()["data"].clone();
    let first_ranks = ranks(&data);
    assert!(!first_ranks.is_empty(), "{data}");
    assert_eq!(first_ranks[0], 1);
    let buttons = custom_ids(&data);
    assert_eq!(buttons.len(), 2, "{data}");
    assert!(buttons[0].1, "Previous is disabled on the first page");
    assert!(!buttons[1].1, "Next is enabled");

    let message = discord
        .interaction(search.id)
        .unwrap()
        .original
        .expect("the reply message");
    let next = InteractionBuilder::button(&buttons[1].0, message.clone()).build();
    discord.send_interaction(&next);
    let turned = answer(&discord, next.id).await;
    let body = turned.body.unwrap();
    assert_eq!(body["type"], 7, "the press updates the message: {body}");
    let second_ranks = ranks(&body["data"]);
    assert_eq!(
        second_ranks.first().copied(),
        Some(*first_ranks.last().unwrap() + 1),
        "{body}"
    );

    let stranger = InteractionBuilder::button(&buttons[1].0, message.clone())
        .user(4_000_000_000_000_000_999, "someone-else")
        .build();
    discord.send_interaction(&stranger);
    let refused = answer(&discord, stranger.id).await.body.unwrap();
    assert_eq!(refused["type"], 4);
    assert_eq!(refused["data"]["flags"], 64);
    assert!(refused["data"]["content"]
        .as_str()
        .unwrap()
        .contains("Only the person"));

    let stale = InteractionBuilder::button("pb:page:123:next", message).build();
    discord.send_interaction(&stale);
    let expired = answer(&discord, stale.id).await.body.unwrap();
    assert_eq!(expired["data"]["flags"], 64);
    assert!(expired["data"]["content"]
        .as_str()
        .unwrap()
        .contains("expired"));

    discord.assert_no_violations();
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_autocomplete_offers_matching_papers() {
    let (discord, bot, _dir) = start().await;

    for (partial, expect) in [("video", "video"), ("2501.14", "2501.14"), ("", "")] {
        let request = InteractionBuilder::autocomplete("paper", "id", partial).build();
        discord.send_interaction(&request);
        let body = answer(&discord, request.id).await.body.unwrap();
        assert_eq!(body["type"], 8, "{body}");
        let choices = body["data"]["choices"].as_array().unwrap();
        assert!(!choices.is_empty(), "no choices for {partial:?}");
        assert!(choices.len() <= 25);
        for choice in choices {
            let name = choice["name"].as_str().unwrap().to_lowercase();
            let value = choice["value"].as_str().unwrap();
            assert!(paperboy::ids::ArxivId::from_key(value).is_ok(), "{value}");
            assert!(name.contains(expect), "{partial:?} offered {name}");
        }
    }
    discord.assert_no_violations();
    drop(bot);
}
