//! Validation of request bodies against Discord's official OpenAPI 3.1 description.
//!
//! The description is `tests/fixtures/discord-openapi.json` (Discord's "Discord HTTP API
//! (Preview)", API version 10, MIT licence in `discord-openapi.LICENSE`). It is about 1.2 MB,
//! so it is parsed once per test process, and a validator is compiled only when a route is first
//! used and then cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{json, Value};

const SPEC_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/discord-openapi.json"
);

/// Base URI under which the whole description is registered, so that `$ref`s of the form
/// `urn:discord-openapi#/components/schemas/X` resolve inside it.
const SPEC_URI: &str = "urn:discord-openapi";

/// One problem found in a request body, in the shape Discord uses for 50035 "Invalid Form Body".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path from the body root to the offending value, e.g. `["embeds", "0", "title"]`.
    pub path: Vec<String>,
    /// Discord-style error code, e.g. `BASE_TYPE_MAX_LENGTH`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: Vec<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            path,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Formats the error as `embeds.0.title: message (CODE)` for violation lists.
    pub fn describe(&self) -> String {
        let location = if self.path.is_empty() {
            "<body>".to_owned()
        } else {
            self.path.join(".")
        };
        format!("{location}: {} ({})", self.message, self.code)
    }
}

/// Builds Discord's nested `errors` object (`{"embeds":{"0":{"title":{"_errors":[..]}}}}`),
/// which serenity flattens into `DiscordJsonError::errors`.
pub fn discord_error_tree(errors: &[FieldError]) -> Value {
    let mut root = json!({});
    for error in errors {
        let mut node = &mut root;
        for segment in &error.path {
            node = node
                .as_object_mut()
                .expect("error tree nodes are objects")
                .entry(segment.clone())
                .or_insert_with(|| json!({}));
        }
        let list = node
            .as_object_mut()
            .expect("error tree nodes are objects")
            .entry("_errors")
            .or_insert_with(|| json!([]));
        list.as_array_mut()
            .expect("_errors is an array")
            .push(json!({"code": error.code, "message": error.message}));
    }
    root
}

/// The parsed description plus a cache of compiled validators keyed by method and route
/// template.
pub struct OpenApiSpec {
    document: Value,
    registry: Registry,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// Returns the process-wide description, loading it on first use.
pub fn spec() -> &'static OpenApiSpec {
    static SPEC: OnceLock<OpenApiSpec> = OnceLock::new();
    SPEC.get_or_init(OpenApiSpec::load)
}

