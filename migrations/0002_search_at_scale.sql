-- Search at scale: what search needs beyond the full-text index to stay fast at a million
-- papers. A shipped migration is never edited: change the schema with a new numbered file.

-- FTS5 buffers new index entries in memory and writes them out as a new segment once they
-- pass `hashsize` bytes (1 MB by default). At 8 MB a bulk load writes fewer, larger segments
-- and spends less time merging them.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('hashsize', 8388608);

-- Titles alone, for autocomplete: small (a title is about ten words), with prefix indexes so
-- that one to three typed characters read a ready-made list instead of merging every word
-- that starts with them. `detail=none` keeps only which rows hold a word, which is all a
-- prefix lookup needs. Its rowid is papers.rowid, kept in step by the triggers below.
CREATE VIRTUAL TABLE papers_title_fts USING fts5 (
    title,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO papers_title_fts (rowid, title) SELECT rowid, title FROM papers;

CREATE TRIGGER papers_title_insert AFTER INSERT ON papers BEGIN
    INSERT INTO papers_title_fts (rowid, title) VALUES (NEW.rowid, NEW.title);
END;

CREATE TRIGGER papers_title_update AFTER UPDATE OF title ON papers BEGIN
    DELETE FROM papers_title_fts WHERE rowid = OLD.rowid;
    INSERT INTO papers_title_fts (rowid, title) VALUES (NEW.rowid, NEW.title);
END;

CREATE TRIGGER papers_title_delete AFTER DELETE ON papers BEGIN
    DELETE FROM papers_title_fts WHERE rowid = OLD.rowid;
END;
