//! Configuration: the TOML file, the store path override and the secret bot token.
//!
//! Everything is parsed and checked before the bot connects, and every error names the key
//! and the fix. No built-in default points at a remote host: the provider base URLs come from
//! the config file (the template in `config/paperboy.toml` has the real ones).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Environment variable that holds the bot token.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is invalid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}` is invalid: {message}")]
    Invalid { key: &'static str, message: String },
    #[error(
        "no bot token: set the {TOKEN_ENV} environment variable, or name a file that holds \
         the token in `discord.token_file`"
    )]
    MissingToken,
    #[error("cannot read the token file {path} (from `discord.token_file`): {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A secret string (the bot token, an API key). It never prints: `Debug` and `Display` show
/// a placeholder, and the value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Values of every [`Secret`] made in this process, so the log writer can blank them out
/// even when a library prints one inside an error message.
static KNOWN_SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Secrets shorter than this are not blanked out of the log, since short strings would match
/// ordinary text.
const MIN_REDACTED_LEN: usize = 8;

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        if value.len() >= MIN_REDACTED_LEN {
            if let Ok(mut known) = KNOWN_SECRETS.write() {
                if !known.contains(&value) {
                    known.push(value.clone());
                }
            }
        }
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Replaces every known secret in `text` with `<redacted>`.
pub fn redact_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let Ok(known) = KNOWN_SECRETS.read() else {
        return std::borrow::Cow::Borrowed(text);
    };
    let mut out = std::borrow::Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(secret.as_str(), "<redacted>"));
        }
    }
    out
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreConfig,
    pub discord: DiscordConfig,
    pub huggingface: HuggingFaceConfig,
    pub arxiv: ArxivConfig,
    pub digest: DigestConfig,
    pub llm: LlmConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Path of the SQLite file; relative paths are relative to the working directory.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("paperboy.db"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// A file whose content is the bot token, used when `DISCORD_TOKEN` is not set.
    pub token_file: Option<PathBuf>,
    /// Base URL of a Discord REST proxy (scheme, host and port). When set, every REST call and
    /// the gateway URL lookup go through it, and serenity's own rate limiter is off because the
    /// proxy owns rate limiting.
    pub rest_proxy: Option<String>,
    /// Guilds to register the slash commands in (instant); empty registers them globally.
    pub guild_ids: Vec<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuggingFaceConfig {
    /// Base URL of the Hugging Face API host; periodic ingest is off while it is unset.
    pub base_url: Option<String>,
    pub timeout_secs: u64,
    /// Items per page when fetching a day (Hugging Face allows at most 100).
    pub page_size: u32,
    /// Minutes between two ingests while the bot runs.
    pub ingest_interval_minutes: u64,
    /// How many days, today included, each ingest refreshes (so upvotes keep updating).
    pub ingest_days: u32,
}

impl Default for HuggingFaceConfig {
    fn default() -> Self {
        HuggingFaceConfig {
            base_url: None,
            timeout_secs: 20,
            page_size: 100,
            ingest_interval_minutes: 30,
            ingest_days: 3,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArxivConfig {
    /// Base URL of the arXiv API host; lookups of unknown papers and the daily category
    /// ingest are off while it is unset.
    pub base_url: Option<String>,
    pub timeout_secs: u64,
    /// Newest submissions fetched per followed category and day (one request each).
    pub category_max_results: usize,
}

impl Default for ArxivConfig {
    fn default() -> Self {
        ArxivConfig {
            base_url: None,
            timeout_secs: 30,
            category_max_results: 200,
        }
    }
}

/// Summary lengths that an OpenAI-compatible endpoint writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmUse {
    /// Only the detailed summary; the short one stays Hugging Face's or extractive.
    Detailed,
    /// Short and detailed summaries.
    Both,
}

/// An optional OpenAI-compatible chat endpoint (`POST {base_url}/v1/chat/completions`), as
/// served by llama.cpp's `llama-server`, Ollama or a hosted API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// Base URL of the endpoint, without `/v1`; generated summaries are off while it is unset.
    pub base_url: Option<String>,
    /// Model name sent with each request; required when `base_url` is set.
    pub model: Option<String>,
    /// Name of the environment variable that contains the API key. Unset: requests carry no
    /// `Authorization` header, which local servers accept.
    pub api_key_env: Option<String>,
    /// Seconds before a request is abandoned and the extractive summary is shown instead.
    pub timeout_secs: u64,
    /// Maximum tokens the model may generate for one summary.
    pub max_tokens: u32,
    pub use_for: LlmUse,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: None,
            model: None,
            api_key_env: None,
            timeout_secs: 60,
            max_tokens: 400,
            use_for: LlmUse::Detailed,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestConfig {
    /// Seconds between two scans for due digests.
    pub check_interval_secs: u64,
    /// A slot missed while the bot was down is still posted if it is at most this many
    /// minutes late; older slots are skipped.
    pub catch_up_minutes: i64,
    /// Digests sent at the same time, at most.
    pub max_concurrent_sends: usize,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            check_interval_secs: 20,
            catch_up_minutes: 180,
            max_concurrent_sends: 8,
        }
    }
}

impl Config {
    /// Loads the config file, or the built-in defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let config = match path {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&text, &e),
        })
    }

    /// Checks every value that serde's types do not already check.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_guild_ids(&self.discord.guild_ids)?;
        if self.store.path.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                key: "store.path",
                message: "the path is empty; name a file such as paperboy.db".to_string(),
            });
        }
        check_url("huggingface.base_url", self.huggingface.base_url.as_deref())?;
        check_url("arxiv.base_url", self.arxiv.base_url.as_deref())?;
        check_url("discord.rest_proxy", self.discord.rest_proxy.as_deref())?;
        check_range(
            "huggingface.page_size",
            self.huggingface.page_size as u64,
            1,
            100,
        )?;
        check_range(
            "huggingface.timeout_secs",
            self.huggingface.timeout_secs,
            1,
            600,
        )?;
        check_range(
            "huggingface.ingest_interval_minutes",
            self.huggingface.ingest_interval_minutes,
            1,
            1440,
        )?;
        check_range(
            "huggingface.ingest_days",
            self.huggingface.ingest_days as u64,
            1,
            30,
        )?;
        check_range("arxiv.timeout_secs", self.arxiv.timeout_secs, 1, 600)?;
        check_range(
            "arxiv.category_max_results",
            self.arxiv.category_max_results as u64,
            1,
            2000,
        )?;
        self.validate_llm()?;
        check_range(
            "digest.check_interval_secs",
            self.digest.check_interval_secs,
            1,
            3600,
        )?;
        check_range(
            "digest.max_concurrent_sends",
            self.digest.max_concurrent_sends as u64,
            1,
            64,
        )?;
        if self.digest.catch_up_minutes < 0 {
            return Err(ConfigError::Invalid {
                key: "digest.catch_up_minutes",
                message: format!(
                    "{} is out of range; use a value from 0 to 1440",
                    self.digest.catch_up_minutes
                ),
            });
        }
        check_range(
            "digest.catch_up_minutes",
            self.digest.catch_up_minutes as u64,
            0,
            1440,
        )?;
        Ok(())
    }

    fn validate_llm(&self) -> Result<(), ConfigError> {
        let llm = &self.llm;
        check_url("llm.base_url", llm.base_url.as_deref())?;
        check_range("llm.timeout_secs", llm.timeout_secs, 1, 600)?;
        check_range("llm.max_tokens", llm.max_tokens as u64, 16, 8192)?;
        let model_missing = llm.model.as_deref().is_none_or(|m| m.trim().is_empty());
        if llm.base_url.is_some() && model_missing {
            return Err(ConfigError::Invalid {
                key: "llm.model",
                message: "missing; name the model the endpoint serves, such as \"qwen2.5:7b\""
                    .to_string(),
            });
        }
        if let Some(name) = &llm.api_key_env {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(ConfigError::Invalid {
                    key: "llm.api_key_env",
                    message: format!(
                        "`{name}` is not an environment variable name; use letters, digits \
                         and `_`, such as PAPERBOY_LLM_KEY"
                    ),
                });
            }
            if llm.base_url.is_some() {
                self.llm_api_key()?;
            }
        }
        Ok(())
    }

    pub fn hf_timeout(&self) -> Duration {
        Duration::from_secs(self.huggingface.timeout_secs)
    }

    pub fn arxiv_timeout(&self) -> Duration {
        Duration::from_secs(self.arxiv.timeout_secs)
    }

    pub fn llm_timeout(&self) -> Duration {
        Duration::from_secs(self.llm.timeout_secs)
    }

    /// Reads the LLM API key from the environment variable named in `llm.api_key_env`.
    /// Returns `None` when no variable is named.
    pub fn llm_api_key(&self) -> Result<Option<Secret>, ConfigError> {
        let Some(name) = &self.llm.api_key_env else {
            return Ok(None);
        };
        match std::env::var(name) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(Secret::new(key.trim()))),
            _ => Err(ConfigError::Invalid {
                key: "llm.api_key_env",
                message: format!(
                    "the environment variable {name} is unset or empty; set it to the API key, \
                     or remove `llm.api_key_env` for an endpoint that needs no key"
                ),
            }),
        }
    }

    /// Reads the bot token: `DISCORD_TOKEN` first, then `discord.token_file`.
    pub fn token(&self) -> Result<Secret, ConfigError> {
        let from_env = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty());
        let raw = match (from_env, &self.discord.token_file) {
            (Some(token), _) => token,
            (None, Some(path)) => {
                std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFile {
                    path: path.clone(),
                    source,
                })?
            }
            (None, None) => return Err(ConfigError::MissingToken),
        };
        let token = raw.trim();
        if token.is_empty() {
            return Err(ConfigError::MissingToken);
        }
        if token.chars().any(char::is_whitespace) {
            return Err(ConfigError::Invalid {
                key: "discord token",
                message: "the token contains whitespace; paste it exactly as the Discord \
                          developer portal shows it"
                    .to_string(),
            });
        }
        Ok(Secret::new(token.trim_start_matches("Bot ").to_string()))
    }
}

