//! Self-tests of the fake Discord in `tests/support`: its payloads must deserialize into
//! serenity 0.12.5's model types, and its REST and gateway rules must hold against serenity's
//! real HTTP client and gateway shard.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use serenity::all::{
    ChannelId, CommandInteraction, CreateAllowedMentions, CreateAutocompleteResponse, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, GatewayIntents, GuildId, Interaction, Message, Nonce,
    Permissions, Ready,
};
use serenity::async_trait;
use serenity::client::{Client, ClientBuilder, Context, EventHandler};
use tokio::sync::mpsc;

use support::payloads::{self, option_type};
use support::{FakeDiscord, Fault, InteractionBuilder};

const WAIT: Duration = Duration::from_secs(10);

fn quiet_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

fn http_status_and_code(error: &serenity::Error) -> (u16, isize) {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => {
            (response.status_code.as_u16(), response.error.code)
        }
        other => panic!("expected an unsuccessful HTTP request, got {other:?}"),
    }
}

fn command_interaction(payload: &Value) -> CommandInteraction {
    match serde_json::from_value::<Interaction>(payload.clone()) {
        Ok(Interaction::Command(command)) | Ok(Interaction::Autocomplete(command)) => command,
        Ok(other) => panic!("expected a command interaction, got {:?}", other.kind()),
        Err(error) => panic!("payload does not deserialize: {error}\n{payload:#}"),
    }
}

// ---- Contract tests: the fake's payloads against serenity's model types ----

#[test]
fn slash_payload_deserializes_with_options() {
    let built = InteractionBuilder::slash("digest")
        .subcommand("set")
        .channel_option("channel", 123)
        .option("time", json!("09:00"))
        .option("count", json!(5))
        .option("weekdays_only", json!(true))
        .admin(true)
        .build();

    let command = command_interaction(&built.payload);

    assert_eq!(command.id.get(), built.id);
    assert_eq!(command.token, built.token);
    assert_eq!(command.data.name, "digest");
    assert_eq!(command.guild_id, Some(GuildId::new(payloads::GUILD_ID)));
    assert_eq!(command.channel_id, ChannelId::new(payloads::CHANNEL_ID));
    assert_eq!(command.user.id.get(), payloads::USER_ID);
    let member = command
        .member
        .as_ref()
        .expect("guild interactions carry a member");
    let member_permissions = member.permissions.expect("member.permissions is set");
    assert!(member_permissions.contains(Permissions::MANAGE_GUILD));
    assert!(
        command.app_permissions.is_some(),
        "poise needs app_permissions"
    );

    let subcommand = &command.data.options[0];
    assert_eq!(subcommand.name, "set");
    let serenity::all::CommandDataOptionValue::SubCommand(options) = &subcommand.value else {
        panic!("expected a subcommand, got {:?}", subcommand.value);
    };
    let names: Vec<&str> = options.iter().map(|option| option.name.as_str()).collect();
    assert_eq!(names, ["channel", "time", "count", "weekdays_only"]);
    assert_eq!(options[0].value.as_channel_id(), Some(ChannelId::new(123)));
    assert_eq!(options[1].value.as_str(), Some("09:00"));
    assert_eq!(options[2].value.as_i64(), Some(5));
    assert_eq!(options[3].value.as_bool(), Some(true));
}

#[test]
fn non_admin_payload_lacks_manage_guild() {
    let built = InteractionBuilder::slash("config").admin(false).build();

    let command = command_interaction(&built.payload);

    let member = command.member.expect("guild interactions carry a member");
    let member_permissions = member.permissions.expect("member.permissions is set");
    assert!(!member_permissions.contains(Permissions::MANAGE_GUILD));
    assert!(member_permissions.contains(Permissions::SEND_MESSAGES));
}

#[test]
fn direct_message_payload_deserializes() {
    let built = InteractionBuilder::slash("paper")
        .option_typed("id", option_type::STRING, json!("2401.00001"))
        .direct_message()
        .user(77, "someone")
        .build();

    let command = command_interaction(&built.payload);

    assert_eq!(command.guild_id, None);
    assert!(command.member.is_none());
    assert_eq!(command.user.id.get(), 77);
}

