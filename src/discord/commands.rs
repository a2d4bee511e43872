//! Slash commands. Each one parses its options, calls one core function and sends what
//! `render` made; the doc line of each command is its description on Discord.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::reply::{self, send_all};
use super::{Context, Data};
use crate::core::digest::{self, DigestRequest};
use crate::core::summary::SummaryLength;
use crate::core::trending::Window;
use crate::core::{self, SearchOutcome};
use crate::error::{Error, UserError};
use crate::render::{self, ListedPaper};
use crate::store::Store;
use crate::text;

/// Papers per page of `/search` and `/trending`.
const PAGE_SIZE: usize = 10;

/// Builds the poise framework with every command, the error handler and command registration.
pub fn framework(data: Data) -> poise::Framework<Data, Error> {
    let guild_ids = data.config.discord.guild_ids.clone();
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![trending(), search(), paper(), summary(), digest(), help()],
            on_error: |error| Box::pin(reply::on_error(error)),
            pre_command: |ctx| Box::pin(async move { log_command(ctx) }),
            allowed_mentions: Some(reply::no_mentions()),
            initialize_owners: false,
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                register(ctx, &framework.options().commands, &guild_ids).await?;
                Ok(data)
            })
        })
        .build()
}

/// Registers the commands in the configured guilds (instant), or globally when none are set.
async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    guild_ids: &[u64],
) -> Result<(), Error> {
    if guild_ids.is_empty() {
        poise::builtins::register_globally(ctx, commands)
            .await
            .map_err(|e| reply::discord_error("register the slash commands", e))?;
        tracing::info!(count = commands.len(), "registered commands globally");
        return Ok(());
    }
    for &guild in guild_ids {
        poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(guild))
            .await
            .map_err(|e| reply::discord_error("register the slash commands", e))?;
        tracing::info!(guild_id = guild, count = commands.len(), "registered commands in guild");
    }
    Ok(())
}

fn log_command(ctx: Context<'_>) {
    tracing::info!(
        command = %ctx.command().qualified_name,
        interaction_id = ctx.id(),
        guild_id = ?ctx.guild_id().map(|g| g.get()),
        channel_id = ctx.channel_id().get(),
        user_id = ctx.author().id.get(),
        "command"
    );
}

/// Runs a core function on the store from a blocking thread.
async fn with_store<T, F>(ctx: Context<'_>, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, Error> + Send + 'static,
{
    let outcome = ctx
        .data()
        .store
        .run(move |store| Ok(f(store)))
        .await?;
    outcome
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum WindowChoice {
    #[name = "today"]
    Day,
    #[name = "this week"]
    Week,
    #[name = "this month"]
    Month,
}

impl From<WindowChoice> for Window {
    fn from(choice: WindowChoice) -> Window {
        match choice {
            WindowChoice::Day => Window::Day,
            WindowChoice::Week => Window::Week,
            WindowChoice::Month => Window::Month,
        }
    }
}

/// Show the papers trending today, this week or this month
#[poise::command(slash_command)]
pub async fn trending(
    ctx: Context<'_>,
    #[description = "Time window (default: today)"] window: Option<WindowChoice>,
) -> Result<(), Error> {
    let window = Window::from(window.unwrap_or(WindowChoice::Day));
    let entries = with_store(ctx, move |store| {
        core::trending(store, window, Utc::now(), PAGE_SIZE)
    })
    .await?;
    let items: Vec<ListedPaper> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| ListedPaper {
            paper: &entry.paper,
            rank: i + 1,
            score_note: None,
        })
        .collect();
    let heading = format!("Trending papers {}", window.label());
    send_all(ctx, &render::paper_list(&heading, None, &items), false).await
}

/// Search papers by words, "phrases", prefix*, author:, cat:, since:, until:, has:code, or an ID
#[poise::command(slash_command)]
pub async fn search(
    ctx: Context<'_>,
    #[description = "Words, \"a phrase\", transform*, author:name, cat:cs.CL, since:2025-06, has:code"]
    #[max_length = 300]
    query: String,
) -> Result<(), Error> {
    let query_text = query.clone();
    let outcome = with_store(ctx, move |store| core::search(store, &query_text, 0, PAGE_SIZE)).await?;
    let messages = match &outcome {
        SearchOutcome::Paper(paper) => vec![render::paper_detail(paper)],
        SearchOutcome::Hits { hits, .. } if hits.is_empty() => {
            return reply::notice(
                ctx,
                &format!(
                    "No papers match `{}`. Try fewer or more general words.",
                    text::plain_line(&query)
                ),
            )
            .await;
        }
        SearchOutcome::Hits { hits, .. } => {
            let items: Vec<ListedPaper> = hits
                .iter()
                .enumerate()
                .map(|(i, hit)| ListedPaper {
                    paper: &hit.paper,
                    rank: i + 1,
                    score_note: None,
                })
                .collect();
            let heading = format!("Search: {}", text::plain_line(&query));
            render::paper_list(&heading, None, &items)
        }
    };
    send_all(ctx, &messages, false).await
}

/// Suggests stored papers whose ID or title matches what the user has typed.
async fn autocomplete_paper(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let fragment = partial.trim().to_string();
    let papers = ctx
        .data()
        .store
        .run(move |store| store.suggest_ids(&fragment, render::AUTOCOMPLETE_CHOICES_MAX))
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(error = %error, "autocomplete lookup failed");
            Vec::new()
        });
    let choices = papers
        .iter()
        .map(|paper| {
            let label = format!("{} · {}", paper.id, text::plain_line(&paper.title));
            let (name, value) = render::autocomplete_choice(&label, paper.id.key());
            serenity::AutocompleteChoice::new(name, value)
        })
        .take(render::AUTOCOMPLETE_CHOICES_MAX)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show one paper by arXiv ID or an arXiv, Hugging Face or alphaXiv link
