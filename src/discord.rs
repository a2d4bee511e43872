//! The Discord adapter: the poise framework, slash commands and the digest poster.
//!
//! Commands are thin: they parse options, call one core function on the store and send what
//! `render` made. Everything that can be checked without a gateway lives outside this module.

mod commands;
mod pages;
mod poster;
mod reply;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use poise::serenity_prelude as serenity;
use serenity::{GatewayIntents, Http, HttpBuilder};

use crate::config::{Config, Secret};
use crate::error::Error;
use crate::sources::hf::HfClient;
use crate::store::{SharedStore, Store};

pub use poster::{deliver_due, DigestSender, PosterOptions, SenderError};

/// State shared by every command.
pub struct Data {
    pub store: SharedStore,
    pub config: Arc<Config>,
    /// Paged `/search` and `/trending` lists whose buttons still work.
    pub pages: pages::Pages,
}

pub type Context<'a> = poise::Context<'a, Data, Error>;

/// The gateway URL serenity uses when its gateway lookup fails. With a proxy configured, the
/// bot must never connect there.
const DISCORD_FALLBACK_GATEWAY: &str = "wss://gateway.discord.gg";

/// Builds the one Discord HTTP client of the process.
///
/// With `rest_proxy` set, every REST call goes to the proxy and serenity's own rate limiter is
/// off: serenity 0.12.5 ignores the proxy on its rate-limited path and would call discord.com
/// directly, and the proxy owns rate limiting anyway. Environment proxies (`HTTPS_PROXY`) are
/// ignored so a test run cannot leak through one.
pub fn discord_http(token: &Secret, rest_proxy: Option<&str>) -> anyhow::Result<Http> {
    let Some(proxy) = rest_proxy else {
        return Ok(Http::new(token.expose()));
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client for the Discord proxy")?;
    Ok(HttpBuilder::new(token.expose())
        .proxy(proxy.trim_end_matches('/'))
        .ratelimiter_disabled(true)
        .client(client)
        .build())
}

/// Runs the bot until it is stopped (Ctrl-C or SIGTERM) or a background task dies.
pub async fn run(config: Config, token: Secret) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let store = Store::open(&config.store.path)
        .with_context(|| format!("cannot open the store at {}", config.store.path.display()))?;
    // Two read connections let queries run on both cores while ingest or a digest writes.
    let store = SharedStore::with_readers(store, 2)
        .with_context(|| format!("cannot open the store at {}", config.store.path.display()))?;

    let http = discord_http(&token, config.discord.rest_proxy.as_deref())?;
    check_token(&http).await?;
    let framework = commands::framework(Data {
        store: store.clone(),
        config: Arc::clone(&config),
        pages: pages::Pages::default(),
    });
    let mut client = serenity::ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .context("cannot build the Discord client")?;
    check_gateway_url(&client, config.discord.rest_proxy.is_some()).await?;

    // Background work starts here, once per process, and not in a gateway event: READY fires
    // again on every reconnect.
    let sender = DigestSender::new(
        Arc::clone(&client.http),
        &token,
        config.discord.rest_proxy.as_deref(),
        poster::DEFAULT_REQUEST_TIMEOUT,
    )?;
    let poster = tokio::spawn(poster::run_scheduler(
        sender,
        store.clone(),
        PosterOptions::from_config(&config.digest),
    ));
    let ingester = spawn_ingest_loop(&config, store.clone())?;
    let _category_ingester = crate::ingest::arxiv::spawn_category_loop(&config, store.clone())?;
    let shard_manager = Arc::clone(&client.shard_manager);

    tracing::info!(store = %config.store.path.display(), "starting the Discord client");
    let outcome = tokio::select! {
        result = client.start_autosharded() => result.context("the Discord client stopped"),
        joined = poster => Err(anyhow::anyhow!("the digest scheduler stopped: {joined:?}")),
        joined = ingester => Err(anyhow::anyhow!("the ingest loop stopped: {joined:?}")),
        () = shutdown_signal() => {
            tracing::info!("shutdown requested");
            Ok(())
        }
    };
    shard_manager.shutdown_all().await;
    tracing::info!("stopped");
    outcome
}

