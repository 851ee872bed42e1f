package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A manager opens the engagement report over ten weeks of a café's
// activity, asks for members nearer a reward, and opens a rule; the page
// fits a phone and a desktop.
func TestBrowserEngagementReport(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			cafe := openCafe(t, app, b)
			db, p := cafe.db, cafe.program
			must := func(_ any, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(models.CreateTier(db, cafeFixture, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"}))
			must(models.CreateTier(db, cafeFixture, p.ID, models.TierInput{Name: "Gold", Position: "2", Threshold: "300"}))
			rule, err := models.SaveEarningRule(db, cafeFixture, p.ID, 0, models.EarningRuleInput{Kind: "action", Name: "Newsletter sign-up", Points: "10", Cap: "once", Active: true})
			must(rule, err)
			must(models.SaveEarningRule(db, cafeFixture, p.ID, 0, models.EarningRuleInput{Kind: "referral", Name: "Refer a friend", Points: "20", ReferredPoints: "10", MinPurchase: "0", Active: true}))
			now := app.clock.now()
			var first *models.Member
			names := []string{"Maximiliane Wolkenstein-Hohenberg", "Ada Lovelace", "Bob Builder", "Chidi Anagonye", "Dee Dee", "Eun-ji Park"}
			for i, name := range names {
				in := models.MemberInput{Name: name, Email: fmt.Sprintf("member%d@example.com", i), MarketingOptIn: i%2 == 0}
				if first != nil && i%2 == 1 {
					in.ReferralCode = first.CardCode
				}
				joined := now.AddDate(0, 0, -70+i*3)
				m, err := models.EnrolMember(db, cafeFixture, in, joined)
				must(m, err)
				if first == nil {
					first = m
				}
				for w := 0; w < 10-i; w++ {
					at := joined.Add(time.Duration(w*7*24+i) * time.Hour)
					if at.After(now) {
						break
					}
					must(models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID,
						Amount: fmt.Sprintf("%d.50", 3+i*2), IdempotencyKey: fmt.Sprintf("b%d-%d", i, w)}, at))
				}
				if i%3 == 0 {
					must(models.AwardAction(db, cafeFixture, m.ID, p.ID, rule.ID, "", joined.Add(time.Hour)))
				}
			}
			must(models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, Amount: "4.20", IdempotencyKey: "anon"}, now.Add(-time.Hour)))
			must(models.Adjust(db, models.Actor{Name: "Bartholomew Staff-Member"}, models.RoleOwner,
				models.AdjustInput{MemberID: first.ID, ProgramID: p.ID, Amount: "-5", Reason: "Correction"}, now.Add(-2*time.Hour)))

			fits := func(name string) {
				t.Helper()
				b.screenshot(fmt.Sprintf("engagement-%d-%s.png", width, name))
				if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
					t.Errorf("%s at %dpx: %s", name, width, strings.Join(bad, "; "))
				}
			}
			b.open("/reports/engagement?range=90d")
			if got := b.text("value-earning-rate"); got == "" || got == "–" {
				t.Errorf("earning rate = %q", got)
			}
			fits("90d")
			// The range form keeps the distances as hidden fields: type
			// into the goal form's own.
			b.do("fill the reward distance", chromedp.SetValue(testID("input-reward_within"), "10"))
			b.submit("goal-apply", "/reports/engagement")
			if got := eval[string](b, `document.querySelector('[data-testid="input-reward_within"]').value`); got != "10" {
				t.Errorf("the distance asked for is not kept: %q", got)
			}
			b.open(fmt.Sprintf("/reports/engagement?range=all&program=%d&rule=%d&tier_within=250&reward_within=9", p.ID, rule.ID))
			b.visible("report-table-rule-weeks")
			fits("rule")
		})
	}
}
