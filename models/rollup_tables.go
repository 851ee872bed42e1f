package models

// rollupTables is every table the catch-up derives from raw rows, each
// once: a full rebuild clears them all before it recomputes them. A new
// rollup table joins this list (and Models, for the migration test).
var rollupTables = []any{
	// Days, weeks and months (rollup.go).
	&DailySales{}, &DailyPoints{}, &DailyReward{}, &DailyTier{},
	&MemberMonth{}, &MonthlyCohort{}, &WeeklyActivity{},
	// Rule earnings and manual adjustments (rollup_engagement.go).
	&DailyRuleEarn{}, &DailyAdjustment{},
	// Visit gaps for churn (churn_gaps.go).
	&MemberGap{}, &GapCount{},
	// Spells of activity for active members (rollup_active.go).
	&MemberSpell{}, &DailyActive{},
	// Monthly spend for negative churn (rollup_expansion.go).
	&MemberMonthSpend{}, &MonthlyExpansion{},
	// Lots and spend for the program economics (rollup_lots.go).
	&MemberLot{}, &LotMonth{}, &MemberSpend{}, &SegmentTotal{},
	// Visits by segment for the economics of a range (rollup_visits.go).
	&MemberVisit{}, &SegmentVisit{},
}
