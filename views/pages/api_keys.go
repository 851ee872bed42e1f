package pages

import "github.com/regularshq/regulars/views/components"

// APIKeyRow is one API key in the list; times are in the business's zone.
type APIKeyRow struct {
	Name      string
	Scope     string
	Prefix    string
	Created   string
	LastUsed  string
	Revoked   string // when it was revoked; empty while live
	RevokeURL string
}

// APIKeyForm is the new-key form's input and messages.
type APIKeyForm struct {
	Name    string
	Scope   string
	Errors  components.Errors
	Message string
}

// NewAPIKey is a key just made, with its secret, shown this once.
type NewAPIKey struct {
	Name   string
	Secret string
}

// APIKeysData is the Settings → API page.
type APIKeysData struct {
	Keys   []APIKeyRow
	Form   APIKeyForm
	Scopes []components.Option
	New    *NewAPIKey
	// BaseURL is the API's origin, for the curl example.
	BaseURL  string
	Webhooks WebhooksData
}

// CurlKey is what the curl example authorises with: the new secret while
// it is shown, else a placeholder.
func (d APIKeysData) CurlKey() string {
	if d.New != nil {
		return d.New.Secret
	}
	return "$REGULARS_API_KEY"
}
