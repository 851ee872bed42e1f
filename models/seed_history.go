package models

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The seeded history spans seedDays whole UTC days ending the day before
// opts.Now. Every member n (1..Members, in order of joining) gets a
// segment from a hash of n:
//
//   - 10% loyal: visit often until the last week;
//   - 20% regular: visit until the last 45 days, less often;
//   - 35% lapsed: visit for a while, then stop at least 91 days before now;
//   - 25% one-time visitors; 10% joined and never bought anything.
//
// Members join at a rate that grows over the two years (join day ~ the
// square root of n), enrolled at their first purchase. Purchase counts are
// proportional to each member's active span and segment rate, scaled so
// that all the ledger comes to about Members × EntriesPerMember entries;
// anonymous sales are half as many again as members' ones. Each member
// purchase earns floor(amount) points (earn rate 1, tier multipliers 1).
// Half the active members redeem: their favourite reward each time their
// points earned cross a multiple of a threshold at or above its cost, so
// their balance never goes below zero; a few vouchers are cancelled, and
// the others used or left open. Members who do not redeem get the
// refunds (with their clawback) and the manual debits, which never exceed
// the points of the purchase they follow. Accounts idle for 366 days lose
// their balance (the program's inactivity expiry), and tiers promote on
// points earned over a rolling 365 days, as promote would have.
//
// Everything is computed from n, the visit number k and the options, into
// temporary tables, then written to the real ones with ids counted on
// from the tables' largest (sequences moved past them), in time order.
const (
	seedDays    = 730
	seedDaySecs = 86400
	// seedAnonPercent is anonymous sales as a share of members' sales.
	seedAnonPercent = 50
	// seedPurchasePercent is the share of the ledger budget that purchases
	// take; redemptions, expiries and the rest make up the remainder.
	seedPurchasePercent = 94
	// seedIdle is the inactivity after which a balance expires: 366 days is
	// never earlier than the program's 12 months.
	seedIdle = 366 * seedDaySecs
)

// seedHistory writes the history of a seeded merchant whose configuration
// (staff, program, tiers, rewards) exists.
type seedHistory struct {
	opts                  SeedOptions
	merchantID, programID int64
	staff                 []User
	tiers                 []Tier
	rewards               []Reward
	unit                  string // the program's unit label
	entries, purchases    int64  // what run wrote
	sql                   seedSQL
}

// seedTemps are the temporary tables, made and dropped within the seed's
// transaction (one connection), so nothing of them stays behind.
var seedTemps = []string{
	`seed_plan (n BIGINT, seg BIGINT, j BIGINT, join_s BIGINT, last_day BIGINT, w BIGINT, visits BIGINT, red BIGINT, thresh BIGINT)`,
	`seed_sales (rn BIGINT, n BIGINT, k BIGINT, t BIGINT, amount BIGINT, points BIGINT, online BIGINT, staff BIGINT,
		refund BIGINT, refund_t BIGINT, clawback BIGINT)`,
	`seed_vouchers (vid BIGINT, n BIGINT, t BIGINT, reward BIGINT, cost BIGINT, staff BIGINT, status TEXT, closed_t BIGINT)`,
	`seed_events (n BIGINT, t BIGINT, ord BIGINT, src BIGINT, kind TEXT, amount BIGINT, pid BIGINT, vid BIGINT, staff BIGINT, reason TEXT)`,
	`seed_ledger (rn BIGINT, n BIGINT, t BIGINT, ord BIGINT, src BIGINT, kind TEXT, amount BIGINT, balance_after BIGINT,
		pid BIGINT, vid BIGINT, staff BIGINT, reason TEXT)`,
	`seed_tiers (n BIGINT, t BIGINT, lvl BIGINT, prev BIGINT)`,
	`seed_accounts (n BIGINT, balance BIGINT, earned BIGINT, last_act BIGINT, last_t BIGINT, lvl BIGINT, tier_t BIGINT)`,
}

func (h *seedHistory) temps() []string {
	if h.sql.pg {
		return seedTemps
	}
	return append([]string{seedNumbers}, seedTemps...)
}

// seedTables get explicit ids, counted on from the parameter named after
// the table's largest; their sequences move past them afterwards.
var seedTables = []struct{ table, param string }{
	{"members", "member0"}, {"accounts", "account0"}, {"purchases", "purchase0"}, {"vouchers", "voucher0"}, {"ledger_entries", "entry0"},
}

