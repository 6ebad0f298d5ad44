-- E-mail warnings: a durable outbox (a mail survives a restart and is retried) and how far
-- the alerts have been turned into mails.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    server_id TEXT NOT NULL,
    system_ids TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_ms);
CREATE TABLE mail_cursor (
    name TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);
