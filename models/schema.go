package models

// Models lists every GORM model with a table: the migration test proves
// each model's columns exist in both dialects, and the tenant guard learns
// from it which tables belong to merchants.
func Models() []any {
	return []any{
		&Merchant{}, &User{}, &UserSession{}, &PasswordToken{},
		&Program{}, &Tier{}, &Reward{}, &EarningRule{}, &Campaign{}, &AuditEntry{},
		&Member{}, &MemberTag{}, &MemberSearchTerm{}, &Account{}, &Purchase{}, &Refund{}, &Voucher{}, &LedgerEntry{}, &TierChange{},
		&ImportJob{}, &ImportUpload{}, &ImportIssue{},
		&RollupMark{}, &RollupState{}, &DailySales{}, &DailyPoints{}, &DailyReward{}, &DailyTier{},
		&MemberMonth{}, &MonthlyCohort{}, &WeeklyActivity{},
		&DailyRuleEarn{}, &DailyAdjustment{}, &MemberGap{}, &GapCount{}, &MemberSpell{}, &DailyActive{},
		&MemberLot{}, &LotMonth{}, &MemberSpend{}, &SegmentTotal{}, &MemberVisit{}, &SegmentVisit{},
		&APIKey{}, &IdempotencyKey{},
		&MemberMonthSpend{}, &MonthlyExpansion{},
		&WebhookEndpoint{}, &WebhookDelivery{},
		&Membership{}, &MembershipPeriod{},
		&RecognitionSettings{}, &RecognitionOverride{}, &RecognitionAllowance{}, &Recognition{}, &KudosAccount{}, &KudosEntry{},
	}
}
