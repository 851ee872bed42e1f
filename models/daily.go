package models

import (
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DailyReport counts what one run of the daily job did.
type DailyReport struct {
	Merchants, Skipped int
	Expired            int64 // units
	Birthdays          int
	Downgrades         int
	Lapsed             int   // memberships ended past their end and grace
	IdempotencySwept   int64 // API answers past their lifetime
	WebhooksSwept      int64 // webhook deliveries done with and past their lifetime
}

// RunDaily posts expiries, pays birthday treats, lapses paid memberships
// and applies tier downgrades for every merchant. Each merchant is handled in its own
// transaction; on PostgreSQL a transaction-scoped advisory lock per
// merchant means two app instances never handle one merchant at once, and
// the ledger's idempotency keys make a rerun change nothing. Last, the
// API's stored answers and the webhook deliveries past their lifetime are
// swept.
func RunDaily(db *gorm.DB, now time.Time) (DailyReport, error) {
	var rep DailyReport
	var merchants []Merchant
	if err := CrossTenant(db).Order("id").Find(&merchants).Error; err != nil {
		return rep, fmt.Errorf("daily: merchants: %w", err)
	}
	// Advisory locks are database-wide: the key names the schema too, so
	// installations sharing a database in schemas of their own do not
	// skip each other's merchants.
	var schema string
	if DialectOf(db) == Postgres {
		if err := db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			return rep, fmt.Errorf("daily: schema: %w", err)
		}
	}
	for i := range merchants {
		m := &merchants[i]
		got := false
		err := ForMerchant(db, m.ID).Transaction(func(tx *gorm.DB) error {
			if DialectOf(tx) == Postgres {
				if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", advisoryKey(schema+":daily", m.ID)).Scan(&got).Error; err != nil {
					return fmt.Errorf("daily: lock: %w", err)
				}
				if !got {
					return nil
				}
			}
			got = true
			return dailyForMerchant(tx, m, now, &rep)
		})
		if err != nil {
			return rep, fmt.Errorf("daily: merchant %d: %w", m.ID, err)
		}
		if got {
			rep.Merchants++
		} else {
			rep.Skipped++
		}
	}
	swept, err := SweepIdempotencyKeys(db, now)
	rep.IdempotencySwept = swept
	if err != nil {
		return rep, err
	}
	rep.WebhooksSwept, err = SweepWebhookDeliveries(db, now)
	return rep, err
}

func advisoryKey(what string, id int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "regulars:%s:%d", what, id)
	return int64(h.Sum64() >> 1)
}

func dailyForMerchant(tx *gorm.DB, m *Merchant, now time.Time, rep *DailyReport) error {
	var programs []Program
	if err := tx.Where("status = ?", StatusActive).Find(&programs).Error; err != nil {
		return fmt.Errorf("programs: %w", err)
	}
	for i := range programs {
		p := &programs[i]
		if p.ExpiryPolicy != ExpireNever {
			if err := expirePrograms(tx, p, now, rep); err != nil {
				return err
			}
		}
		if err := payBirthdays(tx, m, p, now, rep); err != nil {
			return err
		}
		if err := lapseMemberships(tx, m, p, now, rep); err != nil {
			return err
		}
		if err := downgrade(tx, m, p, now, rep); err != nil {
			return err
		}
	}
	return nil
}

func expirePrograms(tx *gorm.DB, p *Program, now time.Time, rep *DailyReport) error {
	var ids []int64
	if err := tx.Model(&Account{}).Where("program_id = ? AND balance > 0", p.ID).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("expiry: accounts: %w", err)
	}
	for _, id := range ids {
		var a Account
		if err := tx.Clauses(lockingClause).Take(&a, id).Error; err != nil {
			return fmt.Errorf("expiry: lock: %w", err)
		}
		n, err := expireAccount(tx, &a, p, now)
		if err != nil {
			return err
		}
		rep.Expired += n
	}
	return nil
}

