-- SQLite moves the call records to a file of their own here (db/calls_file.rs); PostgreSQL
-- locks rows, not the database, and keeps them where they are.
SELECT 1;
