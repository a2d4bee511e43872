//! Builders for the JSON objects the fake sends: interactions, READY, users and messages.
//!
//! Every builder's output is checked against serenity 0.12.5's model types by
//! `tests/fake_discord_selftest.rs`, because serenity silently drops a gateway event whose
//! payload fails to deserialize.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// Default bot token of a fake started with `FakeDiscord::start()`.
pub const TOKEN: &str = "fake-bot-token";
/// Application id, which is also the bot user's id as for any bot created in Discord's portal.
pub const APPLICATION_ID: u64 = 1_000_000_000_000_000_001;
pub const BOT_USERNAME: &str = "paperboy";
pub const GUILD_ID: u64 = 2_000_000_000_000_000_001;
pub const CHANNEL_ID: u64 = 3_000_000_000_000_000_001;
pub const USER_ID: u64 = 4_000_000_000_000_000_001;

/// Permission bits as Discord defines them (permissions topic of the developer docs).
pub mod permission {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;

    /// What an ordinary member can do in a text channel.
    pub const MEMBER: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ADD_REACTIONS
        | READ_MESSAGE_HISTORY
        | USE_APPLICATION_COMMANDS;
    /// What the bot is granted in the test channel (`app_permissions`).
    pub const BOT: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | ADD_REACTIONS
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS;
}

/// Interaction types of Discord's interaction object.
pub mod interaction_type {
    pub const APPLICATION_COMMAND: u8 = 2;
    pub const MESSAGE_COMPONENT: u8 = 3;
    pub const APPLICATION_COMMAND_AUTOCOMPLETE: u8 = 4;
}

/// Application command option types.
pub mod option_type {
    pub const SUB_COMMAND: u8 = 1;
    pub const SUB_COMMAND_GROUP: u8 = 2;
    pub const STRING: u8 = 3;
    pub const INTEGER: u8 = 4;
    pub const BOOLEAN: u8 = 5;
    pub const CHANNEL: u8 = 7;
}

/// Milliseconds from the Unix epoch to Discord's epoch (2015-01-01T00:00:00Z).
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Creates a snowflake for the current time that is unique within this process.
pub fn next_snowflake() -> u64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system clock is after 1970")
        .as_millis() as u64;
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
    ((unix_ms - DISCORD_EPOCH_MS) << 22) | sequence
}

/// Formats the current time as Discord's ISO 8601 timestamps.
pub fn timestamp_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn user_object(id: u64, username: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": username,
        "discriminator": "0",
        "global_name": if bot { Value::Null } else { json!(username) },
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// Builds a message object as Discord returns it, with every field serenity's `Message`
/// requires.
pub fn message_object(id: u64, channel_id: u64, author: Value, content: &str) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": content,
        "timestamp": timestamp_now(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
    })
}

/// Builds the READY dispatch data (`d`) for a bot whose application id is also its user id.
pub fn ready_data(
    application_id: u64,
    bot_username: &str,
    guild_ids: &[u64],
    session_id: &str,
    resume_gateway_url: &str,
    shard: Value,
) -> Value {
    let guilds: Vec<Value> = guild_ids
        .iter()
        .map(|id| json!({"id": id.to_string(), "unavailable": true}))
        .collect();
    json!({
        "v": 10,
        "user": {
            "id": application_id.to_string(),
            "username": bot_username,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "verified": true,
            "mfa_enabled": false,
            "flags": 0,
        },
        "guilds": guilds,
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "shard": shard,
        "application": {"id": application_id.to_string(), "flags": 0},
    })
}

/// One interaction ready to be sent with `FakeDiscord::send_interaction`.
#[derive(Clone, Debug)]
pub struct BuiltInteraction {
    pub id: u64,
    pub token: String,
    pub payload: Value,
}

#[derive(Clone, Debug)]
enum Kind {
    Command,
    Autocomplete,
    Component { custom_id: String, message: Value },
}

/// Builder for INTERACTION_CREATE payloads that serenity 0.12.5 and poise 0.7.1 accept.
///
/// Defaults: guild [`GUILD_ID`], channel [`CHANNEL_ID`], user [`USER_ID`] as a member without
/// Manage Server, locale `en-US`.
#[derive(Clone, Debug)]
pub struct InteractionBuilder {
    kind: Kind,
    command_name: String,
    command_id: u64,
    group: Option<String>,
    subcommand: Option<String>,
    options: Vec<Value>,
    resolved_channels: Map<String, Value>,
    application_id: u64,
    guild_id: Option<u64>,
    channel_id: u64,
    user_id: u64,
    username: String,
    member_permissions: u64,
    app_permissions: u64,
    locale: String,
}

