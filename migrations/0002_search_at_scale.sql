-- Search at scale. A shipped migration is never edited: change the schema with a new
-- numbered file in this folder.

-- FTS5 buffers new index entries in memory and writes them out as a new segment once they
-- pass `hashsize` bytes (1 MB by default). With 8 MB, a bulk load writes fewer, larger
-- segments and spends less time merging them; measured in BENCHMARKS.md.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('hashsize', 8388608);
