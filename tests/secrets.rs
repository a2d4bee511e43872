//! Secrets stay secret. The bot token and the language-model API key reach no log line, even at
//! trace level for every target, and no `Debug` print of the configuration. The configuration
//! commands reject members without Manage Server.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use chrono::{Duration as ChronoDuration, Timelike, Utc};
use common::bot::{BotProcess, BotSetup};
use common::fake_hf::FakeHf;
use paperboy::config::Config;
use serde_json::{json, Value};
use support::payloads::{permission, CHANNEL_ID, GUILD_ID, TOKEN};
use support::{FakeConfig, FakeDiscord, InteractionBuilder, RecordedRequest};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::Notify;

const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";
/// Shaped like a real bot token (base64 user id, timestamp, HMAC) so that any encoder or
/// redactor keyed on the shape would treat it as a token.
const BOT_TOKEN: &str = "MTAwMDAwMDAwMDAwMDAwMDAwMQ.GsEcRt.paperboy-secret-token-9f3c2e71d4";
const LLM_KEY: &str = "sk-paperboy-test-key-5b8e1a0c7d";
const LLM_KEY_ENV: &str = "PAPERBOY_SECRETS_TEST_LLM_KEY";
const DIGEST_CHANNEL: u64 = 3_000_000_000_000_000_777;
const ZONE: &str = "America/New_York";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

// ---- Debug output of the configuration ----

#[test]
fn config_debug_hides_the_token_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token.txt");
    std::fs::write(&token_file, format!("{BOT_TOKEN}\n")).unwrap();
    let config_path = dir.path().join("paperboy.toml");
    let text = format!(
        "[store]\npath = \"papers.db\"\n\n\
         [discord]\ntoken_file = {:?}\nrest_proxy = \"http://127.0.0.1:9\"\nguild_ids = [1]\n\n\
         [huggingface]\nbase_url = \"http://127.0.0.1:9\"\n\n\
         [llm]\nbase_url = \"http://127.0.0.1:9\"\nmodel = \"m\"\napi_key_env = {LLM_KEY_ENV:?}\n",
        token_file.display().to_string()
    );
    std::fs::write(&config_path, text).unwrap();
    // Only this test reads these variables; the bot tests pass theirs to the child process.
    std::env::remove_var("DISCORD_TOKEN");
    std::env::set_var(LLM_KEY_ENV, LLM_KEY);

    let config = Config::load(Some(&config_path)).unwrap();
    let token = config.token().unwrap();
    let key = config.llm_api_key().unwrap().unwrap();
    assert_eq!(token.expose(), BOT_TOKEN);
    assert_eq!(key.expose(), LLM_KEY);

    let printed = [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{token:?} {token}"),
        format!("{key:?} {key}"),
        format!("{:?}", config.token()),
        format!("{:?}", config.llm_api_key()),
    ];
    for text in &printed {
        assert!(!text.contains(BOT_TOKEN), "the token is printed: {text}");
        assert!(!text.contains("secret-token"), "part of the token: {text}");
        assert!(!text.contains(LLM_KEY), "the key is printed: {text}");
    }
    assert!(printed[0].contains("token.txt"), "{}", printed[0]);
    assert!(printed[0].contains(LLM_KEY_ENV), "{}", printed[0]);
}

// ---- A whole run at trace level ----

/// Starts a fake OpenAI-compatible endpoint that records the `Authorization` header of each
/// request.
async fn start_fake_llm() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&seen);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |headers: HeaderMap| {
            let recorder = Arc::clone(&recorder);
            async move {
                let authorization = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                recorder.lock().unwrap().push(authorization);
                axum::Json(json!({
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": "test-model",
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": "The paper studies a model and reports better results."},
                        "finish_reason": "stop"
                    }]
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base_url, seen)
}

/// Everything a child process writes to one stream, line by line.
#[derive(Clone, Default)]
struct Lines {
    lines: Arc<Mutex<Vec<String>>>,
    changed: Arc<Notify>,
}

impl Lines {
    fn collect(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                this.lines.lock().unwrap().push(line);
                this.changed.notify_waiters();
            }
        });
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits until a line contains `needle`; returns false on timeout.
    async fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if self
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains(needle))
            {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }
}

/// Returns the local `HH:MM` of the next minute that is at least 20 seconds away.
fn time_a_minute_ahead() -> String {
    let zone: chrono_tz::Tz = ZONE.parse().unwrap();
    let soon = (Utc::now() + ChronoDuration::seconds(80)).with_timezone(&zone);
    format!("{:02}:{:02}", soon.hour(), soon.minute())
}

