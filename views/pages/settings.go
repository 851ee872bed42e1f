package pages

import "github.com/regularshq/regulars/views/components"

// BusinessForm is the business settings form.
type BusinessForm struct {
	BusinessName string
	Currency     string
	TimeZone     string
	Errors       components.Errors
	Message      string
	Currencies   []string
	TimeZones    []string
}

// PasswordForm is the change-your-own-password form.
type PasswordForm struct {
	Errors  components.Errors
	Message string
}
