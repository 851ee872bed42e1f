package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Rule earnings are exactly-once by construction: each carries an
// idempotency key naming the rule, the member and the period its cap
// allows (the year for birthdays, the ISO week for a weekly action…), so a
// second award in the same period is refused by the ledger's unique key.

// capPeriod names the period an action's cap counts in, in the merchant's
// zone; "" for unlimited.
func capPeriod(c RuleCap, now time.Time, loc *time.Location) string {
	local := now.In(loc)
	switch c {
	case CapOnce:
		return "once"
	case CapDay:
		return local.Format(dateLayout)
	case CapWeek:
		y, w := local.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case CapMonth:
		return local.Format("2006-01")
	case CapYear:
		return local.Format("2006")
	}
	return ""
}

// AwardAction pays a custom action's points to a member, within its cap.
// requestKey makes an unlimited action's retry safe.
func AwardAction(db *gorm.DB, actor Actor, memberID, programID, ruleID int64, requestKey string, now time.Time) (*LedgerEntry, error) {
	var e *LedgerEntry
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		member, p, err := activeMemberProgram(tx, memberID, programID)
		if err != nil {
			return err
		}
		rule, err := GetEarningRule(tx, p.ID, ruleID)
		if err != nil {
			return err
		}
		if rule.Kind != RuleAction || !rule.Active {
			return Errorf(ECONFLICT, "%s is not an active custom action.", rule.Name)
		}
		period := capPeriod(rule.Cap, now, m.Location())
		if period == "" {
			if requestKey == "" {
				return fieldError("idempotency_key", "An unlimited action needs an idempotency key.")
			}
			period = "req:" + requestKey
		}
		a, err := lockAccount(tx, p.ID, member.ID, now)
		if err != nil {
			return err
		}
		e = &LedgerEntry{Kind: KindRuleEarn, Amount: rule.Points, Reason: rule.Name,
			IdempotencyKey: key(fmt.Sprintf("rule:%d:%d:%s", rule.ID, member.ID, period))}
		actorFields(e, actor)
		if err := credit(tx, a, p, e, now); err != nil {
			if errors.Is(err, errAlreadyPosted) {
				return Errorf(ECONFLICT, "%s already earned %s %s.", member.Name, rule.Name, capWords(rule.Cap))
			}
			return err
		}
		return promote(tx, a, p, m.Location(), now)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func capWords(c RuleCap) string {
	switch c {
	case CapOnce:
		return "(once ever)"
	case CapDay:
		return "today"
	case CapWeek:
		return "this week"
	case CapMonth:
		return "this month"
	case CapYear:
		return "this year"
	}
	return ""
}

// payReferral pays both sides of a referral on the referred member's
// first purchase in the program that reaches the rule's minimum (an
// earlier, smaller one does not use the referral up). The keys make it
// once per referred member, whatever else happens. own is the referred
// member's account, locked by the purchase: it is credited in place, so
// what the purchase returns shows the welcome.
func payReferral(tx *gorm.DB, actor Actor, m *Merchant, p *Program, member *Member, own *Account, pur *Purchase, now time.Time) error {
	if member.ReferredByID == nil {
		return nil
	}
	var rules []EarningRule
	if err := tx.Where("program_id = ? AND kind = ? AND active = ?", p.ID, RuleReferral, true).Find(&rules).Error; err != nil {
		return fmt.Errorf("referral: rule: %w", err)
	}
	if len(rules) == 0 || pur.AmountMinor < rules[0].MinPurchaseMinor {
		return nil
	}
	rule := rules[0]
	var earlier int64
	if err := tx.Model(&Purchase{}).Where(productSales).Where("member_id = ? AND program_id = ? AND amount_minor >= ? AND id <> ?",
		member.ID, p.ID, rule.MinPurchaseMinor, pur.ID).Count(&earlier).Error; err != nil {
		return fmt.Errorf("referral: first purchase: %w", err)
	}
	if earlier > 0 {
		return nil
	}
	referrer, err := GetMember(tx, *member.ReferredByID)
	if err != nil || referrer.Blocked {
		return err
	}
	for _, side := range []struct {
		memberID, points int64
		reason           string
	}{
		{member.ID, rule.ReferredPoints, "Welcome, referred by " + referrer.Name},
		{referrer.ID, rule.Points, "Referred " + member.Name},
	} {
		if side.points <= 0 {
			continue
		}
		k := fmt.Sprintf("referral:%d:%d:%d", rule.ID, member.ID, side.memberID)
		if done, err := posted(tx, k); err != nil || done {
			return err
		}
		a := own
		if side.memberID != own.MemberID {
			if a, err = lockAccount(tx, p.ID, side.memberID, now); err != nil {
				return err
			}
		}
		e := &LedgerEntry{Kind: KindRuleEarn, Amount: side.points, Reason: side.reason, IdempotencyKey: &k}
		actorFields(e, actor)
		if err := credit(tx, a, p, e, now); err != nil {
			return err
		}
		if err := promote(tx, a, p, m.Location(), now); err != nil {
			return err
		}
	}
	return nil
}
