package models

import (
	"fmt"
	"strings"
	"testing"
)

// TestRecognitionEligibilityMatrix walks every combination of role
// defaults, per-person overrides, member scopes, self and disabled, and
// checks checkGive against a plain statement of the rule.
func TestRecognitionEligibilityMatrix(t *testing.T) {
	ok := gift{points: 0, message: "Thank you for the help"}
	overrides := append([]Participation{""}, Participations...)
	effective := func(def, over Participation) Participation {
		if over != "" {
			return over
		}
		return def
	}
	checked := 0
	for _, enabled := range []bool{true, false} {
		for _, staffDef := range Participations {
			for _, managerDef := range Participations {
				for _, gOver := range overrides {
					for _, rOver := range overrides {
						s := defaultRecognitionSettings()
						s.Enabled, s.StaffRole, s.ManagerRole = enabled, staffDef, managerDef
						g := participant{Party: Party{UserID: 1}, name: "Sam", role: RoleStaff, override: gOver}
						r := participant{Party: Party{UserID: 2}, name: "Mia", role: RoleManager, override: rOver}
						want := ""
						switch {
						case !enabled:
							want = "turned off"
						case !effective(staffDef, gOver).gives():
							want = "Sam is not allowed to give"
						case !effective(managerDef, rOver).receives():
							want = "Mia is not allowed to receive"
						}
						expectRefusal(t, checkGive(s, g, r, ok, 0, 0), want, fmt.Sprintf("enabled=%v staff=%s manager=%s overrides %q/%q", enabled, staffDef, managerDef, gOver, rOver))
						self := checkGive(s, g, g, ok, 0, 0)
						if enabled {
							expectRefusal(t, self, "yourself", "self")
						} else {
							expectRefusal(t, self, "turned off", "self while disabled")
						}
						checked++
					}
				}
			}
		}
	}
	// Members: every scope for giving and receiving, against members in
	// or out of the Gold tier and with or without the ambassador tag.
	members := []participant{
		{name: "Plain"}, {name: "Golden", tiers: []int64{7}}, {name: "Ambassador", tags: []string{"ambassador"}},
		{name: "Both", tiers: []int64{7}, tags: []string{"ambassador"}},
	}
	in := func(scope MemberScope, p participant) bool {
		switch scope {
		case ScopeAll:
			return true
		case ScopeTiers:
			return len(p.tiers) > 0
		case ScopeTag:
			return len(p.tags) > 0
		}
		return false
	}
	for _, gScope := range MemberScopes {
		for _, rScope := range MemberScopes {
			for i, g := range members {
				for j, r := range members {
					if i == j {
						continue
					}
					g.Party, r.Party = Party{MemberID: int64(10 + i)}, Party{MemberID: int64(10 + j)}
					s := defaultRecognitionSettings()
					s.Enabled = true
					s.MemberGivers, s.MemberGiverTiers, s.MemberGiverTag = gScope, "7", "Ambassador"
					s.MemberReceivers, s.MemberReceiverTiers, s.MemberReceiverTag = rScope, "3, 7", "ambassador"
					want := ""
					switch {
					case !in(gScope, g):
						want = g.name + " is not allowed to give"
					case !in(rScope, r):
						want = r.name + " is not allowed to receive"
					}
					expectRefusal(t, checkGive(s, g, r, ok, 0, 0), want, fmt.Sprintf("members %s→%s under %s/%s", g.name, r.name, gScope, rScope))
					checked++
				}
			}
		}
	}
	// A blocked member neither gives nor receives, whatever the scope.
	s := defaultRecognitionSettings()
	s.Enabled, s.MemberGivers, s.MemberReceivers = true, ScopeAll, ScopeAll
	blocked := participant{Party: Party{MemberID: 99}, name: "Blocked", blocked: true}
	expectRefusal(t, checkGive(s, blocked, members[0], ok, 0, 0), "Blocked is not allowed to give", "blocked giver")
	expectRefusal(t, checkGive(s, participant{Party: Party{MemberID: 98}, name: "Open"}, blocked, ok, 0, 0), "Blocked is not allowed to receive", "blocked receiver")
	if checked != 2*4*4*5*5+4*4*4*3 {
		t.Fatalf("checked %d combinations", checked)
	}
}

