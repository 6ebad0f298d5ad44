-- The audit log: append-only, each entry holding the hash of the one before (a chain that
-- `zentrale audit verify` walks). audit_head holds the newest entry's number and hash; its
-- row is locked while an entry is appended, so entries are numbered without gaps.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_label TEXT NOT NULL DEFAULT '',
    company_id TEXT NOT NULL DEFAULT '',
    system_id TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    args TEXT NOT NULL DEFAULT '{}',
    ip TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_system ON audit_log(system_id, at);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    -- Entries up to this number were removed by retention.
    pruned_through INTEGER NOT NULL DEFAULT 0
);
INSERT INTO audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
