-- +goose Up
-- A merchant's configuration version (models/config_cache.go): every
-- change to what a purchase reads of its configuration (programs, tiers,
-- campaigns, webhook endpoints) bumps it in the change's own transaction,
-- so an app instance that cached that configuration sees, at its next
-- request, that its copy is stale. Triggers do it, so no write path can
-- forget to.
ALTER TABLE merchants ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE merchants SET config_version = config_version + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.merchant_id ELSE NEW.merchant_id END;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER programs_config_version AFTER INSERT OR UPDATE OR DELETE ON programs
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER tiers_config_version AFTER INSERT OR UPDATE OR DELETE ON tiers
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER campaigns_config_version AFTER INSERT OR UPDATE OR DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER webhook_endpoints_config_version AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();

-- +goose Down
DROP TRIGGER webhook_endpoints_config_version ON webhook_endpoints;
DROP TRIGGER campaigns_config_version ON campaigns;
DROP TRIGGER tiers_config_version ON tiers;
DROP TRIGGER programs_config_version ON programs;
DROP FUNCTION bump_config_version();
ALTER TABLE merchants DROP COLUMN config_version;
