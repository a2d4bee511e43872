//! The one paper type that every source maps into and every reply is built from.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::ids::ArxivId;

/// A research paper as Paperboy stores it. Text fields keep the provider's raw form (LaTeX,
/// hard wraps); `crate::text` makes them readable at the point of display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paper {
    /// Canonical arXiv key without version, e.g. `2508.01234` or `hep-th/9901001`.
    pub id: ArxivId,
    pub title: String,
    pub abstract_text: String,
    /// Author names in the order the provider lists them (hidden authors are left out).
    pub authors: Vec<String>,
    /// When the first arXiv version was published.
    pub published: Option<DateTime<Utc>>,
    /// The Hugging Face Daily Papers date this paper was listed on, if any.
    pub daily_date: Option<NaiveDate>,
    pub upvotes: Option<i64>,
    pub num_comments: Option<i64>,
    pub github_repo: Option<String>,
    pub github_stars: Option<i64>,
    pub project_page: Option<String>,
    pub ai_summary: Option<String>,
    pub ai_keywords: Vec<String>,
    /// arXiv categories, primary first (empty when only Hugging Face listed the paper).
    pub categories: Vec<String>,
    pub thumbnail: Option<String>,
}

impl Paper {
    /// Creates a paper with only the fields every source has.
    pub fn new(id: ArxivId, title: impl Into<String>, abstract_text: impl Into<String>) -> Self {
        Paper {
            id,
            title: title.into(),
            abstract_text: abstract_text.into(),
            authors: Vec::new(),
            published: None,
            daily_date: None,
            upvotes: None,
            num_comments: None,
            github_repo: None,
            github_stars: None,
            project_page: None,
            ai_summary: None,
            ai_keywords: Vec::new(),
            categories: Vec::new(),
            thumbnail: None,
        }
    }

    pub fn abs_url(&self) -> String {
        self.id.abs_url()
    }

    pub fn pdf_url(&self) -> String {
        self.id.pdf_url()
    }

    /// The Hugging Face paper page. Hugging Face only indexes new-style IDs.
    pub fn hf_url(&self) -> Option<String> {
        self.id
            .is_new_style()
            .then(|| format!("https://huggingface.co/papers/{}", self.id.key()))
    }
}
