package pages

import (
	"strconv"

	"github.com/regularshq/regulars/views/components"
)

// WebhookRow is one endpoint in the Settings → API list.
type WebhookRow struct {
	URL      string
	Events   string
	Disabled bool
	PageURL  string
}

// WebhookForm is the new-endpoint form's input and messages.
type WebhookForm struct {
	URL     string
	Events  []string
	Errors  components.Errors
	Message string
}

// WebhooksData is the webhook part of the Settings → API page.
type WebhooksData struct {
	Endpoints []WebhookRow
	Form      WebhookForm
	Events    []components.Option
}

// DeliveryRow is one line of an endpoint's delivery log; times are in
// the business's zone.
type DeliveryRow struct {
	Event       string
	Status      string
	Created     string
	LastAttempt string
	Attempts    int
	Response    string
	Error       string
	ResendURL   string
}

// WebhookPageData is one endpoint's page: its settings and delivery log.
type WebhookPageData struct {
	URL       string
	Events    string
	Created   string
	Disabled  bool
	NewSecret string // shown once, after creation or rotation
	// OldSecretUntil is when the rotated-out secret stops signing; empty
	// when only one secret signs.
	OldSecretUntil string
	RotateURL      string
	DisableURL     string
	EnableURL      string
	DeleteURL      string
	Deliveries     []DeliveryRow
}

// deliveryBadge is the badge class of a delivery status.
func deliveryBadge(status string) string {
	switch status {
	case "delivered":
		return "badge badge-active"
	case "failed":
		return "badge badge-blocked"
	}
	return "badge badge-muted"
}

func attemptsWord(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}
