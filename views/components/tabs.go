package components

import "fmt"

// Tab is one entry of a section's sub-navigation.
type Tab struct {
	Label  string
	Href   string
	Active bool
	TestID string
}

// ProgramTabs lists a program's sections; active is the current one's
// TestID suffix: overview, tiers, rewards, rules or campaigns.
func ProgramTabs(programID int64, active string) []Tab {
	base := fmt.Sprintf("/programs/%d", programID)
	tabs := []Tab{
		{Label: "Overview", Href: base, TestID: "overview"},
		{Label: "Tiers", Href: base + "/tiers", TestID: "tiers"},
		{Label: "Rewards", Href: base + "/rewards", TestID: "rewards"},
		{Label: "Earning rules", Href: base + "/rules", TestID: "rules"},
		{Label: "Campaigns", Href: base + "/campaigns", TestID: "campaigns"},
	}
	return markActive(tabs, active)
}

// SettingsTabs lists the owner's settings sections: business, team, API,
// recognition, audit.
func SettingsTabs(active string) []Tab {
	return markActive([]Tab{
		{Label: "Business", Href: "/settings/business", TestID: "business"},
		{Label: "Team", Href: "/settings/users", TestID: "team"},
		{Label: "API", Href: "/settings/api", TestID: "api"},
		{Label: "Recognition", Href: "/settings/recognition", TestID: "recognition"},
		{Label: "Audit log", Href: "/settings/audit", TestID: "audit"},
	}, active)
}

func markActive(tabs []Tab, active string) []Tab {
	for i := range tabs {
		tabs[i].Active = tabs[i].TestID == active
	}
	return tabs
}
