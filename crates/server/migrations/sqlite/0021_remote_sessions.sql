-- Remote configuration: one row per session through a PBX's tunnel. The browser's ticket
-- and cookie and the agent's secret are kept as SHA-256 only; the ticket is emptied when
-- it is used. `systems.remote_since` is when the oldest open session began (the symbol
-- for an active connection in the lists).
CREATE TABLE remote_sessions (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    user_email TEXT NOT NULL,
    ticket_hash TEXT,
    ticket_expires_at INTEGER NOT NULL,
    cookie_hash TEXT,
    agent_hash TEXT NOT NULL,
    pbx_address TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    opened_at INTEGER,
    last_active_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    bytes_up INTEGER NOT NULL DEFAULT 0,
    bytes_down INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX remote_sessions_system ON remote_sessions (system_id, ended_at);
CREATE INDEX remote_sessions_open ON remote_sessions (ended_at, ends_at);
ALTER TABLE systems ADD COLUMN remote_since INTEGER;
