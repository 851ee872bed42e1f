package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// historyFormat reads a file of past purchases, as an old till or web
// shop exports them: who bought, when, for how much.
var historyFormat = importFormat{
	columns: map[string]string{
		"member": "member", "customer": "member", "email": "member", "e mail": "member", "email address": "member",
		"customer email": "member", "phone": "member", "mobile": "member", "phone number": "member",
		"card": "member", "card code": "member", "card number": "member", "member card": "member",
		"date": "date", "purchase date": "date", "order date": "date", "occurred at": "date", "date time": "date",
		"datetime": "date", "time": "date",
		"amount": "amount", "total": "amount", "order total": "amount", "spent": "amount", "paid": "amount",
		"order reference": "order_ref", "order ref": "order_ref", "order": "order_ref", "order id": "order_ref",
		"order number": "order_ref", "reference": "order_ref", "receipt": "order_ref", "receipt number": "order_ref",
		"channel": "channel",
	},
	order: []string{"member", "date", "amount", "order_ref", "channel"},
	missing: func(l *importLayout) string {
		var lacks []string
		for _, f := range []string{"member", "date", "amount"} {
			if !l.has(f) {
				lacks = append(lacks, f)
			}
		}
		if len(lacks) == 0 {
			return ""
		}
		return "No " + strings.Join(lacks, " or ") + " column: the first line must name the columns, among them member (an email, phone or card code), date and amount."
	},
}

// HistoryInput is the purchase history import form.
type HistoryInput struct {
	FileName  string
	Content   []byte
	ProgramID int64 // 0 for the merchant's default program
	Earn      bool  // credit points as the till would; by default history only feeds the reports
}

