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

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
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
    /// Base URL of the arXiv API host; lookups of unknown papers are off while it is unset.
    pub base_url: Option<String>,
    pub timeout_secs: u64,
}

impl Default for ArxivConfig {
    fn default() -> Self {
        ArxivConfig {
            base_url: None,
            timeout_secs: 30,
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
            message: e.message().to_string(),
        })
    }

    /// Checks every value that serde's types do not already check.
    pub fn validate(&self) -> Result<(), ConfigError> {
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
        check_range(
            "digest.catch_up_minutes",
            self.digest.catch_up_minutes.max(0) as u64,
            0,
            1440,
        )?;
        Ok(())
    }

    pub fn hf_timeout(&self) -> Duration {
        Duration::from_secs(self.huggingface.timeout_secs)
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
    fn bad_url_is_rejected() {
        let mut config = Config::default();
        config.arxiv.base_url = Some("export arxiv".into());
        assert!(config.validate().is_err());
    }
}
