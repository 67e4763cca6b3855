ALTER TABLE executions DROP COLUMN code_sha256;
