package pages

import "github.com/regularshq/regulars/views/components"

// BusinessFields are a business's name, currency and time zone, as both
// sign-up and the settings page ask for them, with the suggestions.
type BusinessFields struct {
	Name       string
	Currency   string
	TimeZone   string
	Currencies []string
	TimeZones  []string
	// CurrencyLocked says why the currency cannot change any more; empty
	// while it still can.
	CurrencyLocked string
}

// BusinessForm is the business settings form.
type BusinessForm struct {
	Business BusinessFields
	Errors   components.Errors
	Message  string
}

// PasswordForm is the change-your-own-password form.
type PasswordForm struct {
	Errors  components.Errors
	Message string
}

func detectIf(signUp bool) string {
	if signUp {
		return "timezone"
	}
	return ""
}
