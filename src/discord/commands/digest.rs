//! `/digest`: per-channel daily posts, configured by members with Manage Server.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::{with_reader, with_store};
use crate::core::digest::{self as core_digest, DigestRequest};
use crate::discord::reply::{self, send_all};
use crate::discord::Context;
use crate::error::{Error, UserError};
use crate::render;

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
async fn autocomplete_zone(
    _ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = core_digest::zone_suggestions(partial, render::AUTOCOMPLETE_CHOICES_MAX)
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
    #[description = "arXiv categories, comma-separated, such as cs.CL, cs.LG, or cs for all of cs"]
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
    let guild_id = guild_of(ctx)?;
    let request = DigestRequest {
        guild_id,
        channel_id: channel_or_current(ctx, channel),
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
    let settings = core_digest::validate(&request)?;
    let user_id = ctx.author().id.get();
    let text = with_store(ctx, move |store| {
        let now = Utc::now();
        let saved = store.upsert_digest(&settings, Some(user_id), now)?;
        tracing::info!(
            guild_id = saved.settings.guild_id,
            channel_id = saved.settings.channel_id,
            digest_id = saved.id,
            "digest saved"
        );
        Ok(core_digest::confirmation(&saved, now))
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
    let guild_id = guild_of(ctx)?;
    let text = with_reader(ctx, move |store| {
        Ok(core_digest::describe_guild(store, guild_id, Utc::now())?)
    })
    .await?;
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
    let guild_id = guild_of(ctx)?;
    let channel_id = channel_or_current(ctx, channel);
    let stopped = with_store(ctx, move |store| {
        Ok(store.disable_digest(guild_id, channel_id, Utc::now())?)
    })
    .await?;
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
    let guild_id = guild_of(ctx)?;
    let channel_id = channel_or_current(ctx, channel);
    let messages = with_reader(ctx, move |store| {
        core_digest::preview(store, guild_id, channel_id, Utc::now())
    })
    .await?;
    send_all(ctx, &messages, true).await
}

/// The server the command ran in; every `/digest` command is guild-only, so this fails only
/// when Discord sends a command from a direct message anyway.
fn guild_of(ctx: Context<'_>) -> Result<u64, Error> {
    let guild = ctx
        .guild_id()
        .ok_or_else(|| UserError::new("This command only works in a server."))?;
    Ok(guild.get())
}

/// The channel option's value, or the channel the command ran in when it was left out.
fn channel_or_current(ctx: Context<'_>, channel: Option<serenity::ChannelId>) -> u64 {
    channel.unwrap_or(ctx.channel_id()).get()
}