/// Asks Discord who the bot is, so that a wrong token or an unreachable endpoint is reported
/// plainly before the gateway connects.
async fn check_token(http: &Http) -> anyhow::Result<()> {
    use serenity::{Error as SerenityError, HttpError};
    match http.get_current_user().await {
        Ok(user) => {
            tracing::info!(bot = %user.name, bot_id = user.id.get(), "token accepted");
            Ok(())
        }
        Err(SerenityError::Http(HttpError::UnsuccessfulRequest(response)))
            if response.status_code.as_u16() == 401 =>
        {
            bail!("Discord rejected the bot token (401 Unauthorized); check DISCORD_TOKEN or discord.token_file")
        }
        Err(error) => Err(anyhow::anyhow!(
            "cannot reach Discord to check the bot token: {}",
            crate::error::chain(&error)
        )),
    }
}

/// Refuses to go on when serenity fell back to Discord's public gateway although a proxy is
/// configured, which happens when the proxy's `GET /gateway` fails.
async fn check_gateway_url(client: &serenity::Client, proxied: bool) -> anyhow::Result<()> {
    let url = client.ws_url.lock().await.clone();
    if proxied && url.starts_with(DISCORD_FALLBACK_GATEWAY) {
        bail!(
            "serenity could not get the gateway URL through discord.rest_proxy and fell back \
             to {url}; check that the proxy serves GET /api/v10/gateway"
        );
    }
    tracing::info!(gateway = %url, "gateway URL resolved");
    Ok(())
}

/// Starts the periodic ingest: the `huggingface.ingest_days` most recent dates now, then every
/// `huggingface.ingest_interval_minutes`. Each date retries transient failures on its own (see
/// [`crate::ingest::RetryPolicy`]); a date that still fails keeps its stored papers until the
/// next run, and the log names the time of that run.
fn spawn_ingest_loop(
    config: &Config,
    store: SharedStore,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let Some(base_url) = config.huggingface.base_url.clone() else {
        tracing::warn!("huggingface.base_url is not set, so the bot does not ingest new papers");
        return Ok(tokio::spawn(std::future::pending()));
    };
    let client = HfClient::new(&base_url, config.hf_timeout(), config.huggingface.page_size)
        .context("cannot build the Hugging Face client (check huggingface.base_url)")?;
    let interval = Duration::from_secs(config.huggingface.ingest_interval_minutes * 60);
    let days = config.huggingface.ingest_days;
    Ok(tokio::spawn(async move {
        loop {
            let started = tokio::time::Instant::now();
            let today = chrono::Utc::now().date_naive();
            let dates = crate::ingest::recent_dates(today, days);
            let reports = crate::ingest::ingest_dates(&store, &client, &dates).await;

            // The next run is one interval after this one started, so a slow run does not
            // push every later run back.
            let next_run = started + interval;
            let next_at = chrono::Utc::now()
                + next_run.saturating_duration_since(tokio::time::Instant::now());
            let next_at = next_at.format("%Y-%m-%d %H:%M:%S UTC");
            let failed: Vec<&str> = reports
                .iter()
                .filter(|report| report.error.is_some())
                .map(|report| report.name.as_str())
                .collect();
            if failed.is_empty() {
                tracing::info!(
                    days = reports.len(),
                    "ingest finished; next ingest at {next_at}"
                );
            } else {
                tracing::warn!(
                    days = reports.len(),
                    failed_days = failed.len(),
                    failed = %failed.join(", "),
                    "ingest finished with failed days, which keep their stored papers; next ingest at {next_at}"
                );
            }
            tokio::time::sleep_until(next_run).await;
        }
    }))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the bot");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
