//! Hugging Face Daily Papers: the `/api/daily_papers` client and the mapping of its payload into
//! [`Paper`].
//!
//! The payload changed shape many times between 2024 and 2026: fields appear and disappear, URLs
//! carry stray whitespace, and the outer `publishedAt` changed meaning in 2025. The parser
//! therefore treats every field as optional, ignores unknown fields, and skips and reports a bad
//! item instead of failing the whole day.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::header::{HeaderMap, LINK, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::ids::ArxivId;
use crate::paper::Paper;

// ---------------------------------------------------------------------------------------------
// Results and errors of parsing one response body
// ---------------------------------------------------------------------------------------------

/// The papers of one Daily Papers day, and the items that could not be used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayParse {
    /// Papers in the order Hugging Face listed them (upvotes descending), one per arXiv ID.
    pub papers: Vec<Paper>,
    pub skipped: Vec<SkippedItem>,
}

/// An item of the response array that was left out of [`DayParse::papers`].
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedItem {
    /// Position of the item in the day's listing, counted from 0 across all pages.
    pub index: usize,
    pub reason: SkipReason,
}

/// The reason an item of a day was skipped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SkipReason {
    #[error("the item is a JSON {found}, not an object")]
    NotAnObject { found: &'static str },
    #[error("the item has no `{field}`")]
    MissingField { field: &'static str },
    #[error("`paper.id` {id} is not an arXiv ID")]
    InvalidId { id: String },
    #[error("the item does not match the Daily Papers schema: {message}")]
    Malformed { message: String },
}

/// Failure to read a response body as a list of papers at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("the response body is empty; expected a JSON array of papers")]
    Empty,
    #[error("the response is not JSON (an HTML error page?); it starts with `{excerpt}`")]
    NotJson { excerpt: String },
    #[error("the response JSON ends early at line {line}, column {column}; the body was probably cut off")]
    Truncated { line: usize, column: usize },
    #[error("the response is invalid JSON: {message}")]
    InvalidJson { message: String },
    #[error("Hugging Face returned an error instead of a paper list: {message}")]
    Provider { message: String },
    #[error("expected a JSON array of papers, but the response is a JSON {found}")]
    NotAnArray { found: &'static str },
}

/// Context that a response body does not carry itself.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The `date` the response was requested for. Items without `paper.submittedOnDailyAt` get
    /// it as their `daily_date` in preference to the UTC date of the outer `publishedAt`,
    /// because an item can be listed on the day after that date. For example, every item of the
    /// 2025-01-27 listing has an outer `publishedAt` between 22:16 and 23:01 UTC on 2025-01-26.
    pub listed_on: Option<NaiveDate>,
    /// The site that relative URLs in the payload are relative to. Without it, relative URLs
    /// are dropped, since a Discord embed cannot use them.
    pub site_base: Option<Url>,
}

/// Parses one `/api/daily_papers` response body.
///
/// `daily_date` comes from `paper.submittedOnDailyAt`, or else from the UTC date of the outer
/// `publishedAt`, which can be a day or more early (see [`ParseOptions::listed_on`]). Use
/// [`parse_day_with`] when the requested date is known.
pub fn parse_day(json: &str) -> Result<DayParse, ParseError> {
    parse_day_with(json, &ParseOptions::default())
}

/// Parses one `/api/daily_papers` response body with the context in `options`.
pub fn parse_day_with(json: &str, options: &ParseOptions) -> Result<DayParse, ParseError> {
    let mut day = DayBuilder::default();
    parse_page(json, options, 0, &mut day)?;
    Ok(day.finish())
}

// ---------------------------------------------------------------------------------------------
// Payload types
// ---------------------------------------------------------------------------------------------

/// One element of the response array. Fields outside the paper's identity use
/// [`lenient`], so a changed type in an ancillary field loses that field, not the paper.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawItem {
    #[serde(default)]
    paper: Option<RawPaper>,
    /// Time of submission to Daily Papers until early 2025. [`daily_date`] covers later eras.
    #[serde(default, deserialize_with = "lenient")]
    published_at: Option<String>,
    /// A copy of `paper.title`, single-line before 2025-03.
    #[serde(default, deserialize_with = "lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    thumbnail: Option<String>,
    /// The thumbnail's name from 2024-05-27 to 2024-06-11, before `thumbnail` existed.
    #[serde(default, deserialize_with = "lenient")]
    media_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    num_comments: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPaper {
    /// Kept as a JSON value so that a number or other non-string ID is reported as an invalid
    /// ID rather than as a missing one.
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    summary: Option<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    authors: Vec<RawAuthor>,
    /// When the first arXiv version was published (midnight-truncated since about 2026-04).
    #[serde(default, deserialize_with = "lenient")]
    published_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    upvotes: Option<i64>,
    /// The Daily Papers listing time, present on items since 2025-03-17.
    #[serde(default, deserialize_with = "lenient")]
    submitted_on_daily_at: Option<String>,
    #[serde(default, rename = "ai_summary", deserialize_with = "lenient")]
    ai_summary: Option<String>,
    #[serde(default, rename = "ai_keywords", deserialize_with = "lenient_list")]
    ai_keywords: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    github_repo: Option<String>,
    /// Absent on many items that have `githubRepo`, including every item before 2025-06-25.
    #[serde(default, deserialize_with = "lenient")]
    github_stars: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    project_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawAuthor {
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    /// Authors who asked Hugging Face not to show them on the paper page.
    #[serde(default, deserialize_with = "lenient")]
    hidden: Option<bool>,
}

/// Deserializes a field as `T`, or as `None` when the value has another type or is `null`.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// Deserializes a list, dropping elements that do not fit `T`, and reading a non-list as empty.
fn lenient_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let Value::Array(elements) = Value::deserialize(deserializer)? else {
        return Ok(Vec::new());
    };
    let parsed = elements
        .into_iter()
        .filter_map(|element| serde_json::from_value(element).ok())
        .collect();
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// Parsing a page and collecting a day
// ---------------------------------------------------------------------------------------------

/// Counts from one parsed page, which decide whether to request the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageStats {
    /// Elements in the response array, skipped ones included.
    items: usize,
    /// Papers whose ID the day did not list before this page.
    new_papers: usize,
    skipped: usize,
}

/// Collects the papers of one day across pages, keeping one paper per arXiv ID.
#[derive(Debug, Default)]
struct DayBuilder {
    papers: Vec<Paper>,
    positions: HashMap<ArxivId, usize>,
    skipped: Vec<SkippedItem>,
}

