//! Discord's message rules that the OpenAPI description does not capture, and the harness's
//! own rule that no message may ping anyone.
//!
//! Limits come from Discord's developer documentation (message resource, "Embed Limits";
//! application commands, autocomplete). Lengths are counted in Unicode scalar values (`chars`).
//! Embed texts are trimmed of leading and trailing whitespace before counting, as the "Embed
//! Limits" section states.

use serde_json::Value;

use super::openapi::FieldError;

pub const MAX_CONTENT_CHARS: usize = 2000;
pub const MAX_EMBEDS: usize = 10;
pub const MAX_EMBED_TITLE_CHARS: usize = 256;
pub const MAX_EMBED_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_EMBED_FIELDS: usize = 25;
pub const MAX_EMBED_FIELD_NAME_CHARS: usize = 256;
pub const MAX_EMBED_FIELD_VALUE_CHARS: usize = 1024;
pub const MAX_EMBED_FOOTER_CHARS: usize = 2048;
pub const MAX_EMBED_AUTHOR_CHARS: usize = 256;
/// Sum of title, description, field names and values, footer text and author name over all
/// embeds of one message.
pub const MAX_EMBED_TOTAL_CHARS: usize = 6000;
pub const MAX_AUTOCOMPLETE_CHOICES: usize = 25;
pub const MAX_CHOICE_NAME_CHARS: usize = 100;
pub const MAX_CHOICE_STRING_VALUE_CHARS: usize = 100;

/// Which kind of endpoint created the message. It only changes the wording of the
/// allowed-mentions error, since Discord's default differs: regular channel messages parse
/// users, roles and @everyone, interaction replies and webhooks parse users only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageOrigin {
    Channel,
    Interaction,
}

fn path(segments: &[&str]) -> Vec<String> {
    segments
        .iter()
        .map(|segment| (*segment).to_owned())
        .collect()
}

fn char_count(value: Option<&Value>) -> usize {
    value
        .and_then(Value::as_str)
        .map_or(0, |text| text.chars().count())
}

fn trimmed_char_count(value: Option<&Value>) -> usize {
    value
        .and_then(Value::as_str)
        .map_or(0, |text| text.trim().chars().count())
}

fn check_max_chars(
    value: Option<&Value>,
    limit: usize,
    location: Vec<String>,
    errors: &mut Vec<FieldError>,
) {
    report_if_over(char_count(value), limit, location, errors);
}

/// Checks an embed text, which Discord trims before applying its limits.
fn check_max_embed_chars(
    value: Option<&Value>,
    limit: usize,
    location: Vec<String>,
    errors: &mut Vec<FieldError>,
) {
    report_if_over(trimmed_char_count(value), limit, location, errors);
}

fn report_if_over(count: usize, limit: usize, location: Vec<String>, errors: &mut Vec<FieldError>) {
    if count > limit {
        errors.push(FieldError::new(
            location,
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be {limit} or fewer in length (got {count} characters)."),
        ));
    }
}

/// Returns a copy of a message body (or of an interaction callback, whose message is under
/// `data`) with the leading and trailing whitespace of every embed text removed, as Discord
/// does before applying its embed limits.
pub fn trim_embed_texts(body: &Value) -> Value {
    let mut trimmed = body.clone();
    let message = if trimmed.get("data").is_some_and(Value::is_object) {
        trimmed.get_mut("data").expect("checked above")
    } else {
        &mut trimmed
    };
    if let Some(embeds) = message.get_mut("embeds").and_then(Value::as_array_mut) {
        embeds.iter_mut().for_each(trim_embed);
    }
    trimmed
}

fn trim_embed(embed: &mut Value) {
    let mut pointers = vec![
        "/title".to_owned(),
        "/description".to_owned(),
        "/footer/text".to_owned(),
        "/author/name".to_owned(),
    ];
    let field_count = embed
        .get("fields")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for index in 0..field_count {
        pointers.push(format!("/fields/{index}/name"));
        pointers.push(format!("/fields/{index}/value"));
    }
    for pointer in pointers {
        if let Some(value) = embed.pointer_mut(&pointer) {
            if let Some(text) = value.as_str() {
                *value = Value::String(text.trim().to_owned());
            }
        }
    }
}

