//! `/summary` and `/paper` through the real bot when they need the network: a fake Discord,
//! a fake OpenAI-compatible endpoint and a fake arXiv, all on 127.0.0.1.
//!
//! Discord invalidates an interaction that gets no first response within 3 s. A model or an
//! arXiv fetch (spaced 3 s apart) can take longer, so the bot must defer (callback type 5)
//! before any network call and then edit the placeholder.

mod common;
mod lookup_support;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::bot::{BotProcess, BotSetup, LlmSetup};
use lookup_support::fake_arxiv::FakeArxiv;
use lookup_support::fake_llm::{FakeLlm, LlmBehavior};
use serde_json::{json, Value};
use support::payloads::{GUILD_ID, TOKEN};
use support::{BuiltInteraction, FakeDiscord, InteractionBuilder, InteractionView};

const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";
/// A paper of the fixture day, which has a Hugging Face `ai_summary`.
const STORED_PAPER: &str = "2608.15265";
const MODEL: &str = "fake-model:7b";
const KEY_ENV: &str = "PAPERBOY_TEST_LLM_KEY";
const KEY: &str = "sk-e2e-secret-key";
const MODEL_ANSWER: &str = "VibeWorlding asks agents to build 3D open worlds from prompts.";

/// Index of `detailed` among the `length` choices, as Discord sends a poise choice.
const DETAILED: i64 = 1;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

/// A store with the fixture day, a fake Discord, a fake model, a fake arXiv and a running bot
/// pointed at all three.
struct World {
    discord: FakeDiscord,
    llm: FakeLlm,
    arxiv: FakeArxiv,
    bot: BotProcess,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start(behavior: LlmBehavior) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bot.db");
        let ingest = Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .arg("--db")
            .arg(&db)
            .args(["ingest", "--file"])
            .arg(fixture(LATEST_DAY))
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(ingest.status.success(), "{ingest:?}");

        let discord = FakeDiscord::start().await;
        let llm = FakeLlm::start(behavior).await;
        let arxiv = FakeArxiv::with_papers().await;
        let mut setup = BotSetup::new(&db, &discord.proxy_url(), TOKEN);
        setup.guild_ids = vec![GUILD_ID];
        setup.arxiv_base_url = Some(arxiv.base_url().to_string());
        setup.llm = Some(LlmSetup {
            base_url: llm.base_url().to_string(),
            model: MODEL.to_string(),
            timeout_secs: 20,
            api_key_env: Some(KEY_ENV.to_string()),
        });
        setup.env = vec![(KEY_ENV.to_string(), KEY.to_string())];

        let bot = BotProcess::start(&setup);
        assert!(
            discord
                .wait_identify_count(1, Duration::from_secs(60))
                .await
                .is_some(),
            "bot did not identify:\n{}",
            bot.log_text()
        );
        assert!(
            bot.wait_for_log("registered commands in guild", Duration::from_secs(30))
                .await,
            "bot did not register commands:\n{}",
            bot.log_text()
        );
        World {
            discord,
            llm,
            arxiv,
            bot,
            _dir: dir,
        }
    }

    /// Sends the interaction and waits until its placeholder was replaced by an edit or a
    /// followup, or its first response was a message.
    async fn run(&self, interaction: &BuiltInteraction) -> InteractionView {
        self.discord.send_interaction(interaction);
        let id = interaction.id;
        let answered = self
            .discord
            .wait_for(
                |r| {
                    r.interaction_id == Some(id)
                        && (r.path.contains("/messages/@original")
                            || r.method == "POST" && r.path.contains("/webhooks/")
                            || r.body.as_ref().is_some_and(|b| b["type"] == 4))
                },
                Duration::from_secs(20),
            )
            .await;
        assert!(
            answered.is_some(),
            "no answer to interaction {id}:\n{}",
            self.bot.log_text()
        );
        self.discord.interaction(id).unwrap()
    }

    /// Waits for `count` followup messages of an interaction.
    async fn wait_followups(&self, interaction_id: u64, count: usize) -> InteractionView {
        for _ in 0..100 {
            let view = self.discord.interaction(interaction_id).unwrap();
            if view.followups.len() >= count {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "fewer than {count} followups for {interaction_id}:\n{}",
            self.bot.log_text()
        );
    }
}

fn summary_detailed(id: &str) -> BuiltInteraction {
    InteractionBuilder::slash("summary")
        .option("id", json!(id))
        .option("length", json!(DETAILED))
        .build()
}

fn paper(id: &str) -> BuiltInteraction {
    InteractionBuilder::slash("paper")
        .option("id", json!(id))
        .build()
}

fn embed(message: &Value) -> &Value {
    &message["embeds"][0]
}

