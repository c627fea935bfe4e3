-- The search service's own database holds only the indexer's cursors over the events outbox
-- (the shared `cursors` table, one row per index id). This table records each index a process
-- built, so an operator can see when and why an index was rebuilt.
CREATE TABLE IF NOT EXISTS search_indexes (
    index_id TEXT PRIMARY KEY,
    schema_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
