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

// Search finds members by the start of any word of their name, their
// email, phone or card code, a page at a time, never another merchant's.
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
			"ann":               {"Ann Smith", "ann smith", "Ann Smith", "Ann_x", "anna Jones", "Bob Annan", "Annie"},
			"ANN S":             {"Ann Smith", "ann smith", "Ann Smith"},
			"smith":             {"Ann Smith", "ann smith", "Ann Smith"},
			"smith ann":         {"Ann Smith", "ann smith", "Ann Smith"},
			"jon":               {"anna Jones"},
			"ann.smith@":        {"Ann Smith"},
			"annie@example.com": {"Annie"},
			"+33 6 11":          {"anna Jones"},
			"0033 6 22 22":      {"Ann Smith"},
			"+44 20":            {"Bob Annan"},
			"bob":               {"Bob Annan"},
			"zoë":               {"Zoë"},
			"ZOE":               {"Zoë"},
			"100%":              {"100% Real"},
			"%":                 nil,
			"_":                 nil,
			"ann_x":             {"Ann_x"},
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
		// every member once, in the same order as all at once.
		for _, text := range []string{"", "ann", "a", "smith ann", "33"} {
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
				q.After = got[len(got)-1].SearchCursor()
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

// Names fold the same way for storage and for queries, so accents and
// case do not matter, whatever the database.
func TestFoldName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Émilie  Özdemir-Weiß": "emilie ozdemir weiss",
		"ÜMIT YILMAZ":          "umit yilmaz",
		"Łukasz Ørsted":        "lukasz orsted",
		"Æsa Œuvre Þór":        "aesa oeuvre thor",
		"Đorđe ﬁnn":            "dorde finn",
		"  ann_x (vip) ":       "ann x vip",
		"100% Real":            "100 real",
	} {
		if got := models.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Accents and case are optional, any word of a name is found by its
// start, and phones are found as dialled at home, on both databases; an
// edit moves the member to their new name.
func TestSearchFindsFoldedNamesAndNationalPhones(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "folded@example.com")
		for _, in := range []models.MemberInput{
			{Name: "Émilie Durand"},
			{Name: "Ali Özdemir"},
			{Name: "Marie Curie", Phone: "+33 6 12 34 56 78"},
			{Name: "Ümit Yılmaz"},
			{Name: "Éva Kovács"},
			{Name: "Jürgen Weiß", Phone: "+49 151 23456789"},
			{Name: "Eva Marie Smith", Phone: "+1 415 555 0100"},
		} {
			enrol(t, s.db, in, day0)
		}
		search := func(text string) string {
			t.Helper()
			found, err := models.SearchMembers(s.db, models.MemberQuery{Text: text, Limit: 100})
			if err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			return strings.Join(names(found), "|")
		}
		for text, want := range map[string]string{
			"emilie":         "Émilie Durand",
			"ÉMILIE":         "Émilie Durand",
			"Özdemir":        "Ali Özdemir",
			"ozdemir":        "Ali Özdemir",
			"Curie":          "Marie Curie",
			"marie cur":      "Marie Curie",
			"curie marie":    "Marie Curie",
			"marie":          "Marie Curie|Eva Marie Smith",
			"Ümit":           "Ümit Yılmaz",
			"umit yil":       "Ümit Yılmaz",
			"Éva":            "Éva Kovács|Eva Marie Smith",
			"eva m":          "Eva Marie Smith",
			"weiss":          "Jürgen Weiß",
			"Weiß":           "Jürgen Weiß",
			"06 12 34 56 78": "Marie Curie",
			"612345678":      "Marie Curie",
			"+33 6 12":       "Marie Curie",
			"0151 2345 6789": "Jürgen Weiß",
			"+49 151":        "Jürgen Weiß",
			"415 555":        "Eva Marie Smith",
			"+33 151":        "",
			"durand emilie":  "Émilie Durand",
			"durand x":       "",
		} {
			if got := search(text); got != want {
				t.Errorf("search %q = %q, want %q", text, got, want)
			}
		}

		var marie models.Member
		if err := s.db.Where("name = ?", "Marie Curie").Take(&marie).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.UpdateMember(s.db, testActor, marie.ID, models.MemberInput{Name: "Marie Skłodowska", Phone: "+33 6 12 34 56 79"}, day0); err != nil {
			t.Fatal(err)
		}
		for text, want := range map[string]string{"curie": "", "sklodowska": "Marie Skłodowska", "06 12 34 56 79": "Marie Skłodowska", "06 12 34 56 78": ""} {
			if got := search(text); got != want {
				t.Errorf("after the edit, search %q = %q, want %q", text, got, want)
			}
		}
	})
}

