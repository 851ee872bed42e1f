package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/static"
)

// public marks a route anyone may call, signed in or not.
const public models.Role = ""

// Route is one entry of the route table: the single place that says who
// may call what. A route with a role requires a signed-in user holding at
// least that role (owner ⊃ manager ⊃ staff).
type Route struct {
	Method  string
	Path    string
	MinRole models.Role
	handler echo.HandlerFunc
}

func (a *App) routes() []Route {
	return []Route{
		{"GET", "/healthz", public, a.healthz},
		{"GET", "/readyz", public, a.readyz},
		{"GET", static.Prefix + "*", public, serveStatic},
		{"GET", "/", public, a.home},

		{"GET", "/signup", public, a.signUpPage},
		{"POST", "/signup", public, a.signUp},
		{"GET", "/login", public, a.loginPage},
		{"POST", "/login", public, a.login},
		{"POST", "/logout", public, a.logout},
		{"GET", "/set-password/:token", public, a.setPasswordPage},
		{"POST", "/set-password/:token", public, a.setPassword},

		{"GET", "/dashboard", models.RoleStaff, a.dashboard},
		{"GET", "/account/password", models.RoleStaff, a.passwordPage},
		{"POST", "/account/password", models.RoleStaff, a.changePassword},

		{"GET", "/settings", models.RoleOwner, a.settings},
		{"GET", "/settings/business", models.RoleOwner, a.businessPage},
		{"POST", "/settings/business", models.RoleOwner, a.updateBusiness},
		{"GET", "/settings/users", models.RoleOwner, a.usersPage},
		{"POST", "/settings/users", models.RoleOwner, a.addUser},
		{"GET", "/settings/users/:id", models.RoleOwner, a.userPage},
		{"POST", "/settings/users/:id/role", models.RoleOwner, a.changeRole},
		{"POST", "/settings/users/:id/deactivate", models.RoleOwner, a.deactivateUser},
		{"POST", "/settings/users/:id/reactivate", models.RoleOwner, a.reactivateUser},
		{"POST", "/settings/users/:id/password-link", models.RoleOwner, a.passwordLink},
	}
}

// Routes lists the route table without handlers, for documentation and
// for tests that walk every route.
func Routes() []Route {
	return (&App{}).routes()
}

func (a *App) register(e *echo.Echo) {
	for _, r := range a.routes() {
		if r.MinRole == public {
			e.Add(r.Method, r.Path, r.handler)
			continue
		}
		e.Add(r.Method, r.Path, r.handler, a.requireUser, requireRole(r.MinRole))
	}
}
