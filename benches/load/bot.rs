//! The release `paperboy run` as a child process, with its process id for `/proc` readings and
//! its log lines kept for parsing.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running bot process.
pub struct Bot {
    child: Child,
    pub pid: u32,
    /// When the process was spawned.
    pub started_at: Instant,
    log: Arc<Mutex<Vec<String>>>,
    _config: tempfile::NamedTempFile,
}

/// Resident memory of a process, from `/proc/PID/status`, in kibibytes.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the highest resident size so far.
    pub hwm_kib: u64,
}

impl Bot {
    /// Starts `paperboy run` on `db`, with every REST call and the gateway lookup sent to
    /// `proxy_url`, and the commands registered in `guild_id`. Logs at the bot's default level
    /// (info for Paperboy, warn for serenity), as deployed, which includes one
    /// `command finished` line per slash command.
    pub fn start(db: &Path, proxy_url: &str, token: &str, guild_id: u64) -> Result<Bot> {
        let config = tempfile::NamedTempFile::new()?;
        let text = format!(
            "[store]\npath = {:?}\n\n[discord]\nrest_proxy = {proxy_url:?}\nguild_ids = [{guild_id}]\n\n\
             [digest]\ncheck_interval_secs = 1\ncatch_up_minutes = 180\n",
            db.display().to_string(),
        );
        std::fs::write(config.path(), text)?;
        let started_at = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .arg("--config")
            .arg(config.path())
            .arg("run")
            .env("DISCORD_TOKEN", token)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("failed to start the paperboy binary")?;
        let pid = child.id().context("the bot process has no id")?;

        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child
            .stderr
            .take()
            .context("the bot's stderr is not piped")?;
        let sink = Arc::clone(&log);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Ok(Bot {
            child,
            pid,
            started_at,
            log,
            _config: config,
        })
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Returns the last lines of the log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        log[log.len().saturating_sub(lines)..].join("\n")
    }

    /// Waits until `count` log lines contain `needle`. Returns false after `timeout`.
    pub async fn wait_for_log_count(&self, needle: &str, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.count_log(needle) >= count {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.count_log(needle) >= count
    }

    fn count_log(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }

    pub fn memory(&self) -> Result<Memory> {
        read_memory(self.pid)
    }

    /// Kills the process and waits for it to end.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

/// Reads `VmRSS` and `VmHWM` of a process from `/proc/PID/status` (Linux only).
pub fn read_memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let field = |name: &str| -> Result<u64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("{name} missing from {path}"))?;
        line.split_whitespace()
            .nth(1)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("invalid {name} line in {path}: {line}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}
