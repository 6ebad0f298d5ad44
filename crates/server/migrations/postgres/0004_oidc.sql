-- Single sign-on: the provider's subject per user, the ID token per session (for logout at
-- the provider), and pending logins (state, PKCE verifier, nonce; single use, short-lived).
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_subject ON users(oidc_subject);
ALTER TABLE sessions ADD COLUMN id_token TEXT;

CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
