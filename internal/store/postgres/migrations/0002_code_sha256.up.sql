-- The SHA-256 (lowercase hex) of the submitted code, on rows that may keep
-- only a prefix of it (rejected runs); empty otherwise.
ALTER TABLE executions ADD COLUMN code_sha256 TEXT NOT NULL DEFAULT '';