#[test]
fn autocomplete_payload_deserializes() {
    let built = InteractionBuilder::autocomplete("paper", "id", "diffus").build();

    let interaction: Interaction =
        serde_json::from_value(built.payload.clone()).expect("autocomplete payload deserializes");

    let Interaction::Autocomplete(command) = interaction else {
        panic!("expected Interaction::Autocomplete");
    };
    let focused = command
        .data
        .autocomplete()
        .expect("the payload has a focused option");
    assert_eq!(focused.name, "id");
    assert_eq!(focused.value, "diffus");
}

#[test]
fn nested_autocomplete_payload_deserializes() {
    let built = InteractionBuilder::slash("digest")
        .subcommand("set")
        .focused("timezone", "Europe/Be")
        .build();

    let command = command_interaction(&built.payload);

    let focused = command
        .data
        .autocomplete()
        .expect("focused option is found");
    assert_eq!(focused.name, "timezone");
}

#[test]
fn button_payload_deserializes() {
    let message = payloads::message_object(
        payloads::next_snowflake(),
        payloads::CHANNEL_ID,
        payloads::user_object(payloads::APPLICATION_ID, "paperboy", true),
        "page 1",
    );
    let built = InteractionBuilder::button("trending:page:2", message).build();

    let interaction: Interaction =
        serde_json::from_value(built.payload.clone()).expect("button payload deserializes");

    let Interaction::Component(component) = interaction else {
        panic!("expected Interaction::Component");
    };
    assert_eq!(component.data.custom_id, "trending:page:2");
    assert_eq!(component.message.content, "page 1");
}

#[test]
fn ready_payload_deserializes() {
    let data = payloads::ready_data(
        payloads::APPLICATION_ID,
        "paperboy",
        &[payloads::GUILD_ID],
        "session",
        "ws://127.0.0.1:1",
        json!([0, 1]),
    );

    let ready: Ready = serde_json::from_value(data).expect("READY deserializes");

    assert_eq!(ready.user.id.get(), payloads::APPLICATION_ID);
    assert_eq!(ready.application.id.get(), payloads::APPLICATION_ID);
    assert_eq!(ready.guilds.len(), 1);
}

#[test]
fn message_object_deserializes() {
    let mut message = payloads::message_object(
        42,
        payloads::CHANNEL_ID,
        payloads::user_object(payloads::APPLICATION_ID, "paperboy", true),
        "hello",
    );
    message["embeds"] =
        json!([{"type": "rich", "title": "t", "fields": [{"name": "n", "value": "v"}]}]);
    message["components"] = json!([{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Next", "custom_id": "page:2"}
    ]}]);

    let message: Message = serde_json::from_value(message).expect("message deserializes");

    assert_eq!(message.content, "hello");
    assert_eq!(message.embeds[0].fields[0].name, "n");
    assert_eq!(message.components.len(), 1);
}

// ---- REST behaviour through serenity's Http ----

#[tokio::test]
async fn channel_message_is_recorded() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let embed = CreateEmbed::new()
        .title("Trending papers")
        .description("1. Something")
        .field("Score", "42", true);
    let message = CreateMessage::new()
        .content("Today's digest")
        .embed(embed)
        .allowed_mentions(quiet_mentions());

    let sent = ChannelId::new(55)
        .send_message(&http, message)
        .await
        .expect("a valid message is accepted");

    assert_eq!(sent.channel_id.get(), 55);
    assert_eq!(sent.content, "Today's digest");
    assert_eq!(sent.embeds[0].title.as_deref(), Some("Trending papers"));
    let posts = fake.channel_posts(55);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["embeds"][0]["type"], "rich");
    let requests = fake.requests_matching("POST", "/channels/55/messages");
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bot fake-bot-token")
    );
    assert_eq!(requests[0].status, 200);
    fake.assert_no_violations();
}

#[tokio::test]
async fn embeds_over_total_limit_rejected() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    // Seven embeds of 900 characters each: every embed passes serenity's own per-embed check,
    // but the message as a whole exceeds Discord's 6000-character total.
    let embeds: Vec<CreateEmbed> = (0..7)
        .map(|_| CreateEmbed::new().description("x".repeat(900)))
        .collect();
    let message = CreateMessage::new()
        .embeds(embeds)
        .allowed_mentions(quiet_mentions());

    let error = ChannelId::new(55)
        .send_message(&http, message)
        .await
        .expect_err("6300 characters across embeds are rejected");

    assert_eq!(http_status_and_code(&error), (400, 50035));
    let violations = fake.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].contains("MAX_EMBED_SIZE_EXCEEDED"),
        "{violations:?}"
    );
    assert!(fake.channel_posts(55).is_empty());
}

