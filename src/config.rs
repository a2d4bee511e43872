//! Configuration: the TOML file, environment overrides and the secret bot token.