async fn answer(discord: &FakeDiscord, id: u64, command: &str, log: &Lines) -> RecordedRequest {
    discord
        .wait_for(
            |r| r.interaction_id == Some(id) && r.path.ends_with("/callback"),
            Duration::from_secs(10),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to {command}:\n{}", log.text()))
}

/// Runs the bot with `RUST_LOG=trace` through connecting, an ingest, commands (one of which
/// calls the language model with the key), a digest post and a shutdown by SIGTERM, then
/// searches everything it wrote for the token and the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trace_logs_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let discord = FakeDiscord::start_with(FakeConfig {
        token: BOT_TOKEN.to_string(),
        ..FakeConfig::default()
    })
    .await;
    let hf = FakeHf::start().await;
    hf.serve_file(&Utc::now().date_naive().to_string(), &fixture(LATEST_DAY));
    let (llm_url, llm_authorizations) = start_fake_llm().await;

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, BOT_TOKEN).unwrap();
    let config = dir.path().join("paperboy.toml");
    let text = format!(
        "[store]\npath = {:?}\n\n\
         [discord]\ntoken_file = {:?}\nrest_proxy = {:?}\nguild_ids = [{GUILD_ID}]\n\n\
         [huggingface]\nbase_url = {:?}\ningest_days = 1\ningest_interval_minutes = 60\n\n\
         [digest]\ncheck_interval_secs = 1\n\n\
         [llm]\nbase_url = {llm_url:?}\nmodel = \"test-model\"\napi_key_env = {LLM_KEY_ENV:?}\n\
         use_for = \"both\"\n",
        db.display().to_string(),
        token_file.display().to_string(),
        discord.proxy_url(),
        hf.base_url(),
    );
    std::fs::write(&config, text).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .env(LLM_KEY_ENV, LLM_KEY)
        .env_remove("DISCORD_TOKEN")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (stdout, stderr) = (Lines::default(), Lines::default());
    stdout.collect(child.stdout.take().unwrap());
    stderr.collect(child.stderr.take().unwrap());

    assert!(
        discord
            .wait_identify_count(1, Duration::from_secs(60))
            .await
            .is_some(),
        "bot did not identify:\n{}",
        stderr.text()
    );
    assert!(
        stderr
            .wait_for("registered commands in guild", Duration::from_secs(30))
            .await,
        "{}",
        stderr.text()
    );
    assert!(
        stderr
            .wait_for("ingested day", Duration::from_secs(30))
            .await,
        "{}",
        stderr.text()
    );

    let trending = InteractionBuilder::slash("trending").build();
    discord.send_interaction(&trending);
    answer(&discord, trending.id, "/trending", &stderr).await;

    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(LATEST_DAY)).unwrap()).unwrap();
    let paper_id = raw[0]["paper"]["id"].as_str().unwrap();
    let summary = InteractionBuilder::slash("summary")
        .option("id", json!(paper_id))
        .option("length", json!(1))
        .build();
    discord.send_interaction(&summary);
    answer(&discord, summary.id, "/summary", &stderr).await;

    let set = InteractionBuilder::slash("digest")
        .subcommand("set")
        .option("time", json!(time_a_minute_ahead()))
        .option("zone", json!(ZONE))
        .channel_option("channel", DIGEST_CHANNEL)
        .option("count", json!(3))
        .admin(true)
        .build();
    discord.send_interaction(&set);
    answer(&discord, set.id, "/digest set", &stderr).await;
    let post = discord
        .wait_for(
            |r| {
                r.method == "POST" && r.api_path() == format!("/channels/{DIGEST_CHANNEL}/messages")
            },
            Duration::from_secs(150),
        )
        .await;
    assert!(post.is_some(), "no digest post:\n{}", stderr.text());

    let pid = child.id().expect("the bot is running");
    let signal = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(signal.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the bot stops within 30 s of SIGTERM")
        .unwrap();
    // Let the readers drain the pipes after the exit.
    assert!(stderr.wait_for("stopped", Duration::from_secs(5)).await);

    // The secrets were in use, so their absence from the output means something.
    let authorizations = llm_authorizations.lock().unwrap().clone();
    assert!(!authorizations.is_empty(), "the model was never called");
    assert!(
        authorizations
            .iter()
            .all(|a| *a == format!("Bearer {LLM_KEY}")),
        "{authorizations:?}"
    );
    let requests = discord.requests();
    assert!(requests
        .iter()
        .any(|r| r.authorization.as_deref() == Some(&format!("Bot {BOT_TOKEN}"))));

    let err_text = stderr.text();
    let out_text = stdout.text();
    // The libraries that see the secrets logged at trace level, so their silence about the
    // secrets is not a filter's doing.
    for target in ["serenity::gateway", "hyper_util::client", "reqwest::"] {
        assert!(
            err_text.contains(target),
            "no trace lines from {target}: {} lines in all",
            err_text.lines().count()
        );
    }
    for (stream, text) in [("stderr", &err_text), ("stdout", &out_text)] {
        for (name, secret) in [("bot token", BOT_TOKEN), ("API key", LLM_KEY)] {
            let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
            assert!(
                leaks.is_empty(),
                "the {name} is in {stream} on {} lines, first:\n{}",
                leaks.len(),
                leaks.first().map(|l| &l[..l.len().min(600)]).unwrap_or("")
            );
        }
    }
    assert!(status.success(), "exit status {status:?}");
    discord.assert_no_violations();
}