#[poise::command(slash_command)]
pub async fn paper(
    ctx: Context<'_>,
    #[description = "arXiv ID such as 2401.12345, or a paper link"]
    #[autocomplete = "autocomplete_paper"]
    #[max_length = 300]
    id: String,
) -> Result<(), Error> {
    let paper = with_store(ctx, move |store| core::find_paper(store, &id)).await?;
    send_all(ctx, &[render::paper_detail(&paper)], false).await
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum LengthChoice {
    #[name = "short"]
    Short,
    #[name = "detailed"]
    Detailed,
}

/// Summarise a paper: Hugging Face's AI summary, or key sentences of the abstract
#[poise::command(slash_command)]
pub async fn summary(
    ctx: Context<'_>,
    #[description = "arXiv ID such as 2401.12345, or a paper link"]
    #[autocomplete = "autocomplete_paper"]
    #[max_length = 300]
    id: String,
    #[description = "Summary length (default: short)"] length: Option<LengthChoice>,
) -> Result<(), Error> {
    let length = match length {
        Some(LengthChoice::Detailed) => SummaryLength::Detailed,
        _ => SummaryLength::Short,
    };
    let (paper, summary) = with_store(ctx, move |store| {
        let paper = core::find_paper(store, &id)?;
        let summary = core::summarize_paper(&paper, length);
        Ok((paper, summary))
    })
    .await?;
    let message = render::summary_message(&paper, &summary.text, core::summary_label(summary.source));
    send_all(ctx, &[message], false).await
}

/// How to use Paperboy: search syntax and digest settings
#[poise::command(slash_command)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    reply::notice(ctx, HELP_TEXT).await
}

const HELP_TEXT: &str = "**/trending** shows the papers gaining the most upvotes today, this week or this month.\n\
**/search** finds papers: `diffusion video` (all words), `\"state space\"` (phrase), `transform*` (prefix), \
`rlhf OR dpo`, `-survey` (leave out), `author:hinton`, `cat:cs.CL`, `since:2025-06`, `until:2025-12`, \
`has:code`, `sort:date` or `sort:upvotes`. An arXiv ID or link opens that paper.\n\
**/paper** and **/summary** take an arXiv ID or an arXiv, Hugging Face or alphaXiv link.\n\
**/digest set** (Manage Server) posts a daily list to a channel at a local time in an IANA zone such as Europe/Paris; \
**/digest show**, **/digest preview** and **/digest off** manage it.";