func (h *seedHistory) run(tx *gorm.DB) error {
	h.sql = seedSQL{pg: DialectOf(tx) == Postgres}
	if h.sql.pg {
		// Nobody else may take ids in the ranges counted on from the
		// largest; reading goes on.
		var tables []string
		for _, t := range seedTables {
			tables = append(tables, t.table)
		}
		if err := tx.Exec("LOCK TABLE " + strings.Join(tables, ", ") + " IN EXCLUSIVE MODE").Error; err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if err := tx.Exec("SET LOCAL work_mem = '256MB'").Error; err != nil {
			return fmt.Errorf("work_mem: %w", err)
		}
	}
	args, err := h.args(tx)
	if err != nil {
		return err
	}
	for _, t := range h.temps() {
		name := t[:strings.Index(t, " ")]
		if err := tx.Exec("DROP TABLE IF EXISTS " + name).Error; err != nil {
			return fmt.Errorf("temp %s: %w", name, err)
		}
		if err := tx.Exec("CREATE TEMPORARY TABLE " + t).Error; err != nil {
			return fmt.Errorf("temp %s: %w", name, err)
		}
	}
	if !h.sql.pg {
		most := max(args["members"].(int64), args["budget"].(int64), args["anon"].(int64))
		if err := h.exec(tx, "numbers", seedNumbersFill, map[string]any{"most": most}); err != nil {
			return err
		}
	}
	if err := h.exec(tx, "plan", h.planSQL(), args); err != nil {
		return err
	}
	if err := h.analyze(tx, h.planSQL(), nil); err != nil {
		return err
	}
	if err := h.spreadVisits(tx, args); err != nil {
		return err
	}
	steps := h.statements()
	for i, s := range steps {
		if err := h.exec(tx, s.what, s.sql, args); err != nil {
			return err
		}
		if err := h.analyze(tx, s.sql, steps[i+1:]); err != nil {
			return err
		}
	}
	if err := tx.Raw("SELECT COUNT(*) FROM seed_ledger").Scan(&h.entries).Error; err != nil {
		return fmt.Errorf("count entries: %w", err)
	}
	if err := tx.Raw("SELECT COUNT(*) FROM seed_sales").Scan(&h.purchases).Error; err != nil {
		return fmt.Errorf("count purchases: %w", err)
	}
	for _, t := range h.temps() {
		if err := tx.Exec("DROP TABLE " + t[:strings.Index(t, " ")]).Error; err != nil {
			return fmt.Errorf("drop temp: %w", err)
		}
	}
	if h.sql.pg {
		for _, t := range seedTables {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), (SELECT MAX(id) FROM %[1]s))", t.table)
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("sequence %s: %w", t, err)
			}
		}
	}
	return nil
}

func (h *seedHistory) exec(tx *gorm.DB, what, q string, args map[string]any) error {
	q = h.sql.fence(q)
	var params []any
	if strings.Contains(q, "@") {
		params = []any{args}
	}
	if err := tx.Exec(q, params...).Error; err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// analyze gives a temporary table PostgreSQL statistics once the last of
// the statements filling it has run: they get none by themselves.
func (h *seedHistory) analyze(tx *gorm.DB, q string, next []seedStatement) error {
	table, ok := seedFilling(q)
	if !h.sql.pg || !ok || len(next) > 0 && strings.HasPrefix(next[0].sql, "INSERT INTO "+table+" ") {
		return nil
	}
	if err := tx.Exec("ANALYZE " + table).Error; err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}

// seedFilling names the temporary table a statement inserts into.
func seedFilling(q string) (string, bool) {
	f := strings.Fields(q)
	if len(f) < 3 || f[0] != "INSERT" || !strings.HasPrefix(f[2], "seed_") {
		return "", false
	}
	return f[2], true
}

// args are the named parameters of every statement.
func (h *seedHistory) args(tx *gorm.DB) (map[string]any, error) {
	now := h.opts.Now
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	budget := int64(h.opts.Members) * int64(h.opts.EntriesPerMember) * seedPurchasePercent / 100
	a := map[string]any{
		"merchant": h.merchantID, "program": h.programID, "members": int64(h.opts.Members),
		"budget": budget, "anon": budget * seedAnonPercent / 100,
		"now": now, "now_s": now.Unix(), "day0": today.AddDate(0, 0, -seedDays).Unix(),
	}
	for _, t := range seedTables {
		var last int64
		if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM " + t.table).Scan(&last).Error; err != nil {
			return nil, fmt.Errorf("ids of %s: %w", t.table, err)
		}
		a[t.param] = last
	}
	for i, u := range h.staff {
		a[fmt.Sprintf("staff%d", i+1)], a[fmt.Sprintf("staff_name%d", i+1)] = u.ID, u.Name
	}
	for i, t := range h.tiers {
		a[fmt.Sprintf("tier%d", i+1)] = t.ID
	}
	for i, r := range h.rewards {
		a[fmt.Sprintf("reward%d", i+1)] = r.ID
	}
	return a, nil
}

