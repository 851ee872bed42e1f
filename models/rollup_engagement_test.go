package models_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// rawRuleEarns recomputes daily_rule_earns from the ledger as a reader of
// the keys would: "<program> <rule> <day>" → "completions points".
func rawRuleEarns(t *testing.T, sdb *gorm.DB, loc *time.Location) map[string]string {
	t.Helper()
	var es []models.LedgerEntry
	if err := sdb.Where("kind = ?", models.KindRuleEarn).Order("id").Find(&es).Error; err != nil {
		t.Fatal(err)
	}
	type sum struct{ n, points int64 }
	sums := map[string]*sum{}
	seen := map[string]bool{}
	for _, e := range es {
		parts := strings.Split(*e.IdempotencyKey, ":")
		rule, award := parts[1], *e.IdempotencyKey
		switch parts[0] {
		case "signup":
			rule = "0"
		case "referral":
			award = strings.Join(parts[:3], ":") // both sides are one referral
		}
		k := fmt.Sprintf("%d %s %s", e.ProgramID, rule, e.CreatedAt.In(loc).Format("2006-01-02"))
		if sums[k] == nil {
			sums[k] = &sum{}
		}
		sums[k].points += e.Amount
		if !seen[k+award] {
			seen[k+award] = true
			sums[k].n++
		}
	}
	out := map[string]string{}
	for k, s := range sums {
		out[k] = fmt.Sprintf("%d %d", s.n, s.points)
	}
	return out
}

// rawAdjustments recomputes daily_adjustments: "<program> <user> <name>
// <day>" → "entries credits debits".
func rawAdjustments(t *testing.T, sdb *gorm.DB, loc *time.Location) map[string]string {
	t.Helper()
	var es []models.LedgerEntry
	if err := sdb.Where("kind IN ?", []models.EntryKind{models.KindManualCredit, models.KindManualDebit}).Find(&es).Error; err != nil {
		t.Fatal(err)
	}
	type sum struct{ n, credits, debits int64 }
	sums := map[string]*sum{}
	for _, e := range es {
		user := int64(0)
		if e.ActorUserID != nil {
			user = *e.ActorUserID
		}
		k := fmt.Sprintf("%d %d %s %s", e.ProgramID, user, e.ActorName, e.CreatedAt.In(loc).Format("2006-01-02"))
		if sums[k] == nil {
			sums[k] = &sum{}
		}
		sums[k].n++
		if e.Amount > 0 {
			sums[k].credits += e.Amount
		} else {
			sums[k].debits -= e.Amount
		}
	}
	out := map[string]string{}
	for k, s := range sums {
		out[k] = fmt.Sprintf("%d %d %d", s.n, s.credits, s.debits)
	}
	return out
}

func storedEngagement(t *testing.T, sdb *gorm.DB) (rules, adjustments map[string]string) {
	t.Helper()
	var rs []models.DailyRuleEarn
	var as []models.DailyAdjustment
	if err := sdb.Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	if err := sdb.Find(&as).Error; err != nil {
		t.Fatal(err)
	}
	rules, adjustments = map[string]string{}, map[string]string{}
	for _, r := range rs {
		rules[fmt.Sprintf("%d %d %s", r.ProgramID, r.RuleID, r.Day)] = fmt.Sprintf("%d %d", r.Completions, r.Points)
	}
	for _, a := range as {
		adjustments[fmt.Sprintf("%d %d %s %s", a.ProgramID, a.ActorUserID, a.ActorName, a.Day)] = fmt.Sprintf("%d %d %d", a.Entries, a.Credits, a.Debits)
	}
	return rules, adjustments
}

func wantSameMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s\n got %v\nwant %v", what, got, want)
	}
}

