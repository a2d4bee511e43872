-- Summaries written by a language model, cached so that each paper, length and model is
-- generated once. `length` is the summary length the user chose.
CREATE TABLE generated_summaries (
    paper_id    TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    length      TEXT NOT NULL CHECK (length IN ('short', 'detailed')),
    model       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    created_at  TEXT NOT NULL,          -- RFC 3339, UTC
    PRIMARY KEY (paper_id, length, model)
) WITHOUT ROWID;

-- The last request for each arXiv category listing, successful or not. arXiv's terms allow
-- one listing request per category and day, and this row keeps that true across restarts.
CREATE TABLE arxiv_category_fetches (
    category    TEXT PRIMARY KEY NOT NULL,
    fetched_at  TEXT NOT NULL,          -- RFC 3339, UTC
    papers      INTEGER NOT NULL,       -- papers stored from the response; 0 on failure
    error       TEXT
) WITHOUT ROWID;
