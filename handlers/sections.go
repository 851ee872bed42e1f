package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// Helpers shared by the pages under a program: rewards, earning rules and
// campaigns.

// sectionItem loads the program and one of its items, named by the path
// parameter param, through get (models.GetReward…). The item is looked up
// within the program, so an id of the merchant's other program is a 404.
func sectionItem[T any](a *App, c echo.Context, param string, get func(*gorm.DB, int64, int64) (*T, error)) (*models.Program, *T, error) {
	p, err := a.program(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := idParam(c, param)
	if err != nil {
		return nil, nil, err
	}
	item, err := get(a.tenant(c), p.ID, id)
	if err != nil {
		return nil, nil, err
	}
	return p, item, nil
}

func programCrumb(c echo.Context, p *models.Program) pages.ProgramCrumb {
	return pages.ProgramCrumb{
		ID: p.ID, Name: p.Name, Unit: p.UnitLabel, Type: string(p.Type), Status: string(p.Status),
		Currency: currentMerchant(c).Currency,
	}
}

// may reports whether the signed-in user holds at least role; pages use
// it to offer only the forms the route table would accept.
func may(c echo.Context, role models.Role) bool { return currentUser(c).Role.Includes(role) }

func actor(c echo.Context) models.Actor { return models.ActorOf(currentUser(c)) }

// localToday is the business's calendar date now: offers' dates are local
// dates, so "ended" must not flip at UTC midnight.
func (a *App) localToday(c echo.Context) string {
	return a.now().In(currentMerchant(c).Location()).Format("2006-01-02")
}

// tierNames maps a program's tier ids to their names.
func tierNames(tiers []models.Tier) map[int64]string {
	names := make(map[int64]string, len(tiers))
	for _, t := range tiers {
		names[t.ID] = t.Name
	}
	return names
}

func tierOptions(tiers []models.Tier) []components.Option {
	opts := make([]components.Option, 0, len(tiers))
	for _, t := range tiers {
		opts = append(opts, components.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name})
	}
	return opts
}

// answer finishes a form post. A refusal the person can fix (invalid
// input, a conflict) shows the form again through retry, with its status;
// success flashes msg() and redirects to to; anything else goes to the
// error handler (a 404 for an unknown id).
func (a *App) answer(c echo.Context, err error, retry func(status int) error, msg func() string, to string) error {
	if status, refused := formRefusal(c, err); refused {
		return retry(status)
	}
	if err != nil {
		return err
	}
	a.flash(c, "success", msg())
	return redirect(c, to)
}

// choices lists a select's values worded by labels, in the given order;
// labels may be keyed by the values' type or by plain strings.
func choices[T ~string, K ~string](values []T, labels map[K]string) []components.Option {
	opts := make([]components.Option, 0, len(values))
	for _, v := range values {
		opts = append(opts, components.Option{Value: string(v), Label: labels[K(v)]})
	}
	return opts
}