impl InteractionBuilder {
    fn new(kind: Kind, command_name: &str) -> Self {
        Self {
            kind,
            command_name: command_name.to_owned(),
            command_id: next_snowflake(),
            group: None,
            subcommand: None,
            options: Vec::new(),
            resolved_channels: Map::new(),
            application_id: APPLICATION_ID,
            guild_id: Some(GUILD_ID),
            channel_id: CHANNEL_ID,
            user_id: USER_ID,
            username: "tester".to_owned(),
            member_permissions: permission::MEMBER,
            app_permissions: permission::BOT,
            locale: "en-US".to_owned(),
        }
    }

    /// Starts a slash command (interaction type 2, command type CHAT_INPUT).
    pub fn slash(command_name: &str) -> Self {
        Self::new(Kind::Command, command_name)
    }

    /// Starts an autocomplete request (interaction type 4) for `option` of `command_name`,
    /// with `partial` as the text typed so far. Add `.subcommand(..)` to nest the focused
    /// option.
    pub fn autocomplete(command_name: &str, option: &str, partial: &str) -> Self {
        Self::new(Kind::Autocomplete, command_name).focused(option, partial)
    }

    /// Starts a button press (interaction type 3, component type 2) on `message`, which must be
    /// a full message object such as one returned by the fake.
    pub fn button(custom_id: &str, message: Value) -> Self {
        let kind = Kind::Component {
            custom_id: custom_id.to_owned(),
            message,
        };
        Self::new(kind, "")
    }

    pub fn subcommand_group(mut self, name: &str) -> Self {
        self.group = Some(name.to_owned());
        self
    }

    pub fn subcommand(mut self, name: &str) -> Self {
        self.subcommand = Some(name.to_owned());
        self
    }

    /// Adds an option, taking its type from the JSON value: string (3), integer (4) or
    /// boolean (5). Use [`Self::channel_option`] for channels, whose value is also a string.
    pub fn option(self, name: &str, value: Value) -> Self {
        let kind = match &value {
            Value::String(_) => option_type::STRING,
            Value::Bool(_) => option_type::BOOLEAN,
            Value::Number(number) if number.is_i64() || number.is_u64() => option_type::INTEGER,
            other => panic!("option {name:?}: unsupported value {other}; use option_typed"),
        };
        self.option_typed(name, kind, value)
    }

    /// Adds an option of an explicit Discord option type.
    pub fn option_typed(mut self, name: &str, option_type: u8, value: Value) -> Self {
        self.options
            .push(json!({"name": name, "type": option_type, "value": value}));
        self
    }

    /// Adds a channel option (type 7) and the matching `resolved.channels` entry that Discord
    /// sends with it.
    pub fn channel_option(mut self, name: &str, channel_id: u64) -> Self {
        let id = channel_id.to_string();
        self.resolved_channels.insert(
            id.clone(),
            json!({
                "id": id,
                "name": format!("channel-{channel_id}"),
                "type": 0,
                "permissions": permission::BOT.to_string(),
            }),
        );
        self.option_typed(name, option_type::CHANNEL, json!(id))
    }

    /// Adds the focused option of an autocomplete request and switches to interaction type 4.
    pub fn focused(mut self, name: &str, partial: &str) -> Self {
        self.kind = Kind::Autocomplete;
        self.options.push(json!({
            "name": name,
            "type": option_type::STRING,
            "value": partial,
            "focused": true,
        }));
        self
    }

    pub fn guild(mut self, guild_id: u64) -> Self {
        self.guild_id = Some(guild_id);
        self
    }

    /// Sends the interaction from a direct message with the bot instead of a guild.
    pub fn direct_message(mut self) -> Self {
        self.guild_id = None;
        self
    }

    pub fn channel(mut self, channel_id: u64) -> Self {
        self.channel_id = channel_id;
        self
    }

    pub fn user(mut self, user_id: u64, username: &str) -> Self {
        self.user_id = user_id;
        self.username = username.to_owned();
        self
    }

    /// Grants (`true`) or withholds (`false`) Manage Server on top of ordinary member rights.
    pub fn admin(mut self, is_admin: bool) -> Self {
        self.member_permissions = if is_admin {
            permission::MEMBER | permission::MANAGE_GUILD
        } else {
            permission::MEMBER
        };
        self
    }

