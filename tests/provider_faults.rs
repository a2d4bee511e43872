//! Ingest against a fake Hugging Face that fails in the ways a real API does: server errors,
//! rate limits with `Retry-After`, timeouts, cut-off JSON, HTML error pages and items that are
//! not objects. After each fault the store must still hold the last good data, the log must
//! name what failed and what happens next, and retries must stay bounded.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::bot::{BotProcess, BotSetup};
use common::fake_hf::{FakeHf, HfFault};
use common::logs::LogCapture;
use paperboy::ingest::{self, RetryPolicy, UnitReport};
use paperboy::sources::hf::HfClient;
use paperboy::store::{SharedStore, Store};
use serde_json::{json, Value};
use support::payloads::{GUILD_ID, TOKEN};
use support::{FakeDiscord, InteractionBuilder};

const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";
const DAY: &str = "2026-08-18";
const DAY_PAPERS: usize = 29;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

fn day() -> NaiveDate {
    DAY.parse().unwrap()
}

/// Short waits so a test with three retries takes well under a second.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        max_retry_after: Duration::from_secs(3),
    }
}

/// A store in a temporary folder, and a fake Hugging Face that serves the fixture day.
struct World {
    hf: FakeHf,
    store: SharedStore,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("papers.db");
        let store = SharedStore::new(Store::open(&db).unwrap());
        let hf = FakeHf::start().await;
        hf.serve_file(DAY, &fixture(LATEST_DAY));
        World {
            hf,
            store,
            db,
            _dir: dir,
        }
    }

    fn client(&self, timeout: Duration) -> HfClient {
        HfClient::new(self.hf.base_url(), timeout, 100).unwrap()
    }

    async fn ingest(&self, policy: &RetryPolicy) -> UnitReport {
        let client = self.client(Duration::from_secs(2));
        let mut reports = ingest::ingest_dates_with(&self.store, &client, &[day()], policy).await;
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }

    /// Ingests the good fixture day and returns the store's contents for it.
    async fn ingest_good_day(&self) -> DayRows {
        let report = self.ingest(&fast_policy()).await;
        assert_eq!(report.error, None, "{}", report.summary_line());
        assert_eq!(report.papers, DAY_PAPERS);
        let rows = day_rows(&self.db);
        assert_eq!(rows.papers.len(), DAY_PAPERS);
        rows
    }

    /// Number of requests the fake received since the first `skip`.
    fn requests_since(&self, skip: usize) -> Vec<common::fake_hf::HfRequest> {
        self.hf.requests().into_iter().skip(skip).collect()
    }
}

/// The stored papers of the fixture day with their counts, and the number of snapshots.
#[derive(Debug, PartialEq)]
struct DayRows {
    papers: Vec<(String, Option<i64>, Option<i64>, String)>,
    snapshots: i64,
}

fn day_rows(db: &Path) -> DayRows {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT id, upvotes, github_stars, title FROM papers WHERE daily_date = ?1 ORDER BY id",
        )
        .unwrap();
    let papers = statement
        .query_map([DAY], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let snapshots = conn
        .query_row("SELECT COUNT(*) FROM snapshots", [], |row| row.get(0))
        .unwrap();
    DayRows { papers, snapshots }
}

fn error_of(report: &UnitReport) -> &str {
    report
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("the ingest did not fail: {}", report.summary_line()))
}

