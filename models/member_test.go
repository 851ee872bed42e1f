package models_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Email and phone are unique per merchant, compared as normalised; another
// merchant may have the same customer.
func TestMemberEmailAndPhoneAreUniquePerMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newShop(t, db, "members-a@example.com")
		b := newShop(t, db, "members-b@example.com")
		ann := enrol(t, a.db, models.MemberInput{Name: "Ann", Email: "Ann@Example.com", Phone: "+33 6 12 34 56 78"}, day0)
		if ann.Email != "ann@example.com" || ann.Phone != "33612345678" {
			t.Fatalf("stored email %q, phone %q; want them normalised", ann.Email, ann.Phone)
		}
		for _, c := range []struct {
			in    models.MemberInput
			field string
		}{
			{models.MemberInput{Name: "Ann 2", Email: " ANN@example.COM "}, "email"},
			{models.MemberInput{Name: "Ann 3", Phone: "0033612345678"}, "phone"},
			{models.MemberInput{Name: "Ann 4", Phone: "+33-6-12-34-56-78"}, "phone"},
			{models.MemberInput{Name: "Ann 5", Phone: "(+33) 6 12 34 56 78"}, "phone"},
			{models.MemberInput{Name: "Local", Phone: "06 12 34 56 78"}, "phone"},
			{models.MemberInput{Name: "Short", Phone: "+33 12"}, "phone"},
			{models.MemberInput{Name: "Bad", Email: "not-an-email"}, "email"},
			{models.MemberInput{Name: "  "}, "name"},
			{models.MemberInput{Name: "Future", Birthday: "2099-01-01"}, "birthday"},
		} {
			_, err := models.EnrolMember(a.db, testActor, c.in, day0)
			wantField(t, err, c.field)
		}
		if n := countRows(t, db, &models.Member{}); n != 1 {
			t.Fatalf("%d members after refused enrolments, want 1", n)
		}

		// Several members may leave email and phone empty.
		enrol(t, a.db, models.MemberInput{Name: "No contact 1"}, day0)
		bob := enrol(t, a.db, models.MemberInput{Name: "No contact 2"}, day0)
		// An edit cannot take someone else's email or phone either.
		_, err := models.UpdateMember(a.db, testActor, bob.ID, models.MemberInput{Name: "Bob", Email: "ann@example.com"}, day0)
		wantField(t, err, "email")
		_, err = models.UpdateMember(a.db, testActor, bob.ID, models.MemberInput{Name: "Bob", Phone: "+33612345678"}, day0)
		wantField(t, err, "phone")
		if _, err := models.UpdateMember(a.db, testActor, ann.ID, models.MemberInput{Name: "Ann", Email: "ann@example.com", Phone: "+33612345678"}, day0); err != nil {
			t.Errorf("saving a member with their own email and phone: %v", err)
		}

		// Merchant B may enrol the same person.
		annB := enrol(t, b.db, models.MemberInput{Name: "Ann", Email: "ann@example.com", Phone: "+33 6 12 34 56 78"}, day0)
		if annB.ID == ann.ID || annB.MerchantID != b.m.ID {
			t.Errorf("merchant B's Ann = %+v", annB)
		}
		// And neither sees the other's.
		if _, err := models.GetMember(b.db, ann.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("merchant B reads A's member: err = %v", err)
		}
		if _, err := models.FindMemberByCard(b.db, ann.CardCode); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("merchant B finds A's card: err = %v", err)
		}
		// Nor refers with it.
		_, err = models.EnrolMember(b.db, testActor, models.MemberInput{Name: "Cy", ReferralCode: ann.CardCode}, day0)
		if annB.CardCode != ann.CardCode {
			wantField(t, err, "referral_code")
		}
	})
}