impl DayBuilder {
    /// Adds `paper` and returns true when its ID is new to the day. For a repeated ID the copy
    /// with more upvotes stays, in the position of the first copy, because the same ID can
    /// appear on two pages when upvotes change between requests.
    fn add(&mut self, paper: Paper) -> bool {
        match self.positions.get(&paper.id) {
            Some(&position) => {
                if paper.upvotes > self.papers[position].upvotes {
                    self.papers[position] = paper;
                }
                false
            }
            None => {
                self.positions.insert(paper.id.clone(), self.papers.len());
                self.papers.push(paper);
                true
            }
        }
    }

    fn finish(self) -> DayParse {
        DayParse {
            papers: self.papers,
            skipped: self.skipped,
        }
    }
}

/// Parses one response body into `day`. `first_index` is the day-wide position of the page's
/// first element, so that skipped items name their place in the whole day.
fn parse_page(
    json: &str,
    options: &ParseOptions,
    first_index: usize,
    day: &mut DayBuilder,
) -> Result<PageStats, ParseError> {
    let elements = parse_array(json)?;
    let mut stats = PageStats {
        items: elements.len(),
        new_papers: 0,
        skipped: 0,
    };

    for (offset, element) in elements.into_iter().enumerate() {
        match map_item(element, options) {
            Ok(paper) => {
                if day.add(paper) {
                    stats.new_papers += 1;
                }
            }
            Err(reason) => {
                stats.skipped += 1;
                day.skipped.push(SkippedItem {
                    index: first_index + offset,
                    reason,
                });
            }
        }
    }
    Ok(stats)
}

/// Reads the top-level JSON array, turning Hugging Face's `{"error": …}` object into an error.
fn parse_array(json: &str) -> Result<Vec<Value>, ParseError> {
    let value: Value = serde_json::from_str(json).map_err(|error| json_error(json, &error))?;
    match value {
        Value::Array(elements) => Ok(elements),
        Value::Object(object) => match object.get("error") {
            Some(message) => Err(ParseError::Provider {
                message: provider_message(message),
            }),
            None => Err(ParseError::NotAnArray { found: "object" }),
        },
        other => Err(ParseError::NotAnArray {
            found: json_type(&other),
        }),
    }
}

fn json_error(json: &str, error: &serde_json::Error) -> ParseError {
    let body = json.trim_start();
    if body.is_empty() {
        ParseError::Empty
    } else if body.starts_with('<') {
        ParseError::NotJson {
            excerpt: excerpt(body, 80),
        }
    } else if error.is_eof() {
        ParseError::Truncated {
            line: error.line(),
            column: error.column(),
        }
    } else {
        ParseError::InvalidJson {
            message: error.to_string(),
        }
    }
}

