//! arXiv API: Atom feed parsing and a client that follows the API's politeness rules.
//!
//! The arXiv API terms of use ask for at most one request every three seconds and a single
//! connection at a time. [`ArxivClient`] enforces both for the whole process through one gate
//! that every instance shares. Other processes or machines are not coordinated.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use reqwest::StatusCode;
use tokio::sync::Mutex;
use url::Url;

use crate::ids::{self, ArxivId};
use crate::paper::Paper;

const ATOM_NS: &[u8] = b"http://www.w3.org/2005/Atom";
const ARXIV_NS: &[u8] = b"http://arxiv.org/schemas/atom";
const OPENSEARCH_NS: &[u8] = b"http://a9.com/-/spec/opensearch/1.1/";

/// The entry `<id>` of an error feed starts with this path, e.g.
/// `https://arxiv.org/api/errors#incorrect_id_format_for_abc`.
const ERROR_ENTRY_ID_PATH: &str = "arxiv.org/api/errors";

/// Minimum spacing between requests that the arXiv API terms of use ask for.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(3);

/// Maximum number of results the API returns for one request (arXiv API user manual).
pub const MAX_RESULTS_PER_REQUEST: usize = 2000;

/// IDs per `id_list` request. Larger lists are split so that the URL stays a few kilobytes long.
const MAX_IDS_PER_REQUEST: usize = 100;

/// Largest response body accepted. A full page of 2000 entries is about 5 MB, estimated from the
/// recorded 100-entry search response (231 KB).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The time the last request through any [`ArxivClient`] started or finished, whichever came
/// later. Holding the lock for the whole exchange also keeps arXiv to one connection at a time.
static REQUEST_GATE: Mutex<Option<Instant>> = Mutex::const_new(None);

/// The papers of one Atom response page.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// `opensearch:totalResults`: how many entries match the query across all pages.
    pub total_results: Option<u64>,
    pub papers: Vec<Paper>,
}

/// Errors from reading an arXiv response as an Atom feed. The messages are meant for the log.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("invalid XML: {0}")]
    Xml(#[from] quick_xml::Error),
    #[error("unknown XML entity `&{0};`")]
    UnknownEntity(String),
    #[error("the document has no root element")]
    MissingRoot,
    #[error("the root element is `{0}`, not an Atom `feed`")]
    NotAtomFeed(String),
    #[error("the document has a second root element after the feed")]
    ExtraRoot,
    #[error("the document ends inside an open element; the response was probably cut off")]
    Truncated,
    /// The API returned an error feed; the text is the API's own message.
    #[error("the arXiv API returned an error: {0}")]
    Api(String),
}

