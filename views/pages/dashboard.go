package pages

// DashboardData is the home screen after logging in.
type DashboardData struct {
	BusinessName string
	Currency     string
	TimeZone     string
	ActiveStaff  int
	IsOwner      bool
}