/// Returns the text of an `error` member: the string itself, or the JSON of any other value.
fn provider_message(message: &Value) -> String {
    match message {
        Value::String(text) => excerpt(text, 300),
        other => excerpt(&other.to_string(), 300),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Shortens `text` to at most `max_chars` characters with whitespace runs collapsed, so that
/// provider text fits in one log line or error message.
fn excerpt(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let mut shortened: String = collapsed.chars().take(max_chars).collect();
    shortened.push('…');
    shortened
}

// ---------------------------------------------------------------------------------------------
// Mapping one item into a Paper
// ---------------------------------------------------------------------------------------------

/// Maps one element of the response array, or returns why it cannot be used.
fn map_item(element: Value, options: &ParseOptions) -> Result<Paper, SkipReason> {
    if !element.is_object() {
        return Err(SkipReason::NotAnObject {
            found: json_type(&element),
        });
    }
    let item: RawItem = serde_json::from_value(element).map_err(|error| SkipReason::Malformed {
        message: error.to_string(),
    })?;
    let RawItem {
        paper: raw_paper,
        published_at: listed_at,
        title: outer_title,
        summary: outer_summary,
        thumbnail,
        media_url,
        num_comments,
    } = item;
    let raw = raw_paper.ok_or(SkipReason::MissingField { field: "paper" })?;

    let id = arxiv_id(raw.id)?;
    let title = first_text([raw.title, outer_title]).ok_or(SkipReason::MissingField {
        field: "paper.title",
    })?;
    // An abstract missing from both places still leaves a listable paper.
    let abstract_text = first_text([raw.summary, outer_summary]).unwrap_or_default();

    let mut paper = Paper::new(id, title, abstract_text);
    paper.authors = visible_authors(raw.authors);
    paper.published = raw.published_at.as_deref().and_then(parse_timestamp);
    paper.daily_date = daily_date(
        raw.submitted_on_daily_at.as_deref(),
        listed_at.as_deref(),
        options.listed_on,
    );
    paper.upvotes = raw.upvotes;
    paper.num_comments = num_comments;
    paper.github_repo = raw.github_repo.as_deref().and_then(clean_github_repo);
    // Stars without a usable repository URL cannot be shown next to anything.
    paper.github_stars = raw.github_stars.filter(|_| paper.github_repo.is_some());
    paper.project_page = raw
        .project_page
        .as_deref()
        .and_then(|page| clean_web_url(page, options.site_base.as_ref()));
    paper.ai_summary = first_text([raw.ai_summary]);
    paper.ai_keywords = clean_keywords(raw.ai_keywords);
    paper.thumbnail = first_text([thumbnail, media_url])
        .and_then(|url| clean_web_url(&url, options.site_base.as_ref()));
    Ok(paper)
}

fn arxiv_id(raw: Option<Value>) -> Result<ArxivId, SkipReason> {
    match raw {
        None | Some(Value::Null) => Err(SkipReason::MissingField { field: "paper.id" }),
        Some(Value::String(key)) => {
            ArxivId::from_key(key.trim()).map_err(|_| SkipReason::InvalidId {
                id: format!("{:?}", excerpt(&key, 60)),
            })
        }
        Some(other) => Err(SkipReason::InvalidId {
            id: excerpt(&other.to_string(), 60),
        }),
    }
}

/// Returns the first candidate that is non-empty after trimming, trimmed. Inner line breaks stay
/// because display code unwraps titles and abstracts itself.
fn first_text<const N: usize>(candidates: [Option<String>; N]) -> Option<String> {
    candidates
        .into_iter()
        .flatten()
        .map(|text| text.trim().to_string())
        .find(|text| !text.is_empty())
}

fn visible_authors(authors: Vec<RawAuthor>) -> Vec<String> {
    authors
        .into_iter()
        .filter(|author| author.hidden != Some(true))
        .filter_map(|author| first_text([author.name]))
        .collect()
}

fn clean_keywords(keywords: Vec<String>) -> Vec<String> {
    keywords
        .into_iter()
        .filter_map(|keyword| first_text([Some(keyword)]))
        .collect()
}

fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// Picks the date an item was listed on Daily Papers: the UTC date of
/// `paper.submittedOnDailyAt`, else `listed_on`, else the UTC date of the outer `publishedAt`.
///
/// `paper.submittedOnDailyAt` is the listing time itself. Its UTC date equals the requested date
/// in every archived response examined from 2025-03 to 2026-08. Until early 2025 the outer
/// `publishedAt` was the time of submission to Daily Papers. From 2025-03 on it is the arXiv time
/// shifted to US-Eastern wall time and labelled as UTC, so it is read only as the last resort.
// NOTE: items from 2025-03-01 to 2025-03-16 lack `submittedOnDailyAt`, so without `listed_on`
// their date comes from the shifted arXiv time and can be days early.
fn daily_date(
    submitted_on_daily_at: Option<&str>,
    outer_published_at: Option<&str>,
    listed_on: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let submitted = submitted_on_daily_at.and_then(parse_timestamp);
    let outer = || outer_published_at.and_then(parse_timestamp);
    submitted
        .map(|time| time.date_naive())
        .or(listed_on)
        .or_else(|| outer().map(|time| time.date_naive()))
}

/// Normalises a `githubRepo` value to `https://github.com/<owner>/<repo>`.
///
/// Values in the wild contain embedded newlines (`…/sirano1004/\nMargin-…`), a trailing slash,
/// a `.git` suffix, or a deeper path such as `/tree/main`. URLs of other hosts are kept with only
/// whitespace and a trailing `/` or `.git` removed. Returns `None` when no repository is named.
fn clean_github_repo(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let with_scheme = if compact.starts_with("github.com/") {
        format!("https://{compact}")
    } else {
        compact
    };
    let url = Url::parse(&with_scheme).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if !matches!(url.host_str(), Some("github.com" | "www.github.com")) {
        let trimmed = with_scheme.trim_end_matches('/');
        return Some(trimmed.strip_suffix(".git").unwrap_or(trimmed).to_string());
    }

    let mut segments = url.path_segments()?.filter(|segment| !segment.is_empty());
    let owner = segments.next()?;
    let repo = segments.next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    if repo.is_empty() {
        return None;
    }
    Some(format!("https://github.com/{owner}/{repo}"))
}

/// Cleans a link for display. Whitespace anywhere is removed, because URLs cannot contain it
/// and some `projectPage` values start with a space. A path such as `/avatars/x.svg` is resolved
/// against `site_base`, and anything that is not then an http(s) URL is dropped.
fn clean_web_url(raw: &str, site_base: Option<&Url>) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    match Url::parse(&compact) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(compact),
        Ok(_) => None,
        Err(url::ParseError::RelativeUrlWithoutBase) if compact.starts_with('/') => {
            let resolved = site_base?.join(&compact).ok()?;
            Some(resolved.to_string())
        }
        Err(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------------

/// Failure to build an [`HfClient`] from its settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error("invalid Hugging Face base URL: {reason}; expected an http or https URL such as http://127.0.0.1:8080")]
    BaseUrl { reason: String },
    #[error("page size {page_size} is out of range; Hugging Face accepts 1 to {max}", max = HfClient::MAX_PAGE_SIZE)]
    PageSize { page_size: u32 },
    #[error("failed to build the HTTP client: {message}")]
    Client { message: String },
}

/// Failure to fetch a Daily Papers day. URLs in these errors have any user name and password
/// removed.
#[derive(Debug, thiserror::Error)]
pub enum HfError {
    #[error("request to {url} timed out after {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("could not connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("Hugging Face returned HTTP {status} for {url}: {message}")]
    Http {
        url: String,
        status: u16,
        /// The `error` string of a JSON error body, or an excerpt of any other body.
        message: String,
    },
    #[error("Hugging Face rate limit reached for {url}; {}", retry_hint(.retry_after))]
    RateLimited {
        url: String,
        retry_after: Option<Duration>,
    },
    #[error("response body from {url} exceeds the limit of {limit_bytes} bytes")]
    TooLarge { url: String, limit_bytes: usize },
    #[error("invalid response from {url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("request to {url} failed: {message}")]
    Request { url: String, message: String },
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(delay) => format!("retry after {} s", delay.as_secs()),
        None => "retry later".to_string(),
    }
}

/// A client for `GET {base}/api/daily_papers`.
#[derive(Debug, Clone)]
pub struct HfClient {
    http: reqwest::Client,
    endpoint: Url,
    site_base: Url,
    timeout: Duration,
    page_size: u32,
}

impl HfClient {
    /// Hugging Face is reported to reject a larger `limit` with `Too big: expected number to be
    /// <=100`.
    pub const MAX_PAGE_SIZE: u32 = 100;
    pub const DEFAULT_PAGE_SIZE: u32 = 100;
    /// Pages requested per day at most, which only stops a server that keeps returning full
    /// pages. The margin is an estimate: archived days reach the old default `limit` of 50
    /// papers, and 50 pages of 100 fit 5,000.
    pub const MAX_PAGES: u32 = 50;
    /// Response bodies above this size are rejected. It is an estimate with a wide margin: the
    /// recorded 50-paper day is 359 KB with indentation, so a page of 100 should stay near 1 MB.
    pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

    /// Builds a client for the site at `base_url`. `timeout` bounds each request including its
    /// body, and `page_size` is the `limit` sent with each page (1 to [`Self::MAX_PAGE_SIZE`]).
    ///
    /// The client ignores proxy settings from the environment and follows no redirects, so
    /// every request goes to the host in `base_url`.
    pub fn new(base_url: &str, timeout: Duration, page_size: u32) -> Result<Self, BuildError> {
        if page_size == 0 || page_size > Self::MAX_PAGE_SIZE {
            return Err(BuildError::PageSize { page_size });
        }
        let site_base = parse_base_url(base_url)?;
        let endpoint = site_base
            .join("api/daily_papers")
            .map_err(|error| BuildError::BaseUrl {
                reason: error.to_string(),
            })?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("paperboy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| BuildError::Client {
                message: error_chain(&error),
            })?;
        Ok(HfClient {
            http,
            endpoint,
            site_base,
            timeout,
            page_size,
        })
    }

    /// Fetches every page of the Daily Papers listing for `date`.
    ///
    /// Pages are requested from `p=0` on. The next page is the one a `Link: rel="next"` header
    /// names, or else `p+1` after a full page. Fetching stops at an empty or short page, at a
    /// page that adds no new paper (a server that ignores `p`), or after [`Self::MAX_PAGES`].
    /// A weekend date is an empty day; a date Hugging Face rejects is [`HfError::Http`].
    pub async fn fetch_day(&self, date: NaiveDate) -> Result<DayParse, HfError> {
        let options = ParseOptions {
            listed_on: Some(date),
            site_base: Some(self.site_base.clone()),
        };
        let mut day = DayBuilder::default();
        let mut page = 0;
        let mut first_index = 0;

        for _ in 0..Self::MAX_PAGES {
            let url = self.page_url(date, page);
            let response = self.get_page(&url).await?;
            let stats =
                parse_page(&response.body, &options, first_index, &mut day).map_err(|source| {
                    HfError::Parse {
                        url: redacted(&url),
                        source,
                    }
                })?;
            tracing::debug!(%date, page, items = stats.items, new_papers = stats.new_papers, "fetched Daily Papers page");
            first_index += stats.items;

            match next_page(page, self.page_size, stats, response.link_next_page) {
                Some(next) => page = next,
                None => return Ok(finish_day(date, day)),
            }
        }

        tracing::warn!(%date, max_pages = Self::MAX_PAGES, "stopped paging Daily Papers at the page cap; the day may be incomplete");
        Ok(finish_day(date, day))
    }

    fn page_url(&self, date: NaiveDate, page: u32) -> Url {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("date", &date.format("%Y-%m-%d").to_string())
            .append_pair("limit", &self.page_size.to_string())
            .append_pair("p", &page.to_string());
        url
    }

    /// Sends one GET and returns its body, or the error its status or transport failure means.
    async fn get_page(&self, url: &Url) -> Result<PageResponse, HfError> {
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|error| self.transport_error(error, url))?;

        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(HfError::RateLimited {
                url: redacted(url),
                retry_after: retry_after(response.headers(), Utc::now()),
            });
        }
        let link_next_page = link_next_page(response.headers(), url);
        let body = self.read_body(response, url).await;
        if !status.is_success() {
            let message = body
                .map(|text| http_error_message(&text))
                .unwrap_or_else(|_| "(the body could not be read)".to_string());
            return Err(HfError::Http {
                url: redacted(url),
                status: status.as_u16(),
                message,
            });
        }
        Ok(PageResponse {
            body: body?,
            link_next_page,
        })
    }

    /// Reads the body in chunks so that an oversized response is rejected before it is held.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<String, HfError> {
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(error, url))?
        {
            if bytes.len() + chunk.len() > Self::MAX_BODY_BYTES {
                return Err(HfError::TooLarge {
                    url: redacted(url),
                    limit_bytes: Self::MAX_BODY_BYTES,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn transport_error(&self, error: reqwest::Error, url: &Url) -> HfError {
        let url = redacted(url);
        if error.is_timeout() {
            return HfError::Timeout {
                url,
                timeout: self.timeout,
            };
        }
        let is_connect = error.is_connect();
        let message = error_chain(&error.without_url());
        if is_connect {
            HfError::Connect { url, message }
        } else {
            HfError::Request { url, message }
        }
    }
}

/// A successful page: its body and the page number a `Link: rel="next"` header named.
struct PageResponse {
    body: String,
    link_next_page: Option<u32>,
}

/// Logs the skipped items of a fetched day and returns the day.
fn finish_day(date: NaiveDate, day: DayBuilder) -> DayParse {
    let day = day.finish();
    for skipped in &day.skipped {
        tracing::warn!(%date, index = skipped.index, reason = %skipped.reason, "skipped Daily Papers item");
    }
    day
}

/// Decides which page to request after page `current`, or `None` to stop.
fn next_page(
    current: u32,
    page_size: u32,
    stats: PageStats,
    link_next: Option<u32>,
) -> Option<u32> {
    if stats.items == 0 {
        return None;
    }
    // A page of only known IDs means the server ignored `p`, so asking again would loop.
    if stats.new_papers == 0 && stats.skipped == 0 {
        return None;
    }
    if let Some(next) = link_next.filter(|&next| next > current) {
        return Some(next);
    }
    let full_page = stats.items >= usize::try_from(page_size).unwrap_or(usize::MAX);
    if full_page {
        current.checked_add(1)
    } else {
        None
    }
}

/// Reads the page number from a `Link: <…>; rel="next"` header (RFC 8288).
///
/// Only the `p` parameter of the target is used, and the request keeps its own `date` and
/// `limit`, because a next link need not repeat the query of the request that returned it.
// NOTE: link values are split at commas, so a target URL that contains a comma is misread.
fn link_next_page(headers: &HeaderMap, request_url: &Url) -> Option<u32> {
    let target = headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(next_link_target)?;
    let url = request_url.join(target).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "p")
        .and_then(|(_, value)| value.parse().ok())
}

/// Returns the target of one link value when its `rel` includes `next`.
fn next_link_target(link: &str) -> Option<&str> {
    let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
    let is_next = params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    });
    is_next.then_some(target.trim())
}

