//! Rendering replies into Discord messages that respect every Discord limit.
//!
//! The types here are plain data so that rendering is tested without serenity; the Discord
//! adapter converts them into serenity builders. Every renderer returns messages that pass
//! [`validate`], and the tests check this for hostile titles, abstracts and author lists.
//!
//! Embed titles, descriptions and field names and values are Markdown, so paper text goes
//! through [`text::escape_markdown`]. Footers render no Markdown and get plain text.

use serde::Serialize;

use crate::paper::Paper;
use crate::text;

// Discord's limits, counted in characters (Unicode scalar values, as twilight-http counts
// them). Sources: the OpenAPI description in tests/fixtures/discord-openapi.json for the
// per-part limits, and the twilight-http and Concord library documentation for the
// 6000-character total and the 100-character string choice value.

/// Message content of a bot message or interaction response.
pub const CONTENT_MAX: usize = 2000;
pub const EMBEDS_PER_MESSAGE_MAX: usize = 10;
pub const EMBED_TITLE_MAX: usize = 256;
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
pub const EMBED_FIELDS_MAX: usize = 25;
pub const FIELD_NAME_MAX: usize = 256;
pub const FIELD_VALUE_MAX: usize = 1024;
pub const FOOTER_TEXT_MAX: usize = 2048;
/// Embed author name. [`Embed`] has no author yet, so only the constant exists.
pub const AUTHOR_NAME_MAX: usize = 256;
/// Sum of title, description, field names and values, footer and author name over all
/// embeds of one message.
pub const EMBEDS_TOTAL_MAX: usize = 6000;
pub const EMBED_URL_MAX: usize = 2048;
pub const AUTOCOMPLETE_CHOICES_MAX: usize = 25;
pub const AUTOCOMPLETE_NAME_MAX: usize = 100;
/// The OpenAPI description allows 6000 characters for a string choice value, but client
/// libraries document 100, so the stricter value is used.
pub const AUTOCOMPLETE_VALUE_MAX: usize = 100;

/// Embed colour of every Paperboy embed (Hugging Face yellow).
const EMBED_COLOR: u32 = 0x00FF_D21E;

/// One embed, limited as Discord limits it (title 256, description 4096, field value 1024).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Embed {
    pub title: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    pub color: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// One Discord message: optional content (2000 characters) and up to 10 embeds whose text
/// adds up to at most 6000 characters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Message {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
}

impl Embed {
    /// Characters that count towards the 6000-character total of a message.
    pub fn text_chars(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|f| chars(&f.name) + chars(&f.value))
            .sum();
        optional_chars(&self.title)
            + optional_chars(&self.description)
            + optional_chars(&self.footer)
            + fields
    }
}

impl Field {
    fn new(name: impl Into<String>, value: impl Into<String>, inline: bool) -> Self {
        Field {
            name: name.into(),
            value: value.into(),
            inline,
        }
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn optional_chars(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, chars)
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A Discord limit that a message breaks. `part` names the place, e.g. "embed 2 field 3 value".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("{part} has {actual} characters, but Discord allows at most {max}")]
    TooLong {
        part: String,
        actual: usize,
        max: usize,
    },
    #[error("{part} has {actual} items, but Discord allows at most {max}")]
    TooMany {
        part: String,
        actual: usize,
        max: usize,
    },
    #[error("{part} is empty, but Discord requires text there")]
    Empty { part: String },
    #[error("{part} `{url}` is not an http(s) URL without whitespace")]
    InvalidUrl { part: String, url: String },
}

/// Checks `message` against every Discord limit that the [`Message`] type can break.
///
/// Besides lengths and counts, it rejects a message with neither content nor embeds and blank
/// field names or values, which Discord rejects too. It also rejects an embed without text and
/// an embed URL that is not http(s), which Paperboy never means to send.
pub fn validate(message: &Message) -> Result<(), LimitError> {
    if let Some(content) = &message.content {
        check_len("content", content, CONTENT_MAX)?;
    }
    let has_content = message
        .content
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    if !has_content && message.embeds.is_empty() {
        return Err(LimitError::Empty {
            part: "message".into(),
        });
    }
    check_count(
        "message embeds",
        message.embeds.len(),
        EMBEDS_PER_MESSAGE_MAX,
    )?;

    for (index, embed) in message.embeds.iter().enumerate() {
        validate_embed(index + 1, embed)?;
    }
    let total: usize = message.embeds.iter().map(Embed::text_chars).sum();
    if total > EMBEDS_TOTAL_MAX {
        return Err(LimitError::TooLong {
            part: "embed text of the message".into(),
            actual: total,
            max: EMBEDS_TOTAL_MAX,
        });
    }
    Ok(())
}

fn validate_embed(number: usize, embed: &Embed) -> Result<(), LimitError> {
    let part = |name: &str| format!("embed {number} {name}");
    if let Some(title) = &embed.title {
        check_len(&part("title"), title, EMBED_TITLE_MAX)?;
    }
    if let Some(description) = &embed.description {
        check_len(&part("description"), description, EMBED_DESCRIPTION_MAX)?;
    }
    if let Some(footer) = &embed.footer {
        check_len(&part("footer"), footer, FOOTER_TEXT_MAX)?;
    }
    if let Some(url) = &embed.url {
        check_url(&part("url"), url)?;
    }
    check_count(&part("fields"), embed.fields.len(), EMBED_FIELDS_MAX)?;
    for (index, field) in embed.fields.iter().enumerate() {
        let field_part = |name: &str| part(&format!("field {} {name}", index + 1));
        check_required(&field_part("name"), &field.name, FIELD_NAME_MAX)?;
        check_required(&field_part("value"), &field.value, FIELD_VALUE_MAX)?;
    }
    if embed.text_chars() == 0 {
        return Err(LimitError::Empty { part: part("text") });
    }
    Ok(())
}

