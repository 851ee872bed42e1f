package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Member search works on one key computed here, in Go, for both
// databases: a name folded to lower-case letters without accents, its
// words separated by single spaces. SQLite's lower() knows only ASCII and
// PostgreSQL's depends on the collation, so neither is asked: the folded
// key is stored, and compared bytewise (SQLite's way, and the "C"
// collation on PostgreSQL), so ordering, paging and prefix ranges agree.

// MemberSearchTerm is one place a member's name can be found from: the
// folded name from one of its words to the end ("marie curie", "curie").
// A query's words in order are a prefix of one of these, so one index
// range finds "Curie" and "marie cur" alike.
type MemberSearchTerm struct {
	MerchantID int64
	MemberID   int64  `gorm:"primaryKey"`
	Term       string `gorm:"primaryKey"`
	NameKey    string
}

// foldSpecial spells the lower-case letters that Unicode does not
// decompose into a base letter and marks.
var foldSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'ı': "i", 'þ': "th", 'ħ': "h", 'ŋ': "ng", 'ŧ': "t", 'ƒ': "f", 'ς': "σ",
}

// searchWords folds s (compatibility decomposition, marks dropped, lower
// case, the letters above spelled out) and splits it into its words: runs
// of letters and digits, so "Jean-Pierre" is two words.
func searchWords(s string) []string {
	var words []string
	var b strings.Builder
	end := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if sp, ok := foldSpecial[r]; ok {
				b.WriteString(sp)
			} else {
				b.WriteRune(r)
			}
		default:
			end()
		}
	}
	end()
	return words
}

// FoldName is the search and sort key of a name: "Émilie  Özdemir-Weiß"
// is "emilie ozdemir weiss".
func FoldName(name string) string { return strings.Join(searchWords(name), " ") }