impl OpenApiSpec {
    fn load() -> Self {
        let text = std::fs::read_to_string(SPEC_FILE)
            .unwrap_or_else(|error| panic!("failed to read {SPEC_FILE}: {error}"));
        let mut document: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{SPEC_FILE} is not valid JSON: {error}"));
        apply_relaxations(&mut document);

        // OpenAPI 3.1 schemas use the JSON Schema 2020-12 dialect.
        let resource = Draft::Draft202012.create_resource(document.clone());
        let registry = Registry::try_new(SPEC_URI, resource)
            .unwrap_or_else(|error| panic!("failed to index {SPEC_FILE}: {error}"));
        Self {
            document,
            registry,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the JSON request-body schema of `method` on `template` (for example `post` on
    /// `/channels/{channel_id}/messages`), if the description defines one.
    pub fn request_schema(&self, method: &str, template: &str) -> Option<&Value> {
        self.document
            .get("paths")?
            .get(template)?
            .get(method.to_ascii_lowercase())?
            .get("requestBody")?
            .get("content")?
            .get("application/json")?
            .get("schema")
    }

    /// Validates `body` against the request schema of `method` on `template`.
    ///
    /// A route without a JSON request schema in the description yields one error, because the
    /// fake must not silently accept bodies it cannot check.
    pub fn validate(&self, method: &str, template: &str, body: &Value) -> Vec<FieldError> {
        let validator = match self.validator(method, template) {
            Some(validator) => validator,
            None => {
                return vec![FieldError::new(
                    vec![],
                    "NO_SCHEMA",
                    format!("the OpenAPI description has no JSON body for {method} {template}"),
                )]
            }
        };
        let mut errors = Vec::new();
        for error in validator.iter_errors(body) {
            flatten_error(&error, &mut errors);
        }
        errors
    }

    fn validator(&self, method: &str, template: &str) -> Option<Arc<Validator>> {
        let key = format!("{} {template}", method.to_ascii_uppercase());
        if let Some(found) = self.validators.lock().unwrap().get(&key) {
            return Some(found.clone());
        }

        // Compiled outside the lock: the first compile of a route takes a noticeable moment and
        // other routes should not wait for it. Two threads may compile the same route once each.
        let mut schema = self.request_schema(method, template)?.clone();
        qualify_refs(&mut schema);
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(self.registry.clone())
            .build(&schema)
            .unwrap_or_else(|error| panic!("failed to compile the schema of {key}: {error}"));
        let validator = Arc::new(validator);
        self.validators
            .lock()
            .unwrap()
            .insert(key, validator.clone());
        Some(validator)
    }
}

/// Rewrites document-local `$ref`s (`#/components/...`) to point into the registered document,
/// because the route schema is compiled as a separate root.
fn qualify_refs(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "$ref" {
                    if let Value::String(reference) = value {
                        if reference.starts_with('#') {
                            *reference = format!("{SPEC_URI}{reference}");
                        }
                    }
                } else {
                    qualify_refs(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(qualify_refs),
        _ => {}
    }
}

/// Deliberate departures from the description, each one for a value that serenity 0.12.5 or
/// poise 0.7.1 always sends and that Discord documents as valid.
fn apply_relaxations(document: &mut Value) {
    // `default_member_permissions` is typed `integer` in the description, but Discord's
    // application-command reference documents it as "?string" (a permission bit set), and
    // serenity serializes `Permissions` as a decimal string such as "32". Accept both forms.
    for name in [
        "ApplicationCommandCreateRequest",
        "ApplicationCommandUpdateRequest",
        "ApplicationCommandPatchRequestPartial",
    ] {
        let pointer = format!("/components/schemas/{name}/properties/default_member_permissions");
        if let Some(property) = document.pointer_mut(&pointer) {
            *property = json!({
                "oneOf": [
                    {"type": ["integer", "null"], "minimum": 0, "maximum": 18014398509481983u64},
                    {"type": "string", "pattern": "^(0|[1-9][0-9]{0,16})$"}
                ]
            });
        }
    }
}

/// Converts one jsonschema error into field errors. For failed `anyOf`/`oneOf` keywords it
/// reports the errors of the alternative that came closest (fewest errors), because "not valid
/// under any of the schemas" alone does not tell which field is wrong.
fn flatten_error(error: &ValidationError<'_>, out: &mut Vec<FieldError>) {
    let alternatives = match &error.kind {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            Some(context)
        }
        _ => None,
    };
    if let Some(alternatives) = alternatives {
        if let Some(closest) = alternatives
            .iter()
            .filter(|branch| !branch.is_empty())
            .min_by_key(|branch| branch.len())
        {
            for inner in closest {
                flatten_error(inner, out);
            }
            return;
        }
    }

    let path = error
        .instance_path
        .as_str()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    out.push(FieldError::new(
        path,
        error_code(&error.kind),
        error.to_string(),
    ));
}

/// Maps a jsonschema error kind to the closest Discord 50035 field error code.
fn error_code(kind: &ValidationErrorKind) -> &'static str {
    match kind {
        ValidationErrorKind::MaxLength { .. } => "BASE_TYPE_MAX_LENGTH",
        ValidationErrorKind::MinLength { .. } => "BASE_TYPE_MIN_LENGTH",
        ValidationErrorKind::MaxItems { .. } | ValidationErrorKind::MinItems { .. } => {
            "BASE_TYPE_BAD_LENGTH"
        }
        ValidationErrorKind::Required { .. } => "BASE_TYPE_REQUIRED",
        ValidationErrorKind::Type { .. } => "BASE_TYPE_BAD_TYPE",
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => {
            "BASE_TYPE_CHOICES"
        }
        ValidationErrorKind::Maximum { .. } | ValidationErrorKind::ExclusiveMaximum { .. } => {
            "NUMBER_TYPE_MAX"
        }
        ValidationErrorKind::Minimum { .. } | ValidationErrorKind::ExclusiveMinimum { .. } => {
            "NUMBER_TYPE_MIN"
        }
        _ => "SCHEMA_INVALID",
    }
}