/// Checks content and embed limits of a message body (channel message, interaction reply data,
/// followup or edit).
pub fn check_message_limits(body: &Value, errors: &mut Vec<FieldError>) {
    check_max_chars(
        body.get("content"),
        MAX_CONTENT_CHARS,
        path(&["content"]),
        errors,
    );

    let embeds = match body.get("embeds").and_then(Value::as_array) {
        Some(embeds) => embeds,
        None => return,
    };
    if embeds.len() > MAX_EMBEDS {
        errors.push(FieldError::new(
            path(&["embeds"]),
            "BASE_TYPE_BAD_LENGTH",
            format!(
                "Must be {MAX_EMBEDS} or fewer in length (got {} embeds).",
                embeds.len()
            ),
        ));
    }

    let mut total = 0;
    for (index, embed) in embeds.iter().enumerate() {
        total += check_embed(embed, &index.to_string(), errors);
    }
    if total > MAX_EMBED_TOTAL_CHARS {
        errors.push(FieldError::new(
            path(&["embeds"]),
            "MAX_EMBED_SIZE_EXCEEDED",
            format!(
                "Embed size exceeds maximum size of {MAX_EMBED_TOTAL_CHARS} \
                 (got {total} characters across all embeds)."
            ),
        ));
    }
}

/// Checks one embed's field limits and returns its contribution to the 6000-character total.
fn check_embed(embed: &Value, index: &str, errors: &mut Vec<FieldError>) -> usize {
    let at = |field: &[&str]| {
        let mut location = path(&["embeds", index]);
        location.extend(field.iter().map(|segment| (*segment).to_owned()));
        location
    };

    let title = embed.get("title");
    let description = embed.get("description");
    let footer_text = embed.get("footer").and_then(|footer| footer.get("text"));
    let author_name = embed.get("author").and_then(|author| author.get("name"));
    check_max_embed_chars(title, MAX_EMBED_TITLE_CHARS, at(&["title"]), errors);
    check_max_embed_chars(
        description,
        MAX_EMBED_DESCRIPTION_CHARS,
        at(&["description"]),
        errors,
    );
    check_max_embed_chars(
        footer_text,
        MAX_EMBED_FOOTER_CHARS,
        at(&["footer", "text"]),
        errors,
    );
    check_max_embed_chars(
        author_name,
        MAX_EMBED_AUTHOR_CHARS,
        at(&["author", "name"]),
        errors,
    );

    let mut total = trimmed_char_count(title)
        + trimmed_char_count(description)
        + trimmed_char_count(footer_text)
        + trimmed_char_count(author_name);

    let fields = embed
        .get("fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if fields.len() > MAX_EMBED_FIELDS {
        errors.push(FieldError::new(
            at(&["fields"]),
            "BASE_TYPE_BAD_LENGTH",
            format!(
                "Must be {MAX_EMBED_FIELDS} or fewer in length (got {} fields).",
                fields.len()
            ),
        ));
    }
    for (field_index, field) in fields.iter().enumerate() {
        let field_index = field_index.to_string();
        check_max_embed_chars(
            field.get("name"),
            MAX_EMBED_FIELD_NAME_CHARS,
            at(&["fields", &field_index, "name"]),
            errors,
        );
        check_max_embed_chars(
            field.get("value"),
            MAX_EMBED_FIELD_VALUE_CHARS,
            at(&["fields", &field_index, "value"]),
            errors,
        );
        total += trimmed_char_count(field.get("name")) + trimmed_char_count(field.get("value"));
    }
    total
}