// wordsStart says whether each of the query's words starts some word of
// the name's: the member search's rule, for names not in its index.
func wordsStart(query, name []string) bool {
	for _, q := range query {
		if !slices.ContainsFunc(name, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return len(query) > 0
}

// searchTerms are the suffixes of a name key at each word, without
// repeats: "marie curie" gives "marie curie" and "curie".
func searchTerms(key string) []string {
	var terms []string
	for rest := key; rest != ""; {
		if !slices.Contains(terms, rest) {
			terms = append(terms, rest)
		}
		_, after, found := strings.Cut(rest, " ")
		if !found {
			break
		}
		rest = after
	}
	return terms
}

// callingCodeLength is how many leading digits of an international number
// are its country calling code. E.164 codes are prefix-free: 1 and 7 have
// one digit, the two-digit codes are listed, every other code has three.
func callingCodeLength(digits string) int {
	if digits == "" {
		return 0
	}
	if digits[0] == '1' || digits[0] == '7' {
		return 1
	}
	if len(digits) < 2 {
		return len(digits)
	}
	switch cc := int(digits[0]-'0')*10 + int(digits[1]-'0'); {
	case cc == 20, cc == 27, cc >= 30 && cc <= 34, cc == 36, cc == 39, cc == 40, cc == 41,
		cc >= 43 && cc <= 49, cc >= 51 && cc <= 58, cc >= 60 && cc <= 66, cc == 81, cc == 82,
		cc == 84, cc == 86, cc >= 90 && cc <= 95, cc == 98:
		return 2
	}
	return min(3, len(digits))
}

// nationalNumber is a stored phone (digits with the country code) without
// its country code, as people type it at home: 33612345678 is 612345678.
func nationalNumber(phone string) string { return phone[callingCodeLength(phone):] }

// setSearchKeys derives a member's stored search columns from their name
// and phone.
func (m *Member) setSearchKeys() {
	m.NameKey, m.PhoneNational = FoldName(m.Name), nationalNumber(m.Phone)
}

// createMembers inserts new members with their search keys and terms. It
// and saveMember are the only writers of a member's name and phone, so
// the search never disagrees with them.
func createMembers(tx *gorm.DB, ms []*Member) error {
	for _, m := range ms {
		m.setSearchKeys()
	}
	if err := tx.Create(ms).Error; err != nil {
		return err
	}
	// A new member counts on the day they joined.
	marks := make([]RollupMark, len(ms))
	for i, m := range ms {
		marks[i] = RollupMark{MemberID: &m.ID, At: m.CreatedAt.UTC()}
	}
	if err := markRollups(tx, marks); err != nil {
		return err
	}
	return writeSearchTerms(tx, ms, false)
}

// saveMember saves an existing member with fresh search keys and terms.
func saveMember(tx *gorm.DB, m *Member) error {
	m.setSearchKeys()
	if err := tx.Save(m).Error; err != nil {
		return err
	}
	return writeSearchTerms(tx, []*Member{m}, true)
}

// writeSearchTerms stores the members' name terms, replacing the old ones
// when the members were there before.
func writeSearchTerms(tx *gorm.DB, ms []*Member, replace bool) error {
	ids := make([]int64, 0, len(ms))
	var terms []MemberSearchTerm
	for _, m := range ms {
		ids = append(ids, m.ID)
		for _, term := range searchTerms(m.NameKey) {
			terms = append(terms, MemberSearchTerm{MerchantID: m.MerchantID, MemberID: m.ID, Term: term, NameKey: m.NameKey})
		}
	}
	if replace {
		if err := tx.Where("member_id IN ?", ids).Delete(&MemberSearchTerm{}).Error; err != nil {
			return fmt.Errorf("member: clear search terms: %w", err)
		}
	}
	if len(terms) == 0 {
		return nil
	}
	// Two instances backfilling at once write the same terms: the first
	// one's stand.
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(terms, 500).Error; err != nil {
		return fmt.Errorf("member: search terms: %w", err)
	}
	return nil
}

// backfillBatch is how many members one transaction of the backfill keys.
const backfillBatch = 500

// backfillMemberSearch keys the members stored before the search columns
// existed (an empty name_key); folding needs Go, so the migration cannot.
// Run after every migration, it finds nothing to do once done.
func backfillMemberSearch(ctx context.Context, db *gorm.DB) error {
	db = CrossTenant(db.WithContext(ctx))
	for after := int64(0); ; {
		var ms []*Member
		if err := db.Where("name_key = '' AND id > ?", after).Order("id").Limit(backfillBatch).Find(&ms).Error; err != nil {
			return fmt.Errorf("backfill member search: read: %w", err)
		}
		if len(ms) == 0 {
			return nil
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			for _, m := range ms {
				m.setSearchKeys()
				if err := tx.Model(&Member{}).Where("id = ?", m.ID).
					UpdateColumns(map[string]any{"name_key": m.NameKey, "phone_national": m.PhoneNational}).Error; err != nil {
					return err
				}
			}
			return writeSearchTerms(tx, ms, true)
		})
		if err != nil {
			return fmt.Errorf("backfill member search: %w", err)
		}
		after = ms[len(ms)-1].ID
	}
}

// MemberCursor is a member's place in the order of a search, to continue
// after them. Part orders the kinds of match: 0 email, phone or card (or
// everyone, without a search), by name; 1 the query's words in order in
// the name; 2 its words in another order. Within parts 1 and 2, Term is
// the name term the query matched, and the order is term, name, id, which
// is the order of the term index, so a page reads only its own rows.
type MemberCursor struct {
	Part    int
	Term    string
	NameKey string
	ID      int64
}

// SearchCursor is where SearchMembers found the member, to ask for the
// page after them.
func (m *Member) SearchCursor() MemberCursor {
	if m.found.ID == 0 {
		return MemberCursor{NameKey: m.NameKey, ID: m.ID}
	}
	return m.found
}

// MemberQuery is a search of the member list: Text matches the start of
// any word of a name (accents and case aside), of an email, of a phone
// with or without its country code, or of a card code. After continues a
// page from a member's SearchCursor.
type MemberQuery struct {
	Text  string
	After MemberCursor
	Limit int
	// Filters; zero values mean any.
	ProgramID    int64  // has an account in this program
	TierID       int64  // is in this tier
	InactiveDays int    // no activity for at least this many days
	Tag          string // carries this tag
	Now          time.Time
	// narrow keeps some members only (those allowed to receive
	// recognition), inside the query so a page is full.
	narrow func(*gorm.DB) *gorm.DB
}

// filter narrows a member query. The subqueries are written by hand, so
// each names the merchant itself; the outer query is scoped anyway.
func (q MemberQuery) filter(s *gorm.DB, merchant int64) *gorm.DB {
	if q.ProgramID != 0 {
		s = s.Where("members.id IN (SELECT member_id FROM accounts WHERE merchant_id = ? AND program_id = ?)", merchant, q.ProgramID)
	}
	if q.TierID != 0 {
		s = s.Where("members.id IN (SELECT member_id FROM accounts WHERE merchant_id = ? AND tier_id = ?)", merchant, q.TierID)
	}
	if q.InactiveDays > 0 {
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		s = s.Where("(members.last_activity_at IS NULL OR members.last_activity_at < ?)", now.UTC().AddDate(0, 0, -q.InactiveDays))
	}
	if tag := normaliseTag(q.Tag); tag != "" {
		s = s.Where("members.id IN (SELECT member_id FROM member_tags WHERE merchant_id = ? AND tag = ?)", merchant, tag)
	}
	if q.narrow != nil {
		s = q.narrow(s)
	}
	return s
}

// prefixMatch is the start of one member column.
type prefixMatch struct{ col, prefix string }

// memberSearch is a query read once: its folded words and the contact
// columns it may be the start of.
type memberSearch struct {
	words    []string
	phrase   string // the words in order, as a name term starts
	contacts []prefixMatch
}

func parseSearch(text string) memberSearch {
	text = strings.TrimSpace(text)
	var s memberSearch
	// An @ makes it an email: its words are no name.
	if strings.Contains(text, "@") {
		s.contacts = append(s.contacts, prefixMatch{"email", strings.ToLower(text)})
	} else {
		s.words = searchWords(text)
	}
	s.phrase = strings.Join(s.words, " ")
	if digits := NormalisePhone(text); len(digits) >= 3 && len(digits) >= len(strings.Join(strings.Fields(text), ""))/2 {
		s.contacts = append(s.contacts, prefixMatch{"phone", digits})
		// Without + or 00 it may be a number as dialled at home: drop one
		// trunk 0 ("06 12…" in France, "0151…" in Germany), or keep it
		// where it belongs to the number (Italy).
		if !strings.HasPrefix(text, "+") && !strings.HasPrefix(text, "00") {
			if national := strings.TrimPrefix(digits, "0"); len(national) >= 3 {
				s.contacts = append(s.contacts, prefixMatch{"phone_national", national})
			}
			if strings.HasPrefix(digits, "0") {
				s.contacts = append(s.contacts, prefixMatch{"phone_national", digits})
			}
		}
	}
	if code := normaliseCardCode(text); len(code) >= 2 && len(code) <= cardLength {
		s.contacts = append(s.contacts, prefixMatch{"card_code", code})
	}
	return s
}

// SearchMembers finds members one page at a time: contact matches first
// in name order, then name matches in term order. Each source is an index
// range in the order it is read, so a page stays fast at a million
// members; a member matching several ways is shown once, in the first.
func SearchMembers(db *gorm.DB, q MemberQuery) ([]Member, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 25
	}
	merchant, ok := MerchantOf(db)
	if !ok {
		return nil, fmt.Errorf("member: search without a merchant scope")
	}
	s := parseSearch(q.Text)
	var out []Member
	if q.After.Part == 0 {
		found, err := s.byContact(db, merchant, q)
		if err != nil {
			return nil, err
		}
		out = found
	}
	for part := max(q.After.Part, 1); part <= 2 && s.phrase != "" && len(out) < q.Limit; part++ {
		if part == 2 && len(s.words) < 2 {
			break
		}
		found, err := s.byName(db, merchant, q, part, q.Limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// byContact is part 0: everyone without a search, else the members whose
// email, phone or card code starts with it, merged in name order.
func (s memberSearch) byContact(db *gorm.DB, merchant int64, q MemberQuery) ([]Member, error) {
	page := func(m *prefixMatch) ([]Member, error) {
		st := db.Model(&Member{}).Order("members.name_key, members.id").Limit(q.Limit)
		if q.After.ID != 0 {
			st = st.Where("(members.name_key, members.id) > (?, ?)", q.After.NameKey, q.After.ID)
		}
		if m != nil {
			st = st.Where(prefixCondition(db, "members."+m.col), prefixArgs(db, m.prefix)...)
		}
		var ms []Member
		if err := q.filter(st, merchant).Find(&ms).Error; err != nil {
			return nil, fmt.Errorf("member: search: %w", err)
		}
		return ms, nil
	}
	if strings.TrimSpace(q.Text) == "" {
		return page(nil)
	}
	seen := map[int64]bool{}
	var all []Member
	for i := range s.contacts {
		ms, err := page(&s.contacts[i])
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if !seen[m.ID] {
				seen[m.ID] = true
				all = append(all, m)
			}
		}
	}
	slices.SortFunc(all, func(a, b Member) int {
		if c := strings.Compare(a.NameKey, b.NameKey); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return all[:min(len(all), q.Limit)], nil
}

// byName is part 1 (the query's words in order from any word of the
// name) or part 2 (every word somewhere in the name, led by the rarest).
// A member is listed under the first of their terms that matches, and not
// at all when an earlier part has them.
func (s memberSearch) byName(db *gorm.DB, merchant int64, q MemberQuery, part, limit int) ([]Member, error) {
	lead := s.phrase
	if part == 2 {
		var err error
		if lead, err = s.rarestWord(db, merchant); err != nil {
			return nil, err
		}
	}
	// The subqueries ask about the member already found (scoped by t), by
	// the primary key (member_id, term): naming the merchant there too lets
	// SQLite pick the term index instead and read every member's terms.
	hasTerm := "EXISTS (SELECT 1 FROM member_search_terms e WHERE e.member_id = t.member_id AND e.term >= ? AND e.term < ?)"
	st := db.Model(&Member{}).Select("members.*, t.term AS matched_term").
		Joins("JOIN member_search_terms t ON t.merchant_id = members.merchant_id AND t.member_id = members.id").
		Where("t.merchant_id = ? AND t.term >= ? AND t.term < ?", merchant, lead, lead+prefixEnd).
		Where("NOT EXISTS (SELECT 1 FROM member_search_terms e WHERE e.member_id = t.member_id AND e.term >= ? AND e.term < t.term)", lead).
		Order("t.term, t.name_key, t.member_id").Limit(limit)
	if part == 2 {
		st = st.Where("NOT "+hasTerm, s.phrase, s.phrase+prefixEnd)
		for _, w := range s.words {
			if w != lead {
				st = st.Where(hasTerm, w, w+prefixEnd)
			}
		}
	}
	if len(s.contacts) > 0 {
		var conds []string
		var args []any
		for _, c := range s.contacts {
			conds = append(conds, "("+prefixCondition(db, "members."+c.col)+")")
			args = append(args, prefixArgs(db, c.prefix)...)
		}
		st = st.Where("NOT ("+strings.Join(conds, " OR ")+")", args...)
	}
	if q.After.Part == part && q.After.ID != 0 {
		st = st.Where("(t.term, t.name_key, t.member_id) > (?, ?, ?)", q.After.Term, q.After.NameKey, q.After.ID)
	}
	var hits []struct {
		Member      `gorm:"embedded"`
		MatchedTerm string
	}
	if err := q.filter(st, merchant).Find(&hits).Error; err != nil {
		return nil, fmt.Errorf("member: search names: %w", err)
	}
	ms := make([]Member, len(hits))
	for i, h := range hits {
		ms[i] = h.Member
		ms[i].found = MemberCursor{Part: part, Term: h.MatchedTerm, NameKey: h.NameKey, ID: h.ID}
	}
	return ms, nil
}

// rarestWordProbe caps the count of each word's terms: past it a word is
// common enough, and counting on would cost what it saves.
const rarestWordProbe = 1000

// rarestWord is the query word that starts the fewest name terms: leading
// part 2 with it keeps the rows checked for the other words few, however
// common those are ("guest 4999" reads the 4999s, not every guest).
func (s memberSearch) rarestWord(db *gorm.DB, merchant int64) (string, error) {
	best, fewest := s.words[0], int64(-1)
	for _, w := range s.words {
		var n int64
		err := db.Raw("SELECT count(*) FROM (SELECT 1 FROM member_search_terms WHERE merchant_id = ? AND term >= ? AND term < ? LIMIT ?) hits",
			merchant, w, w+prefixEnd, rarestWordProbe).Scan(&n).Error
		if err != nil {
			return "", fmt.Errorf("member: search: count %q: %w", w, err)
		}
		if fewest < 0 || n < fewest {
			best, fewest = w, n
		}
	}
	return best, nil
}

// prefixEnd closes a prefix range: every string that starts with p sorts
// before p + prefixEnd, bytewise.
const prefixEnd = "\U0010FFFF"

// prefixCondition matches the start of a column through its index: LIKE
// with a pattern index on PostgreSQL, a range on SQLite (whose LIKE
// ignores case and skips indexes).
func prefixCondition(db *gorm.DB, col string) string {
	if DialectOf(db) == Postgres {
		return col + " LIKE ?"
	}
	return col + " >= ? AND " + col + " < ?"
}

func prefixArgs(db *gorm.DB, prefix string) []any {
	if DialectOf(db) == Postgres {
		esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(prefix)
		return []any{esc + "%"}
	}
	return []any{prefix, prefix + prefixEnd}
}