// planSQL decides each member's segment, joining moment, last purchase
// day, favourite reward and share of the visits (w).
func (h *seedHistory) planSQL() string {
	s := h.sql
	last := seedDays - 1
	return fmt.Sprintf(`INSERT INTO seed_plan (n, seg, j, join_s, last_day, w, visits, red, thresh)
		SELECT n, seg, j, join_s, last_day,
			CASE WHEN seg IN (1, 2, 3) THEN (last_day - j) * CASE seg WHEN 1 THEN 35 WHEN 2 THEN 10 ELSE 14 END ELSE 0 END,
			CASE WHEN seg = 0 OR @budget = 0 THEN 0 ELSE 1 END,
			red, CASE red %[1]s ELSE 0 END * (100 + slack) / 100
		FROM (SELECT n, seg, j, join_s, slack,
				CASE WHEN j >= %[2]d OR seg IN (0, 4) THEN j
					WHEN seg = 1 THEN %[3]s
					WHEN seg = 2 THEN %[4]s
					WHEN %[2]d - j <= 91 THEN j + 1
					ELSE j + 1 + r %% (%[2]d - j - 91) END AS last_day,
				CASE WHEN seg IN (1, 2, 3) AND redeems = 0 THEN CASE WHEN fav < 12 THEN 1 WHEN fav < 17 THEN 2 WHEN fav < 19 THEN 3 ELSE 4 END
					ELSE 0 END AS red
			FROM (SELECT n, j, r, redeems, fav, slack, @day0 + j * %[5]d + 25200 + tod AS join_s,
					CASE WHEN s100 < 10 THEN 1 WHEN s100 < 30 THEN 2 WHEN s100 < 65 THEN 3 WHEN s100 < 90 THEN 4 ELSE 0 END AS seg
				FROM (SELECT g.n, %[6]s %% 100 AS s100, CAST(floor(%[2]d * sqrt(g.n * 1.0 / @members)) AS BIGINT) AS j,
						%[7]s AS r, %[8]s %% 39600 AS tod, %[9]s %% 2 AS redeems, %[10]s %% 20 AS fav, %[11]s %% 30 AS slack
					FROM (SELECT 1 AS one) one %[12]s{fence}) a{fence}) b{fence}) c`,
		h.rewardCase("THEN %d"), last, s.greatest("j + 1", fmt.Sprintf("%d - r %% 7", last)),
		s.greatest("j + 1", fmt.Sprintf("%d - r %% 45", last)), seedDaySecs,
		seedHash("g.n", 1), seedHash("g.n", 3), seedHash("g.n", 2), seedHash("g.n", 8), seedHash("g.n", 10), seedHash("g.n", 15),
		s.upTo("g", "@members"))
}

// rewardCase is "WHEN 1 <then> WHEN 2 ..." over the rewards, then
// formatted with each reward's cost.
func (h *seedHistory) rewardCase(then string) string {
	var b strings.Builder
	for i, r := range h.rewards {
		fmt.Fprintf(&b, " WHEN %d "+then, i+1, r.Cost)
	}
	return b.String()
}

// spreadVisits gives the members who come back their visits beyond the
// first, in proportion to w, so that purchases come to the budget.
func (h *seedHistory) spreadVisits(tx *gorm.DB, args map[string]any) error {
	var totals struct{ W, Buyers int64 }
	if err := tx.Raw("SELECT COALESCE(SUM(w), 0) AS w, COALESCE(SUM(visits), 0) AS buyers FROM seed_plan").Scan(&totals).Error; err != nil {
		return fmt.Errorf("plan totals: %w", err)
	}
	extra := args["budget"].(int64) - totals.Buyers
	if totals.W == 0 || extra <= 0 {
		return nil
	}
	if err := tx.Exec("UPDATE seed_plan SET visits = visits + (w * ? + ?) / ? WHERE w > 0 AND visits > 0", extra, totals.W/2, totals.W).Error; err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	return nil
}

type seedStatement struct{ what, sql string }

