-- Optional second factor for local accounts (TOTP, RFC 6238). `totp_pending` holds a secret
-- during setup until a first code confirms it; `totp_last_step` refuses a code used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Logins that passed the password and wait for the code (single use, 5 minutes).
CREATE TABLE login_second_step (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
