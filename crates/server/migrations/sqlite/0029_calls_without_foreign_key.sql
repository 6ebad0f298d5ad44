-- PostgreSQL drops the foreign key from `calls` to `systems` here (its per-row check halved
-- the COPY rate). SQLite keeps it: its check is one index lookup, and the call-record
-- writer inserts faster than `sqlite3 .import` with it. Deleting a system deletes its
-- records explicitly on both (`systems::store::delete`).
SELECT 1;
