-- Times are Unix microseconds (UTC) and durations nanoseconds, so ordering
-- and arithmetic are plain integer operations.
CREATE TABLE executions (
    id                TEXT    NOT NULL PRIMARY KEY,
    user_id           TEXT    NOT NULL,
    language          TEXT    NOT NULL DEFAULT '',
    environment       TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL,
    exit_code         INTEGER,
    wall_time_ns      INTEGER NOT NULL DEFAULT 0,
    cpu_time_ns       INTEGER NOT NULL DEFAULT 0,
    memory_peak_bytes INTEGER NOT NULL DEFAULT 0,
    truncated         INTEGER NOT NULL DEFAULT 0,
    code              TEXT    NOT NULL DEFAULT '',
    output            TEXT    NOT NULL DEFAULT '',
    error_output      TEXT    NOT NULL DEFAULT '',
    content_id        TEXT    NOT NULL DEFAULT '',
    code_block_id     TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    finished_at       INTEGER
) STRICT;

-- Keyset pagination and per-user stats.
CREATE INDEX executions_user_created ON executions (user_id, created_at DESC, id DESC);
-- Per-lesson block stats.
CREATE INDEX executions_content_block ON executions (content_id, code_block_id) WHERE code_block_id <> '';
-- MarkInterrupted at start-up only needs the few live rows.
CREATE INDEX executions_running ON executions (status) WHERE status = 'running';
-- Retention.
CREATE INDEX executions_created ON executions (created_at);