#[tokio::test]
async fn embed_title_over_limit_counts_chars() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    // 256 multi-byte characters are within the limit, and Discord trims the surrounding
    // whitespace before counting. 257 characters are over the limit.
    let at_limit = CreateMessage::new()
        .embed(CreateEmbed::new().title(format!("  {}  ", "é".repeat(256))))
        .allowed_mentions(quiet_mentions());
    let over_limit = CreateMessage::new()
        .embed(CreateEmbed::new().title("é".repeat(257)))
        .allowed_mentions(quiet_mentions());

    let accepted = ChannelId::new(56).send_message(&http, at_limit).await;
    let rejected = ChannelId::new(56).send_message(&http, over_limit).await;

    assert!(accepted.is_ok(), "{accepted:?}");
    let error = rejected.expect_err("a 257-character title is rejected");
    assert_eq!(http_status_and_code(&error), (400, 50035));
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn missing_allowed_mentions_is_violation() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();

    let result = ChannelId::new(55)
        .send_message(&http, CreateMessage::new().content("hello @everyone"))
        .await;

    let error = result.expect_err("a body without allowed_mentions is rejected");
    assert_eq!(http_status_and_code(&error), (400, 50035));
    let violations = fake.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("allowed_mentions"), "{violations:?}");
}

#[tokio::test]
async fn mentions_that_ping_are_violations() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let pings_users = CreateAllowedMentions::new().all_users(true);
    let pings_a_role = CreateAllowedMentions::new().roles(vec![7]);

    for mentions in [pings_users, pings_a_role] {
        let message = CreateMessage::new()
            .content("hi")
            .allowed_mentions(mentions);
        let result = ChannelId::new(55).send_message(&http, message).await;
        assert!(result.is_err());
    }

    assert_eq!(fake.violations().len(), 2, "{:?}", fake.violations());
}

#[tokio::test]
async fn schema_violation_reports_field_path() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    // Discord's schema caps embed colours at 0xFFFFFF; serenity does not check this.
    let body = json!({
        "content": "hi",
        "embeds": [{"title": "t", "color": 0x0100_0000}],
        "allowed_mentions": {"parse": []},
    });

    let error = http
        .send_message(ChannelId::new(57), Vec::new(), &body)
        .await
        .expect_err("an out-of-range colour is rejected");

    let serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) = &error
    else {
        panic!("expected an unsuccessful request, got {error:?}");
    };
    assert_eq!(response.error.code, 50035);
    let paths: Vec<&str> = response
        .error
        .errors
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(paths, ["embeds.0.color"]);
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn content_over_limit_rejected() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    // serenity refuses to send this itself, so the body is built by hand.
    let body = json!({"content": "a".repeat(2001), "allowed_mentions": {"parse": []}});

    let error = http
        .send_message(ChannelId::new(58), Vec::new(), &body)
        .await
        .expect_err("2001 characters of content are rejected");

    assert_eq!(http_status_and_code(&error), (400, 50035));
    assert!(
        fake.violations()[0].contains("content"),
        "{:?}",
        fake.violations()
    );
}

#[tokio::test]
async fn delay_and_bad_gateway_faults() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    fake.fail_channel(63, Fault::Delay(Duration::from_millis(200)));
    fake.fail_channel(63, Fault::BadGateway { times: 1 });
    let send = || {
        let message = CreateMessage::new()
            .content("hi")
            .allowed_mentions(quiet_mentions());
        ChannelId::new(63).send_message(&http, message)
    };

    let started = std::time::Instant::now();
    let first = send().await.expect_err("502 first");
    let second = send().await;

    assert!(started.elapsed() >= Duration::from_millis(400));
    // The HTML body of a 502 is not Discord JSON, so serenity reports code -1.
    assert_eq!(http_status_and_code(&first), (502, -1));
    assert!(second.is_ok(), "{second:?}");
    fake.clear_channel_faults(63);
    fake.assert_no_violations();
}

