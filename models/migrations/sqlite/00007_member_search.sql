-- +goose Up
-- Member search on a key folded in Go (accents, case, ß…), compared
-- bytewise: name_key orders the list, phone_national is the phone without
-- its country code, and every word of a name starts a search term. The
-- application backfills existing members after migrating.
ALTER TABLE members ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN phone_national TEXT NOT NULL DEFAULT '';
DROP INDEX members_name_search_idx;
CREATE INDEX members_name_key_idx ON members (merchant_id, name_key, id);
CREATE INDEX members_phone_national_idx ON members (merchant_id, phone_national, id);

CREATE TABLE member_search_terms (
    merchant_id  INTEGER NOT NULL,
    member_id    INTEGER NOT NULL,
    term         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    PRIMARY KEY (member_id, term),
    FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE INDEX member_search_terms_idx ON member_search_terms (merchant_id, term, name_key, member_id);

-- +goose Down
DROP TABLE member_search_terms;
DROP INDEX members_phone_national_idx;
DROP INDEX members_name_key_idx;
CREATE INDEX members_name_search_idx ON members (merchant_id, lower(name), id);
ALTER TABLE members DROP COLUMN phone_national;
ALTER TABLE members DROP COLUMN name_key;
