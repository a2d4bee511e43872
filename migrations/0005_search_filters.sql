-- Search filters at a million papers, and a smaller title index. A shipped migration is never
-- edited: change the schema with a new numbered file in this folder. `IF EXISTS` and
-- `IF NOT EXISTS` let it apply to stores made by a development version of 0002 that already
-- had some of these objects.

-- Filters by date alone are ordered by date: this index serves both.
CREATE INDEX IF NOT EXISTS papers_date ON papers (COALESCE(published, daily_date));

-- The first and last rowid of the papers dated in each month (YYYY-MM). A dated text search
-- restricts the index to that rowid range before testing each paper's date. Bounds only
-- widen (an update or delete leaves them wide), so they always cover every paper of the month.
CREATE TABLE IF NOT EXISTS search_months (
    month        TEXT PRIMARY KEY NOT NULL,
    first_rowid  INTEGER NOT NULL,
    last_rowid   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR REPLACE INTO search_months (month, first_rowid, last_rowid)
SELECT substr(COALESCE(published, daily_date), 1, 7), min(rowid), max(rowid)
FROM papers
WHERE COALESCE(published, daily_date) IS NOT NULL
GROUP BY 1;

CREATE TRIGGER IF NOT EXISTS papers_month_insert AFTER INSERT ON papers
WHEN COALESCE(NEW.published, NEW.daily_date) IS NOT NULL
BEGIN
    INSERT INTO search_months (month, first_rowid, last_rowid)
    VALUES (substr(COALESCE(NEW.published, NEW.daily_date), 1, 7), NEW.rowid, NEW.rowid)
    ON CONFLICT (month) DO UPDATE SET
        first_rowid = min(first_rowid, excluded.first_rowid),
        last_rowid = max(last_rowid, excluded.last_rowid);
END;

CREATE TRIGGER IF NOT EXISTS papers_month_update AFTER UPDATE OF published, daily_date ON papers
WHEN COALESCE(NEW.published, NEW.daily_date) IS NOT NULL
BEGIN
    INSERT INTO search_months (month, first_rowid, last_rowid)
    VALUES (substr(COALESCE(NEW.published, NEW.daily_date), 1, 7), NEW.rowid, NEW.rowid)
    ON CONFLICT (month) DO UPDATE SET
        first_rowid = min(first_rowid, excluded.first_rowid),
        last_rowid = max(last_rowid, excluded.last_rowid);
END;

-- The title index of 0002 is rebuilt without its prefix indexes: they made a bulk insert about
-- a fifth slower, and autocomplete now looks up a prefix only from three characters on.
DROP TRIGGER IF EXISTS papers_title_insert;
DROP TRIGGER IF EXISTS papers_title_update;
DROP TRIGGER IF EXISTS papers_title_delete;
DROP TABLE IF EXISTS papers_title_fts;

-- Titles alone, for autocomplete: small (a title is about ten words), so that a prefix lookup
-- merges short lists. `detail=none` keeps only which rows hold a word, which is all such a
-- lookup needs. Its rowid is papers.rowid, kept in step by the triggers below (a bulk insert
-- suspends them and writes the rows itself).
CREATE VIRTUAL TABLE papers_title_fts USING fts5 (
    title,
    content = '',
    contentless_delete = 1,
    detail = none,
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