#[tokio::test]
async fn faulted_channel_reports_discord_codes() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let cases = [
        (Fault::MissingPermissions, (403, 50013)),
        (Fault::MissingAccess, (403, 50001)),
        (Fault::UnknownChannel, (404, 10003)),
    ];

    for (index, (fault, expected)) in cases.into_iter().enumerate() {
        let channel = 100 + index as u64;
        fake.fail_channel(channel, fault);
        let message = CreateMessage::new()
            .content("hi")
            .allowed_mentions(quiet_mentions());
        let error = ChannelId::new(channel)
            .send_message(&http, message)
            .await
            .expect_err("a faulted channel rejects the post");
        assert_eq!(http_status_and_code(&error), expected);
    }

    assert!(fake.channel_posts(100).is_empty());
    fake.assert_no_violations();
}

#[tokio::test]
async fn counted_faults_expire() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    fake.fail_channel(
        60,
        Fault::RateLimited {
            retry_after_secs: 1.5,
            global: false,
            times: 1,
        },
    );
    fake.fail_channel(60, Fault::ServerError { times: 1 });
    let send = || {
        let message = CreateMessage::new()
            .content("hi")
            .allowed_mentions(quiet_mentions());
        ChannelId::new(60).send_message(&http, message)
    };

    let first = send().await.expect_err("first request is rate limited");
    let second = send()
        .await
        .expect_err("second request gets a server error");
    let third = send().await;

    assert_eq!(http_status_and_code(&first).0, 429);
    assert_eq!(http_status_and_code(&second), (500, 0));
    assert!(third.is_ok(), "{third:?}");
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(statuses, [429, 500, 200]);
    assert_eq!(
        fake.requests()[0].response.as_ref().unwrap()["retry_after"],
        1.5
    );
    assert_eq!(fake.channel_posts(60).len(), 1);
}

#[tokio::test]
async fn rate_limit_headers_follow_discord() {
    let fake = FakeDiscord::start().await;
    fake.fail_channel(
        61,
        Fault::RateLimited {
            retry_after_secs: 2.5,
            global: true,
            times: 1,
        },
    );
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    let response = client
        .post(format!("{}/api/v10/channels/61/messages", fake.proxy_url()))
        .header("Authorization", "Bot fake-bot-token")
        .json(&json!({"content": "hi", "allowed_mentions": {"parse": []}}))
        .send()
        .await
        .expect("the fake responds");

    assert_eq!(response.status().as_u16(), 429);
    let headers = response.headers();
    assert_eq!(headers["retry-after"], "3");
    assert_eq!(headers["x-ratelimit-global"], "true");
    assert_eq!(headers["x-ratelimit-scope"], "global");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "You are being rate limited.", "retry_after": 2.5, "global": true})
    );
}

#[tokio::test]
async fn query_with_leading_ampersand_accepted() {
    let fake = FakeDiscord::start().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    let response = client
        .get(format!(
            "{}/api/v10/gateway/bot?&with_counts=true",
            fake.proxy_url()
        ))
        .header("Authorization", "Bot fake-bot-token")
        .send()
        .await
        .expect("the fake responds");

    assert_eq!(response.status().as_u16(), 200);
    let recorded = fake.requests();
    assert_eq!(recorded[0].query.as_deref(), Some("&with_counts=true"));
    assert_eq!(recorded[0].route, Some("/gateway/bot"));
    fake.assert_no_violations();
}

#[tokio::test]
async fn global_rate_limit_exempts_interactions() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    fake.set_global_rate_limit(2);
    let built = InteractionBuilder::slash("paper").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let message = CreateMessage::new()
            .content("hi")
            .allowed_mentions(quiet_mentions());
        let result = ChannelId::new(62).send_message(&http, message).await;
        statuses.push(result.map_or_else(|error| http_status_and_code(&error).0, |_| 200));
    }
    let reply = CreateInteractionResponseMessage::new()
        .content("ok")
        .allowed_mentions(quiet_mentions());
    let callback = command
        .create_response(&http, CreateInteractionResponse::Message(reply))
        .await;

    assert_eq!(statuses, [200, 200, 429]);
    assert!(callback.is_ok(), "{callback:?}");
    fake.assert_no_violations();
}

