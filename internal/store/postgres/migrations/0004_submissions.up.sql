-- Graded exercise attempts (see store.Submission). id is the execution's id;
-- failed_tests is a JSON array of test names.
CREATE TABLE submissions (
    id            text        NOT NULL PRIMARY KEY,
    user_id       text        NOT NULL,
    content_id    text        NOT NULL,
    code_block_id text        NOT NULL,
    status        text        NOT NULL,
    passed        integer     NOT NULL DEFAULT 0,
    total         integer     NOT NULL DEFAULT 0,
    failed_tests  jsonb       NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL
);

-- solved per user and lesson; per-lesson aggregates in time order.
CREATE INDEX submissions_user_content ON submissions (user_id, content_id, status);
CREATE INDEX submissions_content_created ON submissions (content_id, created_at, id);
