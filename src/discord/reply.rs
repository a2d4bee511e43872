//! Turning rendered messages into serenity builders, and the one error handler.

use poise::serenity_prelude as serenity;
use poise::{CreateReply, FrameworkError};
use serenity::{CreateAllowedMentions, CreateEmbed, CreateEmbedFooter, CreateMessage};

use super::{Context, Data};
use crate::error::{chain, Error, INTERNAL_ERROR_TEXT};
use crate::render::{self, Message};

/// Mentions that no Paperboy message may trigger: none. Paper titles and user text can
/// contain `@everyone` or role mentions, so every message sends an empty `parse` list.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

pub fn embed(source: &render::Embed) -> CreateEmbed {
    let mut embed = CreateEmbed::new();
    if let Some(title) = &source.title {
        embed = embed.title(title);
    }
    if let Some(url) = &source.url {
        embed = embed.url(url);
    }
    if let Some(description) = &source.description {
        embed = embed.description(description);
    }
    for field in &source.fields {
        embed = embed.field(&field.name, &field.value, field.inline);
    }
    if let Some(footer) = &source.footer {
        embed = embed.footer(CreateEmbedFooter::new(footer));
    }
    if let Some(color) = source.color {
        embed = embed.color(color);
    }
    embed
}

/// A poise reply for one rendered message.
pub fn to_reply(message: &Message, ephemeral: bool) -> CreateReply {
    let mut reply = CreateReply::default()
        .ephemeral(ephemeral)
        .allowed_mentions(no_mentions());
    if let Some(content) = &message.content {
        reply = reply.content(content);
    }
    for source in &message.embeds {
        reply = reply.embed(embed(source));
    }
    reply
}

/// A channel message for one rendered message, deduplicated by Discord through `nonce`.
pub fn to_channel_message(message: &Message, nonce: &str) -> CreateMessage {
    let mut builder = CreateMessage::new()
        .allowed_mentions(no_mentions())
        .nonce(serenity::Nonce::String(nonce.to_string()))
        .enforce_nonce(true);
    if let Some(content) = &message.content {
        builder = builder.content(content);
    }
    builder.embeds(message.embeds.iter().map(embed).collect())
}

/// Sends rendered messages as the reply: the first one answers the interaction, the rest
/// follow it.
pub async fn send_all(
    ctx: Context<'_>,
    messages: &[Message],
    ephemeral: bool,
) -> Result<(), Error> {
    for message in messages {
        ctx.send(to_reply(message, ephemeral))
            .await
            .map_err(|e| discord_error("send a reply", e))?;
    }
    Ok(())
}

/// Sends a short ephemeral notice, for answers meant only for the person who asked.
pub async fn notice(ctx: Context<'_>, text: &str) -> Result<(), Error> {
    send_all(ctx, &[render::notice(text)], true).await
}

pub fn discord_error(action: &str, error: serenity::Error) -> Error {
    Error::Source {
        context: format!("cannot {action} on Discord: {}", chain(&error)),
        user_text: "Discord did not accept the reply; please try again.".to_string(),
    }
}

/// Handles every framework error: users get a short ephemeral line, the log gets the chain
/// with the command and the ids involved.
pub async fn on_error(error: FrameworkError<'_, Data, Error>) {
    match error {
        FrameworkError::Command { error, ctx, .. } => command_failed(ctx, &error).await,
        FrameworkError::MissingUserPermissions { ctx, .. } => {
            log_refusal(ctx, "member lacks Manage Server");
            reply_quietly(
                ctx,
                "Only members with the Manage Server permission can change digests.",
            )
            .await;
        }
        FrameworkError::MissingBotPermissions {
            ctx,
            missing_permissions,
            ..
        } => {
            let text =
                format!("Paperboy needs these permissions in this channel: {missing_permissions}.");
            reply_quietly(ctx, &text).await;
        }
        FrameworkError::GuildOnly { ctx, .. } => {
            reply_quietly(ctx, "This command only works in a server.").await;
        }
        FrameworkError::ArgumentParse {
            ctx, input, error, ..
        } => {
            tracing::info!(command = %ctx.command().qualified_name, error = %error, "invalid option");
            let text = match input {
                Some(input) => format!(
                    "The option `{}` is invalid: {error}.",
                    crate::text::plain_line(&input)
                ),
                None => format!("An option is invalid: {error}."),
            };
            reply_quietly(ctx, &text).await;
        }
        FrameworkError::CommandPanic { ctx, payload, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, payload = ?payload, "command panicked");
            reply_quietly(ctx, INTERNAL_ERROR_TEXT).await;
        }
        FrameworkError::PermissionFetchFailed { ctx, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, "Discord sent no permissions with the interaction");
            reply_quietly(
                ctx,
                "Discord did not say which permissions you have; please try again.",
            )
            .await;
        }
        other => {
            tracing::warn!(error = %other, "framework error");
        }
    }
}

async fn command_failed(ctx: Context<'_>, error: &Error) {
    let command = ctx.command().qualified_name.clone();
    let guild_id = ctx.guild_id().map(|g| g.get());
    let channel_id = ctx.channel_id().get();
    if error.is_user_error() {
        tracing::info!(%command, ?guild_id, channel_id, error = %error, "user error");
    } else {
        tracing::error!(%command, ?guild_id, channel_id, error = %chain(error), "command failed");
    }
    reply_quietly(ctx, &error.user_text()).await;
}

fn log_refusal(ctx: Context<'_>, reason: &str) {
    tracing::info!(
        command = %ctx.command().qualified_name,
        guild_id = ?ctx.guild_id().map(|g| g.get()),
        user_id = ctx.author().id.get(),
        reason,
        "command refused"
    );
}

/// Sends an ephemeral notice and only logs when even that fails.
async fn reply_quietly(ctx: Context<'_>, text: &str) {
    if let Err(error) = notice(ctx, text).await {
        tracing::warn!(error = %chain(&error), "cannot send the error reply");
    }
}
