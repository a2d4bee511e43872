//! The fake REST API: routing, validation, the interaction lifecycle, channel faults and rate
//! limits. Every request passes through [`handle`], which records it with its response status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use super::fake_discord::{Fault, Inner, InteractionState, PostedNonce, RecordedRequest, State};
use super::limits::{self, MessageOrigin};
use super::openapi::{self, FieldError};
use super::payloads;

/// Discord requires the initial interaction response within 3 s.
const RESPONSE_DEADLINE: Duration = Duration::from_secs(3);
/// Interaction tokens stay valid for followups and edits for 15 min.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a channel remembers an `enforce_nonce` nonce. Discord documents "the past few
/// minutes" without a number, so this is an estimate.
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Message flag EPHEMERAL.
const FLAG_EPHEMERAL: u64 = 1 << 6;
/// Message flag LOADING, set on the placeholder of a deferred response.
const FLAG_LOADING: u64 = 1 << 7;

/// Discord JSON error codes used by the fake.
mod code {
    pub const GENERAL: i64 = 0;
    pub const UNKNOWN_CHANNEL: i64 = 10003;
    pub const UNKNOWN_MESSAGE: i64 = 10008;
    pub const UNKNOWN_WEBHOOK: i64 = 10015;
    pub const UNKNOWN_INTERACTION: i64 = 10062;
    pub const INTERACTION_ALREADY_ACKNOWLEDGED: i64 = 40060;
    pub const MISSING_ACCESS: i64 = 50001;
    pub const CANNOT_SEND_EMPTY_MESSAGE: i64 = 50006;
    pub const MISSING_PERMISSIONS: i64 = 50013;
    pub const INVALID_WEBHOOK_TOKEN: i64 = 50027;
    pub const INVALID_FORM_BODY: i64 = 50035;
    pub const INVALID_JSON: i64 = 50109;
}

pub(super) fn router(inner: Arc<Inner>) -> Router {
    Router::new().fallback(handle).with_state(inner)
}