    /// Sets the member's computed channel permissions (`member.permissions`) exactly.
    pub fn permissions(mut self, bits: u64) -> Self {
        self.member_permissions = bits;
        self
    }

    /// Sets the bot's permissions in the channel (`app_permissions`).
    pub fn app_permissions(mut self, bits: u64) -> Self {
        self.app_permissions = bits;
        self
    }

    pub fn locale(mut self, locale: &str) -> Self {
        self.locale = locale.to_owned();
        self
    }

    pub fn application_id(mut self, application_id: u64) -> Self {
        self.application_id = application_id;
        self
    }

    /// Builds the payload with a fresh interaction id and token.
    pub fn build(self) -> BuiltInteraction {
        let id = next_snowflake();
        let token = format!("fake-interaction-token-{id}");
        let user = user_object(self.user_id, &self.username, false);

        let (interaction_type, data, message) = match &self.kind {
            Kind::Command | Kind::Autocomplete => {
                let interaction_type = if matches!(self.kind, Kind::Command) {
                    interaction_type::APPLICATION_COMMAND
                } else {
                    interaction_type::APPLICATION_COMMAND_AUTOCOMPLETE
                };
                (interaction_type, self.command_data(), None)
            }
            Kind::Component { custom_id, message } => (
                interaction_type::MESSAGE_COMPONENT,
                json!({"custom_id": custom_id, "component_type": 2}),
                Some(message.clone()),
            ),
        };

        let channel_type = if self.guild_id.is_some() { 0 } else { 1 };
        let mut channel = json!({
            "id": self.channel_id.to_string(),
            "type": channel_type,
            "flags": 0,
            "permissions": self.app_permissions.to_string(),
        });
        let mut payload = json!({
            "id": id.to_string(),
            "application_id": self.application_id.to_string(),
            "type": interaction_type,
            "data": data,
            "channel_id": self.channel_id.to_string(),
            "token": token,
            "version": 1,
            "app_permissions": self.app_permissions.to_string(),
            "locale": self.locale,
            "entitlements": [],
            // 10 MiB, Discord's default for guilds without boosts.
            "attachment_size_limit": 10_485_760,
        });
        let fields = payload.as_object_mut().expect("payload is an object");

        match self.guild_id {
            Some(guild_id) => {
                channel["guild_id"] = json!(guild_id.to_string());
                channel["name"] = json!(format!("channel-{}", self.channel_id));
                fields.insert("guild_id".into(), json!(guild_id.to_string()));
                fields.insert(
                    "guild".into(),
                    json!({"id": guild_id.to_string(), "locale": "en-US", "features": []}),
                );
                fields.insert("guild_locale".into(), json!("en-US"));
                fields.insert(
                    "member".into(),
                    json!({
                        "user": user,
                        "roles": [],
                        "nick": null,
                        "avatar": null,
                        "joined_at": "2024-01-01T00:00:00.000000+00:00",
                        "premium_since": null,
                        "communication_disabled_until": null,
                        "deaf": false,
                        "mute": false,
                        "pending": false,
                        "flags": 0,
                        "permissions": self.member_permissions.to_string(),
                    }),
                );
                fields.insert(
                    "authorizing_integration_owners".into(),
                    json!({"0": guild_id.to_string()}),
                );
                fields.insert("context".into(), json!(0));
            }
            None => {
                fields.insert("user".into(), user);
                fields.insert(
                    "authorizing_integration_owners".into(),
                    json!({"0": self.user_id.to_string()}),
                );
                fields.insert("context".into(), json!(1));
            }
        }
        fields.insert("channel".into(), channel);
        if let Some(message) = message {
            fields.insert("message".into(), message);
        }

        BuiltInteraction { id, token, payload }
    }

    fn command_data(&self) -> Value {
        let mut options = self.options.clone();
        if let Some(subcommand) = &self.subcommand {
            options = vec![json!({
                "name": subcommand,
                "type": option_type::SUB_COMMAND,
                "options": options,
            })];
        }
        if let Some(group) = &self.group {
            options = vec![json!({
                "name": group,
                "type": option_type::SUB_COMMAND_GROUP,
                "options": options,
            })];
        }
        let mut data = json!({
            "id": self.command_id.to_string(),
            "name": self.command_name,
            "type": 1,
            "options": options,
        });
        if let Some(guild_id) = self.guild_id {
            data["guild_id"] = json!(guild_id.to_string());
        }
        if !self.resolved_channels.is_empty() {
            data["resolved"] = json!({"channels": self.resolved_channels});
        }
        data
    }
}