// ---- Faults that pass: retried with backoff ----

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let world = World::start().await;
    let (logs, _guard) = LogCapture::start();
    world.hf.fail_date(DAY, HfFault::Status(500), 1);
    world.hf.fail_date(DAY, HfFault::Status(503), 1);

    let report = world.ingest(&fast_policy()).await;

    assert_eq!(report.error, None, "{}", report.summary_line());
    assert_eq!(report.papers, DAY_PAPERS);
    let requests = world.hf.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    let first_gap = requests[1].at - requests[0].at;
    let second_gap = requests[2].at - requests[1].at;
    assert!(first_gap >= Duration::from_millis(100), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(200), "{second_gap:?}");
    let retries = logs.lines_with(&["will retry in"]);
    assert_eq!(retries.len(), 2, "{}", logs.text());
    assert!(retries[0].contains("HTTP 500"), "{}", retries[0]);
    assert!(retries[0].contains("will retry in 0.1 s"), "{}", retries[0]);
    assert!(retries[1].contains("HTTP 503"), "{}", retries[1]);
    assert!(retries[1].contains("will retry in 0.2 s"), "{}", retries[1]);
    assert_eq!(
        logs.lines_with(&["ingested day"]).len(),
        1,
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn lasting_outage_keeps_the_last_good_day() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let (logs, _guard) = LogCapture::start();
    let seen = world.hf.requests().len();
    world.hf.fail_date_always(DAY, HfFault::Status(503));

    let started = Instant::now();
    let report = world.ingest(&fast_policy()).await;
    let elapsed = started.elapsed();

    let error = error_of(&report);
    assert!(error.contains("HTTP 503"), "{error}");
    assert!(error.contains("after 4 attempts"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 4, "one try and 3 retries");
    // 0.1 + 0.2 + 0.4 s of backoff, with a wide margin for a loaded machine.
    assert!(elapsed >= Duration::from_millis(700), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(day_rows(&world.db), before);
    assert_eq!(
        logs.lines_with(&["will retry in"]).len(),
        3,
        "{}",
        logs.text()
    );
    let failure = logs.lines_with(&["ingest of a day failed"]);
    assert_eq!(failure.len(), 1, "{}", logs.text());
    assert!(
        failure[0].contains("keeps its earlier data"),
        "{}",
        failure[0]
    );
    assert!(failure[0].contains(DAY), "{}", failure[0]);
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let world = World::start().await;
    let (logs, _guard) = LogCapture::start();
    world.hf.fail_date(
        DAY,
        HfFault::RateLimited {
            retry_after_secs: Some(1),
        },
        1,
    );

    let report = world.ingest(&fast_policy()).await;

    assert_eq!(report.error, None, "{}", report.summary_line());
    let requests = world.hf.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    let retry = logs.lines_with(&["will retry in"]);
    assert_eq!(retry.len(), 1, "{}", logs.text());
    assert!(retry[0].contains("will retry in 1.0 s"), "{}", retry[0]);
    assert!(retry[0].contains("rate limit"), "{}", retry[0]);
}

#[tokio::test]
async fn rate_limit_without_retry_after_uses_backoff() {
    let world = World::start().await;
    world.hf.fail_date(
        DAY,
        HfFault::RateLimited {
            retry_after_secs: None,
        },
        2,
    );

    let report = world.ingest(&fast_policy()).await;

    assert_eq!(report.error, None, "{}", report.summary_line());
    assert_eq!(world.hf.requests().len(), 3);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_not_awaited() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let seen = world.hf.requests().len();
    world.hf.fail_date(
        DAY,
        HfFault::RateLimited {
            retry_after_secs: Some(600),
        },
        1,
    );

    let started = Instant::now();
    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("rate limit"), "{error}");
    assert!(error.contains("600 s"), "{error}");
    assert!(error.contains("cap of 3 s"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(day_rows(&world.db), before);
}

#[tokio::test]
async fn timeouts_are_retried_a_bounded_number_of_times() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let seen = world.hf.requests().len();
    world
        .hf
        .fail_date_always(DAY, HfFault::Delay(Duration::from_secs(5)));

    let client = world.client(Duration::from_millis(300));
    let started = Instant::now();
    let reports = ingest::ingest_dates_with(&world.store, &client, &[day()], &fast_policy()).await;
    let elapsed = started.elapsed();

    let error = error_of(&reports[0]);
    assert!(error.contains("timed out"), "{error}");
    assert!(error.contains("after 4 attempts"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 4);
    // Four timeouts of 0.3 s and 0.7 s of backoff; far less than one slow response of 5 s each.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(day_rows(&world.db), before);
}

#[tokio::test]
async fn slow_response_within_timeout_is_stored() {
    let world = World::start().await;
    world
        .hf
        .fail_date(DAY, HfFault::Delay(Duration::from_millis(300)), 1);

    let client = world.client(Duration::from_secs(2));
    let reports = ingest::ingest_dates_with(&world.store, &client, &[day()], &fast_policy()).await;

    assert_eq!(reports[0].error, None, "{}", reports[0].summary_line());
    assert_eq!(reports[0].papers, DAY_PAPERS);
    assert_eq!(world.hf.requests().len(), 1);
}

#[tokio::test]
async fn html_error_page_with_5xx_is_retried() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let seen = world.hf.requests().len();
    world.hf.fail_date_always(DAY, HfFault::HtmlErrorPage(502));

    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("HTTP 502"), "{error}");
    assert!(error.contains("after 4 attempts"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 4);
    assert_eq!(day_rows(&world.db), before);
}

// ---- Faults that do not pass: not retried ----

#[tokio::test]
async fn truncated_json_is_not_retried() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let (logs, _guard) = LogCapture::start();
    let seen = world.hf.requests().len();
    world.hf.fail_date_always(DAY, HfFault::TruncatedJson);

    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("cut off"), "{error}");
    assert!(error.contains("after 1 attempt; not retried"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 1);
    assert_eq!(day_rows(&world.db), before);
    assert!(
        logs.lines_with(&["will retry in"]).is_empty(),
        "{}",
        logs.text()
    );
    assert_eq!(logs.lines_with(&["ingest of a day failed"]).len(), 1);
}

#[tokio::test]
async fn html_page_with_200_is_not_retried() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let seen = world.hf.requests().len();
    world.hf.fail_date_always(DAY, HfFault::HtmlErrorPage(200));

    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("not JSON"), "{error}");
    assert!(error.contains("not retried"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 1);
    assert_eq!(day_rows(&world.db), before);
}

