package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// keyNewAPISecret holds a new key's name and secret in the (encrypted)
// session between the create and the page that shows it once.
const keyNewAPISecret = "apisecret"

const apiKeysURL = "/settings/api"

func apiKeyRevokeURL(id int64) string { return fmt.Sprintf("%s/keys/%d/revoke", apiKeysURL, id) }

func apiKeyRow(k *models.APIKey, loc *time.Location) pages.APIKeyRow {
	const layout = "2 Jan 2006 15:04 MST"
	row := pages.APIKeyRow{
		Name: k.Name, Scope: string(k.Scope), Prefix: k.Prefix, Created: k.CreatedAt.In(loc).Format(layout),
		LastUsed: "never", RevokeURL: apiKeyRevokeURL(k.ID),
	}
	if k.LastUsedAt != nil {
		row.LastUsed = k.LastUsedAt.In(loc).Format(layout)
	}
	if k.RevokedAt != nil {
		row.Revoked = k.RevokedAt.In(loc).Format(layout)
	}
	return row
}

func scopeOptions() []components.Option {
	return choices(models.APIScopes, map[models.APIScope]string{models.ScopeRead: "read", models.ScopeReadWrite: "read-write"})
}

func (a *App) apiKeysPage(c echo.Context) error {
	return a.renderAPIKeys(c, http.StatusOK, pages.APIKeyForm{Scope: string(models.ScopeReadWrite)})
}

func (a *App) renderAPIKeys(c echo.Context, status int, form pages.APIKeyForm) error {
	return a.renderAPIKeysWith(c, status, form, pages.WebhookForm{})
}

// renderAPIKeysWith draws Settings → API with both forms: the keys' and
// the webhook endpoints'.
func (a *App) renderAPIKeysWith(c echo.Context, status int, form pages.APIKeyForm, hook pages.WebhookForm) error {
	keys, err := models.ListAPIKeys(a.tenant(c))
	if err != nil {
		return err
	}
	hooks, err := a.webhooksData(c, hook)
	if err != nil {
		return err
	}
	data := pages.APIKeysData{Form: form, Scopes: scopeOptions(), BaseURL: a.baseURL, Webhooks: hooks}
	for i := range keys {
		data.Keys = append(data.Keys, apiKeyRow(&keys[i], currentMerchant(c).Location()))
	}
	s := a.session(c)
	if stashed, ok := s.Values[keyNewAPISecret].(string); ok {
		name, secret, _ := strings.Cut(stashed, "|")
		data.New = &pages.NewAPIKey{Name: name, Secret: secret}
		delete(s.Values, keyNewAPISecret)
		if err := a.saveSession(c, s); err != nil {
			return err
		}
	}
	return render(c, status, pages.APIKeys(a.shell(c, "API"), data))
}

func (a *App) createAPIKey(c echo.Context) error {
	form := pages.APIKeyForm{Name: c.FormValue("name"), Scope: c.FormValue("scope")}
	k, secret, err := models.CreateAPIKey(a.tenant(c), actor(c), models.APIKeyInput{Name: form.Name, Scope: form.Scope}, a.now())
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return a.renderAPIKeys(c, http.StatusUnprocessableEntity, form)
	}
	s := a.session(c)
	s.Values[keyNewAPISecret] = k.Name + "|" + secret
	addFlash(s, "success", "API key "+k.Name+" is made. Copy it now: it is shown only once.")
	a.saveAfterWrite(c, s)
	return redirect(c, apiKeysURL)
}

func (a *App) revokeAPIKey(c echo.Context) error {
	id, err := idParam(c, "keyID")
	if err != nil {
		return err
	}
	k, err := models.RevokeAPIKey(a.tenant(c), actor(c), id, a.now())
	if err != nil {
		return err
	}
	a.flash(c, "success", "API key "+k.Name+" is revoked; it no longer opens the API.")
	return redirect(c, apiKeysURL)
}