#[tokio::test]
async fn enforced_nonce_repeat_is_deduplicated() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let message = || {
        CreateMessage::new()
            .content("daily digest")
            .nonce(Nonce::String("digest-2026-12-01".to_owned()))
            .enforce_nonce(true)
            .allowed_mentions(quiet_mentions())
    };

    let first = ChannelId::new(70)
        .send_message(&http, message())
        .await
        .unwrap();
    let second = ChannelId::new(70)
        .send_message(&http, message())
        .await
        .unwrap();

    assert_eq!(first.id, second.id);
    assert_eq!(fake.channel_posts(70).len(), 1);
    assert_eq!(fake.deduplicated_posts(70).len(), 1);
    fake.assert_no_violations();
}

#[tokio::test]
async fn unenforced_nonce_creates_new_message() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let message = || {
        CreateMessage::new()
            .content("daily digest")
            .nonce(Nonce::String("same".to_owned()))
            .allowed_mentions(quiet_mentions())
    };

    let first = ChannelId::new(71)
        .send_message(&http, message())
        .await
        .unwrap();
    let second = ChannelId::new(71)
        .send_message(&http, message())
        .await
        .unwrap();

    assert_ne!(first.id, second.id);
    assert_eq!(fake.channel_posts(71).len(), 2);
}

#[tokio::test]
async fn unknown_route_is_violation() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();

    let result = http.get_guild(GuildId::new(payloads::GUILD_ID)).await;

    let error = result.expect_err("the fake does not serve guilds");
    assert_eq!(http_status_and_code(&error), (404, 0));
    let violations = fake.violations();
    assert_eq!(violations.len(), 1);
    assert!(violations[0].contains("unexpected route"), "{violations:?}");
}

#[tokio::test]
async fn wrong_token_is_violation() {
    let fake = FakeDiscord::start().await;
    let wrong = serenity::http::HttpBuilder::new("another-token")
        .proxy(fake.proxy_url())
        .ratelimiter_disabled(true)
        .client(reqwest::Client::builder().no_proxy().build().unwrap())
        .build();

    let error = wrong
        .get_current_user()
        .await
        .expect_err("wrong token is refused");

    assert_eq!(http_status_and_code(&error).0, 401);
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn identity_routes_deserialize() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();

    let user = http
        .get_current_user()
        .await
        .expect("users/@me deserializes");
    let application = http
        .get_current_application_info()
        .await
        .expect("oauth2/applications/@me deserializes");
    let gateway = http.get_gateway().await.expect("gateway deserializes");
    let bot_gateway = http
        .get_bot_gateway()
        .await
        .expect("gateway/bot deserializes");

    assert_eq!(user.id.get(), payloads::APPLICATION_ID);
    assert_eq!(application.id.get(), payloads::APPLICATION_ID);
    assert_eq!(gateway.url, fake.gateway_url());
    assert_eq!(bot_gateway.shards, 1);
    fake.assert_no_violations();
}

// ---- Interaction lifecycle through serenity's Http ----

#[tokio::test]
async fn interaction_reply_is_accepted() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("paper").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);
    let reply = CreateInteractionResponseMessage::new()
        .embed(CreateEmbed::new().title("A paper"))
        .allowed_mentions(quiet_mentions())
        .ephemeral(true);

    command
        .create_response(&http, CreateInteractionResponse::Message(reply))
        .await
        .expect("a valid reply is accepted");
    let original = command.get_response(&http).await.expect("@original exists");

    assert_eq!(original.embeds[0].title.as_deref(), Some("A paper"));
    let view = fake.interaction(built.id).expect("interaction is known");
    assert_eq!(view.callback_type, Some(4));
    assert_eq!(fake.interaction_responses(built.id).len(), 2);
    fake.assert_no_violations();
}

#[tokio::test]
async fn second_callback_is_rejected() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("paper").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);

    command
        .defer(&http)
        .await
        .expect("first callback is accepted");
    let error = command
        .defer(&http)
        .await
        .expect_err("second callback is rejected");

    assert_eq!(http_status_and_code(&error), (400, 40060));
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn late_callback_is_unknown_interaction() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("paper").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);
    fake.advance_clock(Duration::from_millis(3100));

    let error = command
        .defer(&http)
        .await
        .expect_err("a late callback is rejected");
    let followup = CreateInteractionResponseFollowup::new()
        .content("too late")
        .allowed_mentions(quiet_mentions());
    let followup_error = command
        .create_followup(&http, followup)
        .await
        .expect_err("the token was invalidated");

    assert_eq!(http_status_and_code(&error), (404, 10062));
    assert_eq!(http_status_and_code(&followup_error), (404, 10015));
    assert_eq!(fake.violations().len(), 2);
}