#[tokio::test]
async fn client_error_status_is_not_retried() {
    let world = World::start().await;
    world.hf.fail_date_always(DAY, HfFault::Status(400));

    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("HTTP 400"), "{error}");
    assert!(error.contains("not retried"), "{error}");
    assert_eq!(world.hf.requests().len(), 1);
}

#[tokio::test]
async fn string_items_keep_last_good_day() {
    let world = World::start().await;
    let before = world.ingest_good_day().await;
    let (logs, _guard) = LogCapture::start();
    let seen = world.hf.requests().len();
    world.hf.fail_date_always(DAY, HfFault::StringItems);

    let report = world.ingest(&fast_policy()).await;

    let error = error_of(&report);
    assert!(error.contains("all 29 items"), "{error}");
    assert!(error.contains("not an object"), "{error}");
    assert_eq!(world.requests_since(seen).len(), 1);
    assert_eq!(day_rows(&world.db), before);
    assert_eq!(logs.lines_with(&["ingest of a day failed"]).len(), 1);
}

// ---- Several dates, the default policy and the command line ----

#[tokio::test]
async fn failing_date_does_not_stop_the_others() {
    let world = World::start().await;
    world
        .hf
        .fail_date_always("2026-08-17", HfFault::TruncatedJson);
    let dates = ingest::recent_dates(day(), 2);

    let client = world.client(Duration::from_secs(2));
    let reports = ingest::ingest_dates_with(&world.store, &client, &dates, &fast_policy()).await;

    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].name, "2026-08-17");
    assert!(reports[0].error.is_some());
    assert_eq!(reports[1].error, None, "{}", reports[1].summary_line());
    assert_eq!(day_rows(&world.db).papers.len(), DAY_PAPERS);
}

#[tokio::test]
async fn default_policy_retries_a_server_error() {
    let world = World::start().await;
    world.hf.fail_date(DAY, HfFault::Status(503), 1);

    let client = world.client(Duration::from_secs(2));
    let reports = ingest::ingest_dates(&world.store, &client, &[day()]).await;

    assert_eq!(reports[0].error, None, "{}", reports[0].summary_line());
    let requests = world.hf.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= RetryPolicy::default().first_delay, "{gap:?}");
}

