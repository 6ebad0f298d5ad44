-- Outgoing mail servers per company (password encrypted with the key in the data directory
-- or the environment), and which one a system's warnings use.
CREATE TABLE smtp_servers (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    port INTEGER NOT NULL,
    username TEXT NOT NULL,
    password_enc TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    no_tls INTEGER NOT NULL,
    is_default INTEGER NOT NULL,
    ca_pem TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    last_error_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX smtp_servers_name ON smtp_servers (company_id, name);
ALTER TABLE systems ADD COLUMN smtp_server_id TEXT;