enum ReplyBody {
    Empty,
    Json(Value),
    Html(&'static str),
}

/// The response the fake sends, before conversion to an axum response.
struct Reply {
    status: StatusCode,
    body: ReplyBody,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status code"),
            body: ReplyBody::Json(body),
            headers: Vec::new(),
        }
    }

    fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: ReplyBody::Empty,
            headers: Vec::new(),
        }
    }

    /// Builds a Discord error body `{"code": .., "message": ..}`, which serenity turns into
    /// `DiscordJsonError`.
    fn error(status: u16, code: i64, message: &str) -> Self {
        Self::json(status, json!({"code": code, "message": message}))
    }

    fn invalid_form_body(errors: &[FieldError]) -> Self {
        Self::json(
            400,
            json!({
                "code": code::INVALID_FORM_BODY,
                "errors": openapi::discord_error_tree(errors),
                "message": "Invalid Form Body",
            }),
        )
    }

    fn json_body(&self) -> Option<Value> {
        match &self.body {
            ReplyBody::Json(value) => Some(value.clone()),
            _ => None,
        }
    }

    fn into_response(self) -> Response {
        let mut response = match self.body {
            ReplyBody::Empty => self.status.into_response(),
            ReplyBody::Json(value) => (self.status, axum::Json(value)).into_response(),
            ReplyBody::Html(html) => (
                self.status,
                [(header::CONTENT_TYPE, "text/html")],
                html.to_owned(),
            )
                .into_response(),
        };
        for (name, value) in self.headers {
            let value = HeaderValue::from_str(&value).expect("header values are ASCII");
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The routes the fake serves, with the ids taken from the path.
#[derive(Debug)]
enum Route {
    Gateway,
    GatewayBot,
    CurrentApplication,
    CurrentUser,
    GlobalCommands,
    GuildCommands {
        guild_id: u64,
    },
    InteractionCallback {
        interaction_id: String,
        token: String,
    },
    Followup {
        webhook_id: String,
        token: String,
    },
    GetOriginal {
        webhook_id: String,
        token: String,
    },
    EditOriginal {
        webhook_id: String,
        token: String,
    },
    CreateMessage {
        channel_id: u64,
    },
}

impl Route {
    /// Matches a method and a path below `/api/v10`. Returns `None` for anything the fake does
    /// not serve.
    fn parse(method: &Method, api_path: &str) -> Option<Self> {
        let segments: Vec<&str> = api_path.trim_start_matches('/').split('/').collect();
        let owned = |value: &str| value.to_owned();
        let route = match (method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => Route::Gateway,
            ("GET", ["gateway", "bot"]) => Route::GatewayBot,
            ("GET", ["oauth2", "applications", "@me"]) => Route::CurrentApplication,
            ("GET", ["users", "@me"]) => Route::CurrentUser,
            ("PUT", ["applications", _, "commands"]) => Route::GlobalCommands,
            ("PUT", ["applications", _, "guilds", guild, "commands"]) => Route::GuildCommands {
                guild_id: guild.parse().ok()?,
            },
            ("POST", ["interactions", id, token, "callback"]) => Route::InteractionCallback {
                interaction_id: owned(id),
                token: owned(token),
            },
            ("POST", ["webhooks", id, token]) => Route::Followup {
                webhook_id: owned(id),
                token: owned(token),
            },
            ("GET", ["webhooks", id, token, "messages", "@original"]) => Route::GetOriginal {
                webhook_id: owned(id),
                token: owned(token),
            },
            ("PATCH", ["webhooks", id, token, "messages", "@original"]) => Route::EditOriginal {
                webhook_id: owned(id),
                token: owned(token),
            },
            ("POST", ["channels", channel, "messages"]) => Route::CreateMessage {
                channel_id: channel.parse().ok()?,
            },
            _ => return None,
        };
        Some(route)
    }

    /// Returns the path template of Discord's OpenAPI description for this route.
    fn template(&self) -> &'static str {
        match self {
            Route::Gateway => "/gateway",
            Route::GatewayBot => "/gateway/bot",
            Route::CurrentApplication => "/oauth2/applications/@me",
            Route::CurrentUser => "/users/@me",
            Route::GlobalCommands => "/applications/{application_id}/commands",
            Route::GuildCommands { .. } => {
                "/applications/{application_id}/guilds/{guild_id}/commands"
            }
            Route::InteractionCallback { .. } => {
                "/interactions/{interaction_id}/{interaction_token}/callback"
            }
            Route::Followup { .. } => "/webhooks/{webhook_id}/{webhook_token}",
            Route::GetOriginal { .. } | Route::EditOriginal { .. } => {
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
            }
            Route::CreateMessage { .. } => "/channels/{channel_id}/messages",
        }
    }

    /// Interaction endpoints are not bound by Discord's global rate limit.
    fn is_interaction_endpoint(&self) -> bool {
        matches!(
            self,
            Route::InteractionCallback { .. }
                | Route::Followup { .. }
                | Route::GetOriginal { .. }
                | Route::EditOriginal { .. }
        )
    }
}

/// Per-request context handed to the route handlers.
struct Exchange<'a> {
    inner: &'a Inner,
    /// `METHOD path` prefix for violation messages.
    label: String,
    /// Fake-clock time of arrival.
    now: Instant,
    record: RecordedRequest,
}

impl Exchange<'_> {
    fn violation(&self, state: &mut State, problem: impl AsRef<str>) {
        state.violation(format!("{}: {}", self.label, problem.as_ref()));
    }

    /// Records a violation and returns `reply`, for rule breaks that Discord rejects.
    fn reject(&self, problem: impl AsRef<str>, reply: Reply) -> Reply {
        let mut state = self.inner.state();
        self.violation(&mut state, problem);
        reply
    }

    /// Validates `body` against the route's OpenAPI schema plus `extra_checks`, and returns
    /// the 50035 reply (recording a violation) if anything fails.
    fn validate(
        &self,
        template: &str,
        body: &Value,
        extra_checks: impl FnOnce(&mut Vec<FieldError>),
    ) -> Result<(), Reply> {
        // Discord trims embed texts before checking their lengths, but the OpenAPI description's
        // `maxLength` counts the whitespace, so the schema is checked against the trimmed texts.
        let trimmed = limits::trim_embed_texts(body);
        let mut errors = openapi::spec().validate(&self.record.method, template, &trimmed);
        extra_checks(&mut errors);
        if errors.is_empty() {
            return Ok(());
        }
        let described: Vec<String> = errors.iter().map(FieldError::describe).collect();
        Err(self.reject(
            format!("invalid body: {}", described.join("; ")),
            Reply::invalid_form_body(&errors),
        ))
    }
}

