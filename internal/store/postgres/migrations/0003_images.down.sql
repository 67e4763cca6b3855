ALTER TABLE executions DROP COLUMN images;
