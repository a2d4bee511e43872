//! Slash commands. Each one parses its options, calls one core function and sends what
//! `render` made; the doc line of each command is its description on Discord.

mod browse;
mod digest;
mod lookup;

use poise::serenity_prelude as serenity;

use super::reply;
use super::{Context, Data};
use crate::error::Error;
use crate::store::Store;

use browse::{search, trending};
use digest::digest;
use lookup::{paper, summary};

/// Builds the poise framework with every command, the error handler and command registration.
pub fn framework(data: Data) -> poise::Framework<Data, Error> {
    let guild_ids = data.config.discord.guild_ids.clone();
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![trending(), search(), paper(), summary(), digest(), help()],
            on_error: |error| Box::pin(reply::on_error(error)),
            pre_command: |ctx| Box::pin(command_started(ctx)),
            post_command: |ctx| Box::pin(command_finished(ctx)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            allowed_mentions: Some(reply::no_mentions()),
            initialize_owners: false,
            ..Default::default()
        })
        // The builder's own switch overrides the option above; the owner lookup is a REST call
        // that no command needs.
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                register(ctx, &framework.options().commands, &guild_ids).await?;
                Ok(data)
            })
        })
        .build()
}

/// Routes gateway events that are not commands: presses of the page buttons.
async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    if let serenity::FullEvent::InteractionCreate {
        interaction: serenity::Interaction::Component(press),
    } = event
    {
        if super::pages::is_page_button(&press.data.custom_id) {
            let data = framework.user_data;
            super::pages::handle_press(framework.serenity_context, &data.pages, &data.store, press)
                .await;
        }
    }
    Ok(())
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
        tracing::info!(
            guild_id = guild,
            count = commands.len(),
            "registered commands in guild"
        );
    }
    Ok(())
}

/// When a command started running, kept in poise's per-invocation data.
struct StartedAt(std::time::Instant);

async fn command_started(ctx: Context<'_>) {
    ctx.set_invocation_data(StartedAt(std::time::Instant::now()))
        .await;
    tracing::info!(
        command = %ctx.command().qualified_name,
        interaction_id = ctx.id(),
        guild_id = ?ctx.guild_id().map(|g| g.get()),
        channel_id = ctx.channel_id().get(),
        user_id = ctx.author().id.get(),
        "command"
    );
}

/// Logs how long a successful command took inside the bot, from dispatch to its last reply.
async fn command_finished(ctx: Context<'_>) {
    let elapsed = ctx
        .invocation_data::<StartedAt>()
        .await
        .map(|started| started.0.elapsed());
    if let Some(elapsed) = elapsed {
        tracing::info!(
            command = %ctx.command().qualified_name,
            interaction_id = ctx.id(),
            elapsed_us = elapsed.as_micros() as u64,
            "command finished"
        );
    }
}

/// Runs a core function on the store from a blocking thread.
pub(super) async fn with_store<T, F>(ctx: Context<'_>, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, Error> + Send + 'static,
{
    let store = ctx.data().store.clone();
    let outcome = defer_if_slow(ctx, store.run(move |store| Ok(f(store)))).await??;
    outcome
}

/// How long a command may wait for the store before it defers its reply. Discord drops an
/// interaction that gets no response within 3 seconds; under a burst of commands the store
/// queue can take longer than that.
const DEFER_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

/// Awaits `work`, deferring the interaction first when it takes longer than [`DEFER_AFTER`].
/// After a defer, poise sends the reply as the message that replaces Discord's placeholder.
async fn defer_if_slow<T>(
    ctx: Context<'_>,
    work: impl std::future::Future<Output = T>,
) -> Result<T, Error> {
    tokio::pin!(work);
    tokio::select! {
        done = &mut work => return Ok(done),
        () = tokio::time::sleep(DEFER_AFTER) => {}
    }
    tracing::info!(command = %ctx.command().qualified_name, interaction_id = ctx.id(), "store is busy; deferring the reply");
    ctx.defer()
        .await
        .map_err(|e| reply::discord_error("defer the reply", e))?;
    Ok(work.await)
}

/// Runs a core function that only reads, on one of the store's read connections.
pub(super) async fn with_reader<T, F>(ctx: Context<'_>, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, Error> + Send + 'static,
{
    let store = ctx.data().store.clone();
    let outcome = defer_if_slow(ctx, store.read(move |store| Ok(f(store)))).await??;
    outcome
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