fn assert_deferred_in_time(view: &InteractionView) {
    assert_eq!(view.callback_type, Some(5), "the first response is a defer");
    let after = view.acknowledged_after.unwrap();
    assert!(after < Duration::from_secs(3), "deferred after {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_model_summary_deferred_then_edited() {
    let world = World::start(LlmBehavior::slow_answer(
        MODEL_ANSWER,
        Duration::from_secs(4),
    ))
    .await;

    let interaction = summary_detailed(STORED_PAPER);
    let view = world.run(&interaction).await;
    assert_deferred_in_time(&view);

    let original = view.original.expect("the placeholder was filled");
    let description = embed(&original)["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("VibeWorlding asks agents"),
        "{original}"
    );
    let footer = embed(&original)["footer"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        footer.contains("summary by the language model fake-model:7b"),
        "{footer}"
    );
    assert_eq!(
        original["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "the summary is public"
    );
    assert!(view.followups.is_empty(), "{:?}", view.followups);

    let requests = world.llm.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    let callback = world
        .discord
        .interaction_responses(interaction.id)
        .into_iter()
        .find(|r| r.path.ends_with("/callback"))
        .unwrap();
    assert!(
        callback.received_at <= requests[0].received,
        "the defer went out before the model was asked"
    );
    assert!(
        !world.bot.log_text().contains(KEY),
        "the API key appears in the log"
    );

    // The summary is cached now: a second request gets the same text without the model.
    let again = summary_detailed(STORED_PAPER);
    let view = world.run(&again).await;
    let description = embed(view.original.as_ref().unwrap())["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        description.contains("VibeWorlding asks agents"),
        "{description}"
    );
    assert_eq!(world.llm.requests().len(), 1, "served from the cache");

    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_failure_falls_back_with_ephemeral_note() {
    let world = World::start(LlmBehavior::Status(500)).await;

    let interaction = summary_detailed(STORED_PAPER);
    let view = world.run(&interaction).await;
    assert_deferred_in_time(&view);

    let original = view.original.expect("the placeholder was filled");
    let footer = embed(&original)["footer"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(footer.contains("summary by Hugging Face"), "{original}");
    assert!(
        embed(&original)["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{original}"
    );

    let view = world.wait_followups(interaction.id, 1).await;
    let note = &view.followups[0];
    assert_eq!(note["flags"], 64, "the note is ephemeral: {note}");
    let content = note["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("The summary model failed")
            && content.contains("HTTP 500")
            && content.contains("Hugging Face's summary instead"),
        "{content}"
    );
    assert!(
        world
            .bot
            .wait_for_log("language model summary failed", Duration::from_secs(5))
            .await,
        "the failure is logged:\n{}",
        world.bot.log_text()
    );
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_summary_answers_without_defer() {
    let world = World::start(LlmBehavior::answer(MODEL_ANSWER)).await;

    let interaction = InteractionBuilder::slash("summary")
        .option("id", json!(STORED_PAPER))
        .build();
    let view = world.run(&interaction).await;
    assert_eq!(view.callback_type, Some(4), "no network, no defer");
    let footer = embed(view.original.as_ref().unwrap())["footer"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(footer.contains("summary by Hugging Face"), "{footer}");
    assert!(world.llm.requests().is_empty());
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_paper_fetched_from_arxiv_after_defer() {
    let world = World::start(LlmBehavior::answer(MODEL_ANSWER)).await;

    let first = paper("https://arxiv.org/abs/1707.08567v1");
    let view = world.run(&first).await;
    assert_deferred_in_time(&view);
    let title = embed(view.original.as_ref().unwrap())["title"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(title.contains("Proceedings of Workshop AEW10"), "{title}");
    assert_eq!(world.arxiv.requested_keys(), vec!["1707.08567"]);

    let second = paper("arXiv:1707.08567");
    let view = world.run(&second).await;
    assert_eq!(view.callback_type, Some(4), "served from the store");
    assert_eq!(world.arxiv.requests().len(), 1, "fetched once");

    let unknown = paper("2312.00001");
    let view = world.run(&unknown).await;
    assert_deferred_in_time(&view);
    let content = view.original.as_ref().unwrap()["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        content.contains("arXiv has no paper 2312.00001"),
        "{content}"
    );

    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_id_answered_at_once_and_ephemeral() {
    let world = World::start(LlmBehavior::answer(MODEL_ANSWER)).await;

    let view = world.run(&summary_detailed("not a paper")).await;
    assert_eq!(view.callback_type, Some(4), "no defer for input errors");
    let original = view.original.unwrap();
    assert_eq!(original["flags"], 64, "{original}");
    assert!(
        original["content"]
            .as_str()
            .is_some_and(|c| c.contains("is not an arXiv ID or paper URL")),
        "{original}"
    );
    assert!(world.arxiv.requests().is_empty());
    assert!(world.llm.requests().is_empty());
    world.discord.assert_no_violations();
}
