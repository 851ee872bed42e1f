package pages

// ErrorData is an error page.
type ErrorData struct {
	Status    int
	Title     string
	Message   string
	RequestID string
}
