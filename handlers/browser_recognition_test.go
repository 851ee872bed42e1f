package handlers_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// recognitionCafe is the café with a Gold tier, a Gold member, a manager
// and a staff user.
func recognitionCafe(t *testing.T, app *testApp, b *browser) (cafe, *models.Member, *models.Tier) {
	t.Helper()
	shop := openCafe(t, app, b)
	now := app.clock.now()
	_, bronzeErr := models.CreateTier(shop.db, cafeFixture, shop.program.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
	gold, goldErr := models.CreateTier(shop.db, cafeFixture, shop.program.ID, models.TierInput{Name: "Gold", Position: "2", Threshold: "500"})
	gus, gusErr := models.EnrolMember(shop.db, cafeFixture, models.MemberInput{Name: "Gus Gold"}, now)
	if err := errors.Join(bronzeErr, goldErr, gusErr); err != nil {
		t.Fatal(err)
	}
	_, err := models.RecordPurchase(shop.db, cafeFixture, models.PurchaseInput{ProgramID: shop.program.ID, MemberID: gus.ID, Amount: "600", IdempotencyKey: "gus", ConfirmedLarge: true}, now)
	for _, u := range []models.AddUserInput{
		{Name: "Mia Manager", Email: "mia@example.com", Role: models.RoleManager, Password: testPassword},
		{Name: "Sam Staff", Email: "sam@example.com", Role: models.RoleStaff, Password: testPassword},
	} {
		_, _, addErr := models.AddUser(shop.db, cafeFixture, u)
		err = errors.Join(err, addErr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return shop, gus, gold
}

// The story: the owner makes staff observers and managers givers
// and lets Gold members receive; a manager recognises a Gold member with
// points, is refused over the allowance with the reason shown; a staff
// user is told why they cannot give; the feed and the leaderboard show it.
func TestBrowserRecognition(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			shop, gus, gold := recognitionCafe(t, app, b)
			b.open("/settings/recognition")
			b.tick("input-enabled")
			b.fill("values", "friendly, above-and-beyond", "monthly_allowance", "100", "max_per_recognition", "50")
			b.choose("manager_role", "giver")
			b.choose("staff_role", "observer")
			b.choose("member_receivers", "tiers")
			b.tick(fmt.Sprintf("input-member_receiver_tiers-%d", gold.ID))
			b.choose("program_id", fmt.Sprint(shop.program.ID))
			b.screenshot(fmt.Sprintf("recognition-settings-%d.png", width))
			b.submit("recognition-settings-submit", "/settings/recognition")
			b.expectFlash("Recognition settings are saved.")

			b.logOut()
			b.fill("email", "mia@example.com", "password", testPassword)
			b.submit("login-submit", "/dashboard")
			b.open("/recognition")
			// Typing in the search narrows "Who" in place, the form kept.
			b.fill("points", "60", "who", "gus g")
			b.waitUntil("the receiver search", fmt.Sprintf(
				`[...document.querySelectorAll('#f-receiver option')].map(o => o.value).join() === ',m:%d'`, gus.ID))
			b.choose("receiver", fmt.Sprintf("m:%d", gus.ID))
			b.fill("points", "60", "message", "Thanks for the kind words about our beans!")
			b.choose("value", "friendly")
			b.submitExpect("give-submit", 422, "/recognition")
			if got := b.text("error-points"); !strings.Contains(got, "At most 50 points per recognition") {
				t.Errorf("refusal %q", got)
			}
			b.fill("points", "30")
			b.submit("give-submit", "/recognition")
			b.expectFlash("Your recognition of Gus Gold is posted.")
			if got := b.text("allowance-left"); got != "70 of 100 points left this month" {
				t.Errorf("allowance %q", got)
			}
			b.expectRows("recognition-receiver", "Gus Gold")
			b.screenshot(fmt.Sprintf("recognition-feed-%d.png", width))
			if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
				t.Errorf("feed at %dpx: %s", width, strings.Join(bad, "; "))
			}
			b.open("/reports/engagement?range=30d")
			if got := b.text("value-recognition-allowance"); got != "15%" {
				t.Errorf("allowance used on the engagement report %q", got)
			}
			b.screenshot(fmt.Sprintf("recognition-report-%d.png", width))

			b.logOut()
			b.fill("email", "sam@example.com", "password", testPassword)
			b.submit("login-submit", "/dashboard")
			b.open("/recognition")
			if got := b.text("cannot-give"); !strings.Contains(got, "does not give recognition") {
				t.Errorf("staff told %q", got)
			}
			b.expectRows("recognition-message", "Thanks for the kind words about our beans!")
			b.open("/recognition/leaderboard")
			b.expectRows("leader-row", "Gus Gold 1 30", "Mia Manager 1 30", "friendly 1 30")
			b.screenshot(fmt.Sprintf("recognition-leaderboard-%d.png", width))
			if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
				t.Errorf("leaderboard at %dpx: %s", width, strings.Join(bad, "; "))
			}
		})
	}
}