/// Errors from a request to arXiv. The messages can be shown to Discord users as they are,
/// because they leave out URLs and library details. The `source` chain carries those for the log.
#[derive(Debug, thiserror::Error)]
pub enum ArxivError {
    #[error("the arXiv base URL `{url}` is invalid; expected an http or https URL such as http://127.0.0.1:8080")]
    InvalidBaseUrl { url: String },
    #[error("could not set up the connection to arXiv")]
    ClientSetup(#[source] reqwest::Error),
    #[error("`{category}` is not an arXiv category; use a name such as cs.AI or hep-th")]
    InvalidCategory { category: String },
    #[error("arXiv did not answer within {} s; try again later", format_seconds(*.timeout))]
    Timeout {
        timeout: Duration,
        #[source]
        source: reqwest::Error,
    },
    #[error("could not connect to arXiv; try again later")]
    Unreachable(#[source] reqwest::Error),
    #[error("the connection to arXiv failed; try again later")]
    Transport(#[source] reqwest::Error),
    #[error("arXiv returned HTTP {status}; try again later")]
    Status { status: u16 },
    #[error("arXiv rejected the request: {message}")]
    Api { message: String },
    #[error("arXiv returned an empty response; try again in a few seconds")]
    EmptyResponse,
    #[error("arXiv returned a response larger than {} MB", MAX_BODY_BYTES / (1024 * 1024))]
    ResponseTooLarge,
    #[error("arXiv returned a response that is not a valid Atom feed")]
    InvalidResponse(#[source] FeedError),
}

/// Formats a duration in seconds without a trailing `.0`, e.g. `10` or `0.5`.
fn format_seconds(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}")
    } else {
        format!("{seconds:.1}")
    }
}

/// Parses an arXiv API Atom response into papers.
///
/// Accepts both the 2016 serialisation (namespaces declared per element, hard-wrapped text) and
/// the current one: elements are matched by namespace and name in any order, and runs of
/// whitespace in titles, abstracts and names collapse to single spaces. Entries whose `<id>` is
/// not an arXiv ID, or that have no title, are skipped with a warning. An error feed becomes
/// [`FeedError::Api`].
pub fn parse_feed(xml: &str) -> Result<Feed, FeedError> {
    let mut reader = NsReader::from_str(xml);
    let mut builder = FeedBuilder::default();

    loop {
        let (namespace, event) = reader.read_resolved_event()?;
        let namespace = Namespace::from_resolved(&namespace);
        match event {
            Event::Start(start) => {
                let element = builder.classify(namespace, &start)?;
                builder.open(element, &start, &reader)?;
            }
            Event::Empty(start) => {
                let element = builder.classify(namespace, &start)?;
                builder.open(element, &start, &reader)?;
                builder.close()?;
            }
            Event::End(_) => builder.close()?,
            Event::Text(text) => builder.push_text(&text.decode().map_err(quick_xml::Error::from)?),
            Event::CData(data) => {
                builder.push_text(&data.decode().map_err(quick_xml::Error::from)?)
            }
            Event::GeneralRef(reference) => builder.push_reference(&reference)?,
            Event::Eof => break,
            _ => {}
        }
    }
    builder.finish()
}

/// The namespaces the parser distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Namespace {
    Atom,
    Arxiv,
    OpenSearch,
    Other,
}

impl Namespace {
    fn from_resolved(resolved: &ResolveResult<'_>) -> Self {
        match resolved {
            ResolveResult::Bound(ns) if ns.as_ref() == ATOM_NS => Namespace::Atom,
            ResolveResult::Bound(ns) if ns.as_ref() == ARXIV_NS => Namespace::Arxiv,
            ResolveResult::Bound(ns) if ns.as_ref() == OPENSEARCH_NS => Namespace::OpenSearch,
            _ => Namespace::Other,
        }
    }
}

/// The elements the parser reads, identified by namespace, name and parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Feed,
    TotalResults,
    Entry,
    EntryId,
    Title,
    Summary,
    Published,
    Author,
    AuthorName,
    Category,
    PrimaryCategory,
    Other,
}

impl Element {
    /// True for elements whose text content is collected.
    fn has_text(self) -> bool {
        matches!(
            self,
            Element::TotalResults
                | Element::EntryId
                | Element::Title
                | Element::Summary
                | Element::Published
                | Element::AuthorName
        )
    }
}

/// The fields of the `<entry>` being read.
#[derive(Debug, Default)]
struct EntryFields {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    published: Option<String>,
    authors: Vec<String>,
    categories: Vec<String>,
    primary_category: Option<String>,
}

#[derive(Debug, Default)]
struct FeedBuilder {
    open_elements: Vec<Element>,
    saw_root: bool,
    text: String,
    entry: Option<EntryFields>,
    total_results: Option<u64>,
    papers: Vec<Paper>,
}

impl FeedBuilder {
    fn classify(&self, namespace: Namespace, start: &BytesStart<'_>) -> Result<Element, FeedError> {
        let local_name = start.local_name();
        let name = local_name.as_ref();
        let parent = self.open_elements.last().copied();

        if parent.is_none() {
            if self.saw_root {
                return Err(FeedError::ExtraRoot);
            }
            return match (namespace, name) {
                (Namespace::Atom, b"feed") => Ok(Element::Feed),
                _ => Err(FeedError::NotAtomFeed(
                    String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                )),
            };
        }

        let element = match (parent, namespace, name) {
            (Some(Element::Feed), Namespace::OpenSearch, b"totalResults") => Element::TotalResults,
            (Some(Element::Feed), Namespace::Atom, b"entry") => Element::Entry,
            (Some(Element::Entry), Namespace::Atom, b"id") => Element::EntryId,
            (Some(Element::Entry), Namespace::Atom, b"title") => Element::Title,
            (Some(Element::Entry), Namespace::Atom, b"summary") => Element::Summary,
            (Some(Element::Entry), Namespace::Atom, b"published") => Element::Published,
            (Some(Element::Entry), Namespace::Atom, b"author") => Element::Author,
            (Some(Element::Author), Namespace::Atom, b"name") => Element::AuthorName,
            (Some(Element::Entry), Namespace::Atom, b"category") => Element::Category,
            (Some(Element::Entry), Namespace::Arxiv, b"primary_category") => {
                Element::PrimaryCategory
            }
            _ => Element::Other,
        };
        Ok(element)
    }

