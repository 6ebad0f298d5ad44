-- Registration status as last reported by each PBX: telephones and providers/accounts.
ALTER TABLE systems ADD COLUMN registrations_at BIGINT;

CREATE TABLE phones (
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    pos BIGINT NOT NULL,
    name TEXT NOT NULL,
    mac TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (system_id, pos)
);
CREATE INDEX phones_status ON phones(status);

CREATE TABLE accounts (
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    pos BIGINT NOT NULL,
    account TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (system_id, pos)
);
CREATE INDEX accounts_status ON accounts(status);