// statements fill the remaining temporary tables, then the real ones.
func (h *seedHistory) statements() []seedStatement {
	s := h.sql
	last := seedDays - 1
	staffName := seedStaffCase("staff", "@staff_name%d", "'system'")
	var rewardNames strings.Builder
	for i, r := range h.rewards {
		fmt.Fprintf(&rewardNames, " WHEN %d THEN '%s'", i+1, strings.ReplaceAll(r.Name, "'", "''"))
	}
	tier := func(col string) string {
		return fmt.Sprintf("CASE %s WHEN 1 THEN CAST(@tier1 AS BIGINT) WHEN 2 THEN CAST(@tier2 AS BIGINT) WHEN 3 THEN CAST(@tier3 AS BIGINT) END", col)
	}
	earns := fmt.Sprintf("('%s', '%s')", KindPurchaseEarn, KindManualCredit)
	// x numbers a sale: n × 1,000,000 + k, anonymous ones n = 0.
	sales := fmt.Sprintf(`INSERT INTO seed_sales (rn, n, k, t, amount, points, online, staff, refund, refund_t, clawback)
		SELECT ROW_NUMBER() OVER (ORDER BY t, n, k), n, k, t, amount, CASE WHEN n > 0 THEN amount / 100 ELSE 0 END,
			online, staff, refund, refund_t, CASE WHEN n > 0 THEN amount / 100 * refund / amount ELSE 0 END
		FROM (SELECT n, k, t, amount, CASE WHEN ch %% 10 = 0 THEN 1 ELSE 0 END AS online,
				CASE WHEN ch %% 10 = 0 THEN 0 ELSE 1 + ch / 10 %% 3 END AS staff,
				CASE WHEN red = 0 AND rf %% 200 = 0 AND t < @day0 + %[1]d * %[2]d THEN CASE WHEN rf / 200 %% 3 = 0 THEN amount / 2 ELSE amount END
					ELSE 0 END AS refund,
				t + 3600 * (1 + rf / 600 %% 47) AS refund_t
			FROM (SELECT n, k, t, red, ch, rf, 180 + a %% 1520 + CASE WHEN a %% 20 = 0 THEN a / 20 %% 4000 ELSE 0 END AS amount
				FROM (SELECT n, k, red, x, %[3]s AS a, %[4]s AS ch, %[5]s AS rf,
						CASE WHEN k = 1 THEN join_s + 120
						ELSE @day0 + %[2]d * (last_day - (last_day - j - 1) * (visits - k) / %[6]s
							- CASE WHEN k > 2 AND k < visits THEN %[7]s %% %[8]s ELSE 0 END) + 25200 + %[9]s %% 39600 END AS t
					FROM (SELECT p.n, k.n AS k, p.j, p.join_s, p.last_day, p.visits, p.red, p.n * 1000000 + k.n AS x
						FROM seed_plan p %[10]s{fence}) m
					UNION ALL
					SELECT 0, g.n, 0, g.n, %[11]s, %[12]s, %[13]s,
						@day0 + %[2]d * CAST(floor(%[14]d * sqrt(g.n * 1.0 / @anon)) AS BIGINT) + 25200 + %[15]s %% 39600
					FROM (SELECT 1 AS one) one %[16]s{fence}) s1{fence}) s2{fence}) s3`,
		last-2, seedDaySecs, seedRound("x", 5), seedRound("x", 6), seedRound("x", 9),
		s.greatest("visits - 2", "1"), seedRound("x", 17), s.greatest("(last_day - j - 1) / "+s.greatest("visits - 2", "1"), "1"),
		seedRound("x", 4), s.upTo("k", "p.visits"),
		seedRound("g.n", 5), seedRound("g.n", 6), seedRound("g.n", 9), last, seedRound("g.n", 4), s.upTo("g", "@anon"))
	vouchers := fmt.Sprintf(`INSERT INTO seed_vouchers (vid, n, t, reward, cost, staff, status, closed_t)
		SELECT ROW_NUMBER() OVER (ORDER BY t, n, rn), n, t, red, cost, staff,
			CASE WHEN hv %% 40 = 0 THEN 'cancelled' WHEN hv %% 100 < 90 AND t + 120 + hv %% 259200 < @now_s THEN 'used' ELSE 'issued' END,
			CASE WHEN hv %% 40 = 0 THEN t + 1800 ELSE t + 120 + hv %% 259200 END
		FROM (SELECT s.n, s.rn, s.t + 60 AS t, s.points, s.staff, p.red, p.thresh, CASE p.red %[1]s END AS cost, %[2]s AS hv,
				CAST(SUM(s.points) OVER (PARTITION BY s.n ORDER BY s.t, s.rn ROWS UNBOUNDED PRECEDING) AS BIGINT) AS cum
			FROM seed_sales s JOIN seed_plan p ON p.n = s.n WHERE p.red > 0{fence}) r
		WHERE cum / thresh > (cum - points) / thresh`, h.rewardCase("THEN %d"), seedRound("s.rn", 11))
	// A member's one manual credit (2%) or debit (1%, non-redeemers) comes
	// minutes after one of their purchases.
	adjust := func(salt, offset, ord int, kind EntryKind, who, amount, reason string) string {
		return fmt.Sprintf(`INSERT INTO seed_events (n, t, ord, src, kind, amount, pid, vid, staff, reason)
			SELECT s.n, s.t + %[1]d, %[2]d, s.rn, '%[3]s', %[4]s, 0, 0, 1 + q / 100 %% 3, %[5]s
			FROM (SELECT n, q, k FROM (SELECT n, red, %[6]s AS q, 1 + %[7]s %% visits AS k FROM seed_plan WHERE visits > 0{fence}) c
				WHERE %[8]s{fence}) p
			JOIN seed_sales s ON s.n = p.n AND s.k = p.k`, offset, ord, kind, amount, reason, seedHash("n", salt), seedHash("n", salt+1), who)
	}
	event := func(cols, from string) string {
		return "INSERT INTO seed_events (n, t, ord, src, kind, amount, pid, vid, staff, reason) SELECT " + cols + " FROM " + from
	}
	ts := s.ts
	return []seedStatement{
		{"sales", sales},
		{"vouchers", vouchers},
		{"earn", event(fmt.Sprintf("n, t, 0, rn, '%s', points, rn, 0, staff, 'Purchase'", KindPurchaseEarn), "seed_sales WHERE n > 0")},
		{"redeem", event(fmt.Sprintf("n, t, 1, vid, '%s', -cost, 0, vid, staff, CASE reward%s END", KindRedemption, rewardNames.String()),
			"seed_vouchers")},
		{"cancel", event(fmt.Sprintf("n, closed_t, 2, vid, '%s', cost, 0, vid, staff, 'Voucher cancelled'", KindRedemptionCancel),
			"seed_vouchers WHERE status = 'cancelled'")},
		{"credit", adjust(12, 300, 3, KindManualCredit, "q % 100 < 2", "10 * (1 + q / 300 % 5)",
			"CASE q / 1500 % 4 WHEN 0 THEN 'Goodwill' WHEN 1 THEN 'Missed purchase' WHEN 2 THEN 'Complaint' ELSE 'Promotion' END")},
		{"debit", adjust(14, 600, 4, KindManualDebit, "red = 0 AND q % 100 < 1", "-"+s.least("10 * (1 + q / 300 % 3)", "s.points"),
			"'Correction'")},
		{"clawback", event(fmt.Sprintf("n, refund_t, 5, rn, '%s', -clawback, rn, 0, staff, 'Refund'", KindRefundClawback),
			"seed_sales WHERE n > 0 AND clawback > 0")},
		{"expire", event(fmt.Sprintf("n, last_t + %d, 6, 0, '%s', -balance, 0, 0, 0, 'Expired'", seedIdle, KindExpiry),
			fmt.Sprintf("(SELECT n, SUM(amount) AS balance, MAX(t) AS last_t FROM seed_events GROUP BY n) e WHERE balance > 0 AND last_t + %d <= @now_s", seedIdle))},
		{"ledger", `INSERT INTO seed_ledger (rn, n, t, ord, src, kind, amount, balance_after, pid, vid, staff, reason)
			SELECT ROW_NUMBER() OVER (ORDER BY t, n, ord, src), n, t, ord, src, kind, amount,
				SUM(amount) OVER (PARTITION BY n ORDER BY t, ord, src ROWS UNBOUNDED PRECEDING), pid, vid, staff, reason
			FROM seed_events`},
		// The tier a member reached at each earning: the best one their
		// last 365 days of earnings reach, never lower than before.
		{"tiers", fmt.Sprintf(`INSERT INTO seed_tiers (n, t, lvl, prev)
			SELECT n, t, lvl, prev FROM (
				SELECT n, t, lvl, LAG(lvl, 1, 0) OVER (PARTITION BY n ORDER BY t, ord, src) AS prev FROM (
					SELECT n, t, ord, src, MAX(CASE WHEN roll >= %[1]d THEN 3 WHEN roll >= %[2]d THEN 2 ELSE 1 END)
						OVER (PARTITION BY n ORDER BY t, ord, src ROWS UNBOUNDED PRECEDING) AS lvl FROM (
						SELECT n, t, ord, src, SUM(amount) OVER (PARTITION BY n ORDER BY t RANGE BETWEEN %[3]d PRECEDING AND CURRENT ROW) AS roll
						FROM seed_ledger WHERE kind IN %[4]s) a) b) c
			WHERE lvl > prev`, h.tiers[2].Threshold, h.tiers[1].Threshold, 365*seedDaySecs, earns)},
		{"account totals", fmt.Sprintf(`INSERT INTO seed_accounts (n, balance, earned, last_act, last_t, lvl, tier_t)
			SELECT e.n, SUM(e.amount), SUM(CASE WHEN e.kind IN %s THEN e.amount ELSE 0 END),
				MAX(CASE WHEN e.kind <> '%s' THEN e.t END), MAX(e.t), MAX(tr.lvl), MAX(tr.t)
			FROM seed_events e LEFT JOIN (SELECT n, MAX(lvl) AS lvl, MAX(t) AS t FROM seed_tiers GROUP BY n) tr ON tr.n = e.n
			GROUP BY e.n`, earns, KindExpiry)},
		{"members", h.membersSQL()},
		{"search terms", h.searchTermsSQL()},
		{"accounts", fmt.Sprintf(`INSERT INTO accounts (id, merchant_id, program_id, member_id, balance, lifetime_earned, tier_id, tier_since,
				last_activity_at, created_at, updated_at)
			SELECT @account0 + p.n, @merchant, @program, @member0 + p.n, COALESCE(a.balance, 0), COALESCE(a.earned, 0), %s,
				CASE WHEN a.tier_t IS NOT NULL THEN %s END, %s, %s, %s
			FROM seed_plan p LEFT JOIN seed_accounts a ON a.n = p.n ORDER BY p.n`,
			tier("a.lvl"), ts("a.tier_t"), ts("COALESCE(a.last_act, p.join_s)"), ts("p.join_s"), ts("COALESCE(a.last_t, p.join_s)"))},
		{"purchases", fmt.Sprintf(`INSERT INTO purchases (id, merchant_id, program_id, member_id, account_id, amount_minor, refunded_minor,
				earned, clawed_back, order_ref, channel, occurred_at, idempotency_key, actor_name, created_at, updated_at)
			SELECT @purchase0 + rn, @merchant, @program, CASE WHEN n > 0 THEN @member0 + n END, CASE WHEN n > 0 THEN @account0 + n END,
				amount, refund, points, clawback, CASE WHEN online = 1 THEN 'W' || rn ELSE '' END,
				CASE WHEN online = 1 THEN '%s' ELSE '%s' END, %s, 'seed-' || rn, %s, %s, %s
			FROM seed_sales ORDER BY rn`, ChannelOnline, ChannelInStore, ts("t"), staffName, ts("t"),
			ts("CASE WHEN refund > 0 THEN refund_t ELSE t END"))},
		{"refunds", fmt.Sprintf(`INSERT INTO refunds (merchant_id, purchase_id, amount_minor, clawed_back, idempotency_key, actor_name, created_at)
			SELECT @merchant, @purchase0 + rn, refund, clawback, 'seed-refund-' || rn, %s, %s
			FROM seed_sales WHERE refund > 0 ORDER BY refund_t, rn`, staffName, ts("refund_t"))},
		{"vouchers", fmt.Sprintf(`INSERT INTO vouchers (id, merchant_id, program_id, account_id, member_id, reward_id, code, cost, status,
				expires_at, used_at, closed_by, created_at, updated_at)
			SELECT @voucher0 + vid, @merchant, @program, @account0 + n, @member0 + n,
				CASE reward WHEN 1 THEN CAST(@reward1 AS BIGINT) WHEN 2 THEN CAST(@reward2 AS BIGINT)
					WHEN 3 THEN CAST(@reward3 AS BIGINT) ELSE CAST(@reward4 AS BIGINT) END,
				'V' || %s, cost, status, %s, CASE WHEN status = 'used' THEN %s END,
				CASE WHEN status = 'issued' THEN '' ELSE %s END, %s, %s
			FROM seed_vouchers ORDER BY vid`, s.pad("vid", 7), ts(fmt.Sprintf("t + %d", int64(VoucherLifetime/time.Second))),
			ts("closed_t"), staffName, ts("t"), ts("CASE WHEN status = 'issued' THEN t ELSE closed_t END"))},
		{"ledger entries", fmt.Sprintf(`INSERT INTO ledger_entries (id, merchant_id, program_id, account_id, member_id, kind, amount, balance_after,
				actor_user_id, actor_name, reason, purchase_id, voucher_id, corrects_id, idempotency_key, created_at)
			SELECT @entry0 + l.rn, @merchant, @program, @account0 + l.n, @member0 + l.n, l.kind, l.amount, l.balance_after,
				%[1]s, %[2]s, l.reason, CASE WHEN l.pid > 0 THEN @purchase0 + l.pid END, CASE WHEN l.vid > 0 THEN @voucher0 + l.vid END,
				@entry0 + r.rn,
				CASE l.kind WHEN '%[3]s' THEN 'purchase:' || (@purchase0 + l.pid) || ':%[3]s'
					WHEN '%[4]s' THEN 'refund:seed-refund-' || l.pid
					WHEN '%[5]s' THEN 'cancel:' || (@voucher0 + l.vid)
					WHEN '%[6]s' THEN 'expiry:' || (@account0 + l.n) || ':' || l.t END,
				%[7]s
			FROM seed_ledger l LEFT JOIN (SELECT vid, rn FROM seed_ledger WHERE kind = '%[8]s') r ON l.kind = '%[5]s' AND r.vid = l.vid
			ORDER BY l.rn`, seedStaffCase("l.staff", "CAST(@staff%d AS BIGINT)", "NULL"), seedStaffCase("l.staff", "@staff_name%d", "'system'"),
			KindPurchaseEarn, KindRefundClawback, KindRedemptionCancel, KindExpiry, ts("l.t"), KindRedemption)},
		// Adjustments are audited as Adjust audits them.
		{"adjustment audit", fmt.Sprintf(`INSERT INTO audit_entries (merchant_id, actor_id, actor_name, action, entity_type, entity_id,
				summary, created_at)
			SELECT @merchant, %s, %s, '%s', 'adjustment', @entry0 + l.rn,
				'Adjusted ' || m.name || '''s %s by ' || CASE WHEN l.amount > 0 THEN '+' ELSE '' END || l.amount || ': ' || l.reason, %s
			FROM seed_ledger l JOIN members m ON m.id = @member0 + l.n
			WHERE l.kind IN ('%s', '%s') ORDER BY l.rn`,
			seedStaffCase("l.staff", "CAST(@staff%d AS BIGINT)", "NULL"), seedStaffCase("l.staff", "@staff_name%d", "'system'"),
			AuditCreate, h.unit, ts("l.t"), KindManualCredit, KindManualDebit)},
		{"tier changes", fmt.Sprintf(`INSERT INTO tier_changes (merchant_id, account_id, from_tier_id, to_tier_id, reason, created_at)
			SELECT @merchant, @account0 + n, %s, %s, 'promoted', %s FROM seed_tiers ORDER BY t, n`, tier("prev"), tier("lvl"), ts("t"))},
	}
}

