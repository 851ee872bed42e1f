-- +goose Up
-- A staff role's own monthly recognition allowance (issue 12): NULL means
-- the role has the monthly allowance, as every giver had before.
ALTER TABLE recognition_settings ADD COLUMN owner_allowance INTEGER CHECK (owner_allowance IS NULL OR owner_allowance >= 0);
ALTER TABLE recognition_settings ADD COLUMN manager_allowance INTEGER CHECK (manager_allowance IS NULL OR manager_allowance >= 0);
ALTER TABLE recognition_settings ADD COLUMN staff_allowance INTEGER CHECK (staff_allowance IS NULL OR staff_allowance >= 0);

-- +goose Down
ALTER TABLE recognition_settings DROP COLUMN staff_allowance;
ALTER TABLE recognition_settings DROP COLUMN manager_allowance;
ALTER TABLE recognition_settings DROP COLUMN owner_allowance;
