// Package pages holds one file per screen; each takes the layout's Shell
// and its own typed data.
package pages

import "github.com/regularshq/regulars/views/components"

// SignUpForm is the sign-up form's input (never the password) and messages.
type SignUpForm struct {
	Business BusinessFields
	Name     string
	Email    string
	Errors   components.Errors
	Message  string
}

// LoginForm is the log-in form's input and messages.
type LoginForm struct {
	Email   string
	Next    string
	Errors  components.Errors
	Message string
}

// SetPasswordForm is the one-time set-password page.
type SetPasswordForm struct {
	Token    string
	UserName string
	Email    string
	Errors   components.Errors
	Message  string
}
