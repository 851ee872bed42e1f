package pages

// DashboardData is the staff's home screen after logging in.
type DashboardData struct {
	BusinessName string
}