// StartHistoryImport checks an uploaded file of past purchases and
// queues it.
func StartHistoryImport(db *gorm.DB, actor Actor, role Role, in HistoryInput, now time.Time) (*ImportJob, error) {
	layout, rows, err := readUpload(in.Content, historyFormat, "purchases")
	if err != nil {
		return nil, err
	}
	job, err := newImportJob(ImportHistory, actor, role, importFileName(in.FileName, "purchases.csv"), layout, rows)
	if err != nil {
		return nil, err
	}
	job.Earn = in.Earn
	err = db.Transaction(func(tx *gorm.DB) error {
		p, err := historyProgram(tx, in.ProgramID)
		if err != nil {
			return err
		}
		job.ProgramID = &p.ID
		return queueImport(tx, job, in.Content)
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// historyProgram is the program history goes to: the one chosen, else
// the merchant's default.
func historyProgram(tx *gorm.DB, id int64) (*Program, error) {
	if id == 0 {
		m, err := GetMerchant(tx)
		if err != nil {
			return nil, err
		}
		programs, err := ListPrograms(tx)
		if err != nil {
			return nil, err
		}
		if p := m.PreferredProgram(programs); p != nil {
			return p, nil
		}
		return nil, fieldError("program_id", "Create a program first: past purchases belong to one.")
	}
	p, err := GetProgram(tx, id)
	if err != nil {
		return nil, fieldError("program_id", "Choose one of your programs.")
	}
	if !p.TakesActivity() {
		return nil, fieldError("program_id", fmt.Sprintf("%s is %s: it takes no purchases.", p.Name, p.Status))
	}
	return p, nil
}

// historyImport records a file's past purchases of members already here.
type historyImport struct {
	layout   *importLayout
	job      *ImportJob // as locked by the current batch
	merchant *Merchant
	loc      *time.Location
	program  *Program
	// seen counts each purchase's content so far in the file: the same
	// purchase twice on a day is two rows, and each keeps its own key.
	seen map[string]int
}

// historyRow is one row of a history file: the purchase it records.
type historyRow struct {
	importRow
	who      memberRef
	amount   string // as written, for the till's earn path
	purchase Purchase
}

func (imp *historyImport) grows() string { return "purchases" }

func (imp *historyImport) batchRows() int {
	if imp.job.Earn {
		return earnBatchRows
	}
	return importBatchRows
}

func (imp *historyImport) prepare(tx *gorm.DB, job *ImportJob, m *Merchant) error {
	imp.job, imp.merchant, imp.loc = job, m, m.Location()
	if imp.seen == nil {
		imp.seen = map[string]int{}
	}
	var err error
	imp.program, err = GetProgram(tx, *job.ProgramID)
	return err
}

// phoneText is how a phone number is written: digits with the usual
// separators, and at least six digits.
var phoneText = regexp.MustCompile(`^\+?[0-9 ().-]{6,}$`)

// memberRef is how a row names its member: an email, or a card code or
// a phone number (eight digits may be either; both are looked up and
// only one member may answer).
type memberRef struct{ email, card, phone string }

func readMemberRef(s string) memberRef {
	if strings.Contains(s, "@") {
		return memberRef{email: NormaliseEmail(s)}
	}
	var r memberRef
	if c := normaliseCardCode(s); len(c) == cardLength && strings.Trim(c, cardAlphabet) == "" {
		r.card = c
	}
	if phoneText.MatchString(s) {
		r.phone = NormalisePhone(s)
	}
	return r
}

func (r memberRef) String() string { return "e:" + r.email + "|c:" + r.card + "|p:" + r.phone }

// check reads and validates one row as the till would a purchase; who
// the member is comes with the batch's lookup.
func (imp *historyImport) check(rec []string, line int64, now time.Time) *historyRow {
	row := &historyRow{importRow: importRow{line: line, rec: rec}}
	l := imp.layout
	if row.issue = l.textIssue(rec); row.issue != nil {
		return row
	}
	v := Validation{}
	who := l.cell(rec, "member")
	row.who = readMemberRef(who)
	v.Check(row.who != memberRef{}, "member", "Write the member's email, card code or phone number with its country code.")
	at, problem := readMoment(l.cell(rec, "date"), imp.loc)
	v.Check(problem == "", "date", problem)
	row.amount = strings.ReplaceAll(l.cell(rec, "amount"), " ", "")
	amount := purchaseAmount(v, row.amount, imp.merchant.Currency)
	ref := l.cell(rec, "order_ref")
	v.Check(utf8.RuneCountInString(ref) <= 100, "order_ref", "Use at most 100 characters.")
	channel, ok := readChannel(l.cell(rec, "channel"))
	v.Check(ok, "channel", "Write in_store or online, or leave it empty for in store.")
	key := ""
	if len(v) == 0 {
		// Counted before the checks that depend on the day or the
		// program's settings, so re-reading the file keeps each key.
		key = imp.key(row.who, at, amount, channel, ref)
		if problem := checkMoment(at, now); problem != "" {
			v.Check(false, "date", problem)
		}
		if err := checkPurchaseLimits(imp.program, amount, imp.merchant.Currency, true); err != nil {
			v.Check(false, "amount", FieldErrors(err)["amount"])
		}
	}
	if len(v) > 0 {
		row.issue = rowError(historyFormat.fieldSentence(v))
		return row
	}
	row.purchase = Purchase{ProgramID: imp.program.ID, AmountMinor: amount, OrderRef: ref, Channel: channel,
		OccurredAt: at.UTC(), IdempotencyKey: key, ActorName: orSystem(imp.job.ActorName)}
	return row
}

// skip counts a committed row as check did, so the rows after it keep
// their keys.
func (imp *historyImport) skip(rec []string, line int64, now time.Time) { imp.check(rec, line, now) }

// key is a purchase's idempotency key: its order reference when it has
// one, else a digest of what it is and how many times the file had it
// before. Uploading a file again, or one that overlaps it, finds the
// keys taken and records nothing twice.
func (imp *historyImport) key(who memberRef, at time.Time, amount int64, channel Channel, ref string) string {
	if ref != "" {
		return OrderKey(ref)
	}
	content := strings.Join([]string{who.String(), at.UTC().Format(time.RFC3339Nano), strconv.FormatInt(amount, 10), string(channel)}, "\x00")
	n := imp.seen[content]
	imp.seen[content] = n + 1
	sum := sha256.Sum256([]byte(content + "\x00" + strconv.Itoa(n)))
	return "history:row:" + hex.EncodeToString(sum[:16])
}

// readChannel reads where a purchase was made; empty is in store.
func readChannel(s string) (Channel, bool) {
	switch strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(s)) {
	case "", "in_store", "instore", "store", "shop", "pos":
		return ChannelInStore, true
	case "online", "web", "web_shop", "webshop", "e_commerce", "ecommerce":
		return ChannelOnline, true
	}
	return "", false
}

// write records the purchases of the rows that passed their checks and
// name a member who is here; a purchase already recorded, by an earlier
// upload or an earlier row, is a duplicate instead.
func (imp *historyImport) write(tx *gorm.DB, rows []*historyRow, now time.Time) error {
	if err := findHistoryMembers(tx, rows); err != nil {
		return err
	}
	if err := markHistoryDuplicates(tx, rows); err != nil {
		return err
	}
	var todo []*historyRow
	for _, r := range rows {
		if r.issue == nil {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if imp.job.Earn {
		return imp.earn(tx, todo, now) // RecordPurchase marks the reports' days itself
	}
	// History that earns nothing posts nothing to the ledger: it only
	// feeds the reports.
	purchases := make([]Purchase, 0, len(todo))
	marks := make([]RollupMark, 0, len(todo))
	for _, r := range todo {
		purchases = append(purchases, r.purchase)
		marks = append(marks, RollupMark{MemberID: r.purchase.MemberID, At: r.purchase.OccurredAt})
	}
	// A hundred rows a statement: SQLite's driver binds parameters in
	// time that grows with the square of their number.
	if err := tx.CreateInBatches(&purchases, 100).Error; err != nil {
		return fmt.Errorf("insert purchases: %w", err)
	}
	return markRollups(tx, marks)
}

// earn records each purchase through the till's own path, so history
// earns exactly what the till would have credited, tiers, campaigns and
// stamp cards included. A purchase the till refuses (a blocked member)
// becomes that row's error.
func (imp *historyImport) earn(tx *gorm.DB, rows []*historyRow, now time.Time) error {
	for _, r := range rows {
		p := r.purchase
		res, err := RecordPurchase(tx, imp.job.actor(), PurchaseInput{
			ProgramID: p.ProgramID, MemberID: *p.MemberID, Amount: r.amount, OrderRef: p.OrderRef, Channel: p.Channel,
			OccurredAt: p.OccurredAt, IdempotencyKey: p.IdempotencyKey, ConfirmedLarge: true,
		}, now)
		switch {
		case ErrorCode(err) == EINVALID || ErrorCode(err) == ECONFLICT:
			msg := historyFormat.fieldSentence(FieldErrors(err))
			if msg == "" {
				msg = ErrorMessage(err)
			}
			r.issue = rowError(msg)
		case err != nil:
			return fmt.Errorf("record purchase of line %d: %w", r.line, err)
		case res.Replayed:
			r.issue = &ImportIssue{Kind: IssueDuplicate, Message: "Already imported: this purchase is recorded."}
		default:
			r.units = res.Breakdown.Total
		}
	}
	return nil
}

// findHistoryMembers finds the member each row names, exactly: a row
// whose email, card code or phone nobody has, or that two members could
// answer, is an error, never a guess.
func findHistoryMembers(tx *gorm.DB, rows []*historyRow) error {
	found := map[string][]*Member{}
	for _, f := range []struct {
		col, prefix string
		of          func(memberRef) string
	}{
		{"email", "e:", func(r memberRef) string { return r.email }},
		{"card_code", "c:", func(r memberRef) string { return r.card }},
		{"phone", "p:", func(r memberRef) string { return r.phone }},
	} {
		var values []string
		for _, r := range rows {
			if r.issue == nil && f.of(r.who) != "" {
				values = append(values, f.of(r.who))
			}
		}
		if len(values) == 0 {
			continue
		}
		var ms []*Member
		if err := tx.Select("id", "name", "email", "phone", "card_code").Where(f.col+" IN ?", values).Find(&ms).Error; err != nil {
			return fmt.Errorf("find members by %s: %w", f.col, err)
		}
		for _, m := range ms {
			v := map[string]string{"email": m.Email, "card_code": m.CardCode, "phone": m.Phone}[f.col]
			found[f.prefix+v] = append(found[f.prefix+v], m)
		}
	}
	for _, r := range rows {
		if r.issue != nil {
			continue
		}
		var matches []*Member
		for _, k := range []string{"e:" + r.who.email, "c:" + r.who.card, "p:" + r.who.phone} {
			for _, m := range found[k] {
				if len(k) > 2 && !slices.ContainsFunc(matches, func(o *Member) bool { return o.ID == m.ID }) {
					matches = append(matches, m)
				}
			}
		}
		switch len(matches) {
		case 0:
			r.issue = rowError("Member: no member has this " + r.who.what() + ". Import or enrol them first; a purchase is never matched to a guess.")
		case 1:
			r.purchase.MemberID = &matches[0].ID
		default: // only eight digits can be two things
			r.issue = rowError(fmt.Sprintf("Member: this is the card code of %s and the phone number of %s; write the member's email instead.",
				memberLabel(found["c:"+r.who.card][0]), memberLabel(found["p:"+r.who.phone][0])))
		}
	}
	return nil
}

func memberLabel(m *Member) string { return fmt.Sprintf("%s (%s)", m.Name, FormatCardCode(m.CardCode)) }

func (r memberRef) what() string {
	switch {
	case r.email != "":
		return "email address"
	case r.card != "" && r.phone != "":
		return "card code or phone number"
	case r.card != "":
		return "card code"
	}
	return "phone number"
}

// legacyHistoryKey prefixed an imported order's key before imports and
// the API shared OrderKey; orders imported then are still found by it.
const legacyHistoryKey = "history:ref:"

// markHistoryDuplicates turns rows whose purchase is recorded, or on an
// earlier row of the file, into duplicates.
func markHistoryDuplicates(tx *gorm.DB, rows []*historyRow) error {
	var keys []string
	legacy := map[string]string{}
	for _, r := range rows {
		if r.issue == nil {
			keys = append(keys, r.purchase.IdempotencyKey)
			if ref := r.purchase.OrderRef; ref != "" {
				legacy[legacyHistoryKey+ref] = r.purchase.IdempotencyKey
				keys = append(keys, legacyHistoryKey+ref)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var taken []string
	if err := tx.Model(&Purchase{}).Where("idempotency_key IN ?", keys).Pluck("idempotency_key", &taken).Error; err != nil {
		return fmt.Errorf("find recorded purchases: %w", err)
	}
	where := map[string]string{}
	for _, k := range taken {
		if current, ok := legacy[k]; ok {
			k = current
		}
		where[k] = "already recorded"
	}
	for _, r := range rows {
		if r.issue != nil {
			continue
		}
		k := r.purchase.IdempotencyKey
		if w, ok := where[k]; ok {
			what := "this purchase is " + w
			if r.purchase.OrderRef != "" {
				what = fmt.Sprintf("order %s is %s", r.purchase.OrderRef, w)
			}
			r.issue = &ImportIssue{Kind: IssueDuplicate, Message: "Already imported: " + what + "."}
			continue
		}
		where[k] = fmt.Sprintf("on line %d of this file", r.line)
	}
	return nil
}