// membersSQL writes the members: names cycle through first and last names
// so prefix searches hit a realistic spread; card codes and phones are
// unique by construction. Each joined (created_at) at their plan's moment.
func (h *seedHistory) membersSQL() string {
	pad9, pad7 := h.sql.pad("g.n", 9), h.sql.pad("g.n", 7)
	ts := h.sql.ts
	return `WITH named AS (SELECT g.n, g.join_s, COALESCE(a.last_act, g.join_s) AS act_s,
			CASE g.n % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Ben' WHEN 2 THEN 'Cleo' WHEN 3 THEN 'Dev'
				WHEN 4 THEN 'Eve' WHEN 5 THEN 'Finn' WHEN 6 THEN 'Gus' ELSE 'Hana' END || ' ' ||
			CASE (g.n / 8) % 8 WHEN 0 THEN 'Smith' WHEN 1 THEN 'Jones' WHEN 2 THEN 'Brown' WHEN 3 THEN 'Garcia'
				WHEN 4 THEN 'Martin' WHEN 5 THEN 'Dubois' WHEN 6 THEN 'Rossi' ELSE 'Novak' END || ' ' || g.n AS name,
			` + pad9 + ` AS national, ` + pad7 + ` AS card
		FROM seed_plan g LEFT JOIN seed_accounts a ON a.n = g.n)
	INSERT INTO members (id, merchant_id, name, name_key, email, phone, phone_national, card_code, marketing_opt_in, blocked,
		last_activity_at, created_at, updated_at)
	SELECT @member0 + g.n, @merchant, g.name, lower(g.name), 'member' || g.n || '@seed.example', '33' || g.national, g.national,
		'S' || g.card, g.n % 3 = 0, FALSE, ` + ts("g.act_s") + `, ` + ts("g.join_s") + `, ` + ts("g.act_s") + `
	FROM named g ORDER BY g.n`
}

