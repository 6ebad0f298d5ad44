-- Accounts the platform operator disabled: no login, no session, no API token.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
