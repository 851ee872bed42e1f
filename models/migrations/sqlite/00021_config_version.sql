-- +goose Up
-- A merchant's configuration version (models/config_cache.go): every
-- change to what a purchase reads of its configuration (programs, tiers,
-- campaigns, webhook endpoints) bumps it in the change's own transaction,
-- so an app instance that cached that configuration sees, at its next
-- request, that its copy is stale. Triggers do it, so no write path can
-- forget to.
ALTER TABLE merchants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE TRIGGER programs_config_version_insert AFTER INSERT ON programs
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER programs_config_version_update AFTER UPDATE ON programs
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER programs_config_version_delete AFTER DELETE ON programs
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = OLD.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tiers_config_version_insert AFTER INSERT ON tiers
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tiers_config_version_update AFTER UPDATE ON tiers
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tiers_config_version_delete AFTER DELETE ON tiers
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = OLD.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER campaigns_config_version_insert AFTER INSERT ON campaigns
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER campaigns_config_version_update AFTER UPDATE ON campaigns
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER campaigns_config_version_delete AFTER DELETE ON campaigns
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = OLD.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhook_endpoints_config_version_insert AFTER INSERT ON webhook_endpoints
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhook_endpoints_config_version_update AFTER UPDATE ON webhook_endpoints
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = NEW.merchant_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhook_endpoints_config_version_delete AFTER DELETE ON webhook_endpoints
BEGIN
    UPDATE merchants SET config_version = config_version + 1 WHERE id = OLD.merchant_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER webhook_endpoints_config_version_delete;
DROP TRIGGER webhook_endpoints_config_version_update;
DROP TRIGGER webhook_endpoints_config_version_insert;
DROP TRIGGER campaigns_config_version_delete;
DROP TRIGGER campaigns_config_version_update;
DROP TRIGGER campaigns_config_version_insert;
DROP TRIGGER tiers_config_version_delete;
DROP TRIGGER tiers_config_version_update;
DROP TRIGGER tiers_config_version_insert;
DROP TRIGGER programs_config_version_delete;
DROP TRIGGER programs_config_version_update;
DROP TRIGGER programs_config_version_insert;
ALTER TABLE merchants DROP COLUMN config_version;