// searchTermsSQL indexes every word of the seeded names: a seeded name is
// three ASCII words, so its folded key is lower(name) and its terms start
// at the first, second and third word.
func (h *seedHistory) searchTermsSQL() string {
	second := "substr(name_key, instr(name_key, ' ') + 1)"
	third := "substr(" + second + ", instr(" + second + ", ' ') + 1)"
	if h.sql.pg {
		second = "split_part(name_key, ' ', 2) || ' ' || split_part(name_key, ' ', 3)"
		third = "split_part(name_key, ' ', 3)"
	}
	return `INSERT INTO member_search_terms (merchant_id, member_id, term, name_key)
		SELECT merchant_id, id, name_key, name_key FROM members WHERE merchant_id = @merchant
		UNION ALL SELECT merchant_id, id, ` + second + `, name_key FROM members WHERE merchant_id = @merchant
		UNION ALL SELECT merchant_id, id, ` + third + `, name_key FROM members WHERE merchant_id = @merchant`
}

// seedStaffCase maps a staff number column (1..3; 0 for nobody) to the
// parameter named by format, or to otherwise.
func seedStaffCase(col, format, otherwise string) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i := range seedStaff {
		fmt.Fprintf(&b, " WHEN %d THEN "+format, i+1, i+1)
	}
	return b.String() + " ELSE " + otherwise + " END"
}

