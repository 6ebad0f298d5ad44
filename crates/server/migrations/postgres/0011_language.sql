-- Language and time zone each user chose (NULL: the browser's); alerts keep a message key
-- with arguments (rendered in the reader's language), the English text only for old rows
-- and for the PBX's own messages.
ALTER TABLE users ADD COLUMN language TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE alerts ADD COLUMN args TEXT;
