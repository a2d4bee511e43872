//! Command line: the same core queries as the slash commands, for operators and scripts.
//!
//! Exit codes: 0 on success, 2 when the input is at fault (the message on stderr says what to
//! change), 1 when Paperboy itself failed (the log has the chain).

mod digest;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use crate::config::Config;
use crate::core::lookup::{self, LlmSummarizer};
use crate::core::summary::SummaryLength;
use crate::core::trending::{TrendingEntry, Window};
use crate::core::{self, SearchOutcome};
use crate::error::{Error, UserError};
use crate::ingest;
use crate::paper::Paper;
use crate::sources::arxiv::ArxivClient;
use crate::sources::hf::HfClient;
use crate::store::{SharedStore, Store, CANDIDATES, CODE_CANDIDATES};
use crate::text;

#[derive(Debug, Parser)]
#[command(
    name = "paperboy",
    version,
    about = "A Discord bot that posts trending research papers, with the same queries on the command line"
)]
pub struct Cli {
    /// Config file (TOML); see config/paperboy.toml for every key.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// SQLite store to use instead of the config's `store.path`.
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store papers from saved Hugging Face Daily Papers responses or from the API.
    Ingest(IngestArgs),
    /// List trending papers.
    Trending(TrendingArgs),
    /// Search stored papers (words, "phrases", prefix*, author:, cat:, since:, until:, has:code).
    Search(SearchArgs),
    /// Show one paper by arXiv ID or URL.
    Paper(PaperArgs),
    /// Summarise one paper by arXiv ID or URL.
    Summary(SummaryArgs),
    /// Check digest schedules: `digest schedule` lists the next post instants.
    Digest(digest::DigestArgs),
    /// Run the Discord bot (needs DISCORD_TOKEN or discord.token_file).
    Run,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "date"])))]
pub struct IngestArgs {
    /// Saved `daily_papers` responses (JSON), one or more.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub file: Vec<PathBuf>,
    /// Fetch this Daily Papers date from the API (needs huggingface.base_url).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// With --date: also fetch this many days in all, ending at --date.
    #[arg(long, default_value_t = 1, requires = "date", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct TrendingArgs {
    #[arg(long, value_enum, default_value_t = WindowArg::Day)]
    pub window: WindowArg,
    /// Rank as of the end of this day (UTC) instead of now.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// How many papers to list.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    /// Print a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WindowArg {
    Day,
    Week,
    Month,
}

impl From<WindowArg> for Window {
    fn from(arg: WindowArg) -> Window {
        match arg {
            WindowArg::Day => Window::Day,
            WindowArg::Week => Window::Week,
            WindowArg::Month => Window::Month,
        }
    }
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query; several words are joined with spaces. Put `--` before a query that starts
    /// with `-`, as in `paperboy search -- -survey diffusion`.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// How many papers per page.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    /// Page number, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub page: u32,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PaperArgs {
    /// arXiv ID (2401.12345, hep-th/9901001) or an arXiv, Hugging Face or alphaXiv URL.
    pub id_or_url: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// arXiv ID or paper URL.
    pub id_or_url: String,
    #[arg(long, value_enum, default_value_t = LengthArg::Short)]
    pub length: LengthArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LengthArg {
    Short,
    Detailed,
}

impl From<LengthArg> for SummaryLength {
    fn from(arg: LengthArg) -> SummaryLength {
        match arg {
            LengthArg::Short => SummaryLength::Short,
            LengthArg::Detailed => SummaryLength::Detailed,
        }
    }
}

/// Prints one line to stdout, turning a write failure into [`CliError::Output`].
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*).map_err(CliError::Output)?
    };
}