#[tokio::test]
async fn followup_after_defer_replaces_placeholder() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("search").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);
    let followup = |text: &str| {
        CreateInteractionResponseFollowup::new()
            .content(text)
            .allowed_mentions(quiet_mentions())
    };

    command.defer(&http).await.unwrap();
    let first = command
        .create_followup(&http, followup("results"))
        .await
        .unwrap();
    let second = command
        .create_followup(&http, followup("more"))
        .await
        .unwrap();

    let view = fake.interaction(built.id).unwrap();
    let original = view.original.expect("the defer created a message");
    assert_eq!(original["id"], first.id.to_string());
    assert_eq!(original["content"], "results");
    assert_eq!(view.followups.len(), 1);
    assert_eq!(view.followups[0]["id"], second.id.to_string());
    fake.assert_no_violations();
}

#[tokio::test]
async fn edit_after_defer_fills_placeholder() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("trending").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);
    let edit = EditInteractionResponse::new()
        .content("top papers")
        .allowed_mentions(quiet_mentions());

    command.defer(&http).await.unwrap();
    let edited = command.edit_response(&http, edit).await.unwrap();

    assert_eq!(edited.content, "top papers");
    let view = fake.interaction(built.id).unwrap();
    assert_eq!(view.original.unwrap()["content"], "top papers");
    fake.assert_no_violations();
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("search").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);
    command.defer(&http).await.unwrap();
    fake.advance_clock(Duration::from_secs(15 * 60 + 1));

    let edit = EditInteractionResponse::new()
        .content("late")
        .allowed_mentions(quiet_mentions());
    let error = command
        .edit_response(&http, edit)
        .await
        .expect_err("token expired");

    assert_eq!(http_status_and_code(&error), (401, 50027));
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn unknown_webhook_token_is_rejected() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("search").build();
    // Not registered, so the fake never issued this token.
    let command = command_interaction(&built.payload);
    let followup = CreateInteractionResponseFollowup::new()
        .content("hi")
        .allowed_mentions(quiet_mentions());

    let error = command.create_followup(&http, followup).await.unwrap_err();

    assert_eq!(http_status_and_code(&error), (404, 10015));
    assert_eq!(fake.violations().len(), 1);
}

#[tokio::test]
async fn autocomplete_limits_are_enforced() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let too_many = InteractionBuilder::autocomplete("paper", "id", "a").build();
    let long_name = InteractionBuilder::autocomplete("paper", "id", "b").build();
    let valid = InteractionBuilder::autocomplete("paper", "id", "c").build();
    for built in [&too_many, &long_name, &valid] {
        fake.register_interaction(built);
    }
    let choices = |count: usize, name: String| {
        (0..count).fold(CreateAutocompleteResponse::new(), |response, index| {
            response.add_string_choice(name.clone(), index.to_string())
        })
    };

    let results = [
        command_interaction(&too_many.payload)
            .create_response(
                &http,
                CreateInteractionResponse::Autocomplete(choices(26, "n".into())),
            )
            .await,
        command_interaction(&long_name.payload)
            .create_response(
                &http,
                CreateInteractionResponse::Autocomplete(choices(1, "n".repeat(101))),
            )
            .await,
        command_interaction(&valid.payload)
            .create_response(
                &http,
                CreateInteractionResponse::Autocomplete(choices(25, "n".repeat(100))),
            )
            .await,
    ];

    assert_eq!(
        http_status_and_code(results[0].as_ref().unwrap_err()),
        (400, 50035)
    );
    assert_eq!(
        http_status_and_code(results[1].as_ref().unwrap_err()),
        (400, 50035)
    );
    assert!(results[2].is_ok(), "{:?}", results[2]);
    assert_eq!(fake.violations().len(), 2, "{:?}", fake.violations());
}