fn check_len(part: &str, text: &str, max: usize) -> Result<(), LimitError> {
    let actual = chars(text);
    if actual > max {
        return Err(LimitError::TooLong {
            part: part.into(),
            actual,
            max,
        });
    }
    Ok(())
}

fn check_required(part: &str, text: &str, max: usize) -> Result<(), LimitError> {
    if text.trim().is_empty() {
        return Err(LimitError::Empty { part: part.into() });
    }
    check_len(part, text, max)
}

fn check_count(part: &str, actual: usize, max: usize) -> Result<(), LimitError> {
    if actual > max {
        return Err(LimitError::TooMany {
            part: part.into(),
            actual,
            max,
        });
    }
    Ok(())
}

fn check_url(part: &str, url: &str) -> Result<(), LimitError> {
    check_len(part, url, EMBED_URL_MAX)?;
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(LimitError::InvalidUrl {
            part: part.into(),
            url: url.into(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/// Maximum length of a provider URL (code repository, project page) that is linked. Longer
/// ones are left out, because they would crowd out the rest of an entry.
const PROVIDER_URL_MAX: usize = 300;

/// Maximum length of a shown author name. Longer names are shortened with an ellipsis.
const AUTHOR_NAME_SHOWN_MAX: usize = 80;

/// Separator between links and other items on one line.
const DOT: &str = " · ";

/// Turns a provider URL into one that is safe inside a Markdown link target, or `None`.
///
/// Providers send URLs with surrounding whitespace or embedded newlines, so the URL is
/// trimmed and rejected when whitespace, control characters or `<>"` and backticks remain.
/// Brackets and parentheses are percent-encoded so that they cannot end the link early, and
/// `@` so that no `@everyone` or `@here` stands in a message even inside a URL.
fn link_target(raw: &str) -> Option<String> {
    let url = raw.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let bad_char =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`');
    if !scheme_ok || url.chars().any(bad_char) || chars(url) > PROVIDER_URL_MAX {
        return None;
    }
    let encoded = url
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('[', "%5B")
        .replace(']', "%5D")
        .replace('@', "%40");
    Some(encoded)
}

/// Makes a paper title safe as the text of a Markdown link.
///
/// Square brackets become parentheses before escaping, because an escaped `]` inside link
/// text is parsed differently across Discord clients and could end the link early.
fn link_label(raw_title: &str, max_chars: usize) -> String {
    let plain = text::plain_line(raw_title)
        .replace('[', "(")
        .replace(']', ")");
    let label = text::truncate_markdown(&text::escape_markdown(&plain), max_chars);
    if label.trim().is_empty() {
        "Untitled".to_string()
    } else {
        label
    }
}

/// Builds the escaped title of an embed that links to the paper, at most [`EMBED_TITLE_MAX`].
fn embed_title(paper: &Paper) -> String {
    let title = text::truncate_markdown(&text::display_title(&paper.title), EMBED_TITLE_MAX);
    if title.trim().is_empty() {
        format!("arXiv:{}", paper.id)
    } else {
        title
    }
}

/// Cleaned, escaped author names, skipping names that clean to nothing.
fn author_names(authors: &[String]) -> Vec<String> {
    authors
        .iter()
        .map(|name| text::truncate_markdown(&text::display_title(name), AUTHOR_NAME_SHOWN_MAX))
        .filter(|name| !name.trim().is_empty())
        .collect()
}

/// Markdown links to the paper: arXiv, PDF, Hugging Face, code and, if asked, project page.
fn paper_links(paper: &Paper, with_project_page: bool) -> Vec<String> {
    let mut links = vec![
        format!("[arXiv]({})", paper.abs_url()),
        format!("[PDF]({})", paper.pdf_url()),
    ];
    if let Some(hf) = paper.hf_url() {
        links.push(format!("[Hugging Face]({hf})"));
    }
    if let Some(code) = paper.github_repo.as_deref().and_then(link_target) {
        let stars = paper
            .github_stars
            .map(|n| format!(" ★ {n}"))
            .unwrap_or_default();
        links.push(format!("[code]({code}){stars}"));
    }
    let project = paper.project_page.as_deref().filter(|_| with_project_page);
    if let Some(page) = project.and_then(link_target) {
        links.push(format!("[project page]({page})"));
    }
    links
}

/// Joins `items` with `separator`, stopping before the first item that would pass `max_chars`.
fn join_within(items: &[String], separator: &str, max_chars: usize) -> String {
    let mut joined = String::new();
    for item in items {
        let extra = if joined.is_empty() {
            0
        } else {
            chars(separator)
        };
        if chars(&joined) + extra + chars(item) > max_chars {
            break;
        }
        if !joined.is_empty() {
            joined.push_str(separator);
        }
        joined.push_str(item);
    }
    joined
}

/// Computes the description budget that the other parts of `embed` leave.
fn description_budget(embed: &Embed) -> usize {
    EMBED_DESCRIPTION_MAX.min(EMBEDS_TOTAL_MAX.saturating_sub(embed.text_chars()))
}

// ---------------------------------------------------------------------------------------------
// Paper lists
// ---------------------------------------------------------------------------------------------

/// One paper in a ranked list.
#[derive(Debug, Clone)]
pub struct ListedPaper<'a> {
    pub paper: &'a Paper,
    /// Position shown before the title, usually starting at 1.
    pub rank: usize,
    /// Short plain-text note shown after the upvotes, such as a search score.
    pub score_note: Option<String>,
}

/// Characters one list entry may take. With this cap at least three entries fit one embed
/// description and every entry fits a fresh message.
const LIST_ENTRY_MAX: usize = 1200;
const LIST_INTRO_MAX: usize = 1000;
const SCORE_NOTE_MAX: usize = 80;
const ENTRY_SEPARATOR: &str = "\n\n";

/// How much of a paper an entry shows. [`LIST_STYLES`] goes from the fullest to the most
/// compact, and an entry takes the first style that fits [`LIST_ENTRY_MAX`].
#[derive(Debug, Clone, Copy)]
struct EntryStyle {
    title_max: usize,
    authors_shown: usize,
    summary_max: usize,
}

/// Styles in the order they are tried: the summary goes first, then authors, then title length.
const LIST_STYLES: [EntryStyle; 6] = [
    EntryStyle {
        title_max: 200,
        authors_shown: 3,
        summary_max: 240,
    },
    EntryStyle {
        title_max: 200,
        authors_shown: 3,
        summary_max: 0,
    },
    EntryStyle {
        title_max: 200,
        authors_shown: 1,
        summary_max: 0,
    },
    EntryStyle {
        title_max: 200,
        authors_shown: 0,
        summary_max: 0,
    },
    EntryStyle {
        title_max: 80,
        authors_shown: 0,
        summary_max: 0,
    },
    EntryStyle {
        title_max: 30,
        authors_shown: 0,
        summary_max: 0,
    },
];

/// Renders a ranked list of papers as one or more messages.
///
/// `heading` is plain text and becomes the title of each message's first embed, with
/// "(2/3)" appended when the list spans several messages. `intro` is Markdown that opens
/// the first description, so callers escape any user text in it with
/// [`text::escape_markdown`]. Entries are packed into embed descriptions in order and a new
/// embed or message starts whenever a limit would be passed. The result always contains at
/// least one message, which reads "No papers to show." when `items` is empty.
pub fn paper_list(heading: &str, intro: Option<&str>, items: &[ListedPaper]) -> Vec<Message> {
    let mut blocks: Vec<String> = Vec::new();
    if let Some(intro) = intro.map(str::trim).filter(|i| !i.is_empty()) {
        blocks.push(text::truncate_markdown(
            &text::neutralize_mentions(intro),
            LIST_INTRO_MAX,
        ));
    }
    if items.is_empty() {
        blocks.push("No papers to show.".to_string());
    }
    blocks.extend(items.iter().map(fitted_entry));

    let pages = pack_blocks(&blocks);
    let page_count = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(index, descriptions)| list_message(heading, index + 1, page_count, descriptions))
        .collect()
}

/// Renders the longest run of `items`, from the first, that fits one message, and returns it
/// with the number of items it shows (at least one when there are any).
pub fn paper_list_page(heading: &str, items: &[ListedPaper]) -> (Message, usize) {
    // Each entry is rendered once: fitting it is the costly part, packing is cheap.
    let blocks: Vec<String> = items.iter().map(fitted_entry).collect();
    for count in (1..=blocks.len()).rev() {
        let mut pages = pack_blocks(&blocks[..count]);
        if pages.len() == 1 {
            return (list_message(heading, 1, 1, pages.swap_remove(0)), count);
        }
    }
    let mut messages = paper_list(heading, None, &items[..items.len().min(1)]);
    (messages.swap_remove(0), items.len().min(1))
}

/// Renders an entry in the fullest style that fits [`LIST_ENTRY_MAX`].
fn fitted_entry(item: &ListedPaper) -> String {
    for style in LIST_STYLES {
        let entry = list_entry(item, style);
        if chars(&entry) <= LIST_ENTRY_MAX {
            return entry;
        }
    }
    // The caps above make this unreachable. The hard cut keeps the limit if they change.
    let compact = LIST_STYLES[LIST_STYLES.len() - 1];
    text::truncate_markdown(&list_entry(item, compact), LIST_ENTRY_MAX)
}

fn list_entry(item: &ListedPaper, style: EntryStyle) -> String {
    let paper = item.paper;
    let mut lines = vec![entry_headline(item, style.title_max)];
    if let Some(authors) = short_author_line(&paper.authors, style.authors_shown) {
        lines.push(authors);
    }
    lines.push(paper_links(paper, false).join(DOT));
    if let Some(summary) = short_summary(paper, style.summary_max) {
        lines.push(format!("> {summary}"));
    }
    lines.join("\n")
}

/// "**1.** [Title](abs URL) · ▲ 42 · note"
fn entry_headline(item: &ListedPaper, title_max: usize) -> String {
    let paper = item.paper;
    let label = link_label(&paper.title, title_max);
    let mut line = format!("**{}.** [{label}]({})", item.rank, paper.abs_url());
    if let Some(upvotes) = paper.upvotes {
        line.push_str(&format!("{DOT}▲ {upvotes}"));
    }
    let note = item
        .score_note
        .as_deref()
        .map(text::plain_line)
        .filter(|n| !n.is_empty());
    if let Some(note) = note {
        line.push_str(DOT);
        line.push_str(&text::truncate_markdown(
            &text::escape_markdown(&note),
            SCORE_NOTE_MAX,
        ));
    }
    line
}

/// "A, B, C et al. (664 authors)", or `None` when no author is shown.
fn short_author_line(authors: &[String], shown: usize) -> Option<String> {
    let names = author_names(authors);
    if shown == 0 || names.is_empty() {
        return None;
    }
    if names.len() <= shown {
        return Some(names.join(", "));
    }
    Some(format!(
        "{} et al. ({} authors)",
        names[..shown].join(", "),
        names.len()
    ))
}

/// Picks the Hugging Face AI summary, or else the abstract's first sentence, as one line.
fn short_summary(paper: &Paper, max_chars: usize) -> Option<String> {
    if max_chars == 0 {
        return None;
    }
    let ai_summary = paper
        .ai_summary
        .as_deref()
        .map(text::plain_line)
        .filter(|s| !s.is_empty());
    let summary = match ai_summary {
        Some(summary) => summary,
        None => text::first_sentence(&text::plain_line(&paper.abstract_text)).to_string(),
    };
    let escaped = text::escape_markdown(&summary);
    (!escaped.trim().is_empty()).then(|| text::truncate_markdown(&escaped, max_chars))
}

/// Embed text that each message keeps free for the heading in its first embed's title.
const HEADING_RESERVE: usize = EMBED_TITLE_MAX;

/// Groups blocks into messages of embed descriptions. Every block must fit an empty
/// description, which [`LIST_ENTRY_MAX`] and [`LIST_INTRO_MAX`] ensure.
fn pack_blocks(blocks: &[String]) -> Vec<Vec<String>> {
    let message_budget = EMBEDS_TOTAL_MAX - HEADING_RESERVE;
    let mut packer = Packer {
        messages: Vec::new(),
        embeds: Vec::new(),
        description: String::new(),
        budget: message_budget,
    };
    for block in blocks {
        packer.add(block);
    }
    packer.finish()
}

struct Packer {
    messages: Vec<Vec<String>>,
    embeds: Vec<String>,
    description: String,
    budget: usize,
}

impl Packer {
    fn add(&mut self, block: &str) {
        if chars(&self.description) + self.separator_chars() + chars(block) > EMBED_DESCRIPTION_MAX
        {
            self.close_embed();
        }
        let used: usize =
            self.embeds.iter().map(|d| chars(d)).sum::<usize>() + chars(&self.description);
        if used + self.separator_chars() + chars(block) > self.budget {
            self.close_embed();
            self.close_message();
        }
        if self.description.is_empty() && self.embeds.len() == EMBEDS_PER_MESSAGE_MAX {
            self.close_message();
        }
        if !self.description.is_empty() {
            self.description.push_str(ENTRY_SEPARATOR);
        }
        self.description.push_str(block);
    }

    fn separator_chars(&self) -> usize {
        if self.description.is_empty() {
            0
        } else {
            chars(ENTRY_SEPARATOR)
        }
    }

    fn close_embed(&mut self) {
        if !self.description.is_empty() {
            self.embeds.push(std::mem::take(&mut self.description));
        }
    }

    fn close_message(&mut self) {
        if !self.embeds.is_empty() {
            self.messages.push(std::mem::take(&mut self.embeds));
        }
    }

    fn finish(mut self) -> Vec<Vec<String>> {
        self.close_embed();
        self.close_message();
        self.messages
    }
}

fn list_message(
    heading: &str,
    page: usize,
    page_count: usize,
    descriptions: Vec<String>,
) -> Message {
    let title = list_title(heading, page, page_count);
    let embeds = descriptions
        .into_iter()
        .enumerate()
        .map(|(index, description)| Embed {
            title: if index == 0 { title.clone() } else { None },
            description: Some(description),
            color: Some(EMBED_COLOR),
            ..Embed::default()
        })
        .collect();
    Message {
        content: None,
        embeds,
    }
}

/// Builds the escaped heading with "(page/count)" when there are several pages, or `None`
/// when the heading is blank.
fn list_title(heading: &str, page: usize, page_count: usize) -> Option<String> {
    let heading = text::escape_markdown(&text::plain_line(heading));
    if heading.is_empty() {
        return None;
    }
    if page_count <= 1 {
        return Some(text::truncate_markdown(&heading, EMBED_TITLE_MAX));
    }
    let suffix = format!(" ({page}/{page_count})");
    let room = EMBED_TITLE_MAX.saturating_sub(chars(&suffix));
    Some(format!(
        "{}{suffix}",
        text::truncate_markdown(&heading, room)
    ))
}

// ---------------------------------------------------------------------------------------------
// Paper detail and summary
// ---------------------------------------------------------------------------------------------

/// Maximum length of the categories field value. arXiv papers rarely have more than a few.
const CATEGORIES_MAX: usize = 200;

/// Renders one paper in full: linked title, abstract, authors, dates, upvotes, categories
/// and links, with the arXiv ID in the footer.
///
/// The abstract gets whatever part of the 6000-character message total the other parts
/// leave, up to the 4096-character description limit.
pub fn paper_detail(paper: &Paper) -> Message {
    let mut embed = Embed {
        title: Some(embed_title(paper)),
        url: Some(paper.abs_url()),
        fields: detail_fields(paper),
        footer: Some(format!("arXiv:{}", paper.id)),
        color: Some(EMBED_COLOR),
        ..Embed::default()
    };
    let abstract_text = text::display_abstract(&paper.abstract_text);
    let description = text::truncate_markdown(&abstract_text, description_budget(&embed));
    embed.description = Some(description).filter(|d| !d.trim().is_empty());
    Message {
        content: None,
        embeds: vec![embed],
    }
}

fn detail_fields(paper: &Paper) -> Vec<Field> {
    let mut fields = Vec::new();
    let names = author_names(&paper.authors);
    if !names.is_empty() {
        let name = if names.len() == 1 {
            "Author".to_string()
        } else {
            format!("Authors ({})", names.len())
        };
        fields.push(Field::new(
            name,
            author_list(&names, FIELD_VALUE_MAX),
            false,
        ));
    }
    if let Some(published) = paper.published {
        fields.push(Field::new(
            "Published",
            published.format("%Y-%m-%d").to_string(),
            true,
        ));
    }
    if let Some(day) = paper.daily_date {
        fields.push(Field::new(
            "Daily Papers",
            day.format("%Y-%m-%d").to_string(),
            true,
        ));
    }
    if let Some(upvotes) = paper.upvotes {
        fields.push(Field::new("Upvotes", format!("▲ {upvotes}"), true));
    }
    if let Some(categories) = categories_value(&paper.categories) {
        fields.push(Field::new("Categories", categories, true));
    }
    let links = join_within(&paper_links(paper, true), DOT, FIELD_VALUE_MAX);
    fields.push(Field::new("Links", links, false));
    fields
}

/// "A, B, C … and 661 more": as many names as fit `max_chars` together with the count of
/// the rest.
fn author_list(names: &[String], max_chars: usize) -> String {
    let more = |count: usize| format!(" … and {count} more");
    let mut value = String::new();
    let mut shown = 0;
    for (index, name) in names.iter().enumerate() {
        let left_after = names.len() - index - 1;
        let separator = if shown == 0 { 0 } else { 2 };
        let suffix = if left_after == 0 {
            0
        } else {
            chars(&more(left_after))
        };
        if chars(&value) + separator + chars(name) + suffix > max_chars {
            break;
        }
        if shown > 0 {
            value.push_str(", ");
        }
        value.push_str(name);
        shown += 1;
    }
    if shown < names.len() {
        value.push_str(&more(names.len() - shown));
    }
    text::truncate_markdown(value.trim(), max_chars)
}

fn categories_value(categories: &[String]) -> Option<String> {
    let joined = categories
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let value = text::truncate_markdown(&text::escape_markdown(&joined), CATEGORIES_MAX);
    (!value.is_empty()).then_some(value)
}

/// Renders a summary of `paper` with the source of the summary in the footer.
///
/// `summary` is treated as untrusted text, for instance the output of a language model fed
/// with the abstract: its Markdown is escaped so that it can neither format nor add links,
/// and its line breaks are kept.
pub fn summary_message(paper: &Paper, summary: &str, source_label: &str) -> Message {
    let footer = format!("{} · arXiv:{}", text::plain_line(source_label), paper.id);
    let links = join_within(&paper_links(paper, true), DOT, FIELD_VALUE_MAX);
    let mut embed = Embed {
        title: Some(embed_title(paper)),
        url: Some(paper.abs_url()),
        fields: vec![Field::new("Links", links, false)],
        footer: Some(text::truncate(
            footer.trim_start_matches([' ', '·']),
            FOOTER_TEXT_MAX,
        )),
        color: Some(EMBED_COLOR),
        ..Embed::default()
    };
    let cleaned = text::latex_to_text(&summary.replace("\r\n", "\n"));
    let escaped = text::escape_markdown(cleaned.trim());
    let description = if escaped.is_empty() {
        "The summary is empty.".to_string()
    } else {
        escaped
    };
    embed.description = Some(text::truncate_markdown(
        &description,
        description_budget(&embed),
    ));
    Message {
        content: None,
        embeds: vec![embed],
    }
}

// ---------------------------------------------------------------------------------------------
// Notices and autocomplete
// ---------------------------------------------------------------------------------------------

/// Renders a plain user-facing note or error as message content of at most 2000 characters.
///
/// `text` is Markdown written by the bot, so it is not escaped, but mentions in it are
/// neutralised in case user input was pasted into it. Callers escape user input with
/// [`text::escape_markdown`].
pub fn notice(message_text: &str) -> Message {
    let trimmed = message_text.trim();
    let content = if trimmed.is_empty() {
        "(no details)"
    } else {
        trimmed
    };
    let content = text::truncate_markdown(&text::neutralize_mentions(content), CONTENT_MAX);
    Message {
        content: Some(content),
        embeds: Vec::new(),
    }
}

/// Builds one autocomplete choice as (name, value), each at most 100 characters.
///
/// The label is shown as is, without Markdown, so callers pass clean text such as
/// [`text::plain_line`] of a title. Whitespace runs become one space, and a label that is
/// blank falls back to the value. The value is cut at 100 characters without an ellipsis,
/// because it is data that Discord sends back to the bot. Callers keep values short, such as
/// an arXiv ID.
pub fn autocomplete_choice(label: &str, value: &str) -> (String, String) {
    let value: String = value.chars().take(AUTOCOMPLETE_VALUE_MAX).collect();
    let mut name = label.split_whitespace().collect::<Vec<_>>().join(" ");
    name.retain(|c| !c.is_control());
    if name.is_empty() {
        name = value.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    if name.is_empty() {
        name = "(untitled)".to_string();
    }
    (text::truncate(&name, AUTOCOMPLETE_NAME_MAX), value)
}

/// Builds at most 25 autocomplete choices from (label, value) pairs, in order.
pub fn autocomplete_choices<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .take(AUTOCOMPLETE_CHOICES_MAX)
        .map(|(label, value)| autocomplete_choice(label, value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ArxivId;
    use chrono::{NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;

    const HOSTILE_TITLE_START: &str =
        "@everyone *Bold* claim] (x) [link](https://evil.example) <@123> ";

    fn paper(number: usize) -> Paper {
        let id = ArxivId::from_key(&format!("2401.{number:05}")).expect("test IDs are valid");
        let mut paper = Paper::new(
            id,
            format!("Paper number {number}"),
            "A short abstract. More.",
        );
        paper.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
        paper.upvotes = Some(12);
        paper
    }

    /// Builds a paper that pushes every limit: a 300-character title full of Markdown and
    /// mentions, a 4000-character abstract with LaTeX, and 664 authors.
    fn hostile_paper(number: usize) -> Paper {
        let mut paper = paper(number);
        let mut title = HOSTILE_TITLE_START.to_string();
        while title.chars().count() < 300 {
            title.push_str("$\\alpha$ *_~`|>#] ");
        }
        paper.title = title.chars().take(300).collect();
        let mut abstract_text = String::new();
        while abstract_text.chars().count() < 4000 {
            abstract_text.push_str(
                "We show $O(n^{2})$ \\textbf{gains} of 84\\% @here on *V* bench_x ~10% [a](b)\n",
            );
        }
        paper.abstract_text = abstract_text.chars().take(4000).collect();
        paper.authors = (0..664)
            .map(|i| format!("Author Number{i} Surname"))
            .collect();
        paper.published = Some(Utc.with_ymd_and_hms(2024, 1, 15, 12, 0, 0).unwrap());
        paper.daily_date = NaiveDate::from_ymd_opt(2024, 1, 16);
        paper.github_repo = Some("https://github.com/org/repo(1)\n".into());
        paper.github_stars = Some(24);
        paper.project_page = Some(" https://org.github.io/page ".into());
        paper.categories = vec!["cs.CL".into(), "cs.AI".into()];
        paper.ai_summary = Some("Summary with **bold** and @everyone. ".repeat(20));
        paper
    }

    fn listed(papers: &[Paper]) -> Vec<ListedPaper<'_>> {
        papers
            .iter()
            .enumerate()
            .map(|(index, paper)| ListedPaper {
                paper,
                rank: index + 1,
                score_note: Some("score 0.93".into()),
            })
            .collect()
    }

    fn all_text(message: &Message) -> String {
        let mut out = message.content.clone().unwrap_or_default();
        for embed in &message.embeds {
            for part in [&embed.title, &embed.description, &embed.footer]
                .into_iter()
                .flatten()
            {
                out.push_str(part);
            }
            for field in &embed.fields {
                out.push_str(&field.name);
                out.push_str(&field.value);
            }
        }
        out
    }

    fn assert_valid(message: &Message) {
        assert_eq!(validate(message), Ok(()), "{message:#?}");
        let text = all_text(message);
        for mention in ["@everyone", "@here", "<@", "<#"] {
            assert!(!text.contains(mention), "message contains {mention}");
        }
    }

    #[test]
    fn detail_of_hostile_paper_validates() {
        let message = paper_detail(&hostile_paper(1));
        assert_valid(&message);
        let embed = &message.embeds[0];
        assert_eq!(
            embed.url.as_deref(),
            Some("https://arxiv.org/abs/2401.00001")
        );
        assert_eq!(embed.footer.as_deref(), Some("arXiv:2401.00001"));
        assert!(embed.title.as_deref().unwrap().chars().count() <= EMBED_TITLE_MAX);
        assert!(embed.description.as_deref().unwrap().contains("O(n²)"));
    }

    #[test]
    fn detail_authors_fit_field() {
        let message = paper_detail(&hostile_paper(1));
        let authors = &message.embeds[0].fields[0];
        assert_eq!(authors.name, "Authors (664)");
        assert!(authors.value.chars().count() <= FIELD_VALUE_MAX);
        assert!(authors
            .value
            .starts_with("Author Number0 Surname, Author Number1 Surname"));
        assert!(authors.value.ends_with(" more"), "{}", authors.value);
    }

    #[test]
    fn detail_links_sanitise_urls() {
        let message = paper_detail(&hostile_paper(1));
        let links = message.embeds[0]
            .fields
            .iter()
            .find(|f| f.name == "Links")
            .unwrap();
        assert!(links
            .value
            .contains("[code](https://github.com/org/repo%281%29) ★ 24"));
        assert!(links
            .value
            .contains("[project page](https://org.github.io/page)"));
        assert!(links
            .value
            .contains("[Hugging Face](https://huggingface.co/papers/2401.00001)"));
    }

    #[test]
    fn detail_minimal_paper_validates() {
        let id = ArxivId::from_key("2401.00001").unwrap();
        let message = paper_detail(&Paper::new(id, "", ""));
        assert_valid(&message);
        assert_eq!(message.embeds[0].title.as_deref(), Some("arXiv:2401.00001"));
        assert_eq!(message.embeds[0].description, None);
    }

    #[test]
    fn list_of_hostile_papers_validates() {
        let papers: Vec<Paper> = (1..=25).map(hostile_paper).collect();
        let messages = paper_list("Trending papers", Some("Top of the day"), &listed(&papers));
        assert!(!messages.is_empty());
        for message in &messages {
            assert_valid(message);
        }
    }

    #[test]
    fn list_of_fifty_splits_messages() {
        let papers: Vec<Paper> = (1..=50).map(hostile_paper).collect();
        let messages = paper_list("Trending papers", None, &listed(&papers));
        assert!(messages.len() > 1, "50 long entries need several messages");
        for message in &messages {
            assert_valid(message);
            assert!(message.embeds.len() <= EMBEDS_PER_MESSAGE_MAX);
            let total: usize = message.embeds.iter().map(Embed::text_chars).sum();
            assert!(total <= EMBEDS_TOTAL_MAX);
        }
        let count = messages.len();
        assert_eq!(
            messages[0].embeds[0].title.as_deref(),
            Some(format!("Trending papers (1/{count})").as_str())
        );
    }

    #[test]
    fn list_keeps_every_rank_in_order() {
        let papers: Vec<Paper> = (1..=50).map(hostile_paper).collect();
        let text: String = paper_list("T", None, &listed(&papers))
            .iter()
            .map(all_text)
            .collect();
        let mut last = 0;
        for rank in 1..=50 {
            let marker = format!("**{rank}.** [");
            assert_eq!(text.matches(&marker).count(), 1, "rank {rank}");
            let at = text.find(&marker).unwrap();
            assert!(at > last || rank == 1, "rank {rank} out of order");
            last = at;
        }
    }

    #[test]
    fn list_title_link_survives_brackets() {
        let mut hostile = paper(7);
        hostile.title = "Closing ] and ) and [nested] title".into();
        let messages = paper_list("T", None, &listed(std::slice::from_ref(&hostile)));
        let description = messages[0].embeds[0].description.clone().unwrap();
        let line = description.lines().next().unwrap();
        let label = line
            .strip_prefix("**1.** [")
            .unwrap()
            .split("](https://arxiv.org/abs/2401.00007)")
            .next()
            .unwrap();
        assert_eq!(label, "Closing ) and ) and (nested) title");
    }

    #[test]
    fn list_entry_format() {
        let papers = [paper(3)];
        let messages = paper_list("Heading", None, &listed(&papers));
        let description = messages[0].embeds[0].description.clone().unwrap();
        let expected = "**1.** [Paper number 3](https://arxiv.org/abs/2401.00003) · ▲ 12 · score 0.93\n\
                        Ada Lovelace, Alan Turing\n\
                        [arXiv](https://arxiv.org/abs/2401.00003) · [PDF](https://arxiv.org/pdf/2401.00003) · \
                        [Hugging Face](https://huggingface.co/papers/2401.00003)\n\
                        > A short abstract.";
        assert_eq!(description, expected);
        assert_eq!(messages[0].embeds[0].title.as_deref(), Some("Heading"));
    }

    #[test]
    fn list_shows_first_authors_and_count() {
        let mut many = paper(4);
        many.authors = vec!["A".into(), "B".into(), "C".into(), "D".into()];
        let entry = fitted_entry(&ListedPaper {
            paper: &many,
            rank: 1,
            score_note: None,
        });
        assert!(entry.contains("\nA, B, C et al. (4 authors)\n"), "{entry}");
    }

    #[test]
    fn list_entry_drops_summary_first() {
        let mut crowded = hostile_paper(5);
        crowded.github_repo = Some(format!("https://github.com/{}", "x".repeat(280)));
        crowded.authors = (0..10).map(|i| format!("{i}{}", "n".repeat(90))).collect();
        let item = ListedPaper {
            paper: &crowded,
            rank: 1,
            score_note: Some("s".repeat(200)),
        };
        let entry = fitted_entry(&item);
        assert!(entry.chars().count() <= LIST_ENTRY_MAX);
        assert!(!entry.contains("\n> "), "summary should be dropped first");
        assert!(entry.contains("et al. (10 authors)"), "authors should stay");
    }

    #[test]
    fn list_empty_says_so() {
        let messages = paper_list("Nothing", None, &[]);
        assert_eq!(messages.len(), 1);
        assert_valid(&messages[0]);
        assert_eq!(
            messages[0].embeds[0].description.as_deref(),
            Some("No papers to show.")
        );
    }

    #[test]
    fn summary_message_validates() {
        let paper = hostile_paper(2);
        let summary = "- point one @everyone\n- point **two**\n".repeat(300);
        let message = summary_message(&paper, &summary, "Hugging Face AI summary");
        assert_valid(&message);
        let embed = &message.embeds[0];
        assert_eq!(
            embed.footer.as_deref(),
            Some("Hugging Face AI summary · arXiv:2401.00002")
        );
        assert!(embed
            .description
            .as_deref()
            .unwrap()
            .starts_with("\\- point one @\u{200B}everyone\n"));
    }

    #[test]
    fn summary_message_empty_summary() {
        let message = summary_message(&paper(2), "  ", "");
        assert_valid(&message);
        assert_eq!(
            message.embeds[0].description.as_deref(),
            Some("The summary is empty.")
        );
        assert_eq!(
            message.embeds[0].footer.as_deref(),
            Some("arXiv:2401.00002")
        );
    }

    #[test]
    fn notice_clamps_and_neutralises() {
        let message = notice(&"@everyone ".repeat(500));
        assert_valid(&message);
        assert!(message.content.as_deref().unwrap().chars().count() <= CONTENT_MAX);
        assert_valid(&notice(""));
        assert_eq!(
            notice("  **Not found.** ").content.as_deref(),
            Some("**Not found.**")
        );
    }

    #[test]
    fn validate_rejects_each_limit() {
        let embed = |description: &str| Embed {
            description: Some(description.into()),
            ..Embed::default()
        };
        let too_many = Message {
            content: None,
            embeds: vec![embed("x"); 11],
        };
        assert!(matches!(
            validate(&too_many),
            Err(LimitError::TooMany { .. })
        ));

        let long_title = Message {
            content: None,
            embeds: vec![Embed {
                title: Some("t".repeat(257)),
                ..Embed::default()
            }],
        };
        assert!(matches!(
            validate(&long_title),
            Err(LimitError::TooLong {
                max: EMBED_TITLE_MAX,
                ..
            })
        ));

        let over_total = Message {
            content: None,
            embeds: vec![embed(&"d".repeat(4000)), embed(&"d".repeat(2001))],
        };
        assert!(matches!(
            validate(&over_total),
            Err(LimitError::TooLong {
                max: EMBEDS_TOTAL_MAX,
                ..
            })
        ));

        let blank_field = Embed {
            fields: vec![Field::new("Name", " ", false)],
            ..Embed::default()
        };
        let blank_field = Message {
            content: None,
            embeds: vec![blank_field],
        };
        assert!(matches!(
            validate(&blank_field),
            Err(LimitError::Empty { .. })
        ));

        let too_many_fields = Embed {
            fields: vec![Field::new("n", "v", true); 26],
            ..Embed::default()
        };
        let too_many_fields = Message {
            content: None,
            embeds: vec![too_many_fields],
        };
        assert!(matches!(
            validate(&too_many_fields),
            Err(LimitError::TooMany {
                max: EMBED_FIELDS_MAX,
                ..
            })
        ));

        let long_content = Message {
            content: Some("c".repeat(2001)),
            embeds: vec![],
        };
        assert!(matches!(
            validate(&long_content),
            Err(LimitError::TooLong {
                max: CONTENT_MAX,
                ..
            })
        ));

        assert!(matches!(
            validate(&Message::default()),
            Err(LimitError::Empty { .. })
        ));

        let bad_url = Embed {
            title: Some("t".into()),
            url: Some("javascript:alert(1)".into()),
            ..Embed::default()
        };
        let bad_url = Message {
            content: None,
            embeds: vec![bad_url],
        };
        assert!(matches!(
            validate(&bad_url),
            Err(LimitError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn validate_error_names_the_part() {
        let long_value = Embed {
            fields: vec![Field::new("n", "v".repeat(1025), false)],
            ..Embed::default()
        };
        let error = validate(&Message {
            content: None,
            embeds: vec![long_value],
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "embed 1 field 1 value has 1025 characters, but Discord allows at most 1024"
        );
    }

    #[test]
    fn autocomplete_choice_clamps() {
        let (name, value) = autocomplete_choice(&"word ".repeat(40), &"9".repeat(150));
        assert!(name.chars().count() <= AUTOCOMPLETE_NAME_MAX);
        assert!(name.ends_with('…'));
        assert_eq!(value.chars().count(), AUTOCOMPLETE_VALUE_MAX);
        assert_eq!(
            autocomplete_choice("a\n\tb", "id"),
            ("a b".to_string(), "id".to_string())
        );
        assert_eq!(autocomplete_choice(" ", "2401.00001").0, "2401.00001");
        assert_eq!(autocomplete_choice("", "").0, "(untitled)");
    }

    #[test]
    fn autocomplete_choices_caps_count() {
        let pairs: Vec<(String, String)> = (0..40)
            .map(|i| (format!("t{i}"), format!("v{i}")))
            .collect();
        let choices = autocomplete_choices(pairs.iter().map(|(l, v)| (l.as_str(), v.as_str())));
        assert_eq!(choices.len(), AUTOCOMPLETE_CHOICES_MAX);
        assert_eq!(choices[0], ("t0".to_string(), "v0".to_string()));
    }

    fn arbitrary_paper() -> impl Strategy<Value = Paper> {
        (
            "\\PC{0,400}",
            "\\PC{0,5000}",
            prop::collection::vec("\\PC{0,120}", 0..40),
            prop::option::of("\\PC{0,400}"),
            prop::option::of("\\PC{0,80}"),
            prop::collection::vec("\\PC{0,30}", 0..5),
        )
            .prop_map(
                |(title, abstract_text, authors, ai_summary, github, categories)| {
                    let mut paper = Paper::new(
                        ArxivId::from_key("2401.12345").unwrap(),
                        title,
                        abstract_text,
                    );
                    paper.authors = authors;
                    paper.ai_summary = ai_summary;
                    paper.github_repo = github.map(|g| format!("https://github.com/{g}"));
                    paper.project_page = Some("https://example.org/a b".into());
                    paper.categories = categories;
                    paper.upvotes = Some(-1);
                    paper
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn detail_always_validates(paper in arbitrary_paper()) {
            let message = paper_detail(&paper);
            prop_assert_eq!(validate(&message), Ok(()));
            prop_assert!(!all_text(&message).contains("@everyone"));
        }

        #[test]
        fn list_always_validates(papers in prop::collection::vec(arbitrary_paper(), 0..12), heading in "\\PC{0,300}", intro in prop::option::of("\\PC{0,1500}"), note in prop::option::of("\\PC{0,200}")) {
            let items: Vec<ListedPaper> = papers.iter().enumerate()
                .map(|(index, paper)| ListedPaper { paper, rank: index + 1, score_note: note.clone() })
                .collect();
            for message in paper_list(&heading, intro.as_deref(), &items) {
                prop_assert_eq!(validate(&message), Ok(()));
            }
        }

        #[test]
        fn summary_always_validates(paper in arbitrary_paper(), summary in "\\PC{0,7000}", label in "\\PC{0,3000}") {
            prop_assert_eq!(validate(&summary_message(&paper, &summary, &label)), Ok(()));
        }

        #[test]
        fn notice_always_validates(message_text in "\\PC{0,3000}") {
            prop_assert_eq!(validate(&notice(&message_text)), Ok(()));
        }

        #[test]
        fn autocomplete_always_fits(label in "\\PC{0,300}", value in "\\PC{0,300}") {
            let (name, value) = autocomplete_choice(&label, &value);
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= AUTOCOMPLETE_NAME_MAX);
            prop_assert!(value.chars().count() <= AUTOCOMPLETE_VALUE_MAX);
        }
    }
}