func expectRefusal(t *testing.T, err error, want, what string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: refused: %v", what, err)
	case want != "" && err == nil:
		t.Errorf("%s: allowed, want refused (%s)", what, want)
	case want != "" && !strings.Contains(refusalText(err), want):
		t.Errorf("%s: %q, want it to say %q", what, refusalText(err), want)
	}
}

// refusalText is what the person sees: the field's message if any.
func refusalText(err error) string {
	for _, m := range FieldErrors(err) {
		return m
	}
	return ErrorMessage(err)
}

// Every other reason has its own message.
func TestRecognitionRefusalReasons(t *testing.T) {
	s := defaultRecognitionSettings()
	s.Enabled, s.RecognitionValues, s.ValueRequired = true, "friendly, above-and-beyond", true
	s.MinMessageLength, s.RefusedWords = 10, "stupid, idiot"
	s.MonthlyAllowance, s.MaxPerRecognition, s.MaxPerPair = 100, 50, 60
	g := participant{Party: Party{UserID: 1}, name: "Sam", role: RoleStaff}
	r := participant{Party: Party{MemberID: 2}, name: "Gus"}
	s.MemberReceivers = ScopeAll
	good := gift{points: 10, message: "Thanks for the coffee beans", value: "friendly"}
	with := func(f func(*gift)) gift { c := good; f(&c); return c }
	cases := []struct {
		what       string
		in         gift
		used, pair int64
		want       string
	}{
		{"fine", good, 0, 0, ""},
		{"no value", with(func(c *gift) { c.value = "" }), 0, 0, "Choose one of the values"},
		{"unknown value", with(func(c *gift) { c.value = "sneaky" }), 0, 0, "not one of this business's values"},
		{"short", with(func(c *gift) { c.message = "Ta!" }), 0, 0, "at least 10 characters"},
		{"refused word", with(func(c *gift) { c.message = "You are not STUPID at all" }), 0, 0, "“stupid” is not allowed"},
		{"per recognition", with(func(c *gift) { c.points = 51 }), 0, 0, "At most 50 points per recognition"},
		{"allowance", with(func(c *gift) { c.points = 30 }), 80, 0, "20 of 100 points left this month"},
		{"allowance spent", with(func(c *gift) { c.points = 1 }), 100, 0, "0 of 100 points left"},
		{"pair", with(func(c *gift) { c.points = 20 }), 50, 50, "10 left for Gus this month"},
		{"zero points always fit", with(func(c *gift) { c.points = 0 }), 100, 60, ""},
	}
	for _, tc := range cases {
		expectRefusal(t, checkGive(s, g, r, tc.in, tc.used, tc.pair), tc.want, tc.what)
	}
}

// A user has their role's allowance where the owner set one; a member,
// whatever the roles', the monthly allowance.
func TestRecognitionAllowanceOf(t *testing.T) {
	fifty, zero := int64(50), int64(0)
	s := defaultRecognitionSettings()
	s.MonthlyAllowance, s.ManagerAllowance, s.StaffAllowance = 100, &fifty, &zero
	for _, tc := range []struct {
		who  participant
		want int64
	}{
		{participant{Party: Party{UserID: 1}, role: RoleOwner}, 100},
		{participant{Party: Party{UserID: 2}, role: RoleManager}, 50},
		{participant{Party: Party{UserID: 3}, role: RoleStaff}, 0},
		{participant{Party: Party{MemberID: 4}}, 100},
	} {
		if got := s.allowanceOf(tc.who); got != tc.want {
			t.Errorf("%s (%s): allowance %d, want %d", tc.who.Party, tc.who.role, got, tc.want)
		}
	}
	g := participant{Party: Party{UserID: 2}, name: "Mia", role: RoleManager}
	r := participant{Party: Party{UserID: 5}, name: "Sam", role: RoleStaff}
	s.Enabled = true
	expectRefusal(t, checkGive(s, g, r, gift{points: 11, message: "Thanks"}, 40, 0), "10 of 50 points left", "a manager over the managers' allowance")
	expectRefusal(t, checkGive(s, g, r, gift{points: 10, message: "Thanks"}, 40, 0), "", "a manager within it")
}
