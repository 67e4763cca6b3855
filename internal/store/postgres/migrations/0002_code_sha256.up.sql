-- Set when code holds only a prefix of what was submitted (a rejected run
-- keeps a bounded prefix): the SHA-256 of the full code, in lowercase hex.
ALTER TABLE executions ADD COLUMN code_sha256 TEXT NOT NULL DEFAULT '';
