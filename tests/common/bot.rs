//! The real `paperboy run` as a child process, configured for the fakes, with its log lines
//! collected so tests can wait for what the bot reports instead of sleeping.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

/// What a bot process is pointed at.
#[derive(Clone, Debug)]
pub struct BotSetup {
    pub db: PathBuf,
    pub discord_proxy: String,
    pub hf_base_url: Option<String>,
    pub guild_ids: Vec<u64>,
    pub token: String,
    pub check_interval_secs: u64,
    pub catch_up_minutes: i64,
    pub max_concurrent_sends: usize,
    /// `arxiv.base_url`; unset leaves arXiv lookups off.
    pub arxiv_base_url: Option<String>,
    /// The `[llm]` section, if any.
    pub llm: Option<LlmSetup>,
    /// Extra environment variables of the bot process, such as an LLM API key.
    pub env: Vec<(String, String)>,
}

/// The `[llm]` section of a bot's config.
#[derive(Clone, Debug)]
pub struct LlmSetup {
    pub base_url: String,
    pub model: String,
    pub timeout_secs: u64,
    /// `llm.api_key_env`: the name of the variable that contains the key.
    pub api_key_env: Option<String>,
}

impl BotSetup {
    pub fn new(db: &Path, discord_proxy: &str, token: &str) -> Self {
        BotSetup {
            db: db.to_path_buf(),
            discord_proxy: discord_proxy.to_string(),
            hf_base_url: None,
            guild_ids: Vec::new(),
            token: token.to_string(),
            check_interval_secs: 1,
            catch_up_minutes: 180,
            max_concurrent_sends: 8,
            arxiv_base_url: None,
            llm: None,
            env: Vec::new(),
        }
    }

    fn config_text(&self) -> String {
        let mut text = format!(
            "[store]\npath = {:?}\n\n[discord]\nrest_proxy = {:?}\nguild_ids = {:?}\n\n\
             [digest]\ncheck_interval_secs = {}\ncatch_up_minutes = {}\nmax_concurrent_sends = {}\n",
            self.db.display().to_string(),
            self.discord_proxy,
            self.guild_ids,
            self.check_interval_secs,
            self.catch_up_minutes,
            self.max_concurrent_sends,
        );
        if let Some(hf) = &self.hf_base_url {
            text.push_str(&format!(
                "\n[huggingface]\nbase_url = {hf:?}\ningest_days = 1\ningest_interval_minutes = 60\n"
            ));
        }
        if let Some(arxiv) = &self.arxiv_base_url {
            text.push_str(&format!("\n[arxiv]\nbase_url = {arxiv:?}\n"));
        }
        if let Some(llm) = &self.llm {
            text.push_str(&format!(
                "\n[llm]\nbase_url = {:?}\nmodel = {:?}\ntimeout_secs = {}\n",
                llm.base_url, llm.model, llm.timeout_secs
            ));
            if let Some(name) = &llm.api_key_env {
                text.push_str(&format!("api_key_env = {name:?}\n"));
            }
        }
        text
    }
}

/// A running bot process.
pub struct BotProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    log_changed: Arc<Notify>,
    _config: tempfile::NamedTempFile,
}

impl BotProcess {
    /// Starts `paperboy run` with a config file written for `setup`, logging at debug level.
    pub fn start(setup: &BotSetup) -> BotProcess {
        let config = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(config.path(), setup.config_text()).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_paperboy"))
            .arg("--config")
            .arg(config.path())
            .arg("run")
            .env("DISCORD_TOKEN", &setup.token)
            .env("RUST_LOG", "debug,serenity=info,h2=info,hyper=info,hyper_util=info,rustls=info,tungstenite=info,tokio_tungstenite=info,reqwest=info")
            .env("NO_COLOR", "1")
            .envs(setup.env.iter().map(|(name, value)| (name.as_str(), value.as_str())))
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("paperboy starts");

        let log = Arc::new(Mutex::new(Vec::new()));
        let log_changed = Arc::new(Notify::new());
        let stderr = child.stderr.take().unwrap();
        let (sink, notify) = (Arc::clone(&log), Arc::clone(&log_changed));
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
                notify.notify_waiters();
            }
        });
        BotProcess {
            child,
            log,
            log_changed,
            _config: config,
        }
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn log_text(&self) -> String {
        self.log().join("\n")
    }

    /// Waits until `count` log lines contain `needle`; returns false on timeout.
    pub async fn wait_for_log_count(&self, needle: &str, count: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.log_changed.notified();
            if self.log().iter().filter(|l| l.contains(needle)).count() >= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for_log_count(needle, 1, timeout).await
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it to end.
    pub async fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        self.log()
    }

    /// Whether the process has already exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}