// After random writes over two programs, caught up now and then, the
// per-rule and per-staff rollups equal the ledger recomputed by hand, and
// so does a rebuild. Auckland's day starts 11 to 13 hours before UTC's.
func TestRollupEngagementEqualsRaw(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShopIn(t, db, "engage-raw@example.com", "NZD", "Pacific/Auckland")
		in := pointsInput("Coffee")
		in.SignUpBonus = "3"
		programs := []*models.Program{createProgram(t, s.db, in), createProgram(t, s.db, pointsInput("Bikes"))}
		var actions []*models.EarningRule
		for i, p := range programs {
			actions = append(actions, createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: "Review",
				Points: strconv.Itoa(5 + i), Cap: "unlimited", Active: true}))
			createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "referral", Name: "Refer", Points: "20", ReferredPoints: "10",
				MinPurchase: "5.00", Active: true})
		}
		// Another merchant's writes never show.
		other := newLoyal(t, db, "engage-other@example.com", pointsInput("Other"))
		adjust(t, other.db, testActor, other.p.ID, enrolNamed(t, other.db, "Zed").ID, "9", day0)

		rnd := rand.New(rand.NewPCG(9, 9))
		actors := []models.Actor{testActor, {UserID: s.owner.ID, Name: s.owner.Name}, {Name: "POS"}}
		var members []*models.Member
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		for i := range 160 {
			at = at.Add(time.Duration(rnd.IntN(14*60)) * time.Minute)
			p := programs[rnd.IntN(len(programs))]
			switch op := rnd.IntN(10); {
			case op < 2 || len(members) < 3:
				mi := models.MemberInput{Name: fmt.Sprintf("M%d", i)}
				if len(members) > 0 && rnd.IntN(2) == 0 {
					mi.ReferralCode = members[rnd.IntN(len(members))].CardCode
				}
				members = append(members, enrol(t, s.db, mi, at))
			case op < 5:
				m := members[rnd.IntN(len(members))]
				buy(t, s.db, p.ID, m.ID, fmt.Sprintf("%d.00", 1+rnd.IntN(30)), fmt.Sprintf("p%d", i), at)
			case op < 7:
				m := members[rnd.IntN(len(members))]
				rule := actions[0]
				if p.ID == programs[1].ID {
					rule = actions[1]
				}
				if _, err := models.AwardAction(s.db, testActor, m.ID, p.ID, rule.ID, fmt.Sprintf("r%d", i), at); err != nil {
					t.Fatal(err)
				}
			default:
				m := members[rnd.IntN(len(members))]
				amount := strconv.Itoa(1 + rnd.IntN(20))
				if a := accountOf(t, s.db, p.ID, m.ID); a.Balance > 0 && rnd.IntN(3) == 0 {
					amount = strconv.FormatInt(-1-rnd.Int64N(a.Balance), 10)
				}
				adjust(t, s.db, actors[rnd.IntN(len(actors))], p.ID, m.ID, amount, at)
			}
			if i%25 == 24 {
				if err := models.CatchUpRollups(s.db, at); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := models.CatchUpRollups(s.db, at); err != nil {
			t.Fatal(err)
		}
		loc := s.m.Location()
		wantRules, wantAdjustments := rawRuleEarns(t, s.db, loc), rawAdjustments(t, s.db, loc)
		var referrals int64
		if err := s.db.Model(&models.LedgerEntry{}).Where("idempotency_key LIKE ?", "referral:%").Count(&referrals).Error; err != nil {
			t.Fatal(err)
		}
		if len(wantRules) < 10 || len(wantAdjustments) < 10 || referrals < 4 {
			t.Fatalf("history too thin: %d rule days, %d adjustment days, %d referral payouts", len(wantRules), len(wantAdjustments), referrals)
		}
		rules, adjustments := storedEngagement(t, s.db)
		wantSameMap(t, "rule earns, caught up", rules, wantRules)
		wantSameMap(t, "adjustments, caught up", adjustments, wantAdjustments)
		if err := models.RebuildRollups(s.db, at); err != nil {
			t.Fatal(err)
		}
		rules, adjustments = storedEngagement(t, s.db)
		wantSameMap(t, "rule earns, rebuilt", rules, wantRules)
		wantSameMap(t, "adjustments, rebuilt", adjustments, wantAdjustments)
	})
}