// seedHash is a deterministic pseudo-random number in [0, 2^31 - 1) from
// the integer SQL expression x, different for each salt: two rounds of
// seedRound, as one leaves a member's numbers for different salts
// correlated (loyal members would never redeem).
func seedHash(x string, salt int) string {
	return seedRound(seedRound(x, salt), salt+97)
}

// seedRound is one round of seedHash, a quadratic modulo a prime whose
// terms stay inside 64 bits: enough for a sale's own numbers (amount,
// till, refund), and half the work on ten million rows.
func seedRound(x string, salt int) string {
	const p = 2147483647
	a, b, c := 48271+salt*7919, 69621+salt*1543, 12345+salt*104729
	return fmt.Sprintf("(((%[1]s %% %[2]d) * (%[1]s %% %[2]d) %% %[2]d * %[3]d + %[1]s %% %[2]d * %[4]d + %[5]d) %% %[2]d)",
		"CAST("+x+" AS BIGINT)", p, a, b, c)
}

// seedSQL is what differs between the dialects in the seed's statements.
type seedSQL struct{ pg bool }

// ts is the stored time of a Unix time in seconds: on SQLite the text
// GORM writes for a UTC time, so that times compare as text.
func (s seedSQL) ts(secs string) string {
	if s.pg {
		return "to_timestamp(" + secs + ")"
	}
	return "strftime('%Y-%m-%d %H:%M:%S', " + secs + ", 'unixepoch') || '+00:00'"
}