func TestPhoneNormalisation(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+33 6 12 34 56 78":   "33612345678",
		"0033612345678":       "33612345678",
		"+33-6-12-34-56-78":   "33612345678",
		"+1 (555) 010-0000":   "15550100000",
		" +44 20 7946 0958 ":  "442079460958",
		"":                    "",
		"+49 (0)30 123456789": "49030123456789",
	} {
		if got := models.NormalisePhone(in); got != want {
			t.Errorf("NormalisePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// Card codes use an alphabet without look-alikes, are unique, and are
// found however they are typed.
func TestCardCodes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "cards@example.com", pointsInput("Points"))
		seen := map[string]bool{}
		var members []*models.Member
		for i := range 40 {
			m := enrolNamed(t, s.db, fmt.Sprintf("Member %02d", i))
			members = append(members, m)
			if len(m.CardCode) != 8 || strings.ContainsAny(m.CardCode, "0O1IL") || strings.ToUpper(m.CardCode) != m.CardCode {
				t.Errorf("card code %q: want 8 upper-case characters without 0, O, 1, I or L", m.CardCode)
			}
			for _, r := range m.CardCode {
				if !strings.ContainsRune("23456789ABCDEFGHJKMNPQRSTWXYZ", r) {
					t.Errorf("card code %q has %q, outside the alphabet", m.CardCode, r)
				}
			}
			if seen[m.CardCode] {
				t.Errorf("card code %q given twice", m.CardCode)
			}
			seen[m.CardCode] = true
		}
		// Vouchers use the same alphabet.
		grant(t, s.db, s.p.ID, members[0].ID, 100, day0)
		r := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Tea", Type: "free_item", Cost: "1"})
		for range 5 {
			v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: members[0].ID, ProgramID: s.p.ID, RewardID: r.ID}, day0)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Code) != 8 || strings.ContainsAny(v.Code, "0O1IL") {
				t.Errorf("voucher code %q", v.Code)
			}
		}
		m := members[7]
		formatted := models.FormatCardCode(m.CardCode)
		if formatted != m.CardCode[:4]+"-"+m.CardCode[4:] {
			t.Errorf("FormatCardCode(%q) = %q", m.CardCode, formatted)
		}
		for _, typed := range []string{m.CardCode, formatted, strings.ToLower(formatted), " " + m.CardCode[:4] + " " + m.CardCode[4:] + " "} {
			got, err := models.FindMemberByCard(s.db, typed)
			if err != nil || got.ID != m.ID {
				t.Errorf("FindMemberByCard(%q) = %v, %v; want member %d", typed, got, err, m.ID)
			}
		}
		if _, err := models.FindMemberByCard(s.db, "0000-0000"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("unknown card: err = %v", err)
		}
		wantSound(t, db)
	})
}

