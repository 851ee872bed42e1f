package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The report counts, of those allowed, who gave and received in the last
// 30 days (hidden recognitions left out), this month's allowance used
// (hiding refunds none) and pairs giving each other most of it; another
// merchant's recognitions count nowhere.
func TestRecognitionReport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newRecognitionShop(t, db, "use@example.com", "Europe/Paris", models.RecognitionSettingsInput{MonthlyAllowance: "100", StaffRole: "receiver"})
		other := newRecognitionShop(t, db, "use-other@example.com", "Europe/Paris", models.RecognitionSettingsInput{MonthlyAllowance: "100"})
		now := time.Now()
		owner, manager, staff, member := models.Party{UserID: s.owner.ID}, models.Party{UserID: s.manager.ID},
			models.Party{UserID: s.staff.ID}, models.Party{MemberID: s.member.ID}
		if _, err := other.give(models.Party{UserID: other.manager.ID}, models.Party{UserID: other.staff.ID}, 70, "o1", now); err != nil {
			t.Fatal(err)
		}
		if _, err := other.give(models.Party{UserID: other.staff.ID}, models.Party{UserID: other.manager.ID}, 70, "o2", now); err != nil {
			t.Fatal(err)
		}
		for _, g := range []struct {
			from, to models.Party
			points   int64
			key      string
		}{{manager, owner, 60, "a"}, {owner, manager, 55, "b"}, {manager, owner, 10, "c"}, {owner, member, 30, "d"}} {
			if _, err := s.give(g.from, g.to, g.points, g.key, now); err != nil {
				t.Fatal(g.key, err)
			}
		}
		hidden, err := s.give(manager, staff, 5, "e", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.Hide(s.db, models.ActorOf(s.owner), hidden.ID, "Sent by mistake", now); err != nil {
			t.Fatal(err)
		}

		u, err := models.RecognitionReport(s.db, now)
		if err != nil {
			t.Fatal(err)
		}
		// Givers: owner and manager (staff only receive); receivers: the three
		// users and the member. The staff user's one recognition is hidden.
		if u.Givers != 2 || u.Gave != 2 || u.Receivers != 4 || u.Received != 3 {
			t.Fatalf("participation %+v", u)
		}
		if u.AllowanceUsed != 160 || u.AllowanceTotal != 200 || u.Allowance != 100 {
			t.Fatalf("allowance %+v", u)
		}
		if len(u.Reciprocal) != 1 {
			t.Fatalf("reciprocal %+v", u.Reciprocal)
		}
		p := u.Reciprocal[0]
		if !(p.A == "Mia Manager" && p.AToB == 70 && p.BToA == 55) && !(p.B == "Mia Manager" && p.BToA == 70 && p.AToB == 55) {
			t.Fatalf("pair %+v", p)
		}

		// Off, there is no report.
		if _, err := models.SaveRecognitionSettings(s.db, models.ActorOf(s.owner), models.RecognitionSettingsInput{
			OwnerRole: "both", ManagerRole: "both", StaffRole: "both", MemberGivers: "none", MemberReceivers: "none",
		}, now); err != nil {
			t.Fatal(err)
		}
		if u, err := models.RecognitionReport(s.db, now); err != nil || u != nil {
			t.Fatalf("off: %+v %v", u, err)
		}
	})
}

// The allowance total is each allowed giver's own allowance summed: a
// role's where set, the monthly allowance for the others and for members.
func TestRecognitionReportSumsEachGiversAllowance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newRecognitionShop(t, db, "use-roles@example.com", "Europe/Paris", models.RecognitionSettingsInput{
			MonthlyAllowance: "100", OwnerAllowance: "40", ManagerAllowance: "70", MemberGivers: "all",
		})
		u, err := models.RecognitionReport(s.db, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// The owner 40, the manager 70, the staff user and the member 100 each.
		if u.Givers != 4 || u.AllowanceTotal != 40+70+100+100 || u.Allowance != 100 {
			t.Fatalf("allowance %+v", u)
		}
		// A role that may not give adds nothing, whatever its allowance.
		if _, err := models.SaveRecognitionSettings(s.db, models.ActorOf(s.owner), models.RecognitionSettingsInput{
			Enabled: true, MonthlyAllowance: "100", OwnerAllowance: "40", ManagerAllowance: "70", StaffAllowance: "5",
			OwnerRole: "both", ManagerRole: "receiver", StaffRole: "both", MemberGivers: "none", MemberReceivers: "all",
			ProgramID: itoa(s.program.ID),
		}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if u, err = models.RecognitionReport(s.db, time.Now()); err != nil || u.Givers != 2 || u.AllowanceTotal != 40+5 {
			t.Fatalf("allowance without the manager and members %+v %v", u, err)
		}
	})
}
