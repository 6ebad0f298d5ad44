-- Companies (tenants), users, sessions and systems. Times are i64 ms since the epoch (UTC);
-- booleans are INTEGER 0/1; ids are random TEXT.
CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_company ON users(company_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE systems (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    serial TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    token TEXT UNIQUE,
    token_expires_at INTEGER,
    token_used_at INTEGER,
    secret_hash TEXT UNIQUE,
    initial_registration_at INTEGER,
    paired_at INTEGER,
    error_code TEXT,
    error_detail TEXT,
    error_at INTEGER,
    revoked_at INTEGER,
    model TEXT,
    mac TEXT,
    firmware TEXT,
    booted_at INTEGER,
    maintenance_active INTEGER,
    maintenance_until INTEGER,
    licences TEXT,
    capabilities TEXT,
    monitoring_enabled INTEGER,
    remote_config_allowed INTEGER,
    info_at INTEGER,
    last_seen_at INTEGER,
    online_since INTEGER,
    UNIQUE (company_id, serial)
);
CREATE INDEX systems_owner ON systems(owner_id);