// mixedNames is n names with capitals that SQLite's lower() does not
// know, repeated so that paging must break ties by id.
func mixedNames(n int) []string {
	first := []string{"Ümit", "Éva", "Émilie", "ädam", "Zoë", "anna", "Bob", "Özil", "Øyvind", "Łukasz", "émile", "Eva", "ÉVA"}
	last := []string{"Müller", "Ångström", "Smith", "Curie", "Ünal", "élan", "Weiß"}
	out := make([]string, n)
	for i := range out {
		out[i] = first[i%len(first)] + " " + last[(i/len(first))%len(last)]
	}
	return out
}

// importNames imports members with these names, through the import's
// insert path.
func importNames(t *testing.T, sdb *gorm.DB, names []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("name,email\n")
	for i, n := range names {
		fmt.Fprintf(&b, "%s,m%d@example.com\n", n, i)
	}
	job := runImport(t, sdb, startImport(t, sdb, models.RoleOwner, models.ImportInput{Content: []byte(b.String())}).ID)
	if job.CreatedCount != int64(len(names)) {
		t.Fatalf("imported %d of %d members", job.CreatedCount, len(names))
	}
}

// pageThrough pages a search 25 at a time and returns the ids in order.
func pageThrough(t *testing.T, sdb *gorm.DB, text string) []int64 {
	t.Helper()
	q := models.MemberQuery{Text: text, Limit: 25}
	var ids []int64
	for page := 0; page < 1000; page++ {
		got, err := models.SearchMembers(sdb, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if len(got) < q.Limit {
			return ids
		}
		q.After = got[len(got)-1].SearchCursor()
	}
	t.Fatal("paging does not end")
	return nil
}

// Paging 2,000 members with non-ASCII capitals 25 at a time lists each
// exactly once, in folded-name order, whole list or search; existing
// members are keyed again by the backfill after migrating.
func TestPagingMixedNamesListsEveryMemberOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "paging@example.com")
		const n = 2000
		importNames(t, s.db, mixedNames(n))
		var stored []models.Member
		if err := s.db.Find(&stored).Error; err != nil {
			t.Fatal(err)
		}
		byID := map[int64]models.Member{}
		for _, m := range stored {
			byID[m.ID] = m
		}
		check := func(text string, want int) {
			t.Helper()
			ids := pageThrough(t, s.db, text)
			seen := map[int64]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("search %q: member %d listed twice", text, id)
				}
				seen[id] = true
			}
			if len(ids) != want {
				t.Fatalf("search %q: paging listed %d members, want %d", text, len(ids), want)
			}
			if text != "" {
				return
			}
			for i := 1; i < len(ids); i++ {
				a, b := byID[ids[i-1]], byID[ids[i]]
				if ka, kb := models.FoldName(a.Name), models.FoldName(b.Name); ka > kb || ka == kb && a.ID > b.ID {
					t.Fatalf("%q listed before %q", a.Name, b.Name)
				}
			}
		}
		check("", n)
		want := 0
		for _, name := range mixedNames(n) {
			if strings.HasPrefix(models.FoldName(name), "eva ") {
				want++
			}
		}
		check("Éva", want)
		check("eva", want)

		// Members stored before the search columns: the backfill keys them.
		if err := db.Exec("UPDATE members SET name_key = '', phone_national = '' WHERE merchant_id = ?", s.m.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("DELETE FROM member_search_terms WHERE merchant_id = ?", s.m.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.Migrate(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		check("", n)
		check("ümit müll", n/13/7+1)
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
		// A retry of the purchase made before the block still gets its
		// first answer, and credits nothing.
		if res, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "20", "before"), day0); err != nil || !res.Replayed {
			t.Errorf("retry while blocked: %+v %v, want the first purchase replayed", res, err)
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

// The seed writes its members' search keys in SQL: they must be the ones
// Go would write, or the seeded data would search differently.
func TestSeedKeysMembersAsGoDoes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		rep, err := models.Seed(t.Context(), db, models.SeedOptions{Members: 20, EntriesPerMember: 1, Now: day0})
		if err != nil {
			t.Fatal(err)
		}
		sdb := models.ForMerchant(db, rep.MerchantID)
		var ms []models.Member
		if err := sdb.Find(&ms).Error; err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.NameKey != models.FoldName(m.Name) || "33"+m.PhoneNational != m.Phone {
				t.Errorf("seeded %q/%s keyed %q/%s", m.Name, m.Phone, m.NameKey, m.PhoneNational)
			}
		}
		var terms int64
		if err := sdb.Model(&models.MemberSearchTerm{}).Count(&terms).Error; err != nil {
			t.Fatal(err)
		}
		if terms != 3*int64(len(ms)) {
			t.Errorf("%d search terms for %d three-word names", terms, len(ms))
		}
		found, err := models.SearchMembers(sdb, models.MemberQuery{Text: "jones 8"})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(found), "|"); got != "Ada Jones 8" {
			t.Errorf(`search "jones 8" in the seed = %q`, got)
		}
	})
}
