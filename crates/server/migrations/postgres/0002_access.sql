-- Access control: direct authorisations and user groups. Roles are a bitmask:
-- 1 Administrator, 2 Monitoring, 4 Backup, 8 Call data (Owner is systems.owner_id).
ALTER TABLE users ADD COLUMN is_operator BIGINT NOT NULL DEFAULT 0;

CREATE TABLE authorisations (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    granter_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    roles BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (granter_id, user_id, system_id)
);
CREATE INDEX authorisations_user ON authorisations(user_id);
CREATE INDEX authorisations_system ON authorisations(system_id);

CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    default_roles BIGINT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    roles BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE group_systems (
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, system_id)
);
CREATE INDEX group_systems_system ON group_systems(system_id);