/// Checks that a message body disables every ping: `allowed_mentions` must be present, its
/// `parse` must be an empty list, and its `users` and `roles` lists must be absent or empty.
pub fn check_mentions_disabled(body: &Value, origin: MessageOrigin, errors: &mut Vec<FieldError>) {
    let default_parse = match origin {
        MessageOrigin::Channel => "users, roles and @everyone",
        MessageOrigin::Interaction => "users",
    };
    let allowed = match body.get("allowed_mentions") {
        Some(allowed) if allowed.is_object() => allowed,
        _ => {
            errors.push(FieldError::new(
                path(&["allowed_mentions"]),
                "MENTIONS_NOT_DISABLED",
                format!(
                    "allowed_mentions is missing, so Discord's default parses {default_parse}; \
                     send {{\"parse\":[]}}."
                ),
            ));
            return;
        }
    };

    match allowed.get("parse").and_then(Value::as_array) {
        Some(parse) if parse.is_empty() => {}
        Some(parse) => errors.push(FieldError::new(
            path(&["allowed_mentions", "parse"]),
            "MENTIONS_NOT_DISABLED",
            format!(
                "parse must be an empty list, got {}.",
                Value::Array(parse.clone())
            ),
        )),
        None => errors.push(FieldError::new(
            path(&["allowed_mentions", "parse"]),
            "MENTIONS_NOT_DISABLED",
            "parse is missing; send an empty list.",
        )),
    }
    for list in ["users", "roles"] {
        let listed = allowed
            .get(list)
            .and_then(Value::as_array)
            .is_some_and(|ids| !ids.is_empty());
        if listed {
            errors.push(FieldError::new(
                path(&["allowed_mentions", list]),
                "MENTIONS_NOT_DISABLED",
                format!("{list} must be empty, got {}.", allowed[list]),
            ));
        }
    }
}

/// Checks an autocomplete result (callback type 8): at most 25 choices, names of 1 to 100
/// characters and string values of at most 100 characters.
pub fn check_autocomplete_choices(data: Option<&Value>, errors: &mut Vec<FieldError>) {
    let choices = data
        .and_then(|data| data.get("choices"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if choices.len() > MAX_AUTOCOMPLETE_CHOICES {
        errors.push(FieldError::new(
            path(&["data", "choices"]),
            "BASE_TYPE_BAD_LENGTH",
            format!(
                "Must be {MAX_AUTOCOMPLETE_CHOICES} or fewer in length (got {} choices).",
                choices.len()
            ),
        ));
    }
    for (index, choice) in choices.iter().enumerate() {
        let index = index.to_string();
        let name_chars = char_count(choice.get("name"));
        if !(1..=MAX_CHOICE_NAME_CHARS).contains(&name_chars) {
            errors.push(FieldError::new(
                path(&["data", "choices", &index, "name"]),
                "BASE_TYPE_BAD_LENGTH",
                format!(
                    "Must be between 1 and {MAX_CHOICE_NAME_CHARS} in length \
                     (got {name_chars} characters)."
                ),
            ));
        }
        check_max_chars(
            choice.get("value"),
            MAX_CHOICE_STRING_VALUE_CHARS,
            path(&["data", "choices", &index, "value"]),
            errors,
        );
    }
}

/// Checks the command names of a registration body: Discord rejects chat-input command and
/// option names that contain upper-case letters or spaces, which the description's length-only
/// schema does not catch.
pub fn check_command_names(commands: &Value, errors: &mut Vec<FieldError>) {
    fn check_option_names(options: &Value, location: &[String], errors: &mut Vec<FieldError>) {
        for (index, option) in options.as_array().into_iter().flatten().enumerate() {
            let mut option_location = location.to_vec();
            option_location.extend(["options".to_owned(), index.to_string()]);
            check_name(option.get("name"), &option_location, errors);
            if let Some(nested) = option.get("options") {
                check_option_names(nested, &option_location, errors);
            }
        }
    }
    fn check_name(name: Option<&Value>, location: &[String], errors: &mut Vec<FieldError>) {
        let Some(name) = name.and_then(Value::as_str) else {
            return;
        };
        if name.chars().any(|c| c.is_uppercase() || c.is_whitespace()) {
            let mut name_location = location.to_vec();
            name_location.push("name".to_owned());
            errors.push(FieldError::new(
                name_location,
                "APPLICATION_COMMAND_INVALID_NAME",
                format!("Command name {name:?} must be lower case with no spaces."),
            ));
        }
    }

    for (index, command) in commands.as_array().into_iter().flatten().enumerate() {
        // Only chat-input commands (type 1, the default) have the lower-case rule.
        let kind = command.get("type").and_then(Value::as_u64).unwrap_or(1);
        if kind != 1 {
            continue;
        }
        let location = vec![index.to_string()];
        check_name(command.get("name"), &location, errors);
        if let Some(options) = command.get("options") {
            check_option_names(options, &location, errors);
        }
    }
}