async fn handle(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received_at = Instant::now();
    let path = uri.path().to_owned();
    let mut exchange = Exchange {
        inner: &inner,
        label: format!("{method} {path}"),
        now: inner.now(),
        record: RecordedRequest {
            method: method.as_str().to_owned(),
            path,
            query: uri.query().map(str::to_owned),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            body: None,
            received_at,
            status: 0,
            response: None,
            route: None,
            interaction_id: None,
        },
    };

    let reply = process(&mut exchange, &method, &headers, &body).await;

    let mut record = exchange.record;
    record.status = reply.status.as_u16();
    record.response = reply.json_body();
    inner.state().requests.push(record);
    inner.requests_changed.send_modify(|count| *count += 1);
    reply.into_response()
}

async fn process(
    exchange: &mut Exchange<'_>,
    method: &Method,
    headers: &HeaderMap,
    raw_body: &Bytes,
) -> Reply {
    let inner = exchange.inner;
    if exchange.record.authorization.as_deref() != Some(inner.expected_authorization().as_str()) {
        let problem = match &exchange.record.authorization {
            None => "missing",
            Some(_) => "not \"Bot <configured token>\"",
        };
        return exchange.reject(
            format!("Authorization header is {problem}"),
            Reply::error(401, code::GENERAL, "401: Unauthorized"),
        );
    }

    let body = match parse_body(exchange, headers, raw_body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    exchange.record.body = body.clone();

    let api_path = exchange.record.api_path().to_owned();
    let Some(route) = Route::parse(method, &api_path) else {
        return exchange.reject(
            "unexpected route; the fake serves only the routes the bot is expected to use",
            Reply::error(404, code::GENERAL, "404: Not Found"),
        );
    };
    exchange.record.route = Some(route.template());

    if !route.is_interaction_endpoint() {
        if let Some(reply) = check_global_rate_limit(exchange) {
            return reply;
        }
    }
    if let Route::CreateMessage { channel_id } = route {
        if let Some(reply) = apply_channel_faults(exchange, channel_id).await {
            return reply;
        }
    }

    let body = body.unwrap_or(Value::Null);
    let template = route.template();
    match route {
        Route::Gateway => Reply::ok(json!({"url": inner.gateway_url()})),
        Route::GatewayBot => Reply::ok(json!({
            "url": inner.gateway_url(),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        })),
        Route::CurrentApplication => Reply::ok(current_application(inner)),
        Route::CurrentUser => Reply::ok(bot_user(inner)),
        Route::GlobalCommands => register_commands(exchange, template, None, &body),
        Route::GuildCommands { guild_id } => {
            register_commands(exchange, template, Some(guild_id), &body)
        }
        Route::InteractionCallback {
            interaction_id,
            token,
        } => interaction_callback(exchange, template, &interaction_id, &token, &body),
        Route::Followup { webhook_id, token } => {
            followup(exchange, template, &webhook_id, &token, &body)
        }
        Route::GetOriginal { webhook_id, token } => get_original(exchange, &webhook_id, &token),
        Route::EditOriginal { webhook_id, token } => {
            edit_original(exchange, template, &webhook_id, &token, &body)
        }
        Route::CreateMessage { channel_id } => {
            create_message(exchange, template, channel_id, &body)
        }
    }
}

/// Parses a JSON body. Bodies of other content types (multipart uploads) are rejected as
/// violations because the fake cannot validate them.
fn parse_body(
    exchange: &Exchange<'_>,
    headers: &HeaderMap,
    raw_body: &Bytes,
) -> Result<Option<Value>, Reply> {
    if raw_body.is_empty() {
        return Ok(None);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(exchange.reject(
            format!("unsupported Content-Type {content_type:?}; the fake accepts JSON bodies only"),
            Reply::error(400, code::INVALID_FORM_BODY, "Invalid Form Body"),
        ));
    }
    serde_json::from_slice(raw_body).map(Some).map_err(|error| {
        exchange.reject(
            format!("body is not valid JSON: {error}"),
            Reply::error(
                400,
                code::INVALID_JSON,
                "The request body contains invalid JSON.",
            ),
        )
    })
}

/// Builds a 429 reply with Discord's body and headers.
fn rate_limited(retry_after_secs: f64, global: bool, bucket: &str) -> Reply {
    let mut reply = Reply::json(
        429,
        json!({
            "message": "You are being rate limited.",
            "retry_after": retry_after_secs,
            "global": global,
        }),
    );
    reply
        .headers
        .push(("retry-after", (retry_after_secs.ceil() as u64).to_string()));
    if global {
        reply
            .headers
            .push(("x-ratelimit-global", "true".to_owned()));
        reply
            .headers
            .push(("x-ratelimit-scope", "global".to_owned()));
    } else {
        reply.headers.push(("x-ratelimit-scope", "user".to_owned()));
        // Discord does not publish per-route bucket sizes, so this value is arbitrary.
        reply.headers.push(("x-ratelimit-limit", "5".to_owned()));
        reply
            .headers
            .push(("x-ratelimit-remaining", "0".to_owned()));
        reply
            .headers
            .push(("x-ratelimit-reset-after", format!("{retry_after_secs:.3}")));
        reply
            .headers
            .push(("x-ratelimit-bucket", bucket.to_owned()));
    }
    reply
}

fn check_global_rate_limit(exchange: &Exchange<'_>) -> Option<Reply> {
    let mut state = exchange.inner.state();
    let limit = state.global_limit_per_second? as usize;
    let window_start = exchange.now.checked_sub(Duration::from_secs(1));
    while let (Some(oldest), Some(start)) = (state.global_window.front(), window_start) {
        if *oldest > start {
            break;
        }
        state.global_window.pop_front();
    }
    if state.global_window.len() >= limit {
        let oldest = *state
            .global_window
            .front()
            .expect("window is full, so not empty");
        let retry_after = Duration::from_secs(1)
            .saturating_sub(exchange.now.saturating_duration_since(oldest))
            .as_secs_f64();
        return Some(rate_limited(retry_after, true, "global"));
    }
    state.global_window.push_back(exchange.now);
    None
}

/// Applies the channel's scripted faults. It waits out `Delay` faults, then returns the reply of
/// the first error fault that still applies and consumes one use of a counted fault.
async fn apply_channel_faults(exchange: &Exchange<'_>, channel_id: u64) -> Option<Reply> {
    let (delay, fault) = {
        let mut state = exchange.inner.state();
        let faults = state.faults.get_mut(&channel_id)?;
        let delay: Duration = faults
            .iter()
            .map(|fault| match fault {
                Fault::Delay(duration) => *duration,
                _ => Duration::ZERO,
            })
            .sum();
        let position = faults
            .iter()
            .position(|fault| !matches!(fault, Fault::Delay(_)));
        let fault = position.map(|index| {
            let fault = faults[index].clone();
            match &mut faults[index] {
                Fault::RateLimited { times, .. }
                | Fault::ServerError { times }
                | Fault::BadGateway { times } => *times -= 1,
                _ => {}
            }
            if faults[index].remaining() == Some(0) {
                faults.remove(index);
            }
            fault
        });
        (delay, fault)
    };

    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = match fault? {
        Fault::MissingPermissions => {
            Reply::error(403, code::MISSING_PERMISSIONS, "Missing Permissions")
        }
        Fault::MissingAccess => Reply::error(403, code::MISSING_ACCESS, "Missing Access"),
        Fault::UnknownChannel => Reply::error(404, code::UNKNOWN_CHANNEL, "Unknown Channel"),
        Fault::RateLimited {
            retry_after_secs,
            global,
            ..
        } => rate_limited(
            retry_after_secs,
            global,
            &format!("fake-channel-{channel_id}"),
        ),
        Fault::ServerError { .. } => Reply::error(500, code::GENERAL, "500: Internal Server Error"),
        Fault::BadGateway { .. } => Reply {
            status: StatusCode::BAD_GATEWAY,
            body: ReplyBody::Html("<html><body><h1>502 Bad Gateway</h1></body></html>"),
            headers: Vec::new(),
        },
        Fault::Delay(_) => unreachable!("delays are not selected as error faults"),
    };
    Some(reply)
}

fn bot_user(inner: &Inner) -> Value {
    let mut user = payloads::user_object(
        inner.config.application_id,
        &inner.config.bot_username,
        true,
    );
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    user["flags"] = json!(0);
    user
}

fn current_application(inner: &Inner) -> Value {
    json!({
        "id": inner.config.application_id.to_string(),
        "name": inner.config.bot_username,
        "icon": null,
        "description": "",
        "rpc_origins": [],
        "bot_public": false,
        "bot_require_code_grant": false,
        "owner": payloads::user_object(payloads::USER_ID, "owner", false),
        "verify_key": "0".repeat(64),
        "team": null,
        "flags": 0,
        "bot": bot_user(inner),
    })
}

fn register_commands(
    exchange: &Exchange<'_>,
    template: &str,
    guild_id: Option<u64>,
    body: &Value,
) -> Reply {
    if let Err(reply) = exchange.validate(template, body, |errors| {
        limits::check_command_names(body, errors)
    }) {
        return reply;
    }

    let application_id = exchange.inner.config.application_id.to_string();
    let registered: Vec<Value> = body
        .as_array()
        .into_iter()
        .flatten()
        .map(|command| {
            let mut command = command.clone();
            let fields = command.as_object_mut().expect("schema requires objects");
            let id = payloads::next_snowflake().to_string();
            fields.entry("id").or_insert(json!(id));
            fields.insert("application_id".into(), json!(application_id));
            fields.insert(
                "version".into(),
                json!(payloads::next_snowflake().to_string()),
            );
            fields.entry("type").or_insert(json!(1));
            fields.entry("nsfw").or_insert(json!(false));
            let permissions = match fields.get("default_member_permissions") {
                Some(Value::Number(bits)) => json!(bits.to_string()),
                Some(Value::String(bits)) => json!(bits),
                _ => Value::Null,
            };
            fields.insert("default_member_permissions".into(), permissions);
            if let Some(guild_id) = guild_id {
                fields.insert("guild_id".into(), json!(guild_id.to_string()));
            }
            command
        })
        .collect();
    exchange
        .inner
        .state()
        .commands
        .insert(guild_id, registered.clone());
    Reply::ok(Value::Array(registered))
}

/// Returns true if the body would create a message with nothing in it, which Discord rejects
/// with 50006.
fn is_empty_message(body: &Value) -> bool {
    let has = |key: &str| match body.get(key) {
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    };
    ![
        "content",
        "embeds",
        "components",
        "attachments",
        "sticker_ids",
        "poll",
    ]
    .iter()
    .any(|key| has(key))
}

fn empty_message_reply(exchange: &Exchange<'_>) -> Reply {
    exchange.reject(
        "message has no content, embeds, components or attachments",
        Reply::error(
            400,
            code::CANNOT_SEND_EMPTY_MESSAGE,
            "Cannot send an empty message",
        ),
    )
}

/// Checks shared by every message-creating body: Discord's limits and disabled mentions.
fn message_checks(body: &Value, origin: MessageOrigin, errors: &mut Vec<FieldError>) {
    limits::check_message_limits(body, errors);
    limits::check_mentions_disabled(body, origin, errors);
}

/// Prefixes error paths with `data`, for checks run on a callback's `data` object.
fn under_data(errors: Vec<FieldError>) -> impl Iterator<Item = FieldError> {
    errors.into_iter().map(|mut error| {
        error.path.insert(0, "data".to_owned());
        error
    })
}

/// Builds the message object Discord creates from a message body.
fn message_from_body(inner: &Inner, channel_id: u64, body: &Value, webhook: bool) -> Value {
    let content = body
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut message = payloads::message_object(
        payloads::next_snowflake(),
        channel_id,
        bot_user(inner),
        content,
    );
    apply_message_fields(&mut message, body);
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        message["flags"] = json!(flags);
    }
    if let Some(tts) = body.get("tts").and_then(Value::as_bool) {
        message["tts"] = json!(tts);
    }
    if webhook {
        let application_id = inner.config.application_id.to_string();
        message["webhook_id"] = json!(application_id);
        message["application_id"] = json!(application_id);
    }
    message
}