/// Reads how long to wait after a 429: `Retry-After` in seconds or as an HTTP date, else the
/// `t=` (seconds to reset) of the `RateLimit` header that the Hugging Face Hub documents.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let header_text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(value) = header_text(RETRY_AFTER.as_str()) {
        return parse_retry_after(value.trim(), now);
    }
    header_text("ratelimit").and_then(rate_limit_reset)
}

fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    // A date in the past means the wait is already over.
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Reads `t=<seconds>` from a header such as `"api";r=0;t=120`.
fn rate_limit_reset(value: &str) -> Option<Duration> {
    value
        .split(';')
        .filter_map(|param| param.trim().strip_prefix("t="))
        .find_map(|seconds| seconds.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Returns the message of an error body: the `error` string of a JSON object, or an excerpt.
fn http_error_message(body: &str) -> String {
    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(body) {
        if let Some(message) = object.get("error") {
            return provider_message(message);
        }
    }
    let text = excerpt(body, 200);
    if text.is_empty() {
        "(empty body)".to_string()
    } else {
        text
    }
}

fn parse_base_url(base_url: &str) -> Result<Url, BuildError> {
    let mut url = Url::parse(base_url.trim()).map_err(|error| BuildError::BaseUrl {
        reason: error.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BuildError::BaseUrl {
            reason: format!("scheme `{}` is not http or https", url.scheme()),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BuildError::BaseUrl {
            reason: "it contains a query or fragment".to_string(),
        });
    }
    // Without a trailing slash, `join` would replace the last path segment of the base.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Formats `url` without user name and password, so it can go into errors and logs.
fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    // Both calls fail only for URLs that cannot have credentials, which then have none to hide.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// Joins an error and its sources into one line, since reqwest puts the cause (such as
/// "Connection refused") in the source chain rather than in its own message.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;

    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf")
    }

    /// Returns every fixture as (file name, listing date from the name, body).
    fn fixtures() -> Vec<(String, NaiveDate, String)> {
        let mut files: Vec<_> = std::fs::read_dir(fixture_dir())
            .expect("fixture directory is readable")
            .map(|entry| entry.expect("directory entry is readable").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let date_text = name
                    .strip_prefix("daily_papers_")
                    .and_then(|rest| rest.get(..10))
                    .unwrap_or_else(|| {
                        panic!("{name} does not start with daily_papers_YYYY-MM-DD")
                    });
                let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d").unwrap();
                let body = std::fs::read_to_string(&path).unwrap();
                (name, date, body)
            })
            .collect()
    }

    fn fixture(prefix: &str) -> DayParse {
        let (name, _, body) = fixtures()
            .into_iter()
            .find(|(name, _, _)| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no fixture starts with {prefix}"));
        parse_day(&body).unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    fn paper<'a>(day: &'a DayParse, id: &str) -> &'a Paper {
        day.papers
            .iter()
            .find(|paper| paper.id.key() == id)
            .unwrap_or_else(|| panic!("paper {id} missing"))
    }

    fn raw_items(prefix: &str) -> Vec<Value> {
        let (_, _, body) = fixtures()
            .into_iter()
            .find(|(name, _, _)| name.starts_with(prefix))
            .unwrap();
        serde_json::from_str(&body).unwrap()
    }

    fn item(id: &str, upvotes: i64) -> Value {
        json!({
            "paper": {
                "id": id,
                "title": format!("Paper {id}"),
                "summary": "An abstract.",
                "authors": [{"name": "Ada Lovelace", "hidden": false}],
                "publishedAt": "2025-07-02T16:07:54.000Z",
                "upvotes": upvotes,
                "submittedOnDailyAt": "2025-07-07T03:06:37.666Z"
            },
            "publishedAt": "2025-07-02T12:07:54.000Z",
            "title": format!("Paper {id}"),
            "numComments": 2
        })
    }

    fn parse_values(items: Vec<Value>) -> DayParse {
        parse_day(&Value::Array(items).to_string()).expect("array parses")
    }

    // --- every fixture ------------------------------------------------------------------------

    #[test]
    fn fixtures_parse_with_expected_counts() {
        let expected = [
            ("daily_papers_2024-05-27", 13),
            ("daily_papers_2024-10-25", 25),
            ("daily_papers_2025-01-27", 4),
            ("daily_papers_2025-05-23", 32),
            ("daily_papers_2025-07-07", 1),
            ("daily_papers_2025-09-30", 50),
            ("daily_papers_2025-10-08", 23),
            ("daily_papers_2026-03-10", 28),
            ("daily_papers_2026-08-18", 29),
        ];
        let all = fixtures();
        assert_eq!(all.len(), expected.len(), "a fixture was added or removed");

        for (prefix, count) in expected {
            let day = fixture(prefix);
            assert_eq!(day.papers.len(), count, "{prefix}: paper count");
            assert!(
                day.skipped.is_empty(),
                "{prefix}: skipped {:?}",
                day.skipped
            );
        }
    }

    #[test]
    fn fixtures_have_valid_ids_and_text() {
        for (name, _, body) in fixtures() {
            let day = parse_day(&body).unwrap();
            for paper in &day.papers {
                assert!(
                    ArxivId::from_key(paper.id.key()).is_ok(),
                    "{name}: id {}",
                    paper.id
                );
                assert!(!paper.title.is_empty(), "{name}: {} has no title", paper.id);
                assert_eq!(
                    paper.title,
                    paper.title.trim(),
                    "{name}: {} title untrimmed",
                    paper.id
                );
                assert!(
                    !paper.abstract_text.is_empty(),
                    "{name}: {} has no abstract",
                    paper.id
                );
                assert!(
                    !paper.authors.is_empty(),
                    "{name}: {} has no authors",
                    paper.id
                );
                assert!(
                    paper.published.is_some(),
                    "{name}: {} has no published",
                    paper.id
                );
                assert!(
                    paper.upvotes.is_some(),
                    "{name}: {} has no upvotes",
                    paper.id
                );
                assert!(
                    paper.num_comments.is_some(),
                    "{name}: {} has no comments",
                    paper.id
                );
                assert!(
                    paper.thumbnail.is_some(),
                    "{name}: {} has no thumbnail",
                    paper.id
                );
            }
        }
    }

    #[test]
    fn fixtures_daily_date_is_file_date() {
        for (name, date, body) in fixtures() {
            let options = ParseOptions {
                listed_on: Some(date),
                site_base: None,
            };
            let day = parse_day_with(&body, &options).unwrap();
            for paper in &day.papers {
                assert_eq!(paper.daily_date, Some(date), "{name}: {}", paper.id);
            }
        }
    }

    #[test]
    fn fixtures_daily_date_without_request_date() {
        for (name, date, body) in fixtures() {
            // Items of this listing were submitted late on the previous UTC day and carry no
            // `submittedOnDailyAt`; `daily_date_before_submitted_field` covers them.
            if name.starts_with("daily_papers_2025-01-27") {
                continue;
            }
            let day = parse_day(&body).unwrap();
            for paper in &day.papers {
                assert_eq!(paper.daily_date, Some(date), "{name}: {}", paper.id);
            }
        }
    }

    #[test]
    fn daily_date_before_submitted_field() {
        let (_, date, body) = fixtures()
            .into_iter()
            .find(|(name, _, _)| name.starts_with("daily_papers_2025-01-27"))
            .unwrap();
        let day = parse_day(&body).unwrap();
        let previous_day = NaiveDate::from_ymd_opt(2025, 1, 26);
        assert!(day
            .papers
            .iter()
            .all(|paper| paper.daily_date == previous_day));

        let options = ParseOptions {
            listed_on: Some(date),
            site_base: None,
        };
        let day = parse_day_with(&body, &options).unwrap();
        assert!(day
            .papers
            .iter()
            .all(|paper| paper.daily_date == Some(date)));
    }

    #[test]
    fn fixtures_keep_provider_order() {
        for (name, _, body) in fixtures() {
            let day = parse_day(&body).unwrap();
            let upvotes: Vec<_> = day.papers.iter().map(|paper| paper.upvotes).collect();
            let mut sorted = upvotes.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            assert_eq!(upvotes, sorted, "{name}: order changed");
        }
    }

    // --- fixture edge cases -------------------------------------------------------------------

    #[test]
    fn huge_author_list_kept() {
        let day = fixture("daily_papers_2025-01-27");
        let exam = paper(&day, "2501.14249");
        assert_eq!(exam.authors.len(), 664);
        assert!(exam.authors.iter().any(|name| name == "Søren Riis"));
    }

    #[test]
    fn hidden_authors_left_out() {
        let raw = raw_items("daily_papers_2024-10-25");
        let raw_count = raw
            .iter()
            .find(|item| item["paper"]["id"] == "2410.17897")
            .map(|item| item["paper"]["authors"].as_array().unwrap().len())
            .unwrap();

        let day = fixture("daily_papers_2024-10-25");
        let authors = &paper(&day, "2410.17897").authors;
        assert_eq!(authors.len(), raw_count - 1);
        assert!(!authors.iter().any(|name| name == "Zhanchao Zhou"));
    }

    #[test]
    fn github_repo_newline_removed() {
        let day = fixture("daily_papers_2025-10-08");
        let coda = paper(&day, "2510.05342");
        assert_eq!(
            coda.github_repo.as_deref(),
            Some("https://github.com/sirano1004/Margin-Apative-Direct-Preference-Optimization")
        );
        assert_eq!(coda.github_stars, Some(0));
    }

    #[test]
    fn github_repo_normalised_in_fixtures() {
        let day = fixture("daily_papers_2025-09-30");
        let repos: Vec<_> = day
            .papers
            .iter()
            .filter_map(|p| p.github_repo.as_deref())
            .collect();
        assert!(
            repos.contains(&"https://github.com/he-h/rhythm"),
            "{repos:?}"
        );

        let day = fixture("daily_papers_2025-05-23");
        let repos: Vec<_> = day
            .papers
            .iter()
            .filter_map(|p| p.github_repo.as_deref())
            .collect();
        assert!(
            repos.contains(&"https://github.com/dongguanting/Tool-Star"),
            "{repos:?}"
        );
        assert!(repos.iter().all(|repo| !repo.ends_with('/')), "{repos:?}");
    }

    #[test]
    fn github_stars_absent_with_repo() {
        let day = fixture("daily_papers_2025-05-23");
        let with_repo = day
            .papers
            .iter()
            .filter(|p| p.github_repo.is_some())
            .count();
        assert_eq!(with_repo, 18);
        assert!(day.papers.iter().all(|p| p.github_stars.is_none()));

        let day = fixture("daily_papers_2026-03-10");
        let paper = paper(&day, "2603.07700");
        assert!(paper.github_repo.is_some());
        assert_eq!(paper.github_stars, None);
    }

    #[test]
    fn project_page_leading_space_trimmed() {
        let day = fixture("daily_papers_2025-05-23");
        assert_eq!(
            paper(&day, "2505.16839").project_page.as_deref(),
            Some("https://homepage.jackli.org/projects/lavida/index.html")
        );
    }

    #[test]
    fn escaped_dollar_title_kept_raw() {
        let day = fixture("daily_papers_2026-03-10");
        let titles: Vec<_> = day.papers.iter().map(|p| p.title.as_str()).collect();
        assert!(
            titles
                .iter()
                .any(|title| title.starts_with("\\$OneMillion-Bench: ")),
            "{titles:?}"
        );
    }

    #[test]
    fn wrapped_titles_kept_raw() {
        let day = fixture("daily_papers_2024-05-27");
        let wrapped = day
            .papers
            .iter()
            .filter(|p| p.title.contains("\n  "))
            .count();
        assert_eq!(wrapped, 10);
    }

    #[test]
    fn ai_summary_where_expected() {
        let expected = [
            ("daily_papers_2024-05-27", 0),
            ("daily_papers_2024-10-25", 0),
            ("daily_papers_2025-01-27", 0),
            ("daily_papers_2025-05-23", 31),
            ("daily_papers_2025-07-07", 1),
            ("daily_papers_2025-09-30", 50),
            ("daily_papers_2025-10-08", 23),
            ("daily_papers_2026-03-10", 27),
            ("daily_papers_2026-08-18", 29),
        ];
        for (prefix, count) in expected {
            let day = fixture(prefix);
            let with_summary = day.papers.iter().filter(|p| p.ai_summary.is_some()).count();
            assert_eq!(with_summary, count, "{prefix}");
        }

        let day = fixture("daily_papers_2026-03-10");
        let bare = paper(&day, "2603.00791");
        assert_eq!(bare.ai_summary, None);
        assert!(bare.ai_keywords.is_empty());
    }

    #[test]
    fn single_item_fields() {
        let day = fixture("daily_papers_2025-07-07");
        let paper = &day.papers[0];
        assert!(paper.ai_summary.is_some());
        assert!(!paper.ai_keywords.is_empty());
        assert_eq!(
            paper.published,
            Some(
                DateTime::parse_from_rfc3339("2025-07-02T16:07:54Z")
                    .unwrap()
                    .with_timezone(&Utc)
            )
        );
        assert_eq!(paper.daily_date, NaiveDate::from_ymd_opt(2025, 7, 7));
    }

    #[test]
    fn legacy_media_url_is_thumbnail() {
        let raw = raw_items("daily_papers_2024-05-27");
        let day = fixture("daily_papers_2024-05-27");
        for (raw_item, paper) in raw.iter().zip(&day.papers) {
            assert_eq!(paper.thumbnail.as_deref(), raw_item["mediaUrl"].as_str());
        }
    }

    #[test]
    fn midnight_schema_dates() {
        let day = fixture("daily_papers_2026-08-18");
        let first = &day.papers[0];
        assert_eq!(first.daily_date, NaiveDate::from_ymd_opt(2026, 8, 18));
        let dollar = day.papers.iter().find(|p| p.title.contains("on $60 GPUs"));
        assert!(dollar.is_some(), "title with a bare dollar sign kept");
    }

    // --- synthetic payloads -------------------------------------------------------------------

    #[test]
    fn error_object_is_provider_error() {
        let error = parse_day(r#"{"error": "Date must be in the past"}"#).unwrap_err();
        assert_eq!(
            error,
            ParseError::Provider {
                message: "Date must be in the past".to_string()
            }
        );
        assert!(error.to_string().contains("Date must be in the past"));
    }

    #[test]
    fn non_array_top_level_rejected() {
        assert_eq!(
            parse_day(r#"{"papers": []}"#),
            Err(ParseError::NotAnArray { found: "object" })
        );
        assert_eq!(
            parse_day(r#""text""#),
            Err(ParseError::NotAnArray { found: "string" })
        );
        assert_eq!(
            parse_day("null"),
            Err(ParseError::NotAnArray { found: "null" })
        );
    }

    #[test]
    fn truncated_json_rejected() {
        let (_, _, body) = fixtures().into_iter().next().unwrap();
        let cut = &body[..body.len() / 2];
        let error = parse_day(cut).unwrap_err();
        assert!(matches!(error, ParseError::Truncated { .. }), "{error:?}");
        assert!(error.to_string().contains("cut off"));
    }

    #[test]
    fn html_and_garbage_rejected() {
        let error = parse_day("<!DOCTYPE html><html><body>Bad gateway</body></html>").unwrap_err();
        assert!(matches!(error, ParseError::NotJson { .. }), "{error:?}");
        assert!(error.to_string().contains("<!DOCTYPE html>"));

        assert_eq!(parse_day("  \n"), Err(ParseError::Empty));
        let error = parse_day("[1,]").unwrap_err();
        assert!(matches!(error, ParseError::InvalidJson { .. }), "{error:?}");
    }

    #[test]
    fn empty_array_is_empty_day() {
        assert_eq!(parse_day("[]"), Ok(DayParse::default()));
    }

    #[test]
    fn bad_items_skipped_others_kept() {
        let mut no_id = item("2507.00001", 1);
        no_id["paper"].as_object_mut().unwrap().remove("id");
        let mut no_title = item("2507.00002", 1);
        no_title["paper"].as_object_mut().unwrap().remove("title");
        no_title.as_object_mut().unwrap().remove("title");
        let mut numeric_id = item("2507.00003", 1);
        numeric_id["paper"]["id"] = json!(2507.00003);
        let mut paper_not_object = item("2507.00004", 1);
        paper_not_object["paper"] = json!("2507.00004");

        let day = parse_values(vec![
            json!("2507.00010"),
            item("2507.00011", 5),
            no_id,
            item("not-an-id", 3),
            no_title,
            json!(null),
            numeric_id,
            paper_not_object,
            json!({"publishedAt": "2025-07-07T00:00:00Z"}),
            item("2507.00012", 1),
        ]);

        let ids: Vec<_> = day.papers.iter().map(|p| p.id.key()).collect();
        assert_eq!(ids, ["2507.00011", "2507.00012"]);
        let indexes: Vec<_> = day.skipped.iter().map(|skipped| skipped.index).collect();
        assert_eq!(indexes, [0, 2, 3, 4, 5, 6, 7, 8]);
        let reasons: Vec<_> = day.skipped.iter().map(|skipped| &skipped.reason).collect();
        assert_eq!(reasons[0], &SkipReason::NotAnObject { found: "string" });
        assert_eq!(reasons[1], &SkipReason::MissingField { field: "paper.id" });
        assert_eq!(
            reasons[2],
            &SkipReason::InvalidId {
                id: "\"not-an-id\"".to_string()
            }
        );
        assert_eq!(
            reasons[3],
            &SkipReason::MissingField {
                field: "paper.title"
            }
        );
        assert_eq!(reasons[4], &SkipReason::NotAnObject { found: "null" });
        assert_eq!(
            reasons[5],
            &SkipReason::InvalidId {
                id: "2507.00003".to_string()
            }
        );
        assert!(
            matches!(reasons[6], SkipReason::Malformed { .. }),
            "{:?}",
            reasons[6]
        );
        assert_eq!(reasons[7], &SkipReason::MissingField { field: "paper" });
    }

    #[test]
    fn versioned_id_rejected() {
        let day = parse_values(vec![item("2507.00001v2", 1)]);
        assert!(day.papers.is_empty());
        assert!(matches!(
            day.skipped[0].reason,
            SkipReason::InvalidId { .. }
        ));
    }

    #[test]
    fn outer_title_and_summary_fallback() {
        let mut value = item("2507.00001", 1);
        let paper = value["paper"].as_object_mut().unwrap();
        paper.remove("title");
        paper.remove("summary");
        value["summary"] = json!("  Outer abstract.\n");
        let day = parse_values(vec![value]);
        assert_eq!(day.papers[0].title, "Paper 2507.00001");
        assert_eq!(day.papers[0].abstract_text, "Outer abstract.");
    }

    #[test]
    fn absent_optional_fields_tolerated() {
        let minimal = json!({"paper": {"id": "2507.00001", "title": " A title \n"}});
        let day = parse_values(vec![minimal]);
        let paper = &day.papers[0];
        assert_eq!(paper.title, "A title");
        assert_eq!(paper.abstract_text, "");
        assert!(paper.authors.is_empty());
        assert_eq!(paper.upvotes, None);
        assert_eq!(paper.daily_date, None);
        assert_eq!(paper.published, None);
        assert_eq!(paper.thumbnail, None);
    }

    #[test]
    fn wrong_typed_extras_dropped() {
        let mut value = item("2507.00001", 1);
        value["paper"]["githubStars"] = json!("many");
        value["paper"]["githubRepo"] = json!(["https://github.com/a/b"]);
        value["paper"]["upvotes"] = json!(null);
        value["paper"]["ai_keywords"] = json!(["agents", 7, " RL "]);
        value["paper"]["authors"] =
            json!([{"name": "Ada"}, "Bob", {"hidden": true, "name": "Eve"}]);
        value["numComments"] = json!("2");
        let day = parse_values(vec![value]);
        let paper = &day.papers[0];
        assert_eq!(paper.github_stars, None);
        assert_eq!(paper.github_repo, None);
        assert_eq!(paper.upvotes, None);
        assert_eq!(paper.ai_keywords, ["agents", "RL"]);
        assert_eq!(paper.authors, ["Ada"]);
        assert_eq!(paper.num_comments, None);
    }

    #[test]
    fn duplicate_ids_keep_more_upvotes() {
        let day = parse_values(vec![
            item("2507.00001", 3),
            item("2507.00002", 2),
            item("2507.00001", 9),
            item("2507.00002", 1),
        ]);
        let listed: Vec<_> = day.papers.iter().map(|p| (p.id.key(), p.upvotes)).collect();
        assert_eq!(listed, [("2507.00001", Some(9)), ("2507.00002", Some(2))]);
        assert!(day.skipped.is_empty());
    }

    #[test]
    fn relative_thumbnail_needs_site_base() {
        let mut value = item("2507.00001", 1);
        value["thumbnail"] = json!("/avatars/x.png");
        let json = Value::Array(vec![value]).to_string();

        let day = parse_day(&json).unwrap();
        assert_eq!(day.papers[0].thumbnail, None);

        let options = ParseOptions {
            listed_on: None,
            site_base: Some(Url::parse("http://127.0.0.1:9/").unwrap()),
        };
        let day = parse_day_with(&json, &options).unwrap();
        assert_eq!(
            day.papers[0].thumbnail.as_deref(),
            Some("http://127.0.0.1:9/avatars/x.png")
        );
    }

    #[test]
    fn github_repo_cleaning() {
        let cases = [
            (
                "https://github.com/owner/repo",
                Some("https://github.com/owner/repo"),
            ),
            (
                "https://github.com/owner/repo.git",
                Some("https://github.com/owner/repo"),
            ),
            (
                "https://github.com/owner/repo.git/",
                Some("https://github.com/owner/repo"),
            ),
            (
                " https://github.com/owner/\n  repo \n",
                Some("https://github.com/owner/repo"),
            ),
            (
                "https://github.com/owner/repo/tree/main/src",
                Some("https://github.com/owner/repo"),
            ),
            (
                "http://www.github.com/owner/repo",
                Some("https://github.com/owner/repo"),
            ),
            (
                "github.com/owner/repo",
                Some("https://github.com/owner/repo"),
            ),
            (
                "https://gitlab.com/group/repo.git",
                Some("https://gitlab.com/group/repo"),
            ),
            ("https://github.com/owner", None),
            ("https://github.com/owner/.git", None),
            ("ftp://github.com/owner/repo", None),
            ("not a url", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(clean_github_repo(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn web_url_cleaning() {
        let base = Url::parse("http://127.0.0.1:9/").unwrap();
        let cases = [
            (
                " https://example.org/page",
                Some("https://example.org/page"),
            ),
            ("https://example.org/a\n b", Some("https://example.org/ab")),
            ("/papers/x.png", Some("http://127.0.0.1:9/papers/x.png")),
            ("javascript:alert(1)", None),
            ("example.org", None),
            ("   ", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                clean_web_url(raw, Some(&base)).as_deref(),
                expected,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn daily_date_precedence() {
        let listed = NaiveDate::from_ymd_opt(2025, 1, 27);
        let submitted = Some("2025-05-23T01:25:34.477Z");
        let outer = Some("2025-01-26T22:59:59.058Z");
        assert_eq!(
            daily_date(submitted, outer, listed),
            NaiveDate::from_ymd_opt(2025, 5, 23)
        );
        assert_eq!(daily_date(None, outer, listed), listed);
        assert_eq!(
            daily_date(None, outer, None),
            NaiveDate::from_ymd_opt(2025, 1, 26)
        );
        assert_eq!(daily_date(Some("garbage"), None, None), None);
    }

    // --- HTTP helpers -------------------------------------------------------------------------

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let seconds = headers(&[("retry-after", "120")]);
        assert_eq!(retry_after(&seconds, now), Some(Duration::from_secs(120)));

        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(60)));

        let past = headers(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]);
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));

        let rate_limit = headers(&[("ratelimit", "\"api\";r=0;t=42")]);
        assert_eq!(retry_after(&rate_limit, now), Some(Duration::from_secs(42)));

        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn link_header_next_page() {
        let request =
            Url::parse("http://127.0.0.1:9/api/daily_papers?date=2025-09-30&limit=20&p=0").unwrap();
        let cases = [
            (
                r#"</api/daily_papers?p=1&limit=20&sort=trending>; rel="next""#,
                Some(1),
            ),
            (
                r#"<http://127.0.0.1:9/api/daily_papers?p=4>; rel=next"#,
                Some(4),
            ),
            (
                r#"</api/daily_papers?p=0>; rel="prev", </api/daily_papers?p=2>; rel="next""#,
                Some(2),
            ),
            (r#"</api/daily_papers?p=3>; rel="last next""#, Some(3)),
            (r#"</api/daily_papers?p=5>; rel="last""#, None),
            (r#"</api/daily_papers?limit=20>; rel="next""#, None),
            ("garbage", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                link_next_page(&headers(&[("link", value)]), &request),
                expected,
                "{value}"
            );
        }
        assert_eq!(link_next_page(&HeaderMap::new(), &request), None);
    }

    #[test]
    fn next_page_rules() {
        let stats = |items, new_papers, skipped| PageStats {
            items,
            new_papers,
            skipped,
        };
        assert_eq!(next_page(0, 20, stats(20, 20, 0), None), Some(1));
        assert_eq!(next_page(0, 20, stats(19, 19, 0), None), None);
        assert_eq!(next_page(0, 20, stats(0, 0, 0), Some(1)), None);
        assert_eq!(next_page(1, 20, stats(20, 0, 0), None), None);
        assert_eq!(next_page(0, 20, stats(20, 0, 20), None), Some(1));
        assert_eq!(next_page(0, 20, stats(10, 10, 0), Some(1)), Some(1));
        assert_eq!(next_page(2, 20, stats(20, 20, 0), Some(2)), Some(3));
        assert_eq!(next_page(2, 20, stats(10, 10, 0), Some(1)), None);
        assert_eq!(next_page(u32::MAX, 20, stats(20, 20, 0), None), None);
    }

    #[test]
    fn http_error_messages() {
        assert_eq!(
            http_error_message(r#"{"error":"Invalid date"}"#),
            "Invalid date"
        );
        assert_eq!(http_error_message("upstream\n   failed"), "upstream failed");
        assert_eq!(http_error_message(""), "(empty body)");
        assert_eq!(excerpt(&"x".repeat(500), 200).chars().count(), 201);
    }

    #[test]
    fn client_rejects_bad_config() {
        let timeout = Duration::from_secs(1);
        assert_eq!(
            HfClient::new("http://127.0.0.1:9", timeout, 0).unwrap_err(),
            BuildError::PageSize { page_size: 0 }
        );
        assert_eq!(
            HfClient::new("http://127.0.0.1:9", timeout, 101).unwrap_err(),
            BuildError::PageSize { page_size: 101 }
        );
        assert!(matches!(
            HfClient::new("127.0.0.1:9", timeout, 10),
            Err(BuildError::BaseUrl { .. })
        ));
        assert!(matches!(
            HfClient::new("ftp://127.0.0.1", timeout, 10),
            Err(BuildError::BaseUrl { .. })
        ));
        assert!(matches!(
            HfClient::new("http://127.0.0.1/?a=1", timeout, 10),
            Err(BuildError::BaseUrl { .. })
        ));
    }

    #[test]
    fn page_url_keeps_base_path() {
        let client =
            HfClient::new("http://127.0.0.1:9/mirror", Duration::from_secs(1), 20).unwrap();
        let date = NaiveDate::from_ymd_opt(2025, 9, 30).unwrap();
        assert_eq!(
            client.page_url(date, 2).as_str(),
            "http://127.0.0.1:9/mirror/api/daily_papers?date=2025-09-30&limit=20&p=2"
        );
    }

    #[test]
    fn redacted_hides_credentials() {
        let url = Url::parse("http://user:secret@127.0.0.1:9/api/daily_papers?p=0").unwrap();
        assert_eq!(redacted(&url), "http://127.0.0.1:9/api/daily_papers?p=0");
    }
}