#[tokio::test]
async fn callback_type_must_fit_interaction() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let built = InteractionBuilder::slash("paper").build();
    fake.register_interaction(&built);
    let command = command_interaction(&built.payload);

    let choices = CreateAutocompleteResponse::new().add_string_choice("a", "a");
    let error = command
        .create_response(&http, CreateInteractionResponse::Autocomplete(choices))
        .await
        .expect_err("autocomplete results are only valid for autocomplete interactions");

    assert_eq!(http_status_and_code(&error), (400, 50035));
    assert!(fake.interaction(built.id).unwrap().callback_type.is_none());
}

#[tokio::test]
async fn button_update_edits_message() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let posted = ChannelId::new(payloads::CHANNEL_ID)
        .send_message(
            &http,
            CreateMessage::new()
                .content("page 1")
                .allowed_mentions(quiet_mentions()),
        )
        .await
        .unwrap();
    let message = fake.channel_messages(payloads::CHANNEL_ID)[0].clone();
    let built = InteractionBuilder::button("page:2", message).build();
    fake.register_interaction(&built);
    let Ok(Interaction::Component(component)) = serde_json::from_value(built.payload.clone())
    else {
        panic!("button payload deserializes");
    };
    let update = CreateInteractionResponseMessage::new()
        .content("page 2")
        .allowed_mentions(quiet_mentions());

    component
        .create_response(&http, CreateInteractionResponse::UpdateMessage(update))
        .await
        .expect("an update is accepted");

    let original = fake.interaction(built.id).unwrap().original.unwrap();
    assert_eq!(original["id"], posted.id.to_string());
    assert_eq!(original["content"], "page 2");
    fake.assert_no_violations();
}

#[tokio::test]
async fn wait_for_times_out() {
    let fake = FakeDiscord::start().await;

    let found = fake.wait_for(|_| true, Duration::from_millis(50)).await;

    assert!(found.is_none());
}

#[tokio::test]
async fn poise_registration_passes_schema() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();

    poise::builtins::register_in_guild(&http, &[config()], GuildId::new(payloads::GUILD_ID))
        .await
        .expect("registration is accepted");

    let commands = fake.registered_commands(Some(payloads::GUILD_ID));
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["name"], "config");
    assert_eq!(commands[0]["default_member_permissions"], "32");
    fake.assert_no_violations();
}

type PoiseContext<'a> = poise::Context<'a, (), serenity::Error>;

/// Sets a configuration value.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
async fn config(
    ctx: PoiseContext<'_>,
    #[description = "Setting to change"] key: String,
    #[description = "Channel to post in"] channel: Option<serenity::all::ChannelId>,
    #[description = "How many papers"] count: Option<i64>,
) -> Result<(), serenity::Error> {
    ctx.say(format!("{key} {channel:?} {count:?}")).await?;
    Ok(())
}

// ---- Gateway through a real serenity client ----

struct ForwardingHandler {
    ready: mpsc::UnboundedSender<Ready>,
    http_reply: bool,
}

#[async_trait]
impl EventHandler for ForwardingHandler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let _ = self.ready.send(ready);
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if !self.http_reply {
            return;
        }
        if let Interaction::Command(command) = interaction {
            let reply = CreateInteractionResponseMessage::new()
                .content(format!("pong from /{}", command.data.name))
                .allowed_mentions(quiet_mentions());
            let _ = command
                .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
                .await;
        }
    }
}