/// Copies content, embeds and components from a body into a message, as an edit does.
fn apply_message_fields(message: &mut Value, body: &Value) {
    if let Some(content) = body.get("content").filter(|value| !value.is_null()) {
        message["content"] = content.clone();
    }
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        let embeds: Vec<Value> = embeds
            .iter()
            .map(|embed| {
                let mut embed = embed.clone();
                if embed.get("type").is_none_or(Value::is_null) {
                    embed["type"] = json!("rich");
                }
                embed
            })
            .collect();
        message["embeds"] = Value::Array(embeds);
    }
    if let Some(components) = body.get("components").and_then(Value::as_array) {
        message["components"] = Value::Array(components.clone());
    }
}

fn create_message(exchange: &Exchange<'_>, template: &str, channel_id: u64, body: &Value) -> Reply {
    if let Err(reply) = exchange.validate(template, body, |errors| {
        message_checks(body, MessageOrigin::Channel, errors)
    }) {
        return reply;
    }
    if is_empty_message(body) {
        return empty_message_reply(exchange);
    }

    let enforced_nonce = match (body.get("nonce"), body.get("enforce_nonce")) {
        (Some(Value::String(nonce)), Some(Value::Bool(true))) => Some(nonce.clone()),
        (Some(Value::Number(nonce)), Some(Value::Bool(true))) => Some(nonce.to_string()),
        _ => None,
    };

    let inner = exchange.inner;
    let mut state = inner.state();
    if let Some(nonce) = &enforced_nonce {
        let key = (channel_id, nonce.clone());
        if let Some(posted) = state.nonces.get(&key) {
            if exchange.now.saturating_duration_since(posted.at) <= NONCE_WINDOW {
                let existing = posted.message.clone();
                state
                    .deduplicated_posts
                    .entry(channel_id)
                    .or_default()
                    .push(body.clone());
                return Reply::ok(existing);
            }
        }
    }

    let mut message = message_from_body(inner, channel_id, body, false);
    if let Some(nonce) = body.get("nonce").filter(|value| !value.is_null()) {
        message["nonce"] = nonce.clone();
    }
    if let Some(nonce) = enforced_nonce {
        state.nonces.insert(
            (channel_id, nonce),
            PostedNonce {
                message: message.clone(),
                at: exchange.now,
            },
        );
    }
    state
        .channel_posts
        .entry(channel_id)
        .or_default()
        .push(body.clone());
    state
        .channel_messages
        .entry(channel_id)
        .or_default()
        .push(message.clone());
    Reply::ok(message)
}

