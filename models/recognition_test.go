package models_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// recognitionShop is a merchant with recognition on: a points program
// receiving members' points, a manager and a staff user, and a member.
type recognitionShop struct {
	shop
	program        *models.Program
	manager, staff *models.User
	member         *models.Member
}

func newRecognitionShop(t *testing.T, db *gorm.DB, email, zone string, in models.RecognitionSettingsInput) recognitionShop {
	t.Helper()
	s := recognitionShop{shop: newShopIn(t, db, email, "EUR", zone)}
	s.program = createProgram(t, s.db, pointsInput("Coffee Club"))
	actor := models.ActorOf(s.owner)
	var err error
	for _, u := range []struct {
		into *(*models.User)
		role models.Role
		name string
	}{{&s.manager, models.RoleManager, "Mia Manager"}, {&s.staff, models.RoleStaff, "Sam Staff"}} {
		if *u.into, _, err = models.AddUser(s.db, actor, models.AddUserInput{Name: u.name, Email: fmt.Sprintf("%s-%s", u.role, email), Role: u.role}); err != nil {
			t.Fatal(err)
		}
	}
	if s.member, err = models.EnrolMember(s.db, actor, models.MemberInput{Name: "Gus Gold", Email: "gus-" + email}, time.Now()); err != nil {
		t.Fatal(err)
	}
	in.Enabled = true
	in.ProgramID = itoa(s.program.ID)
	for _, role := range []*string{&in.OwnerRole, &in.ManagerRole, &in.StaffRole} {
		if *role == "" {
			*role = "both"
		}
	}
	if in.MemberGivers == "" {
		in.MemberGivers = "none"
	}
	if in.MemberReceivers == "" {
		in.MemberReceivers = "all"
	}
	if _, err := models.SaveRecognitionSettings(s.db, actor, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s recognitionShop) give(giver, receiver models.Party, points int64, key string, now time.Time) (*models.Recognition, error) {
	return models.Give(s.db, models.Actor{Name: "giver"}, models.GiveInput{
		Giver: giver, Receiver: receiver, Points: fmt.Sprint(points), Message: "Thank you so much", Key: key,
	}, now)
}

func wantBalanced(t *testing.T, db *gorm.DB) {
	t.Helper()
	bad, err := models.VerifyBalances(models.CrossTenant(db))
	if err != nil || len(bad) > 0 {
		t.Fatalf("verify: %+v %v", bad, err)
	}
}

func TestRecognitionGivesOnceAndHidesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newRecognitionShop(t, db, "rec@example.com", "Europe/Paris", models.RecognitionSettingsInput{MonthlyAllowance: "100"})
		now := time.Now()
		manager, staff, member := models.Party{UserID: s.manager.ID}, models.Party{UserID: s.staff.ID}, models.Party{MemberID: s.member.ID}

		r, err := s.give(manager, member, 30, "k1", now)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.give(manager, member, 30, "k1", now)
		if err != nil || again.ID != r.ID {
			t.Fatalf("retry: %+v %v", again, err)
		}
		var entries []models.LedgerEntry
		if err := s.db.Where("member_id = ? AND kind = ?", s.member.ID, models.KindRecognition).Find(&entries).Error; err != nil || len(entries) != 1 || entries[0].Amount != 30 || entries[0].ProgramID != s.program.ID {
			t.Fatalf("recognition entries %+v %v", entries, err)
		}
		k, err := s.give(manager, staff, 20, "k2", now)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := models.KudosBalance(s.db, s.staff.ID); b != 20 {
			t.Fatalf("kudos %d", b)
		}
		if left, _, _ := models.Remaining(s.db, manager, now); left != 50 {
			t.Fatalf("left %d", left)
		}
		wantBalanced(t, db)

		// A refusal writes nothing.
		before := countConfig(t, db)
		if _, err := s.give(manager, manager, 1, "k3", now); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("self: %v", err)
		}
		if _, err := s.give(manager, member, 51, "k4", now); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("over allowance: %v", err)
		}
		wantNoWrites(t, db, before)
		var n int64
		s.db.Model(&models.Recognition{}).Count(&n)
		if n != 2 {
			t.Fatalf("%d recognitions", n)
		}

		// Hiding reverses, once.
		audit := len(auditLog(t, s.db, models.AuditFilter{EntityType: "recognition"}))
		for _, id := range []int64{r.ID, k.ID} {
			if _, err := models.Hide(s.db, models.ActorOf(s.owner), id, "Posted by mistake", now); err != nil {
				t.Fatal(err)
			}
			if _, err := models.Hide(s.db, models.ActorOf(s.owner), id, "Again", now); models.ErrorCode(err) != models.ECONFLICT {
				t.Fatalf("second hide: %v", err)
			}
		}
		if got := len(auditLog(t, s.db, models.AuditFilter{EntityType: "recognition"})); got != audit+2 {
			t.Fatalf("audit %d → %d", audit, got)
		}
		var a models.Account
		if err := s.db.Where("member_id = ?", s.member.ID).Take(&a).Error; err != nil || a.Balance != 0 {
			t.Fatalf("account after hide %+v %v", a, err)
		}
		if b, _ := models.KudosBalance(s.db, s.staff.ID); b != 0 {
			t.Fatalf("kudos after hide %d", b)
		}
		var reversals int64
		s.db.Model(&models.LedgerEntry{}).Where("corrects_id = ?", entries[0].ID).Count(&reversals)
		if reversals != 1 {
			t.Fatalf("%d reversals", reversals)
		}
		wantBalanced(t, db)
		if feed, _ := models.ListRecognitions(s.db, models.FeedFilter{Limit: 10}); len(feed) != 0 {
			t.Fatalf("hidden still in the feed: %+v", feed)
		}
		if board, _ := models.RecognitionLeaders(s.db, "", 5); len(board.Receivers) != 0 {
			t.Fatalf("hidden still on the leaderboard: %+v", board)
		}

		// Another merchant cannot see or hide it.
		other := newShop(t, db, "other-rec@example.com")
		if _, err := models.GetRecognition(other.db, r.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("other merchant reads: %v", err)
		}
		if _, err := models.Hide(other.db, models.ActorOf(other.owner), k.ID, "x", now); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("other merchant hides: %v", err)
		}
	})
}