    fn open(
        &mut self,
        element: Element,
        start: &BytesStart<'_>,
        reader: &NsReader<&[u8]>,
    ) -> Result<(), FeedError> {
        self.saw_root = true;
        self.open_elements.push(element);
        self.text.clear();

        match element {
            Element::Entry => self.entry = Some(EntryFields::default()),
            Element::Category | Element::PrimaryCategory => {
                let term = term_attribute(start, reader)?;
                if let (Some(entry), Some(term)) = (self.entry.as_mut(), term) {
                    if element == Element::Category {
                        entry.categories.push(term);
                    } else {
                        entry.primary_category = Some(term);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn push_text(&mut self, text: &str) {
        if self.collecting_text() {
            self.text.push_str(text);
        }
    }

    /// Appends a character reference (`&#233;`) or one of the five predefined entities.
    fn push_reference(&mut self, reference: &BytesRef<'_>) -> Result<(), FeedError> {
        if !self.collecting_text() {
            return Ok(());
        }
        if let Some(character) = reference.resolve_char_ref()? {
            self.text.push(character);
            return Ok(());
        }
        let name = reference.decode().map_err(quick_xml::Error::from)?;
        let replacement = resolve_predefined_entity(&name)
            .ok_or_else(|| FeedError::UnknownEntity(name.to_string()))?;
        self.text.push_str(replacement);
        Ok(())
    }

    fn collecting_text(&self) -> bool {
        self.open_elements
            .last()
            .is_some_and(|element| element.has_text())
    }

    fn close(&mut self) -> Result<(), FeedError> {
        let Some(element) = self.open_elements.pop() else {
            return Ok(());
        };
        let text = normalize_whitespace(&self.text);
        self.text.clear();

        if element == Element::TotalResults {
            self.total_results = text.parse().ok();
            return Ok(());
        }
        if element == Element::Entry {
            if let Some(fields) = self.entry.take() {
                if let Some(paper) = paper_from_entry(fields)? {
                    self.papers.push(paper);
                }
            }
            return Ok(());
        }
        if let Some(entry) = self.entry.as_mut() {
            match element {
                Element::EntryId => entry.id = Some(text),
                Element::Title => entry.title = Some(text),
                Element::Summary => entry.summary = Some(text),
                Element::Published => entry.published = Some(text),
                Element::AuthorName => entry.authors.push(text),
                _ => {}
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Feed, FeedError> {
        if !self.saw_root {
            return Err(FeedError::MissingRoot);
        }
        if !self.open_elements.is_empty() {
            return Err(FeedError::Truncated);
        }
        Ok(Feed {
            total_results: self.total_results,
            papers: self.papers,
        })
    }
}

/// Reads the `term` attribute of a `<category>` or `<arxiv:primary_category>`.
fn term_attribute(
    start: &BytesStart<'_>,
    reader: &NsReader<&[u8]>,
) -> Result<Option<String>, FeedError> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(quick_xml::Error::from)?;
        if attribute.key.local_name().as_ref() == b"term" {
            let value = attribute.decode_and_unescape_value(reader.decoder())?;
            return Ok(Some(normalize_whitespace(&value)));
        }
    }
    Ok(None)
}

/// Collapses every run of whitespace to one space and trims the ends. arXiv hard-wrapped titles
/// and abstracts in its older output, so line breaks carry no meaning.
fn normalize_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Maps a finished entry to a paper. Returns `Ok(None)` for entries that are skipped.
fn paper_from_entry(fields: EntryFields) -> Result<Option<Paper>, FeedError> {
    let raw_id = fields.id.unwrap_or_default();
    if is_error_entry(&raw_id) {
        let message = fields
            .summary
            .or(fields.title)
            .unwrap_or_else(|| raw_id.clone());
        return Err(FeedError::Api(message));
    }

    let id = match ids::parse(&raw_id) {
        Ok(reference) => reference.id,
        Err(_) => {
            tracing::warn!(entry_id = %raw_id, "skipping arXiv entry: its id is not an arXiv ID");
            return Ok(None);
        }
    };
    let Some(title) = fields.title else {
        tracing::warn!(%id, "skipping arXiv entry: it has no title");
        return Ok(None);
    };

    let mut paper = Paper::new(id, title, fields.summary.unwrap_or_default());
    paper.authors = fields.authors;
    paper.published = fields.published.as_deref().and_then(parse_timestamp);
    paper.categories = order_categories(fields.primary_category, fields.categories);
    Ok(Some(paper))
}

fn is_error_entry(raw_id: &str) -> bool {
    let without_scheme = raw_id
        .strip_prefix("https://")
        .or_else(|| raw_id.strip_prefix("http://"))
        .unwrap_or(raw_id);
    without_scheme.starts_with(ERROR_ENTRY_ID_PATH)
}

/// Parses an RFC 3339 timestamp such as `2017-07-27T08:18:33Z` or `2016-10-09T00:00:00-04:00`.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(timestamp) => Some(timestamp.with_timezone(&Utc)),
        Err(error) => {
            tracing::warn!(timestamp = text, %error, "ignoring an invalid arXiv <published> time");
            None
        }
    }
}

/// Puts the primary category first, followed by the others in feed order without repeats.
fn order_categories(primary: Option<String>, categories: Vec<String>) -> Vec<String> {
    let mut ordered: Vec<String> = primary.into_iter().collect();
    for category in categories {
        if !ordered.contains(&category) {
            ordered.push(category);
        }
    }
    ordered
}

/// A client for the arXiv query API (`{base}/api/query`).
#[derive(Debug, Clone)]
pub struct ArxivClient {
    http: reqwest::Client,
    query_url: Url,
    timeout: Duration,
    min_interval: Duration,
}

impl ArxivClient {
    /// Creates a client for the API at `base_url` (scheme, host and optional path prefix; the
    /// client appends `/api/query`). `timeout` bounds each whole request, body included.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ArxivError> {
        let query_url = query_url_for(base_url)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .user_agent(concat!("paperboy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ArxivError::ClientSetup)?;
        Ok(ArxivClient {
            http,
            query_url,
            timeout,
            min_interval: DEFAULT_MIN_INTERVAL,
        })
    }

    /// Sets the minimum gap between this client's request and the previous request made by any
    /// client in the process. The default is [`DEFAULT_MIN_INTERVAL`]; shorter gaps are for tests
    /// against a local server.
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// Fetches the latest version of each paper in `ids`, in the order given.
    ///
    /// IDs that arXiv does not know are left out of the result, as the API omits them. Repeated
    /// IDs are requested once. More than 100 IDs take several requests, spaced like any others.
    pub async fn fetch(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, ArxivError> {
        let mut unique: Vec<&ArxivId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }

        let mut papers = Vec::with_capacity(unique.len());
        for batch in unique.chunks(MAX_IDS_PER_REQUEST) {
            let id_list = batch
                .iter()
                .map(|id| id.key())
                .collect::<Vec<_>>()
                .join(",");
            let params = [
                ("id_list", id_list),
                ("max_results", batch.len().to_string()),
            ];
            papers.extend(self.query(&params).await?.papers);
        }

        let position: HashMap<&ArxivId, usize> =
            unique.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        papers.sort_by_key(|paper| position.get(&paper.id).copied().unwrap_or(usize::MAX));
        Ok(papers)
    }

    /// Fetches the newest submissions in an arXiv category such as `cs.AI`, newest first.
    ///
    /// `max_results` is capped at [`MAX_RESULTS_PER_REQUEST`]; zero returns no papers without a
    /// request.
    pub async fn fetch_category_listing(
        &self,
        category: &str,
        max_results: usize,
    ) -> Result<Vec<Paper>, ArxivError> {
        if !is_category_name(category) {
            return Err(ArxivError::InvalidCategory {
                category: category.chars().take(ids::MAX_ECHOED_INPUT_CHARS).collect(),
            });
        }
        if max_results == 0 {
            return Ok(Vec::new());
        }
        let params = [
            ("search_query", format!("cat:{category}")),
            ("sortBy", "submittedDate".to_string()),
            ("sortOrder", "descending".to_string()),
            ("start", "0".to_string()),
            (
                "max_results",
                max_results.min(MAX_RESULTS_PER_REQUEST).to_string(),
            ),
        ];
        Ok(self.query(&params).await?.papers)
    }

    /// Sends one query and interprets the status and body together, because the API reports
    /// errors as an Atom error feed with HTTP 400.
    async fn query(&self, params: &[(&str, String)]) -> Result<Feed, ArxivError> {
        let mut url = self.query_url.clone();
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(key, value)| (*key, value.as_str())));

        let (status, body) = self.send_politely(url).await?;
        if body.trim().is_empty() {
            return Err(if status.is_success() {
                ArxivError::EmptyResponse
            } else {
                ArxivError::Status {
                    status: status.as_u16(),
                }
            });
        }

        match parse_feed(&body) {
            Ok(feed) if status.is_success() => Ok(feed),
            Err(FeedError::Api(message)) => Err(ArxivError::Api { message }),
            Err(error) if status.is_success() => Err(ArxivError::InvalidResponse(error)),
            _ => Err(ArxivError::Status {
                status: status.as_u16(),
            }),
        }
    }

    /// Waits for the process-wide gate, sends the request and reads the whole body.
    async fn send_politely(&self, url: Url) -> Result<(StatusCode, String), ArxivError> {
        let mut last_request = REQUEST_GATE.lock().await;
        if let Some(previous) = *last_request {
            let remaining = self.min_interval.saturating_sub(previous.elapsed());
            tokio::time::sleep(remaining).await;
        }
        // Recorded before sending too, so that a cancelled request still delays the next one.
        *last_request = Some(Instant::now());
        tracing::debug!(%url, "sending arXiv API request");

        let result = self.send(url).await;
        *last_request = Some(Instant::now());
        result
    }

    async fn send(&self, url: Url) -> Result<(StatusCode, String), ArxivError> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status();

        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(error))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ArxivError::ResponseTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    fn transport_error(&self, error: reqwest::Error) -> ArxivError {
        if error.is_timeout() {
            ArxivError::Timeout {
                timeout: self.timeout,
                source: error,
            }
        } else if error.is_connect() {
            ArxivError::Unreachable(error)
        } else {
            ArxivError::Transport(error)
        }
    }
}

/// Builds `{base}/api/query` from a base URL, keeping any path prefix.
fn query_url_for(base_url: &str) -> Result<Url, ArxivError> {
    let invalid = || ArxivError::InvalidBaseUrl {
        url: base_url.to_string(),
    };
    let mut url = Url::parse(base_url.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(invalid());
    }
    let path = format!("{}/api/query", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// True for names like `cs.AI`, `hep-th` or `cond-mat.str-el`. The check keeps search syntax such
/// as spaces, colons and parentheses out of the `cat:` query.
fn is_category_name(category: &str) -> bool {
    !category.is_empty()
        && category.len() <= 32
        && category.starts_with(|c: char| c.is_ascii_alphabetic())
        && category
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATOM_HEADER: &str =
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">"#;

    fn feed_with_entry(entry_body: &str) -> String {
        format!("{ATOM_HEADER}<entry>{entry_body}</entry></feed>")
    }

    #[test]
    fn entry_fields_in_any_order() {
        let xml = feed_with_entry(
            r#"<category term="cs.LG"/><author><name>B</name></author>
               <summary> An   abstract
               over lines </summary><arxiv:primary_category term="cs.AI"/>
               <title>A &amp; B &#233;</title><id>http://arxiv.org/abs/2401.12345v2</id>
               <author><name>A</name></author><category term="cs.AI"/>
               <published>2024-01-22T18:59:59Z</published>"#,
        );
        let feed = parse_feed(&xml).unwrap();
        let paper = &feed.papers[0];
        assert_eq!(paper.id.key(), "2401.12345");
        assert_eq!(paper.title, "A & B é");
        assert_eq!(paper.abstract_text, "An abstract over lines");
        assert_eq!(paper.authors, vec!["B", "A"]);
        assert_eq!(paper.categories, vec!["cs.AI", "cs.LG"]);
        assert_eq!(
            paper.published.map(|t| t.to_rfc3339()),
            Some("2024-01-22T18:59:59+00:00".into())
        );
    }

    #[test]
    fn prefixed_atom_namespace() {
        let xml = r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:entry>
            <a:id>http://arxiv.org/abs/2401.12345v1</a:id><a:title>T</a:title></a:entry></a:feed>"#;
        let feed = parse_feed(xml).unwrap();
        assert_eq!(feed.papers.len(), 1);
    }

    #[test]
    fn elements_outside_namespaces_ignored() {
        let xml = feed_with_entry(
            r#"<id>http://arxiv.org/abs/2401.12345v1</id><title>Real</title>
               <title xmlns="urn:other">Decoy</title>"#,
        );
        let feed = parse_feed(&xml).unwrap();
        assert_eq!(feed.papers[0].title, "Real");
    }

    #[test]
    fn cdata_title() {
        let xml = feed_with_entry(
            "<id>http://arxiv.org/abs/2401.12345v1</id><title><![CDATA[x < y]]></title>",
        );
        assert_eq!(parse_feed(&xml).unwrap().papers[0].title, "x < y");
    }

    #[test]
    fn entry_without_valid_id_skipped() {
        let xml = format!(
            "{ATOM_HEADER}<entry><id>http://example.com/x</id><title>T</title></entry>\
             <entry><title>No id</title></entry>\
             <entry><id>http://arxiv.org/abs/2401.12345v1</id></entry></feed>"
        );
        assert!(parse_feed(&xml).unwrap().papers.is_empty());
    }

    #[test]
    fn error_feed_becomes_api_error() {
        let xml = feed_with_entry(
            "<id>http://arxiv.org/api/errors#bad</id><title>Error</title><summary>bad input</summary>",
        );
        assert!(matches!(parse_feed(&xml), Err(FeedError::Api(message)) if message == "bad input"));
    }

    #[test]
    fn rejects_non_feed_documents() {
        assert!(matches!(parse_feed(""), Err(FeedError::MissingRoot)));
        assert!(matches!(
            parse_feed("Rate exceeded."),
            Err(FeedError::MissingRoot)
        ));
        assert!(
            matches!(parse_feed("<html><body/></html>"), Err(FeedError::NotAtomFeed(name)) if name == "html")
        );
        assert!(matches!(
            parse_feed("<feed><entry/></feed>"),
            Err(FeedError::NotAtomFeed(_))
        ));
        assert!(matches!(
            parse_feed(&format!("{ATOM_HEADER}<entry>")),
            Err(FeedError::Truncated)
        ));
        assert!(parse_feed(&format!("{ATOM_HEADER}</entry>")).is_err());
        assert!(parse_feed(&format!("{ATOM_HEADER}</feed><feed/>")).is_err());
    }

    #[test]
    fn unknown_entity_rejected() {
        let xml =
            feed_with_entry("<id>http://arxiv.org/abs/2401.12345v1</id><title>&nbsp;</title>");
        assert!(matches!(parse_feed(&xml), Err(FeedError::UnknownEntity(name)) if name == "nbsp"));
    }

    #[test]
    fn query_url_keeps_path_prefix() {
        let url = query_url_for("http://127.0.0.1:8080/mirror/").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/mirror/api/query");
        let url = query_url_for("http://127.0.0.1:8080").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/api/query");
    }

    #[test]
    fn query_url_rejects_other_schemes() {
        for base in [
            "",
            "127.0.0.1:8080",
            "ftp://127.0.0.1",
            "mailto:a@b",
            "http://",
        ] {
            assert!(query_url_for(base).is_err(), "`{base}` should be rejected");
        }
    }

    #[test]
    fn category_names() {
        for name in ["cs.AI", "hep-th", "cond-mat.str-el", "math.CA", "q-bio"] {
            assert!(is_category_name(name), "{name}");
        }
        for name in ["", "cs.AI OR cat:math", "cs:AI", "(cs)", ".cs", "cs/AI"] {
            assert!(!is_category_name(name), "{name}");
        }
    }

    #[test]
    fn timeout_message_in_seconds() {
        assert_eq!(format_seconds(Duration::from_secs(10)), "10");
        assert_eq!(format_seconds(Duration::from_millis(500)), "0.5");
    }
}
