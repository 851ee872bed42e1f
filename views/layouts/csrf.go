package layouts

import "encoding/json"

// csrfHeader is the hx-headers value that sends the CSRF token with every
// htmx request.
func csrfHeader(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}