fn write_config(dir: &Path, hf: &FakeHf) -> PathBuf {
    let path = dir.join("paperboy.toml");
    let text = format!(
        "[huggingface]\nbase_url = {:?}\ntimeout_secs = 2\n",
        hf.base_url()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn paperboy(config: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .output()
        .expect("paperboy runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_ingest_reports_the_fault_and_keeps_data() {
    let world = World::start().await;
    let config = write_config(world._dir.path(), &world.hf);
    let db = world._dir.path().join("cli.db");

    let good = paperboy(&config, &db, &["ingest", "--date", DAY]);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let before = day_rows(&db);
    assert_eq!(before.papers.len(), DAY_PAPERS);

    world.hf.fail_date_always(DAY, HfFault::TruncatedJson);
    let output = paperboy(&config, &db, &["ingest", "--date", DAY]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{DAY}: failed:")), "{stdout}");
    assert!(stdout.contains("cut off"), "{stdout}");
    // The warning of the failed day comes first, then the one-line error.
    let last = stderr.trim_end().lines().last().unwrap_or("");
    assert!(last.starts_with("error: 1 of 1 sources failed"), "{stderr}");
    assert!(stderr.contains("ingest of a day failed"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(day_rows(&db), before);
}

// ---- The real bot ----

/// The bot starts on a store that already holds today's papers while Hugging Face answers
/// every request with 503. It retries with backoff, logs each retry and when the next ingest
/// is, keeps the stored papers and keeps answering commands meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_survives_outage_and_logs_next_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let hf = FakeHf::start().await;
    let today = chrono::Utc::now().date_naive().to_string();
    hf.serve_file(&today, &fixture(LATEST_DAY));
    let config = write_config(dir.path(), &hf);
    let good = paperboy(&config, &db, &["ingest", "--date", &today]);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let papers_before = paper_count(&db);
    assert_eq!(papers_before, DAY_PAPERS as i64);

    hf.fail_all(HfFault::Status(503));
    let discord = FakeDiscord::start().await;
    let mut setup = BotSetup::new(&db, &discord.proxy_url(), TOKEN);
    setup.hf_base_url = Some(hf.base_url().to_string());
    setup.guild_ids = vec![GUILD_ID];
    let mut bot = BotProcess::start(&setup);
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
        "{}",
        bot.log_text()
    );
    assert!(
        bot.wait_for_log("will retry in", Duration::from_secs(30))
            .await,
        "no retry logged:\n{}",
        bot.log_text()
    );

    // The bot answers while the ingest waits between retries.
    let paper_id = first_fixture_id();
    let interaction = InteractionBuilder::slash("paper")
        .option("id", json!(paper_id))
        .build();
    discord.send_interaction(&interaction);
    let callback = discord
        .wait_for(
            |r| r.interaction_id == Some(interaction.id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to /paper:\n{}", bot.log_text()));
    assert_eq!(callback.status, 204, "{:?}", callback.response);
    let body = callback.body.unwrap();
    assert!(
        body.to_string()
            .contains(&format!("https://arxiv.org/abs/{paper_id}")),
        "{body}"
    );

    assert!(
        bot.wait_for_log("next ingest at", Duration::from_secs(60))
            .await,
        "no next ingest logged:\n{}",
        bot.log_text()
    );
    let log = bot.log();
    let retries: Vec<&String> = log.iter().filter(|l| l.contains("will retry in")).collect();
    assert_eq!(retries.len(), 3, "{}", bot.log_text());
    assert!(
        retries.iter().all(|l| l.contains("HTTP 503")),
        "{retries:?}"
    );
    let failed = log
        .iter()
        .find(|l| l.contains("ingest of a day failed"))
        .unwrap_or_else(|| panic!("no failure logged:\n{}", bot.log_text()));
    assert!(failed.contains("after 4 attempts"), "{failed}");
    assert!(failed.contains(&today), "{failed}");
    let finished = log.iter().find(|l| l.contains("next ingest at")).unwrap();
    assert!(finished.contains("failed days"), "{finished}");
    assert_eq!(hf.requests().len(), 1 + 4, "one good ingest, then 4 tries");

    let trending = InteractionBuilder::slash("trending").build();
    discord.send_interaction(&trending);
    let callback = discord
        .wait_for(
            |r| r.interaction_id == Some(trending.id) && r.path.ends_with("/callback"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("no answer to /trending:\n{}", bot.log_text()));
    let body = callback.body.unwrap().to_string();
    assert!(body.contains("https://arxiv.org/abs/"), "{body}");

    assert!(!bot.has_exited(), "{}", bot.log_text());
    assert!(!bot.log_text().contains("panicked"), "{}", bot.log_text());
    assert_eq!(paper_count(&db), papers_before);
    discord.assert_no_violations();
}

fn paper_count(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM papers", [], |row| row.get(0))
        .unwrap()
}

fn first_fixture_id() -> String {
    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(LATEST_DAY)).unwrap()).unwrap();
    raw[0]["paper"]["id"].as_str().unwrap().to_string()
}