func TestRecognitionFeedAndLeaderboard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newRecognitionShop(t, db, "feed@example.com", "Europe/Paris", models.RecognitionSettingsInput{
			MonthlyAllowance: "100", Values: "#friendly, Community",
		})
		now := time.Now()
		manager, staff, member := models.Party{UserID: s.manager.ID}, models.Party{UserID: s.staff.ID}, models.Party{MemberID: s.member.ID}
		for i, g := range []struct {
			from, to models.Party
			value    string
		}{{manager, member, "friendly"}, {staff, member, "community"}, {manager, staff, "friendly"}} {
			if _, err := models.Give(s.db, models.Actor{Name: "x"}, models.GiveInput{Giver: g.from, Receiver: g.to, Points: "5", Message: "Thanks a lot", Value: g.value, Key: fmt.Sprint(i)}, now); err != nil {
				t.Fatal(err)
			}
		}
		feed, err := models.ListRecognitions(s.db, models.FeedFilter{Value: "friendly", Limit: 10})
		if err != nil || len(feed) != 2 || feed[0].ReceiverName != "Sam Staff" {
			t.Fatalf("feed by value %+v %v", feed, err)
		}
		if feed, _ := models.ListRecognitions(s.db, models.FeedFilter{Person: staff, Limit: 10}); len(feed) != 2 {
			t.Fatalf("feed by person %+v", feed)
		}
		if feed, _ := models.ListRecognitions(s.db, models.FeedFilter{Month: "1999-01", Limit: 10}); len(feed) != 0 {
			t.Fatalf("feed by month %+v", feed)
		}
		board, err := models.RecognitionLeaders(s.db, now.In(s.m.Location()).Format("2006-01"), 5)
		if err != nil || len(board.Receivers) != 2 || board.Receivers[0].Name != "Gus Gold" || board.Receivers[0].Points != 10 ||
			board.Givers[0].Name != "Mia Manager" || board.Values[0].Name != "friendly" || board.Values[0].Count != 2 {
			t.Fatalf("leaderboard %+v %v", board, err)
		}
		nudge, err := models.Nudge(s.db, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range nudge {
			if c.Party == staff || c.Party == member {
				t.Fatalf("nudge lists someone recognised today: %+v", nudge)
			}
		}
		if len(nudge) != 2 { // the owner and the manager
			t.Fatalf("nudge %+v", nudge)
		}
	})
}

// Gives at once by one giver never pass the allowance nor the pair cap.
func TestRecognitionConcurrentGives(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		hammerable(t, db)
		s := newRecognitionShop(t, db, "race@example.com", "Europe/Paris", models.RecognitionSettingsInput{MonthlyAllowance: "100", MaxPerPair: "60"})
		giver := models.Party{UserID: s.manager.ID}
		to := []models.Party{{MemberID: s.member.ID}, {UserID: s.staff.ID}}
		now := time.Now()
		errs := concurrently(24, func(i int) error {
			_, err := s.give(giver, to[i%2], 10, fmt.Sprintf("race-%d", i), now)
			return err
		})
		gave := 0
		for i, err := range errs {
			switch models.ErrorCode(err) {
			case "":
				gave++
			case models.EINVALID:
			default:
				t.Errorf("give %d: %v", i, err)
			}
		}
		var total, toMember int64
		s.db.Model(&models.Recognition{}).Select("COALESCE(SUM(points), 0)").Scan(&total)
		s.db.Model(&models.Recognition{}).Select("COALESCE(SUM(points), 0)").Where("receiver_member_id = ?", s.member.ID).Scan(&toMember)
		if gave != 10 || total != 100 || toMember > 60 || total-toMember > 60 {
			t.Fatalf("%d gives, %d points, %d to the member", gave, total, toMember)
		}
		wantBalanced(t, db)
	})
}