// ---- Configuration commands need Manage Server ----

/// Reads every column of every digest row, to compare the table before and after.
fn digest_table(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn.prepare("SELECT * FROM digests ORDER BY id").unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            Ok(values.join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_commands_reject_members() {
    let dir = tempfile::tempdir().unwrap();
    let discord = FakeDiscord::start().await;
    let mut setup = BotSetup::new(&dir.path().join("bot.db"), &discord.proxy_url(), TOKEN);
    setup.guild_ids = vec![GUILD_ID];
    let bot = BotProcess::start(&setup);
    assert!(
        discord
            .wait_identify_count(1, Duration::from_secs(60))
            .await
            .is_some(),
        "{}",
        bot.log_text()
    );
    assert!(
        bot.wait_for_log("registered commands in guild", Duration::from_secs(30))
            .await,
        "{}",
        bot.log_text()
    );

    // An admin sets a digest for the channel, far from now so it does not post.
    let admin_set = InteractionBuilder::slash("digest")
        .subcommand("set")
        .option("time", json!("03:00"))
        .option("zone", json!("Pacific/Kiritimati"))
        .admin(true)
        .build();
    discord.send_interaction(&admin_set);
    let saved = answer_text(&discord, admin_set.id, &bot).await;
    assert!(saved.contains("Digest saved"), "{saved}");
    let before = digest_table(&setup.db);
    assert_eq!(before.len(), 1);

    let member = |name: &str| {
        InteractionBuilder::slash("digest")
            .subcommand(name)
            .permissions(permission::MEMBER)
    };
    let attempts = vec![
        (
            "set",
            member("set")
                .option("time", json!("09:00"))
                .option("zone", json!("Europe/Paris"))
                .option("count", json!(3))
                .build(),
        ),
        (
            "set elsewhere",
            member("set")
                .option("time", json!("09:00"))
                .option("zone", json!("Europe/Paris"))
                .channel_option("channel", DIGEST_CHANNEL)
                .build(),
        ),
        ("off", member("off").build()),
        (
            "off elsewhere",
            member("off").channel_option("channel", CHANNEL_ID).build(),
        ),
        ("show", member("show").build()),
        ("preview", member("preview").build()),
        (
            "set without any permission",
            InteractionBuilder::slash("digest")
                .subcommand("set")
                .permissions(0)
                .option("time", json!("09:00"))
                .option("zone", json!("UTC"))
                .build(),
        ),
    ];
    for (_, interaction) in &attempts {
        discord.send_interaction(interaction);
    }
    for (attempt, interaction) in &attempts {
        let reply = discord
            .wait_for(
                |r| r.interaction_id == Some(interaction.id) && r.path.ends_with("/callback"),
                Duration::from_secs(10),
            )
            .await
            .unwrap_or_else(|| panic!("no answer to /digest {attempt}:\n{}", bot.log_text()));
        let data = &reply.body.as_ref().unwrap()["data"];
        assert_eq!(
            data["flags"], 64,
            "/digest {attempt}: not ephemeral: {data}"
        );
        assert!(
            data.to_string().contains("Manage Server"),
            "/digest {attempt}: {data}"
        );
        assert!(
            data["embeds"].as_array().is_none_or(|e| e.is_empty()),
            "/digest {attempt} showed content: {data}"
        );
    }

    let direct = InteractionBuilder::slash("digest")
        .subcommand("show")
        .direct_message()
        .build();
    discord.send_interaction(&direct);
    let reply = answer_text(&discord, direct.id, &bot).await;
    assert!(reply.contains("only works in a server"), "{reply}");

    assert_eq!(digest_table(&setup.db), before);
    assert!(discord.channel_posts(DIGEST_CHANNEL).is_empty());
    assert!(discord.channel_posts(CHANNEL_ID).is_empty());
    assert!(
        bot.wait_for_log_count("command refused", attempts.len(), Duration::from_secs(5))
            .await,
        "{}",
        bot.log_text()
    );
    discord.assert_no_violations();
}

/// Waits for the initial response to an interaction and returns its body as text.
async fn answer_text(discord: &FakeDiscord, id: u64, bot: &BotProcess) -> String {
    discord
        .wait_for(
            |r| r.interaction_id == Some(id) && r.path.ends_with("/callback"),
            Duration::from_secs(10),
        )
        .await
        .and_then(|r| r.body)
        .unwrap_or_else(|| panic!("no answer:\n{}", bot.log_text()))
        .to_string()
}
