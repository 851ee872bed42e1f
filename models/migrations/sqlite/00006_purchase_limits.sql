-- +goose Up
-- What one purchase may be in a program: above max_purchase_minor it is
-- refused (a mistyped amount must not mint points); above
-- large_purchase_minor the till asks for a second confirmation.
ALTER TABLE programs ADD COLUMN max_purchase_minor INTEGER NOT NULL DEFAULT 0 CHECK (max_purchase_minor >= 0);
ALTER TABLE programs ADD COLUMN large_purchase_minor INTEGER NOT NULL DEFAULT 0 CHECK (large_purchase_minor >= 0);
-- Existing programs get the defaults of new ones: 1,000 and 200 in major
-- units of their merchant's currency.
UPDATE programs SET
    max_purchase_minor = 1000 * (SELECT CASE
        WHEN m.currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
        WHEN m.currency IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 1000
        ELSE 100 END FROM merchants m WHERE m.id = programs.merchant_id),
    large_purchase_minor = 200 * (SELECT CASE
        WHEN m.currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
        WHEN m.currency IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 1000
        ELSE 100 END FROM merchants m WHERE m.id = programs.merchant_id);

-- The program the till starts in; the model keeps it one of the
-- merchant's own active programs.
ALTER TABLE merchants ADD COLUMN default_program_id INTEGER REFERENCES programs (id);

-- +goose Down
ALTER TABLE merchants DROP COLUMN default_program_id;
ALTER TABLE programs DROP COLUMN large_purchase_minor;
ALTER TABLE programs DROP COLUMN max_purchase_minor;