/// Configure the daily digest of trending papers (Manage Server)
#[poise::command(
    slash_command,
    guild_only,
    subcommands("digest_set", "digest_show", "digest_off", "digest_preview"),
    subcommand_required,
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn digest(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Suggests IANA zone names containing what the user typed.
async fn autocomplete_zone(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = digest::zone_suggestions(partial, render::AUTOCOMPLETE_CHOICES_MAX)
        .into_iter()
        .map(|zone| serenity::AutocompleteChoice::new(zone.clone(), zone))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Post the trending papers to a channel every day at a local time
#[poise::command(
    slash_command,
    guild_only,
    rename = "set",
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
#[allow(clippy::too_many_arguments)] // Each argument is one slash-command option.
pub async fn digest_set(
    ctx: Context<'_>,
    #[description = "Local time, 24-hour HH:MM, such as 09:00"]
    #[max_length = 10]
    time: String,
    #[description = "IANA time zone such as Europe/Paris or America/New_York"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 64]
    zone: String,
    #[description = "Channel to post in (default: this channel)"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
    #[description = "Number of papers, 1 to 25 (default 10)"]
    #[min = 1]
    #[max = 25]
    count: Option<i64>,
    #[description = "Only papers matching any of these comma-separated words"]
    #[max_length = 300]
    keywords: Option<String>,
    #[description = "Leave out papers matching any of these comma-separated words"]
    #[max_length = 300]
    exclude: Option<String>,
    #[description = "arXiv categories to follow, comma-separated, such as cs.CL, cs.LG"]
    #[max_length = 200]
    categories: Option<String>,
    #[description = "Days to post on: mon-fri, mon,wed,fri, weekdays or daily (default daily)"]
    #[max_length = 60]
    weekdays: Option<String>,
    #[description = "Only papers with at least this many upvotes (default 0)"]
    #[min = 0]
    #[max = 100000]
    min_upvotes: Option<i64>,
    #[description = "Days before a paper may be posted again here (default 7)"]
    #[min = 0]
    #[max = 90]
    dedupe_days: Option<i64>,
    #[description = "On days with no new papers: best_of_week (default) or skip"]
    #[max_length = 20]
    weekend: Option<String>,
    #[description = "Say so in the channel when no paper matches (default: no)"]
    announce_empty: Option<bool>,
) -> Result<(), Error> {
    let guild_id = ctx.guild_id().ok_or_else(|| UserError::new("This command only works in a server."))?;
    let request = DigestRequest {
        guild_id: guild_id.get(),
        channel_id: channel.unwrap_or(ctx.channel_id()).get(),
        time,
        zone,
        count,
        keywords,
        exclude,
        categories,
        weekdays,
        min_upvotes,
        dedupe_days,
        weekend,
        announce_empty,
    };
    let settings = digest::validate(&request)?;
    let user_id = ctx.author().id.get();
    let text = with_store(ctx, move |store| {
        let now = Utc::now();
        let saved = store.upsert_digest(&settings, Some(user_id), now)?;
        tracing::info!(guild_id = saved.settings.guild_id, channel_id = saved.settings.channel_id, digest_id = saved.id, "digest saved");
        Ok(digest::confirmation(&saved, now))
    })
    .await?;
    reply::notice(ctx, &text).await
}

/// Show this server's digests: schedule, next post, last delivery and errors
#[poise::command(
    slash_command,
    guild_only,
    rename = "show",
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn digest_show(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = ctx.guild_id().ok_or_else(|| UserError::new("This command only works in a server."))?.get();
    let text = with_store(ctx, move |store| Ok(digest::describe_guild(store, guild_id, Utc::now())?)).await?;
    reply::notice(ctx, &text).await
}

/// Stop the digest of a channel
#[poise::command(
    slash_command,
    guild_only,
    rename = "off",
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn digest_off(
    ctx: Context<'_>,
    #[description = "Channel whose digest stops (default: this channel)"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    let guild_id = ctx.guild_id().ok_or_else(|| UserError::new("This command only works in a server."))?.get();
    let channel_id = channel.unwrap_or(ctx.channel_id()).get();
    let stopped = with_store(ctx, move |store| Ok(store.disable_digest(guild_id, channel_id, Utc::now())?)).await?;
    let text = if stopped {
        format!("The digest of <#{channel_id}> is off. `/digest set` turns it on again.")
    } else {
        format!("<#{channel_id}> has no digest. `/digest set` creates one.")
    };
    reply::notice(ctx, &text).await
}

/// Preview the next digest of a channel, visible only to you
#[poise::command(
    slash_command,
    guild_only,
    rename = "preview",
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn digest_preview(
    ctx: Context<'_>,
    #[description = "Channel whose digest to preview (default: this channel)"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    let guild_id = ctx.guild_id().ok_or_else(|| UserError::new("This command only works in a server."))?.get();
    let channel_id = channel.unwrap_or(ctx.channel_id()).get();
    let messages = with_store(ctx, move |store| digest::preview(store, guild_id, channel_id, Utc::now())).await?;
    send_all(ctx, &messages, true).await
}
