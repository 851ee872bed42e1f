-- +goose Up
-- A CSV import of members. The job advances in batches; processed_rows is
-- committed with each batch's members, so a restart resumes where the last
-- commit left off and never imports a row twice.
CREATE TABLE import_jobs (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT      NOT NULL REFERENCES merchants (id),
    program_id      BIGINT,
    actor_id        BIGINT,
    actor_name      TEXT        NOT NULL,
    actor_role      TEXT        NOT NULL,
    file_name       TEXT        NOT NULL,
    country_code    TEXT        NOT NULL DEFAULT '',
    header          TEXT        NOT NULL,
    delimiter       TEXT        NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    total_rows      BIGINT      NOT NULL CHECK (total_rows >= 0),
    processed_rows  BIGINT      NOT NULL DEFAULT 0 CHECK (processed_rows >= 0 AND processed_rows <= total_rows),
    created_count   BIGINT      NOT NULL DEFAULT 0,
    duplicate_count BIGINT      NOT NULL DEFAULT 0,
    error_count     BIGINT      NOT NULL DEFAULT 0,
    opening_total   BIGINT      NOT NULL DEFAULT 0,
    failure         TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id)
);
CREATE INDEX import_jobs_merchant_idx ON import_jobs (merchant_id, id DESC);
CREATE INDEX import_jobs_pending_idx ON import_jobs (status, id);

-- The uploaded file, kept apart so listing jobs never reads it; deleted
-- once the job is finished.
CREATE TABLE import_uploads (
    import_id    BIGINT  PRIMARY KEY,
    merchant_id  BIGINT  NOT NULL,
    content      BYTEA   NOT NULL,
    FOREIGN KEY (merchant_id, import_id) REFERENCES import_jobs (merchant_id, id)
);

-- What happened to a row that was not imported: an error to fix, or a
-- duplicate of a member who is already here. raw is the row as uploaded,
-- for the "rows to fix" download.
CREATE TABLE import_issues (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT  NOT NULL,
    import_id    BIGINT  NOT NULL,
    line         BIGINT  NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('error', 'duplicate')),
    message      TEXT    NOT NULL,
    raw          TEXT    NOT NULL,
    FOREIGN KEY (merchant_id, import_id) REFERENCES import_jobs (merchant_id, id)
);
CREATE INDEX import_issues_line_idx ON import_issues (merchant_id, import_id, line);

-- The member page lists whom a member referred.
CREATE INDEX members_referred_by_idx ON members (merchant_id, referred_by_id, id);

-- +goose Down
DROP INDEX members_referred_by_idx;
DROP TABLE import_issues;
DROP TABLE import_uploads;
DROP TABLE import_jobs;