// names lists members' names, for messages.
func names(ms []models.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// Search finds members by the start of their name, email, phone or card
// code, in name order, a page at a time, never another merchant's.
func TestSearchMembers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "search@example.com")
		other := newShop(t, db, "search-other@example.com")
		in := []models.MemberInput{
			{Name: "anna Jones", Email: "anna@jones.example", Phone: "+33 6 11 11 11 11"},
			{Name: "Ann Smith", Email: "ann.smith@example.com", Phone: "+33 6 22 22 22 22"},
			{Name: "Annie", Email: "annie@example.com"},
			{Name: "Bob Annan", Email: "bob@example.com", Phone: "+44 20 7946 0958"},
			{Name: "ann smith", Email: "other.ann@example.com"},
			{Name: "Ann Smith"},
			{Name: "Zoë"},
			{Name: "100% Real"},
			{Name: "under_score"},
			{Name: "Ann_x"},
		}
		var ms []*models.Member
		for _, m := range in {
			ms = append(ms, enrol(t, s.db, m, day0))
		}
		enrol(t, other.db, models.MemberInput{Name: "Ann Other", Email: "ann@other.example", Phone: "+33 6 11 11 11 12"}, day0)

		search := func(text string) []string {
			t.Helper()
			found, err := models.SearchMembers(s.db, models.MemberQuery{Text: text, Limit: 100})
			if err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			return names(found)
		}
		for text, want := range map[string][]string{
			"ann":               {"Ann Smith", "ann smith", "Ann Smith", "Ann_x", "anna Jones", "Annie"},
			"ANN S":             {"Ann Smith", "ann smith", "Ann Smith"},
			"ann.smith@":        {"Ann Smith"},
			"annie@example.com": {"Annie"},
			"+33 6 11":          {"anna Jones"},
			"0033 6 22 22":      {"Ann Smith"},
			"+44 20":            {"Bob Annan"},
			"bob":               {"Bob Annan"},
			"zoë":               {"Zoë"},
			"100%":              {"100% Real"},
			"%":                 nil,
			"_":                 nil,
			"ann_":              {"Ann_x"},
			"under_":            {"under_score"},
			"nobody":            nil,
			"ann@other.example": nil,
			"+33 6 11 11 11 12": nil,
		} {
			got := search(text)
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("search %q = %q, want %q", text, got, want)
			}
		}
		// A card code, typed any way, finds its member.
		anna := ms[0]
		for _, typed := range []string{anna.CardCode[:5], strings.ToLower(models.FormatCardCode(anna.CardCode))[:6], models.FormatCardCode(anna.CardCode)} {
			if got := search(typed); !slices.Contains(got, "anna Jones") {
				t.Errorf("search %q = %q, want anna Jones among them", typed, got)
			}
		}

		// Paging through everyone, and through a search, three at a time:
		// every member once, in name order.
		for _, text := range []string{"", "ann", "a"} {
			all, err := models.SearchMembers(s.db, models.MemberQuery{Text: text, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var paged []models.Member
			q := models.MemberQuery{Text: text, Limit: 3}
			for page := 0; ; page++ {
				got, err := models.SearchMembers(s.db, q)
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, got...)
				if len(got) < 3 || page > 20 {
					break
				}
				last := got[len(got)-1]
				q.AfterName, q.AfterID = strings.ToLower(last.Name), last.ID
			}
			if len(paged) != len(all) {
				t.Errorf("search %q: paging gave %q, all at once %q", text, names(paged), names(all))
				continue
			}
			for i := range all {
				if paged[i].ID != all[i].ID {
					t.Errorf("search %q: paging gave %q, all at once %q", text, names(paged), names(all))
					break
				}
			}
			for i := 1; i < len(all); i++ {
				a, b := strings.ToLower(all[i-1].Name), strings.ToLower(all[i].Name)
				if a > b || a == b && all[i-1].ID > all[i].ID {
					t.Errorf("search %q: %q before %q", text, all[i-1].Name, all[i].Name)
				}
			}
		}
		everyone, err := models.SearchMembers(s.db, models.MemberQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(everyone) != len(in) {
			t.Errorf("listing everyone gave %d members, want %d", len(everyone), len(in))
		}
	})
}

// A blocked member earns nothing, redeems nothing and is not adjusted;
// unblocked, they do again.
func TestBlockedMembers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "blocked@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Tea", Type: "free_item", Cost: "5"})
		rule := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "5", Cap: "once", Active: true})
		buy(t, s.db, s.p.ID, ann.ID, "20", "before", day0)
		if _, err := models.SetMemberBlocked(s.db, testActor, ann.ID, true); err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]func() error{
			"purchase": func() error {
				_, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "10", "while-blocked"), day0)
				return err
			},
			"redeem": func() error {
				_, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0)
				return err
			},
			"adjust": func() error {
				_, err := models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: ann.ID, ProgramID: s.p.ID, Amount: "5", Reason: "Goodwill"}, day0)
				return err
			},
			"award": func() error {
				_, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", day0)
				return err
			},
		} {
			if err := f(); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s while blocked: err = %v, want a conflict", name, err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 20)
		if n := countRows(t, db, &models.Purchase{}); n != 1 {
			t.Errorf("%d purchases, want 1 (the refused one was not recorded)", n)
		}
		// Their purchase can still be refunded: clawing back is not earning.
		if _, err := models.RefundPurchase(s.db, testActor, mustPurchase(t, s.db, "before"), "20", "refund-before", day0); err != nil {
			t.Errorf("refund while blocked: %v", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 0)
		if _, err := models.SetMemberBlocked(s.db, testActor, ann.ID, false); err != nil {
			t.Fatal(err)
		}
		// Unblocked, the refused purchase's key goes through.
		buy(t, s.db, s.p.ID, ann.ID, "10", "while-blocked", day0)
		wantBalance(t, s.db, s.p.ID, ann.ID, 10)
		wantSound(t, db)
	})
}

func mustPurchase(t *testing.T, sdb *gorm.DB, key string) int64 {
	t.Helper()
	var p models.Purchase
	if err := sdb.Where("idempotency_key = ?", key).Take(&p).Error; err != nil {
		t.Fatal(err)
	}
	return p.ID
}
