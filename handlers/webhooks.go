package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// keyNewWebhookSecret holds "<endpoint id>|<secret>" in the (encrypted)
// session between a create or rotation and the endpoint page showing the
// secret once.
const keyNewWebhookSecret = "webhooksecret"

const webhooksURL = apiKeysURL + "/webhooks"

func webhookURL(id int64) string { return fmt.Sprintf("%s/%d", webhooksURL, id) }

// webhookTargets is where endpoints may point: anywhere in development,
// only public addresses in production.
func (a *App) webhookTargets() models.WebhookTargets {
	return models.WebhookTargets{AllowPrivate: !a.prod}
}

func eventOptions() []components.Option {
	opts := make([]components.Option, len(models.WebhookEvents))
	for i, ev := range models.WebhookEvents {
		opts[i] = components.Option{Value: string(ev), Label: string(ev)}
	}
	return opts
}

func eventWords(ep *models.WebhookEndpoint) string {
	evs := ep.EventList()
	if len(evs) == len(models.WebhookEvents) {
		return "all events"
	}
	words := make([]string, len(evs))
	for i, ev := range evs {
		words[i] = string(ev)
	}
	return strings.Join(words, ", ")
}

// webhooksData is the webhook part of the Settings → API page.
func (a *App) webhooksData(c echo.Context, form pages.WebhookForm) (pages.WebhooksData, error) {
	eps, err := models.ListWebhookEndpoints(a.tenant(c))
	if err != nil {
		return pages.WebhooksData{}, err
	}
	d := pages.WebhooksData{Form: form, Events: eventOptions()}
	for i := range eps {
		ep := &eps[i]
		d.Endpoints = append(d.Endpoints, pages.WebhookRow{URL: ep.URL, Events: eventWords(ep), Disabled: ep.Disabled(), PageURL: webhookURL(ep.ID)})
	}
	return d, nil
}

func (a *App) createWebhook(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	form := pages.WebhookForm{URL: params.Get("url"), Events: params["events"]}
	ep, secret, err := models.CreateWebhookEndpoint(a.tenant(c), actor(c), models.WebhookInput{URL: form.URL, Events: form.Events}, a.webhookTargets(), a.now())
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return a.renderAPIKeysWith(c, http.StatusUnprocessableEntity, pages.APIKeyForm{Scope: string(models.ScopeReadWrite)}, form)
	}
	a.stashWebhookSecret(c, ep.ID, secret, "Endpoint added. Copy its signing secret now: it is shown only once.")
	return redirect(c, webhookURL(ep.ID))
}

func (a *App) stashWebhookSecret(c echo.Context, id int64, secret, message string) {
	s := a.session(c)
	s.Values[keyNewWebhookSecret] = strconv.FormatInt(id, 10) + "|" + secret
	addFlash(s, "success", message)
	a.saveAfterWrite(c, s)
}

// takeWebhookSecret returns the secret stashed for endpoint id, once.
func (a *App) takeWebhookSecret(c echo.Context, id int64) (string, error) {
	s := a.session(c)
	stashed, ok := s.Values[keyNewWebhookSecret].(string)
	owner, secret, _ := strings.Cut(stashed, "|")
	if !ok || owner != strconv.FormatInt(id, 10) {
		return "", nil
	}
	delete(s.Values, keyNewWebhookSecret)
	return secret, a.saveSession(c, s)
}

func deliveryRow(d *models.WebhookDelivery, endpointID int64, loc *time.Location) pages.DeliveryRow {
	const layout = "2 Jan 2006 15:04:05 MST"
	row := pages.DeliveryRow{Event: string(d.Event), Status: string(d.Status), Created: d.CreatedAt.In(loc).Format(layout),
		LastAttempt: "not yet", Attempts: d.Attempts, Response: "—", Error: d.LastError,
		ResendURL: fmt.Sprintf("%s/deliveries/%d/resend", webhookURL(endpointID), d.ID)}
	if d.LastAttemptAt != nil {
		row.LastAttempt = d.LastAttemptAt.In(loc).Format(layout)
	}
	if d.ResponseCode != 0 {
		row.Response = strconv.Itoa(d.ResponseCode)
	}
	return row
}

func (a *App) webhookPage(c echo.Context) error {
	id, err := idParam(c, "webhookID")
	if err != nil {
		return err
	}
	db := a.tenant(c)
	ep, err := models.GetWebhookEndpoint(db, id)
	if err != nil {
		return err
	}
	ds, err := models.ListWebhookDeliveries(db, ep.ID)
	if err != nil {
		return err
	}
	loc := currentMerchant(c).Location()
	base := webhookURL(ep.ID)
	d := pages.WebhookPageData{URL: ep.URL, Events: eventWords(ep), Created: ep.CreatedAt.In(loc).Format("2 Jan 2006"), Disabled: ep.Disabled(),
		RotateURL: base + "/rotate", DisableURL: base + "/disable", EnableURL: base + "/enable", DeleteURL: base + "/delete"}
	if ep.PreviousSecretUntil != nil && a.now().Before(*ep.PreviousSecretUntil) {
		d.OldSecretUntil = ep.PreviousSecretUntil.In(loc).Format("2 Jan 2006 15:04 MST")
	}
	for i := range ds {
		d.Deliveries = append(d.Deliveries, deliveryRow(&ds[i], ep.ID, loc))
	}
	if d.NewSecret, err = a.takeWebhookSecret(c, ep.ID); err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.WebhookPage(a.shell(c, "Webhook"), d))
}

func (a *App) rotateWebhook(c echo.Context) error {
	id, err := idParam(c, "webhookID")
	if err != nil {
		return err
	}
	ep, secret, err := models.RotateWebhookSecret(a.tenant(c), actor(c), id, a.now())
	if err != nil {
		return err
	}
	a.stashWebhookSecret(c, ep.ID, secret, "New secret made; the old one signs beside it for 24 hours. Copy it now: it is shown only once.")
	return redirect(c, webhookURL(ep.ID))
}

func (a *App) disableWebhook(c echo.Context) error { return a.setWebhookDisabled(c, true) }
func (a *App) enableWebhook(c echo.Context) error  { return a.setWebhookDisabled(c, false) }

func (a *App) setWebhookDisabled(c echo.Context, disabled bool) error {
	id, err := idParam(c, "webhookID")
	if err != nil {
		return err
	}
	ep, err := models.SetWebhookDisabled(a.tenant(c), actor(c), id, disabled, a.now())
	if err != nil {
		return err
	}
	msg := "Endpoint enabled: queued events are sent again."
	if disabled {
		msg = "Endpoint disabled: nothing is sent to it until it is enabled."
	}
	a.flash(c, "success", msg)
	return redirect(c, webhookURL(ep.ID))
}

func (a *App) deleteWebhook(c echo.Context) error {
	id, err := idParam(c, "webhookID")
	if err != nil {
		return err
	}
	ep, err := models.DeleteWebhookEndpoint(a.tenant(c), actor(c), id)
	if err != nil {
		return err
	}
	a.flash(c, "success", "Endpoint "+ep.URL+" deleted.")
	return redirect(c, apiKeysURL)
}

func (a *App) resendDelivery(c echo.Context) error {
	id, err := idParam(c, "webhookID")
	if err != nil {
		return err
	}
	deliveryID, err := idParam(c, "deliveryID")
	if err != nil {
		return err
	}
	if _, err := models.ResendWebhookDelivery(a.tenant(c), actor(c), id, deliveryID, a.now()); err != nil {
		return err
	}
	a.flash(c, "success", "Queued again; it is sent within seconds.")
	return redirect(c, webhookURL(id))
}