// payBirthdays pays the birthday rule to members whose birthday fell in
// the last WindowDays days (today included), once per birthday, unless the
// birthday was changed in the last 30 days. The key names the year of the
// birthday, not of today, so a window across the new year pays once; a
// 29 February birthday falls on the 28th in other years.
func payBirthdays(tx *gorm.DB, m *Merchant, p *Program, now time.Time, rep *DailyReport) error {
	var rules []EarningRule
	if err := tx.Where("program_id = ? AND kind = ? AND active = ?", p.ID, RuleBirthday, true).Find(&rules).Error; err != nil {
		return fmt.Errorf("birthday: rule: %w", err)
	}
	if len(rules) == 0 {
		return nil
	}
	rule := rules[0]
	local := now.In(m.Location())
	year := map[string]int{} // "01-02" → the year that birthday fell in, in the window
	var days []string
	for d := int64(0); d <= rule.WindowDays; d++ {
		day := local.AddDate(0, 0, -int(d))
		year[day.Format("01-02")] = day.Year()
		if day.Month() == time.February && day.Day() == 28 && day.AddDate(0, 0, 1).Month() == time.March {
			year["02-29"] = day.Year()
		}
	}
	for md := range year {
		days = append(days, md)
	}
	var members []Member
	err := tx.Where("blocked = ? AND birthday IS NOT NULL AND substr(birthday, 6, 5) IN ?", false, days).Find(&members).Error
	if err != nil {
		return fmt.Errorf("birthday: members: %w", err)
	}
	for i := range members {
		mem := &members[i]
		if mem.BirthdayChangedAt != nil && now.Sub(*mem.BirthdayChangedAt) < BirthdayEditCooldown {
			continue
		}
		k := fmt.Sprintf("rule:%d:%d:%d", rule.ID, mem.ID, year[(*mem.Birthday)[5:]])
		if done, err := posted(tx, k); err != nil || done {
			if err != nil {
				return err
			}
			continue
		}
		a, err := lockAccount(tx, p.ID, mem.ID, now)
		if err != nil {
			return err
		}
		e := &LedgerEntry{Kind: KindRuleEarn, Amount: rule.Points, Reason: rule.Name, ActorName: systemActor, IdempotencyKey: &k, passive: true}
		if err := credit(tx, a, p, e, now); err != nil {
			return err
		}
		if err := promote(tx, a, p, m.Location(), now); err != nil {
			return err
		}
		rep.Birthdays++
	}
	return nil
}

// downgrade moves members who no longer qualify down by the program's
// policy, when the window ends: on a calendar year, those whose value
// over the year that ended (or so far this year) falls short of their
// tier, so a tier reached in a year holds through the next; on a rolling
// window, those who have held their tier for 12 months and whose last 12
// months fall short. With grace, they move down only once they have also
// fallen short for the days of grace: the year's end plus the grace, or a
// rolling value short both now and that many days ago. Paid tiers are
// left alone.
func downgrade(tx *gorm.DB, m *Merchant, p *Program, now time.Time, rep *DailyReport) error {
	if p.DowngradePolicy == DowngradeNever || p.TierWindow == WindowLifetime {
		return nil
	}
	ladder, err := ListTiers(tx, p.ID)
	if err != nil || len(ladder) == 0 {
		return err
	}
	loc := m.Location()
	var grace int
	if p.DowngradePolicy == DowngradeGrace {
		grace = int(p.DowngradeGraceDays)
	}
	// Reached before the window now open: a tier reached in it holds.
	cutoff := windowStart(p.TierWindow, now, loc).UTC()
	var accounts []Account
	if err := tx.Clauses(lockingClause).Where("program_id = ? AND tier_id IS NOT NULL AND tier_since < ?", p.ID, cutoff).
		Find(&accounts).Error; err != nil {
		return fmt.Errorf("downgrade: accounts: %w", err)
	}
	for i := range accounts {
		a := &accounts[i]
		current := TierByID(ladder, a.TierID)
		if current == nil || current.Paid {
			continue
		}
		value, err := standingValue(tx, a, p, now, loc, false)
		if err != nil {
			return err
		}
		if grace > 0 {
			before, err := standingValue(tx, a, p, now.AddDate(0, 0, -grace), loc, true)
			if err != nil {
				return err
			}
			value = max(value, before)
		}
		target := earnedTierFor(ladder, value)
		if target != nil && target.Position >= current.Position {
			continue
		}
		if err := moveTier(tx, a, target, "downgraded", now); err != nil {
			return err
		}
		rep.Downgrades++
	}
	return nil
}

var lockingClause = clause.Locking{Strength: "UPDATE"}

// posted reports whether an entry with this idempotency key exists. Jobs
// ask first because on PostgreSQL a refused insert would abort the
// transaction it runs in.
func posted(tx *gorm.DB, k string) (bool, error) {
	var n int64
	if err := tx.Model(&LedgerEntry{}).Where("idempotency_key = ?", k).Count(&n).Error; err != nil {
		return false, fmt.Errorf("ledger: check key: %w", err)
	}
	return n > 0, nil
}