async fn start_client(fake: &FakeDiscord) -> (Client, mpsc::UnboundedReceiver<Ready>) {
    let (ready_sender, ready_receiver) = mpsc::unbounded_channel();
    let handler = ForwardingHandler {
        ready: ready_sender,
        http_reply: true,
    };
    let client = ClientBuilder::new_with_http(fake.http(), GatewayIntents::GUILDS)
        .event_handler(handler)
        .await
        .expect("client builds");
    (client, ready_receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_client_identifies_and_replies() {
    let fake = FakeDiscord::start().await;
    let (mut client, mut ready) = start_client(&fake).await;
    let shard_manager = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });

    let identify = fake
        .wait_identified(WAIT)
        .await
        .expect("the shard identifies");
    let ready = tokio::time::timeout(WAIT, ready.recv())
        .await
        .expect("READY reaches the handler in time")
        .expect("handler is alive");
    let built = InteractionBuilder::slash("ping").build();
    fake.send_interaction(&built);
    let callback = fake
        .wait_for(|request| request.interaction_id == Some(built.id), WAIT)
        .await
        .expect("the handler responds to the interaction");
    shard_manager.shutdown_all().await;
    let _ = running.await;

    assert_eq!(identify["token"], "Bot fake-bot-token");
    assert_eq!(identify["intents"], GatewayIntents::GUILDS.bits());
    assert_eq!(ready.user.id.get(), payloads::APPLICATION_ID);
    assert_eq!(callback.status, 204);
    assert_eq!(callback.body.unwrap()["data"]["content"], "pong from /ping");
    assert!(!fake.requests_matching("GET", "/gateway").is_empty());
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_client_identifies_again() {
    let fake = FakeDiscord::start().await;

    for round in 1..=2 {
        let (mut client, _ready) = start_client(&fake).await;
        let shard_manager = client.shard_manager.clone();
        let running = tokio::spawn(async move { client.start().await });
        let identify = fake.wait_identified(WAIT).await;
        assert!(identify.is_some(), "IDENTIFY number {round} arrived");
        shard_manager.shutdown_all().await;
        let _ = running.await;
    }

    assert_eq!(fake.identifies().len(), 2);
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_intents_are_rejected() {
    let fake = FakeDiscord::start().await;
    let handler = ForwardingHandler {
        ready: mpsc::unbounded_channel().0,
        http_reply: false,
    };
    let intents = GatewayIntents::GUILDS | GatewayIntents::MESSAGE_CONTENT;
    let mut client = ClientBuilder::new_with_http(fake.http(), intents)
        .event_handler(handler)
        .await
        .expect("client builds");

    // The fake closes with 4014, which makes serenity's client stop with an error.
    let outcome = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("the client stops after close code 4014");

    let error = outcome.expect_err("disallowed intents end the client");
    assert!(
        matches!(
            error,
            serenity::Error::Gateway(serenity::gateway::GatewayError::DisallowedGatewayIntents)
        ),
        "{error:?}"
    );
    let violation = fake
        .wait_for_violation(|violation| violation.contains("privileged intents"), WAIT)
        .await;
    assert!(violation.is_some(), "{:?}", fake.violations());
    assert!(
        fake.identifies().is_empty(),
        "a rejected IDENTIFY does not count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poise_checks_member_permissions() {
    let fake = FakeDiscord::start().await;
    let options = poise::FrameworkOptions {
        commands: vec![config()],
        allowed_mentions: Some(quiet_mentions()),
        initialize_owners: false,
        ..Default::default()
    };
    let framework = poise::Framework::builder()
        .options(options)
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                let guild = GuildId::new(payloads::GUILD_ID);
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild)
                    .await?;
                Ok(())
            })
        })
        .build();
    let mut client = ClientBuilder::new_with_http(fake.http(), GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .expect("client builds");
    let shard_manager = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });
    fake.wait_identified(WAIT)
        .await
        .expect("the shard identifies");
    // poise holds back every event until its setup has registered the commands.
    fake.wait_for(|request| request.method == "PUT", WAIT)
        .await
        .expect("setup registers the commands");

    let admin = InteractionBuilder::slash("config")
        .option("key", json!("digest"))
        .channel_option("channel", 99)
        .option("count", json!(3))
        .admin(true)
        .build();
    let member = InteractionBuilder::slash("config")
        .option("key", json!("digest"))
        .admin(false)
        .build();
    let mut callbacks = Vec::new();
    for built in [&admin, &member] {
        fake.send_interaction(built);
        let callback = fake
            .wait_for(|request| request.interaction_id == Some(built.id), WAIT)
            .await
            .expect("poise responds to the interaction");
        callbacks.push(callback.body.expect("callbacks have a body"));
    }
    shard_manager.shutdown_all().await;
    let _ = running.await;

    assert_eq!(callbacks[0]["type"], 4);
    assert_eq!(
        callbacks[0]["data"]["content"],
        "digest Some(ChannelId(99)) Some(3)"
    );
    assert_eq!(callbacks[1]["type"], 4);
    assert_eq!(
        callbacks[1]["data"]["flags"], 64,
        "permission errors are ephemeral"
    );
    let error_text = callbacks[1]["data"].to_string();
    assert!(error_text.contains("lacking permissions"), "{error_text}");
    fake.assert_no_violations();
}
