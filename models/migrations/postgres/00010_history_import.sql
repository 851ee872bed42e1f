-- +goose Up
-- An import is of members or of purchase history; a history import may
-- earn points through the till's earn path (earn) or only feed the
-- reports (the default).
ALTER TABLE import_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'members' CHECK (kind IN ('members', 'history'));
ALTER TABLE import_jobs ADD COLUMN earn BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN earn;
ALTER TABLE import_jobs DROP COLUMN kind;
