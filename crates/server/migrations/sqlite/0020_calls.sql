-- Call data: the records as the PBX sent them (clustered by system and the PBX's sequence
-- number), how far each system's records have been retrieved, the companies' privacy
-- settings, and who confirmed the legal notes on exporting them.
CREATE TABLE calls (
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_s INTEGER NOT NULL,
    direction TEXT NOT NULL,
    partner TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    invoice_no TEXT NOT NULL,
    invoice_name TEXT NOT NULL,
    real_name TEXT NOT NULL,
    connection TEXT NOT NULL,
    successful INTEGER NOT NULL,
    call_type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (system_id, seq)
) WITHOUT ROWID;
CREATE INDEX calls_system_time ON calls (system_id, started_at, seq);
CREATE INDEX calls_time ON calls (started_at, system_id, seq);
CREATE TABLE call_cursors (
    system_id TEXT PRIMARY KEY REFERENCES systems(id) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    retrieved_at INTEGER,
    next_due INTEGER NOT NULL
);
CREATE INDEX call_cursors_due ON call_cursors (next_due);
ALTER TABLE companies ADD COLUMN call_retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN call_mask_digits INTEGER NOT NULL DEFAULT 0;
CREATE TABLE legal_confirmations (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    notice TEXT NOT NULL,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, notice)
);
