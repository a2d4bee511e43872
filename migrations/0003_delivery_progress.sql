-- Delivery progress, so that a restart resumes a slot where it stopped instead of starting it
-- again. `composed_at` is set once the slot's papers are chosen and stored in `paper_ids`: a
-- resend posts the same papers even if an ingest changed the ranking meanwhile. The ids of the
-- messages Discord confirmed go to the existing `message_ids` column, one by one, so a resend
-- skips them.
ALTER TABLE deliveries ADD COLUMN composed_at TEXT;