/// A failure of a command, sorted by whose it is.
#[derive(Debug)]
pub enum CliError {
    /// Stdout could not be written, as when the reader of a pipe (`| head`) exits early.
    Output(std::io::Error),
    /// The input is at fault: exit 2 with this message.
    User(String),
    /// Paperboy failed: exit 1; the message is the error chain.
    Internal(anyhow::Error),
}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        match error {
            Error::User(e) => CliError::User(e.0),
            other => CliError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<UserError> for CliError {
    fn from(error: UserError) -> Self {
        CliError::User(error.0)
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(error: crate::config::ConfigError) -> Self {
        CliError::User(error.to_string())
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            // A path that is not a usable store is the caller's to fix.
            StoreError::Open { .. } | StoreError::Migrate { .. } | StoreError::CreateDir { .. } => {
                CliError::User(error.to_string())
            }
            other => CliError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(matches!(cli.command, Command::Run));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::User(message)) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::from(2)
        }
        Err(CliError::Internal(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
        // The reader of the pipe went away: nobody is left to read the rest.
        Err(CliError::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(CliError::Output(error)) => {
            eprintln!("error: cannot write the output: {error}");
            ExitCode::from(1)
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Logs to stderr. `RUST_LOG` overrides the level; serenity's chatty targets stay at warn.
fn init_tracing(bot: bool) {
    let default = if bot {
        "info,serenity=warn,poise=warn,tracing::span=warn,h2=warn,hyper=warn,rustls=warn,tungstenite=warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(|| RedactingStderr)
        .try_init();
}

/// Stderr for the log, with every known secret blanked out: serenity and reqwest errors can
/// quote what a server sent back, and a misbehaving proxy may echo the token.
struct RedactingStderr;

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(crate::config::redact_secrets(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(db) = cli.db {
        config.store.path = db;
    }
    match cli.command {
        Command::Ingest(args) => ingest_command(&config, args),
        Command::Trending(args) => trending_command(&config, args),
        Command::Search(args) => search_command(&config, args),
        Command::Paper(args) => paper_command(&config, args),
        Command::Summary(args) => summary_command(&config, args),
        Command::Digest(args) => digest::digest_command(args),
        Command::Run => run_bot(config),
    }
}

fn open_store(config: &Config) -> Result<Store, CliError> {
    Ok(Store::open(&config.store.path)?)
}

/// Opens a store that must already exist, so a mistyped `--db` is reported instead of
/// answered with "no match" from a new, empty store.
fn open_existing_store(config: &Config) -> Result<Store, CliError> {
    let path = &config.store.path;
    if !path.exists() {
        return Err(CliError::User(format!(
            "there is no store at {}; check --db or store.path, or create it with `paperboy ingest`",
            path.display()
        )));
    }
    open_store(config)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| {
        CliError::Internal(anyhow::Error::new(e).context("cannot start the async runtime"))
    })
}

fn run_bot(config: Config) -> Result<(), CliError> {
    let token = config.token()?;
    runtime()?
        .block_on(crate::discord::run(config, token))
        .map_err(CliError::Internal)
}

fn ingest_command(config: &Config, args: IngestArgs) -> Result<(), CliError> {
    let reports = match args.date {
        Some(date) => ingest_from_api(config, date, args.days)?,
        None => {
            let mut store = open_store(config)?;
            ingest::ingest_files(&mut store, &args.file, Utc::now())
        }
    };
    let mut total = 0;
    for report in &reports {
        say!("{}", report.summary_line());
        total += report.papers;
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.name.as_str())
        .collect();
    say!(
        "stored {total} papers from {} of {} sources",
        reports.len() - failed.len(),
        reports.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::User(format!(
            "{} of {} sources failed ({}); the others were stored",
            failed.len(),
            reports.len(),
            failed.join(", ")
        )))
    }
}

fn ingest_from_api(
    config: &Config,
    date: NaiveDate,
    days: u32,
) -> Result<Vec<ingest::UnitReport>, CliError> {
    let base_url = config.huggingface.base_url.as_deref().ok_or_else(|| {
        CliError::User(
            "huggingface.base_url is not set; set it in the config file (see config/paperboy.toml) \
             or ingest saved responses with --file"
                .to_string(),
        )
    })?;
    let client = HfClient::new(base_url, config.hf_timeout(), config.huggingface.page_size)
        .map_err(|e| CliError::User(format!("huggingface.base_url: {e}")))?;
    let store = SharedStore::new(open_store(config)?);
    let dates = ingest::recent_dates(date, days);
    Ok(runtime()?.block_on(ingest::ingest_dates(&store, &client, &dates)))
}

fn trending_command(config: &Config, args: TrendingArgs) -> Result<(), CliError> {
    let store = open_existing_store(config)?;
    let window = Window::from(args.window);
    let end = core::trending_end(args.date, Utc::now());
    let entries = core::trending(&store, window, end, args.limit as usize)?;
    if args.json {
        let items: Vec<Value> = entries.iter().map(trending_json).collect();
        return print_json(&Value::Array(items));
    }
    if entries.is_empty() {
        say!(
            "No trending papers in the {} window ending {}. Try a longer --window, or ingest newer days.",
            format!("{:?}", args.window).to_lowercase(),
            end.format("%Y-%m-%d %H:%M UTC")
        );
    }
    for (rank, entry) in entries.iter().enumerate() {
        say!("{}", text_line(rank + 1, &entry.paper));
    }
    Ok(())
}

fn search_command(config: &Config, args: SearchArgs) -> Result<(), CliError> {
    let store = open_existing_store(config)?;
    let query = args.query.join(" ");
    let page = args.page.saturating_sub(1) as usize;
    let outcome = core::search(&store, &query, page, args.limit as usize)?;
    let papers: Vec<&Paper> = match &outcome {
        SearchOutcome::Paper(paper) => vec![paper.as_ref()],
        SearchOutcome::Hits { hits, .. } => hits.iter().map(|h| &h.paper).collect(),
    };
    if args.json {
        let items: Vec<Value> = papers.iter().map(|p| paper_json(p)).collect();
        return print_json(&Value::Array(items));
    }
    if papers.is_empty() && page > 0 {
        say!(
            "No more papers match `{query}` after page {page}. A text search ranks only the \
             newest {CANDIDATES} matches ({CODE_CANDIDATES} with has:code); add words or filters \
             to narrow it."
        );
    } else if papers.is_empty() {
        say!("No papers match `{query}`. Try fewer or more general words.");
    }
    let first_rank = page * args.limit as usize + 1;
    for (i, paper) in papers.iter().enumerate() {
        say!("{}", text_line(first_rank + i, paper));
    }
    if let SearchOutcome::Hits { more: true, .. } = outcome {
        say!("More results: add --page {}", args.page + 1);
    }
    Ok(())
}

fn paper_command(config: &Config, args: PaperArgs) -> Result<(), CliError> {
    let (store, arxiv) = lookup_setup(config)?;
    let paper = runtime()?.block_on(lookup::find_or_fetch(
        &store,
        arxiv.as_ref(),
        &args.id_or_url,
    ))?;
    let summary = core::summarize_paper(&paper, SummaryLength::Short);
    if args.json {
        let mut value = paper_json(&paper);
        value["abstract"] = json!(paper.abstract_text);
        value["summary"] = json!(summary.text);
        return print_json(&value);
    }
    say!("{}", text::plain_line(&paper.title));
    say!("{}", paper.authors.join(", "));
    say!("{}", paper.abs_url());
    say!();
    say!(
        "{}",
        text::latex_to_text(&text::unwrap_lines(&paper.abstract_text))
    );
    Ok(())
}

fn summary_command(config: &Config, args: SummaryArgs) -> Result<(), CliError> {
    let (store, arxiv) = lookup_setup(config)?;
    let llm = LlmSummarizer::from_config(config).map_err(CliError::Internal)?;
    let length = args.length.into();
    let (paper, summary) = runtime()?.block_on(async {
        let paper = lookup::find_or_fetch(&store, arxiv.as_ref(), &args.id_or_url).await?;
        let summary = lookup::summarize(&store, llm.as_ref(), &paper, length).await?;
        Ok::<_, Error>((paper, summary))
    })?;
    if let Some(note) = &summary.model_failure {
        eprintln!("note: {note}");
    }
    if args.json {
        let mut value = paper_json(&paper);
        value["summary"] = json!(summary.text);
        value["summary_source"] = json!(summary.label);
        return print_json(&value);
    }
    say!("{}", text::plain_line(&paper.title));
    say!("{}", summary.text);
    say!("({}; {})", summary.label, paper.abs_url());
    Ok(())
}

/// Opens the store and builds the arXiv client, if `arxiv.base_url` is set.
fn lookup_setup(config: &Config) -> Result<(SharedStore, Option<ArxivClient>), CliError> {
    let store = SharedStore::new(open_store(config)?);
    let arxiv =
        lookup::arxiv_client(config).map_err(|e| CliError::User(format!("arxiv.base_url: {e}")))?;
    Ok((store, arxiv))
}

/// The JSON object of one paper, shared by every `--json` output.
pub fn paper_json(paper: &Paper) -> Value {
    json!({
        "id": paper.id.key(),
        "title": text::plain_line(&paper.title),
        "authors": paper.authors,
        "upvotes": paper.upvotes,
        "published": paper.published.map(|p| p.to_rfc3339()),
        "daily_date": paper.daily_date.map(|d| d.to_string()),
        "url": paper.abs_url(),
        "pdf_url": paper.pdf_url(),
        "hf_url": paper.hf_url(),
        "github_repo": paper.github_repo,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
        "categories": paper.categories,
        "ai_summary": paper.ai_summary,
    })
}

fn trending_json(entry: &TrendingEntry) -> Value {
    let mut value = paper_json(&entry.paper);
    value["score"] = json!(entry.score);
    value["upvote_gain"] = json!(entry.upvote_gain);
    value["star_gain"] = json!(entry.star_gain);
    value
}

fn print_json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Internal(anyhow::Error::new(e)))?;
    say!("{text}");
    Ok(())
}

fn text_line(rank: usize, paper: &Paper) -> String {
    let upvotes = paper
        .upvotes
        .map(|u| format!("{u:>4} ▲  "))
        .unwrap_or_else(|| "        ".to_string());
    format!(
        "{rank:>3}. {upvotes}{}  ({})  {}",
        text::plain_line(&paper.title),
        paper.id,
        paper.abs_url()
    )
}