/// Names the line a TOML error points at, since the parser's own message often leaves out
/// the key (as in "invalid type: string, expected u64").
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().to_string();
    let Some(span) = error.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let line_number = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_number - 1).unwrap_or("").trim();
    format!("line {line_number} (`{line}`): {message}")
}

fn check_guild_ids(ids: &[u64]) -> Result<(), ConfigError> {
    if ids.contains(&0) {
        return Err(ConfigError::Invalid {
            key: "discord.guild_ids",
            message: "0 is not a server ID; copy the ID from Discord (Developer Mode, then \
                      right-click the server)"
                .to_string(),
        });
    }
    Ok(())
}

fn check_url(key: &'static str, value: Option<&str>) -> Result<(), ConfigError> {
    let Some(value) = value else {
        return Ok(());
    };
    let url = Url::parse(value).map_err(|e| ConfigError::Invalid {
        key,
        message: format!("`{value}` is not a URL ({e}); write it like http://127.0.0.1:8080"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::Invalid {
            key,
            message: format!("`{value}` must be an http or https URL with a host"),
        });
    }
    Ok(())
}

fn check_range(key: &'static str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            key,
            message: format!("{value} is out of range; use a value from {min} to {max}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_blanked_out_of_text() {
        let _secret = Secret::new("tok-1234567890");
        assert_eq!(
            redact_secrets("401: Bot tok-1234567890 rejected"),
            "401: Bot <redacted> rejected"
        );
        assert_eq!(redact_secrets("nothing here"), "nothing here");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new("abc.def.ghi");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{secret}"), "<redacted>");
    }

    #[test]
    fn unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[huggingface]\nbase_ur = \"http://127.0.0.1:1\"\n").unwrap();
        let error = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("base_ur"), "{error}");
    }

    #[test]
    fn page_size_out_of_range_is_rejected() {
        let mut config = Config::default();
        config.huggingface.page_size = 500;
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("huggingface.page_size"), "{error}");
    }

    #[test]
    fn llm_without_model_is_rejected() {
        let mut config = Config::default();
        config.llm.base_url = Some("http://127.0.0.1:8080".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("llm.model"), "{error}");
        config.llm.model = Some("qwen2.5:7b".into());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn llm_section_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[llm]\nbase_url = \"http://127.0.0.1:11434\"\nmodel = \"m\"\n\
             api_key_env = \"PAPERBOY_TEST_UNSET_KEY\"\nuse_for = \"both\"\n",
        )
        .unwrap();
        let error = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("PAPERBOY_TEST_UNSET_KEY"), "{error}");

        std::fs::write(
            &path,
            "[llm]\nbase_url = \"http://127.0.0.1:11434\"\nmodel = \"m\"\nuse_for = \"both\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.llm.use_for, LlmUse::Both);
        assert_eq!(config.llm_api_key().unwrap(), None);
    }

    #[test]
    fn llm_key_env_name_is_checked() {
        let mut config = Config::default();
        config.llm.api_key_env = Some("sk-123 abc".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("llm.api_key_env"), "{error}");
    }

    #[test]
    fn bad_url_is_rejected() {
        let mut config = Config::default();
        config.arxiv.base_url = Some("export arxiv".into());
        assert!(config.validate().is_err());
    }
}
