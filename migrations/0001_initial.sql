-- Paperboy's first schema. A shipped migration is never edited: change the schema with a new
-- numbered file in this folder.

-- One row per paper, keyed by the canonical arXiv ID without version. Text columns keep the
-- provider's raw form; display code cleans it.
CREATE TABLE papers (
    id            TEXT PRIMARY KEY NOT NULL,
    title         TEXT NOT NULL,
    abstract      TEXT NOT NULL,
    published     TEXT,              -- RFC 3339, UTC: first arXiv version
    daily_date    TEXT,              -- YYYY-MM-DD: the Hugging Face Daily Papers listing date
    upvotes       INTEGER,
    num_comments  INTEGER,
    github_repo   TEXT,
    github_stars  INTEGER,
    project_page  TEXT,
    ai_summary    TEXT,
    ai_keywords   TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    categories    TEXT NOT NULL DEFAULT '[]',   -- JSON array, primary category first
    thumbnail     TEXT,
    first_seen    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX papers_daily_date ON papers (daily_date);
CREATE INDEX papers_published ON papers (published);

CREATE TABLE paper_authors (
    paper_id  TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (paper_id, position)
) WITHOUT ROWID;

-- Upvote and GitHub-star counts as seen at an ingest. A row is written only when a count
-- changed since the paper's previous snapshot, so re-ingesting the same data adds nothing.
CREATE TABLE snapshots (
    paper_id      TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    taken_at      TEXT NOT NULL,     -- RFC 3339, UTC
    upvotes       INTEGER,
    github_stars  INTEGER,
    PRIMARY KEY (paper_id, taken_at)
) WITHOUT ROWID;

CREATE INDEX snapshots_taken_at ON snapshots (taken_at);

-- Full-text index over the searchable fields; its rowid is papers.rowid. Contentless (the
-- text lives in papers) with deletes enabled, so an update replaces the row in place.
CREATE VIRTUAL TABLE papers_fts USING fts5 (
    title, keywords, abstract, authors,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- One digest per (guild, channel).
CREATE TABLE digests (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    post_time         TEXT NOT NULL,             -- HH:MM local time
    zone              TEXT NOT NULL,             -- IANA zone name, never a fixed offset
    weekdays          TEXT NOT NULL DEFAULT 'mon,tue,wed,thu,fri,sat,sun',
    paper_count       INTEGER NOT NULL DEFAULT 10,
    min_upvotes       INTEGER NOT NULL DEFAULT 0,
    keywords          TEXT NOT NULL DEFAULT '[]',   -- JSON array: include any of these
    exclude_keywords  TEXT NOT NULL DEFAULT '[]',
    categories        TEXT NOT NULL DEFAULT '[]',
    dedupe_days       INTEGER NOT NULL DEFAULT 7,
    weekend_policy    TEXT NOT NULL DEFAULT 'best_of_week',
    announce_empty    INTEGER NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 1,
    failing_reason    TEXT,                      -- set on 403/404: not retried until reconfigured
    last_error        TEXT,
    created_by        INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (guild_id, channel_id)
);

-- A delivery slot: one per digest and local date. The row is claimed before the post is sent,
-- so a restart finds it and never posts twice.
CREATE TABLE deliveries (
    digest_id    INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    local_date   TEXT NOT NULL,      -- YYYY-MM-DD in the digest's zone
    state        TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed', 'empty')),
    nonce        TEXT NOT NULL,
    claimed_at   TEXT NOT NULL,
    finished_at  TEXT,
    message_ids  TEXT NOT NULL DEFAULT '[]',
    paper_ids    TEXT NOT NULL DEFAULT '[]',
    error        TEXT,
    PRIMARY KEY (digest_id, local_date)
) WITHOUT ROWID;
