-- The words of the full-text index with the number of papers that contain each, so that a
-- prefix search can look up which words it stands for without reading their doclists. Counts
-- are kept as papers are added and as their indexed text changes.
CREATE TABLE search_words (
    word  TEXT PRIMARY KEY NOT NULL,   -- a token as FTS5's tokenizer wrote it (lower case)
    docs  INTEGER NOT NULL
) WITHOUT ROWID;

-- Filled from the index itself, so the words are exactly FTS5's tokens.
CREATE VIRTUAL TABLE temp.papers_fts_terms USING fts5vocab(main, papers_fts, 'row');
INSERT INTO search_words (word, docs) SELECT term, doc FROM temp.papers_fts_terms;
DROP TABLE temp.papers_fts_terms;