/// Callback types Discord accepts for each interaction type.
fn allowed_callback_types(interaction_type: u8) -> &'static [u8] {
    match interaction_type {
        payloads::interaction_type::APPLICATION_COMMAND => &[4, 5, 9],
        payloads::interaction_type::MESSAGE_COMPONENT => &[4, 5, 6, 7, 9],
        payloads::interaction_type::APPLICATION_COMMAND_AUTOCOMPLETE => &[8],
        _ => &[],
    }
}

fn unknown_interaction() -> Reply {
    Reply::error(404, code::UNKNOWN_INTERACTION, "Unknown interaction")
}

fn interaction_callback(
    exchange: &mut Exchange<'_>,
    template: &str,
    interaction_id: &str,
    token: &str,
    body: &Value,
) -> Reply {
    let inner = exchange.inner;
    let known = interaction_id.parse::<u64>().ok().and_then(|id| {
        let state = inner.state();
        let interaction = state.interactions.get(&id)?;
        (interaction.token == token).then_some(id)
    });
    let Some(id) = known else {
        return exchange.reject(
            "callback for an interaction id and token the fake never sent",
            unknown_interaction(),
        );
    };
    exchange.record.interaction_id = Some(id);

    let interaction_type = {
        let mut state = inner.state();
        let interaction = state.interactions.get_mut(&id).expect("found above");
        if interaction.callback_type.is_some() {
            drop(state);
            return exchange.reject(
                "second initial response to the same interaction",
                Reply::error(
                    400,
                    code::INTERACTION_ALREADY_ACKNOWLEDGED,
                    "Interaction has already been acknowledged.",
                ),
            );
        }
        let elapsed = exchange.now.saturating_duration_since(interaction.sent_at);
        if interaction.expired_unacknowledged || elapsed > RESPONSE_DEADLINE {
            interaction.expired_unacknowledged = true;
            drop(state);
            return exchange.reject(
                format!(
                    "initial response arrived {} ms after INTERACTION_CREATE; Discord allows {} ms",
                    elapsed.as_millis(),
                    RESPONSE_DEADLINE.as_millis()
                ),
                unknown_interaction(),
            );
        }
        interaction.interaction_type
    };

    let callback_type = body.get("type").and_then(Value::as_u64).unwrap_or(0) as u8;
    let data = body.get("data").filter(|data| !data.is_null());
    let validation = exchange.validate(template, body, |errors| {
        if !allowed_callback_types(interaction_type).contains(&callback_type) {
            errors.push(FieldError::new(
                vec!["type".to_owned()],
                "INTERACTION_CALLBACK_TYPE_INVALID",
                format!(
                    "callback type {callback_type} is not valid for interaction type \
                     {interaction_type} (allowed: {:?})",
                    allowed_callback_types(interaction_type)
                ),
            ));
        }
        // Type 4 always creates a message. Type 7 without data leaves the message unchanged.
        let message_data = match callback_type {
            4 => Some(data.unwrap_or(&Value::Null)),
            7 => data,
            _ => None,
        };
        if let Some(message_data) = message_data {
            let mut data_errors = Vec::new();
            message_checks(message_data, MessageOrigin::Interaction, &mut data_errors);
            errors.extend(under_data(data_errors));
        }
        if callback_type == 8 {
            limits::check_autocomplete_choices(data, errors);
        }
    });
    if let Err(reply) = validation {
        return reply;
    }
    if callback_type == 4 && data.is_none_or(is_empty_message) {
        return empty_message_reply(exchange);
    }

    let mut state = inner.state();
    let interaction = state
        .interactions
        .get_mut(&id)
        .expect("interactions are never removed");
    if interaction.callback_type.is_some() {
        // Another callback for the same interaction was accepted while this one was validated.
        drop(state);
        return exchange.reject(
            "second initial response to the same interaction",
            Reply::error(
                400,
                code::INTERACTION_ALREADY_ACKNOWLEDGED,
                "Interaction has already been acknowledged.",
            ),
        );
    }
    interaction.callback_type = Some(callback_type);
    interaction.acknowledged_at = Some(exchange.now);
    let channel_id = interaction.channel_id;
    match callback_type {
        4 => {
            let data = data.expect("checked non-empty above");
            interaction.original = Some(message_from_body(inner, channel_id, data, true));
        }
        5 => {
            let flags = data
                .and_then(|data| data.get("flags"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let mut placeholder = message_from_body(inner, channel_id, &json!({}), true);
            placeholder["flags"] = json!((flags & FLAG_EPHEMERAL) | FLAG_LOADING);
            interaction.original = Some(placeholder);
            interaction.placeholder_pending = true;
        }
        7 => {
            if let (Some(original), Some(data)) = (interaction.original.as_mut(), data) {
                apply_message_fields(original, data);
                original["edited_timestamp"] = json!(payloads::timestamp_now());
            }
        }
        _ => {}
    }
    Reply::no_content()
}

/// Resolves `/webhooks/{webhook_id}/{token}` to an interaction whose token is still usable,
/// or returns Discord's error reply (recording a violation).
fn interaction_for_webhook(
    exchange: &mut Exchange<'_>,
    webhook_id: &str,
    token: &str,
) -> Result<u64, Reply> {
    let inner = exchange.inner;
    let unknown_webhook = || Reply::error(404, code::UNKNOWN_WEBHOOK, "Unknown Webhook");
    let found = {
        let state = inner.state();
        state.interaction_by_token.get(token).copied()
    };
    let Some(id) = found.filter(|_| webhook_id == inner.config.application_id.to_string()) else {
        return Err(exchange.reject(
            "webhook id or interaction token the fake never issued",
            unknown_webhook(),
        ));
    };
    exchange.record.interaction_id = Some(id);

    let state = inner.state();
    let interaction: &InteractionState = state.interactions.get(&id).expect("token maps to id");
    let age = exchange.now.saturating_duration_since(interaction.sent_at);
    let problem = if age > TOKEN_LIFETIME {
        Some((
            format!(
                "interaction token used {} s after it was issued; it expires after 15 min",
                age.as_secs()
            ),
            Reply::error(401, code::INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token"),
        ))
    } else if interaction.expired_unacknowledged {
        Some((
            "interaction token used after the 3 s response deadline passed without a response"
                .to_owned(),
            unknown_webhook(),
        ))
    } else {
        match interaction.callback_type {
            None => Some((
                "followup or @original call before the initial response".to_owned(),
                unknown_webhook(),
            )),
            Some(8) => Some((
                "followup or @original call on an autocomplete interaction".to_owned(),
                unknown_webhook(),
            )),
            Some(_) => None,
        }
    };
    drop(state);
    match problem {
        Some((message, reply)) => Err(exchange.reject(message, reply)),
        None => Ok(id),
    }
}

fn followup(
    exchange: &mut Exchange<'_>,
    template: &str,
    webhook_id: &str,
    token: &str,
    body: &Value,
) -> Reply {
    let id = match interaction_for_webhook(exchange, webhook_id, token) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if let Err(reply) = exchange.validate(template, body, |errors| {
        message_checks(body, MessageOrigin::Interaction, errors)
    }) {
        return reply;
    }
    if is_empty_message(body) {
        return empty_message_reply(exchange);
    }

    let inner = exchange.inner;
    let mut state = inner.state();
    let interaction = state.interactions.get_mut(&id).expect("resolved above");
    if interaction.placeholder_pending {
        // Discord's rule: the first followup after a deferred response (type 5) edits the
        // loading placeholder instead of creating a new message.
        interaction.placeholder_pending = false;
        let original = interaction
            .original
            .as_mut()
            .expect("a defer creates a placeholder");
        apply_message_fields(original, body);
        let flags = original["flags"].as_u64().unwrap_or(0) & !FLAG_LOADING;
        original["flags"] = json!(flags);
        return Reply::ok(original.clone());
    }
    let message = message_from_body(inner, interaction.channel_id, body, true);
    interaction.followups.push(message.clone());
    Reply::ok(message)
}

fn get_original(exchange: &mut Exchange<'_>, webhook_id: &str, token: &str) -> Reply {
    let id = match interaction_for_webhook(exchange, webhook_id, token) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let original = exchange.inner.state().interactions[&id].original.clone();
    match original {
        Some(message) => Reply::ok(message),
        None => exchange.reject(
            "@original requested but the interaction has no original message",
            Reply::error(404, code::UNKNOWN_MESSAGE, "Unknown Message"),
        ),
    }
}

fn edit_original(
    exchange: &mut Exchange<'_>,
    template: &str,
    webhook_id: &str,
    token: &str,
    body: &Value,
) -> Reply {
    let id = match interaction_for_webhook(exchange, webhook_id, token) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if let Err(reply) = exchange.validate(template, body, |errors| {
        message_checks(body, MessageOrigin::Interaction, errors)
    }) {
        return reply;
    }

    let mut state = exchange.inner.state();
    let interaction = state.interactions.get_mut(&id).expect("resolved above");
    let Some(original) = interaction.original.as_mut() else {
        drop(state);
        return exchange.reject(
            "@original edited but the interaction has no original message",
            Reply::error(404, code::UNKNOWN_MESSAGE, "Unknown Message"),
        );
    };
    apply_message_fields(original, body);
    if interaction.placeholder_pending {
        interaction.placeholder_pending = false;
        let flags = original["flags"].as_u64().unwrap_or(0) & !FLAG_LOADING;
        original["flags"] = json!(flags);
    } else {
        original["edited_timestamp"] = json!(payloads::timestamp_now());
    }
    Reply::ok(original.clone())
}
