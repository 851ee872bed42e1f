package pages

import "github.com/regularshq/regulars/views/components"

// RecognitionTabs are the sections of Recognition.
func RecognitionTabs(active string, owner bool) []components.Tab {
	tabs := []components.Tab{
		{Label: "Feed", Href: "/recognition", TestID: "feed", Active: active == "feed"},
		{Label: "Leaderboard", Href: "/recognition/leaderboard", TestID: "leaderboard", Active: active == "leaderboard"},
	}
	if owner {
		tabs = append(tabs, components.Tab{Label: "Settings", Href: "/settings/recognition", TestID: "recognition-settings"})
	}
	return tabs
}

// GiveForm is the give form as shown and as typed back.
type GiveForm struct {
	Action, Title, Receiver, Points, Message, Value, Key string
	Receivers, Values                                    []components.Option
	Left, Allowance                                      int64
	Errors                                               components.Errors
	Message2                                             string // the form's refusal
	// Hidden are fields the form carries back to where it was drawn
	// (the till's member and program).
	Hidden []HiddenField
	// Who is the receiver search as typed; ReceiverHint says what the list
	// holds. Without htmx the search goes to SearchURL, the page the form
	// is on, with SearchHidden.
	Who, ReceiverHint, SearchURL string
	SearchHidden                 []HiddenField
}

func (f GiveForm) receiverSelect() components.Select {
	return components.Select{Label: "Who", Name: "receiver", Options: f.Receivers, Selected: f.Receiver, Error: f.Errors["receiver"], Hint: f.ReceiverHint}
}

// receiversURL answers the give form's search for htmx.
const receiversURL = "/recognition/receivers"

// HiddenField is a form's hidden input.
type HiddenField struct{ Name, Value string }

// RecognitionItem is one recognition of the feed.
type RecognitionItem struct {
	ID                 int64
	Giver, Receiver    string
	Points             int64
	Value, Message, At string
	HideURL            string
}

// FeedFilters are the feed's filters as chosen.
type FeedFilters struct {
	Value, Person, Month string
	Values, People       []components.Option
}

// RecognitionData is the Recognition page.
type RecognitionData struct {
	Enabled, CanGive, CanHide, Owner bool
	Form                             GiveForm
	Filters                          FeedFilters
	Items                            []RecognitionItem
	Nudge                            []string
	HideMessage                      string
}

// LeaderRow is one line of a leaderboard table.
type LeaderRow struct {
	Name          string
	Count, Points int64
}

// LeaderboardData is the leaderboard of a month or of all time.
type LeaderboardData struct {
	AllTime                   bool
	Month                     string
	Owner                     bool
	Receivers, Givers, Values []LeaderRow
}

// RecognitionSettingsForm is the owner's settings form.
type RecognitionSettingsForm struct {
	Enabled, ValueRequired                                     bool
	Values, MinMessageLength, RefusedWords                     string
	OwnerRole, ManagerRole, StaffRole                          string
	MemberGivers, MemberGiverTag, MemberReceivers              string
	MemberReceiverTag                                          string
	GiverTiers, ReceiverTiers                                  []string
	MonthlyAllowance, MaxPerRecognition, MaxPerPair, ProgramID string
	OwnerAllowance, ManagerAllowance, StaffAllowance           string // blank: the monthly allowance
	Participations, Scopes, Programs, Tiers                    []components.Option
	People                                                     []RecognitionPerson
	Errors                                                     components.Errors
	Message                                                    string
}

// RecognitionPerson is a user with their own recognition setting.
type RecognitionPerson struct {
	UserID               string
	Name, Role, Override string
}

// RecognitionHistory is what a member or a user received and gave.
type RecognitionHistory struct {
	Received, Given []RecognitionItem
	FeedURL         string
	Give            *GiveForm // a member's staff-assisted give form, when they may give
	Kudos           int64
	ShowKudos       bool
}
