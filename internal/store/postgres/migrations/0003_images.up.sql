-- A run's figures (JSON: mime, base64 PNG data, alt, after_output_chars),
-- bounded by store.MaxImages/MaxImageBytes; empty when it showed none.
ALTER TABLE executions ADD COLUMN images TEXT NOT NULL DEFAULT '';
