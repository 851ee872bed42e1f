-- +goose Up
-- Every posting moves the member's last activity; an index on it is
-- rewritten each time and serves no query (the member list's "inactive
-- for" filter walks the list's own order). PostgreSQL's twin also leaves
-- room for rows to be rewritten in place.
DROP INDEX members_activity_idx;

-- +goose Down
CREATE INDEX members_activity_idx ON members (merchant_id, last_activity_at, id);
