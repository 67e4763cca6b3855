-- Graded exercise attempts (see store.Submission). id is the execution's id;
-- failed_tests is a JSON array of test names.
CREATE TABLE submissions (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    content_id    TEXT    NOT NULL,
    code_block_id TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    passed        INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    failed_tests  TEXT    NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL
) STRICT;

-- solved per user and lesson; per-lesson aggregates in time order.
CREATE INDEX submissions_user_content ON submissions (user_id, content_id, status);
CREATE INDEX submissions_content_created ON submissions (content_id, created_at, id);