// upTo joins alias.n = 1..count to each row.
func (s seedSQL) upTo(alias, count string) string {
	if s.pg {
		return "CROSS JOIN LATERAL generate_series(CAST(1 AS BIGINT), CAST(" + count + " AS BIGINT)) AS " + alias + "(n)"
	}
	return "JOIN seed_numbers " + alias + " ON " + alias + ".n <= " + count
}

// seedNumbers is SQLite's stand-in for generate_series: 1..@most, for
// upTo.
const (
	seedNumbers     = `seed_numbers (n INTEGER PRIMARY KEY)`
	seedNumbersFill = `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < @most)
		INSERT INTO seed_numbers (n) SELECT n FROM c`
)

// fence stops PostgreSQL from pulling the subqueries marked {fence} up
// into the query around them, which would copy each hash into every
// expression that uses its column and compute it over and over.
func (s seedSQL) fence(q string) string {
	if s.pg {
		return strings.ReplaceAll(q, "{fence}", " OFFSET 0")
	}
	return strings.ReplaceAll(q, "{fence}", "")
}

func (s seedSQL) greatest(a, b string) string {
	if s.pg {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

func (s seedSQL) least(a, b string) string {
	if s.pg {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "min(" + a + ", " + b + ")"
}

// pad is the integer expression x as text, zero-padded to width digits.
func (s seedSQL) pad(x string, width int) string {
	if s.pg {
		return fmt.Sprintf("lpad((%s)::text, %d, '0')", x, width)
	}
	return fmt.Sprintf("substr('%s' || (%s), -%d)", strings.Repeat("0", width), x, width)
}
