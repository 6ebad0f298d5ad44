-- PostgreSQL moves its change marker into an append-only table here (see that backend's
-- 0028_change_log.sql). SQLite has one writer at a time, so the counter row in `companies`
-- cannot make writers wait on each other or deadlock; it stays as it is.
SELECT 1;
