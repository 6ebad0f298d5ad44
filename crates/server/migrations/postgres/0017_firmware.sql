-- Firmware images the operator uploaded, signed (minisign) and kept in the blob store.
CREATE TABLE firmware_images (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    models TEXT NOT NULL,
    notes TEXT NOT NULL,
    object TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX firmware_images_version ON firmware_images (version);
