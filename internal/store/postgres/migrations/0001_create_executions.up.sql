-- Durations are nanoseconds so both engines store the same integers.
CREATE TABLE executions (
    id                text        NOT NULL PRIMARY KEY,
    user_id           text        NOT NULL,
    language          text        NOT NULL DEFAULT '',
    environment       text        NOT NULL DEFAULT '',
    status            text        NOT NULL,
    exit_code         integer,
    wall_time_ns      bigint      NOT NULL DEFAULT 0,
    cpu_time_ns       bigint      NOT NULL DEFAULT 0,
    memory_peak_bytes bigint      NOT NULL DEFAULT 0,
    truncated         boolean     NOT NULL DEFAULT false,
    code              text        NOT NULL DEFAULT '',
    output            text        NOT NULL DEFAULT '',
    error_output      text        NOT NULL DEFAULT '',
    content_id        text        NOT NULL DEFAULT '',
    code_block_id     text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz
);

-- Keyset pagination and per-user stats.
CREATE INDEX executions_user_created ON executions (user_id, created_at DESC, id DESC);
-- Per-lesson block stats.
CREATE INDEX executions_content_block ON executions (content_id, code_block_id) WHERE code_block_id <> '';
-- MarkInterrupted at start-up only needs the few live rows.
CREATE INDEX executions_running ON executions (status) WHERE status = 'running';
-- Retention.
CREATE INDEX executions_created ON executions (created_at);