// The allowance resets at midnight on the 1st in the merchant's zone, not
// in UTC.
func TestRecognitionMonthlyReset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, zone := range []string{"Pacific/Auckland", "America/Los_Angeles"} {
			s := newRecognitionShop(t, db, "reset-"+zone[:3]+"@example.com", zone, models.RecognitionSettingsInput{MonthlyAllowance: "10"})
			loc := s.m.Location()
			midnight := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
			before, after := midnight.Add(-time.Second), midnight.Add(time.Second)
			giver, member := models.Party{UserID: s.manager.ID}, models.Party{MemberID: s.member.ID}
			if _, err := s.give(giver, member, 10, "dec", before); err != nil {
				t.Fatalf("%s: %v", zone, err)
			}
			if _, err := s.give(giver, member, 1, "dec-2", before); models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("%s: a second before midnight the allowance is spent: %v", zone, err)
			}
			if left, _, _ := models.Remaining(s.db, giver, after); left != 10 {
				t.Fatalf("%s: %d left after midnight", zone, left)
			}
			if _, err := s.give(giver, member, 10, "jan", after); err != nil {
				t.Fatalf("%s: a second after midnight: %v", zone, err)
			}
			var months []string
			s.db.Model(&models.Recognition{}).Order("id").Pluck("month", &months)
			if len(months) != 2 || months[0] != "2026-12" || months[1] != "2027-01" {
				t.Fatalf("%s: months %v (UTC %s / %s)", zone, months, before.UTC(), after.UTC())
			}
		}
		wantBalanced(t, db)
	})
}

// The give form's search finds, among those allowed to receive only, the
// members the member search would and the users by name or email.
func TestReceiverSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newRecognitionShop(t, db, "find@example.com", "Europe/Paris", models.RecognitionSettingsInput{
			MonthlyAllowance: "100", MemberReceivers: "tag", MemberReceiverTag: "ambassador", ManagerRole: "giver",
		})
		// Another merchant's ambassador of the same name is never found.
		other := newRecognitionShop(t, db, "elsewhere@example.com", "Europe/Paris", models.RecognitionSettingsInput{
			MonthlyAllowance: "100", MemberReceivers: "tag", MemberReceiverTag: "ambassador",
		})
		actor := models.ActorOf(s.owner)
		enrol := func(sh recognitionShop, name, email, tags string) *models.Member {
			m, err := models.EnrolMember(sh.db, actor, models.MemberInput{Name: name, Email: email}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tags != "" {
				if _, err := models.SetMemberTags(sh.db, actor, m.ID, tags); err != nil {
					t.Fatal(err)
				}
			}
			return m
		}
		zoe := enrol(s, "Zoë Ämbassador", "zoe@example.com", "ambassador")
		enrol(s, "Zoe Plain", "zoe.plain@example.com", "")
		blocked := enrol(s, "Zoe Blocked", "zoe.blocked@example.com", "ambassador")
		if _, err := models.SetMemberBlocked(s.db, actor, blocked.ID, true); err != nil {
			t.Fatal(err)
		}
		enrol(other, "Zoe Elsewhere", "zoe@elsewhere.example.com", "ambassador")

		names := func(text string) []string {
			t.Helper()
			cs, err := models.Receivers(s.db, text, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.Name)
			}
			return out
		}
		for text, want := range map[string][]string{
			"zoe":                    {"Zoë Ämbassador"}, // accents aside; not the untagged, blocked or other shop's Zoe
			"ZOË ÄMB":                {"Zoë Ämbassador"},
			"zoe@":                   {"Zoë Ämbassador"},
			"sam":                    {"Sam Staff"},
			"staff-find@":            {"Sam Staff"}, // a user by the start of the email
			"mia":                    nil,           // managers only give here
			"nobody":                 nil,
			strings.Repeat("z", 500): nil,
		} {
			if got := names(text); !slices.Equal(got, want) {
				t.Errorf("search %.20q: %q, want %q", text, got, want)
			}
		}
		if got := names(""); !slices.Contains(got, "Zoë Ämbassador") || !slices.Contains(got, "Sam Staff") || slices.Contains(got, "Zoe Plain") || slices.Contains(got, "Mia Manager") {
			t.Errorf("no search: %q", got)
		}
		// One already chosen stays offered when the search would not find
		// them, if they may receive; never to themselves.
		owner := models.Party{UserID: s.owner.ID}
		for party, want := range map[models.Party]bool{
			{MemberID: zoe.ID}: true, {MemberID: blocked.ID}: false, {MemberID: other.member.ID}: false,
			{UserID: s.manager.ID}: false, {UserID: s.staff.ID}: true, {}: false, owner: false,
		} {
			cs, err := models.ReceiversFor(s.db, owner, "nobody", party, 10)
			if found := len(cs) == 1 && cs[0].Party == party; err != nil || found != want || len(cs) > 1 {
				t.Errorf("ReceiversFor(chosen %v) = %+v, %v; want it offered %v", party, cs, err, want)
			}
		}
	})
}

