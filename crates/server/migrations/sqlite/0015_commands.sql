-- Durable commands to PBXes (queued → sent → running → succeeded / failed / cancelled /
-- expired), bulk transfers that belong to them, the chunks stored data is kept in, and the
-- backups the backup commands made.
CREATE TABLE commands (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    step TEXT NOT NULL DEFAULT '',
    result TEXT,
    error_code TEXT,
    error_args TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deadline_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX commands_system ON commands (system_id, seq);
CREATE INDEX commands_open ON commands (state, deadline_ms);
CREATE TABLE transfers (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    command_id TEXT,
    direction TEXT NOT NULL,
    object TEXT NOT NULL,
    max_bytes INTEGER NOT NULL,
    total_bytes INTEGER,
    received_bytes INTEGER NOT NULL DEFAULT 0,
    expected_sha256 TEXT,
    sha256 TEXT,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE blob_chunks (
    object TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    size INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (object, start_at)
);
CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    object TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    firmware TEXT NOT NULL,
    automatic INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    command_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX backups_system ON backups (system_id, created_at);
