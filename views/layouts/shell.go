// Package layouts holds the page frame every screen is drawn in.
package layouts

// Shell is what the frame needs to know about the request: who is signed
// in, where they are, and what to tell them.
type Shell struct {
	Title        string
	BusinessName string
	UserName     string
	Role         string
	CSRF         string
	Nav          []NavItem
	Flashes      []Flash
}

// SignedIn reports whether a user is behind the request.
func (s Shell) SignedIn() bool { return s.UserName != "" }

// NavItem is one entry of the main navigation.
type NavItem struct {
	Label  string
	Href   string
	Active bool
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // success, error or info
	Message string
}

// currentLabel names the phone menu after the section the user is in, so
// the closed menu still says where they are.
func currentLabel(nav []NavItem) string {
	for _, item := range nav {
		if item.Active {
			return item.Label
		}
	}
	return "Menu"
}