// A role's own allowance caps its givers, and names itself when refused;
// a role without one, and every member, has the monthly allowance. A bad
// role allowance changes nothing; a blank one is stored as NULL.
func TestRecognitionRoleAllowance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := models.RecognitionSettingsInput{MonthlyAllowance: "100", ManagerAllowance: "50", MemberGivers: "all"}
		s := newRecognitionShop(t, db, "role-allowance@example.com", "Europe/Paris", in)
		now := time.Now()
		manager, staff, member := models.Party{UserID: s.manager.ID}, models.Party{UserID: s.staff.ID}, models.Party{MemberID: s.member.ID}
		for _, w := range []struct {
			who  models.Party
			want int64
		}{{manager, 50}, {staff, 100}, {member, 100}} {
			if left, allowance, err := models.Remaining(s.db, w.who, now); err != nil || left != w.want || allowance != w.want {
				t.Fatalf("%s: %d of %d left (%v), want %d", w.who, left, allowance, err, w.want)
			}
		}
		_, err := s.give(manager, member, 51, "m51", now)
		wantFieldMessage(t, err, "points", "50 of 50 points left")
		if _, err := s.give(manager, member, 50, "m50", now); err != nil {
			t.Fatalf("the manager's whole allowance: %v", err)
		}
		if _, err := s.give(staff, member, 100, "s100", now); err != nil {
			t.Fatalf("staff, the monthly allowance: %v", err)
		}
		if _, err := s.give(member, staff, 100, "g100", now); err != nil {
			t.Fatalf("a member, the monthly allowance: %v", err)
		}
		_, err = s.give(member, staff, 1, "g1", now)
		wantFieldMessage(t, err, "points", "0 of 100 points left")

		full := in
		full.Enabled, full.ProgramID = true, itoa(s.program.ID)
		full.OwnerRole, full.ManagerRole, full.StaffRole, full.MemberReceivers = "both", "both", "both", "all"
		actor := models.ActorOf(s.owner)
		for _, bad := range []string{"-1", "abc", "99999999999"} {
			before := countConfig(t, db)
			typed := full
			typed.MonthlyAllowance, typed.ManagerAllowance = "80", bad
			_, err := models.SaveRecognitionSettings(s.db, actor, typed, now)
			wantField(t, err, "manager_allowance")
			if bad != "99999999999" { // a number too large is told the range instead
				wantFieldMessage(t, err, "manager_allowance", "leave it blank for the monthly allowance")
			}
			wantNoWrites(t, db, before)
			if got, err := models.GetRecognitionSettings(s.db); err != nil || got.MonthlyAllowance != 100 || got.ManagerAllowance == nil || *got.ManagerAllowance != 50 {
				t.Fatalf("%q changed the settings: %+v %v", bad, got, err)
			}
		}
		full.ManagerAllowance, full.StaffAllowance = " ", "0"
		if _, err := models.SaveRecognitionSettings(s.db, actor, full, now); err != nil {
			t.Fatal(err)
		}
		var nulls int64
		if err := s.db.Model(&models.RecognitionSettings{}).
			Where("owner_allowance IS NULL AND manager_allowance IS NULL AND staff_allowance = 0").Count(&nulls).Error; err != nil || nulls != 1 {
			t.Fatalf("blank allowances stored as NULL: %d rows %v", nulls, err)
		}
		if left, allowance, _ := models.Remaining(s.db, manager, now); left != 50 || allowance != 100 {
			t.Fatalf("the manager back on the monthly allowance: %d of %d", left, allowance)
		}
		if left, _, _ := models.Remaining(s.db, models.Party{UserID: s.owner.ID}, now); left != 100 {
			t.Fatalf("the owner: %d left", left)
		}
	})
}
