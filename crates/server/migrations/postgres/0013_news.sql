-- News the platform operator writes for all users; news_read marks what a user has seen.
CREATE TABLE news (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    languages TEXT NOT NULL DEFAULT 'en,de',
    publish_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX news_publish ON news(publish_at);
CREATE TABLE news_read (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    news_id TEXT NOT NULL REFERENCES news(id) ON DELETE CASCADE,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, news_id)
);
