-- The seats of an event changed since a moment: how each process's copy of the seat board catches
-- up with the other processes' changes without reading the whole venue (SQLite has one writing
-- process, whose board follows every change itself, so it has no need of this index).
CREATE INDEX seats_changed ON seats (event_id, updated_at);
