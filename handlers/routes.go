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
		{"GET", "/settings/users/:userID", models.RoleOwner, a.userPage},
		{"POST", "/settings/users/:userID/role", models.RoleOwner, a.changeRole},
		{"POST", "/settings/users/:userID/deactivate", models.RoleOwner, a.deactivateUser},
		{"POST", "/settings/users/:userID/reactivate", models.RoleOwner, a.reactivateUser},
		{"POST", "/settings/users/:userID/password-link", models.RoleOwner, a.passwordLink},
		{"GET", "/settings/recognition", models.RoleOwner, a.recognitionSettingsPage},
		{"POST", "/settings/recognition", models.RoleOwner, a.saveRecognitionSettings},
		{"POST", "/settings/recognition/overrides", models.RoleOwner, a.setRecognitionOverride},
		{"GET", "/settings/audit", models.RoleOwner, a.auditPage},
		{"GET", apiKeysURL, models.RoleOwner, a.apiKeysPage},
		{"POST", apiKeysURL + "/keys", models.RoleOwner, a.createAPIKey},
		{"POST", apiKeysURL + "/keys/:keyID/revoke", models.RoleOwner, a.revokeAPIKey},
		{"POST", webhooksURL, models.RoleOwner, a.createWebhook},
		{"GET", webhooksURL + "/:webhookID", models.RoleOwner, a.webhookPage},
		{"POST", webhooksURL + "/:webhookID/rotate", models.RoleOwner, a.rotateWebhook},
		{"POST", webhooksURL + "/:webhookID/disable", models.RoleOwner, a.disableWebhook},
		{"POST", webhooksURL + "/:webhookID/enable", models.RoleOwner, a.enableWebhook},
		{"POST", webhooksURL + "/:webhookID/delete", models.RoleOwner, a.deleteWebhook},
		{"POST", webhooksURL + "/:webhookID/deliveries/:deliveryID/resend", models.RoleOwner, a.resendDelivery},

		// Programs: staff read; owners configure; managers run rewards and
		// campaigns.
		{"GET", "/programs", models.RoleStaff, a.programsPage},
		{"POST", "/programs", models.RoleOwner, a.createProgram},
		{"POST", "/programs/default", models.RoleOwner, a.setDefaultProgram},
		{"GET", "/programs/:programID", models.RoleStaff, a.programPage},
		{"POST", "/programs/:programID", models.RoleOwner, a.updateProgram},
		{"GET", "/programs/:programID/preview", models.RoleStaff, a.previewEarn},

		{"GET", "/programs/:programID/tiers", models.RoleStaff, a.tiersPage},
		{"POST", "/programs/:programID/tiers", models.RoleOwner, a.createTier},
		{"GET", "/programs/:programID/tiers/:tierID", models.RoleOwner, a.tierPage},
		{"POST", "/programs/:programID/tiers/:tierID", models.RoleOwner, a.updateTier},
		{"POST", "/programs/:programID/tiers/:tierID/delete", models.RoleOwner, a.deleteTier},

		{"GET", "/rewards", models.RoleStaff, a.catalogPage},
		{"GET", "/programs/:programID/rewards", models.RoleStaff, a.rewardsPage},
		{"POST", "/programs/:programID/rewards", models.RoleManager, a.createReward},
		{"GET", "/programs/:programID/rewards/:rewardID", models.RoleManager, a.rewardPage},
		{"POST", "/programs/:programID/rewards/:rewardID", models.RoleManager, a.updateReward},
		{"POST", "/programs/:programID/rewards/:rewardID/archive", models.RoleManager, a.archiveReward},
		{"POST", "/programs/:programID/rewards/:rewardID/restore", models.RoleManager, a.restoreReward},

		{"GET", "/programs/:programID/rules", models.RoleStaff, a.rulesPage},
		{"POST", "/programs/:programID/rules", models.RoleOwner, a.createRule},
		{"GET", "/programs/:programID/rules/:ruleID", models.RoleOwner, a.rulePage},
		{"POST", "/programs/:programID/rules/:ruleID", models.RoleOwner, a.updateRule},
		{"POST", "/programs/:programID/rules/:ruleID/delete", models.RoleOwner, a.deleteRule},

		{"GET", "/programs/:programID/campaigns", models.RoleStaff, a.campaignsPage},
		{"POST", "/programs/:programID/campaigns", models.RoleManager, a.createCampaign},
		{"GET", "/programs/:programID/campaigns/:campaignID", models.RoleManager, a.campaignPage},
		{"POST", "/programs/:programID/campaigns/:campaignID", models.RoleManager, a.updateCampaign},
		{"POST", "/programs/:programID/campaigns/:campaignID/delete", models.RoleManager, a.deleteCampaign},

		// Members and the ledger: staff work the till; managers block,
		// cancel vouchers and refund.
		{"GET", "/members", models.RoleStaff, a.membersPage},
		{"POST", "/members", models.RoleStaff, a.enrolMember},
		{"GET", "/members/export", models.RoleStaff, a.exportMembers},
		{"GET", importPath, models.RoleStaff, a.importPage},
		{"POST", importPath, models.RoleStaff, a.startImport},
		{"GET", importPath + "/template.csv", models.RoleStaff, a.importTemplate},
		{"GET", "/members/imports/:importID", models.RoleStaff, a.importProgressPage},
		{"GET", "/members/imports/:importID/errors.csv", models.RoleStaff, a.importErrorsCSV},
		{"GET", "/members/:memberID", models.RoleStaff, a.memberPage},
		{"POST", "/members/:memberID", models.RoleStaff, a.updateMember},
		{"POST", "/members/:memberID/tags", models.RoleStaff, a.tagMember},
		{"POST", "/members/:memberID/block", models.RoleManager, a.blockMember},
		{"POST", "/members/:memberID/unblock", models.RoleManager, a.unblockMember},
		{"POST", "/members/:memberID/adjust", models.RoleStaff, a.adjustBalance},
		{"POST", "/members/:memberID/redeem", models.RoleStaff, a.redeemReward},
		{"POST", "/members/:memberID/actions", models.RoleStaff, a.awardAction},
		{"POST", "/members/:memberID/recognition", models.RoleStaff, a.memberGives},
		{"POST", "/till/recognition", models.RoleStaff, a.tillGives},
		{"POST", "/vouchers/:voucherID/use", models.RoleStaff, a.useVoucher},
		{"POST", "/vouchers/:voucherID/cancel", models.RoleManager, a.cancelVoucher},
		{"POST", "/purchases/:purchaseID/refund", models.RoleManager, a.refundPurchase},
		// Paid membership: staff sell, renew and list; managers cancel.
		{"POST", "/members/:memberID/membership", models.RoleStaff, a.memberMembership},
		{"GET", "/memberships", models.RoleStaff, a.membershipsPage},
		{"POST", "/memberships/:membershipID/cancel", models.RoleManager, a.cancelMembership},

		// Reports: managers and owners. Each page answers its tables as
		// CSV too (?format=csv&table=…); see serveReport.
		{"GET", "/reports", models.RoleManager, a.dashboardReport},
		{"GET", "/reports/churn", models.RoleManager, a.churnReport},
		{"GET", "/reports/churn/overdue.csv", models.RoleManager, a.exportOverdue},
		{"GET", "/reports/retention", models.RoleManager, a.retentionReport},
		{"GET", "/reports/engagement", models.RoleManager, a.engagementReport},
		{"GET", "/reports/economics", models.RoleManager, a.economicsReport},

		// Recognition: everyone signed in reads the feed and gives as the
		// owner's settings allow; managers hide.
		{"GET", recognitionURL, models.RoleStaff, a.recognitionPage},
		{"POST", recognitionURL, models.RoleStaff, a.giveRecognition},
		{"GET", recognitionURL + "/receivers", models.RoleStaff, a.recognitionReceivers},
		{"GET", recognitionURL + "/leaderboard", models.RoleStaff, a.recognitionLeaderboard},
		{"POST", recognitionURL + "/:recognitionID/hide", models.RoleManager, a.hideRecognition},

		{"GET", "/till", models.RoleStaff, a.tillPage},
		{"GET", "/till/search", models.RoleStaff, a.tillSearch},
		{"GET", "/till/preview", models.RoleStaff, a.tillPreview},
		{"POST", "/till/purchase", models.RoleStaff, a.tillPurchase},
		{"POST", "/till/credit", models.RoleStaff, a.tillCredit},
		{"POST", "/till/redeem", models.RoleStaff, a.tillRedeem},
		{"POST", "/till/membership", models.RoleStaff, a.tillMembership},
		{"POST", "/till/vouchers/:voucherID/use", models.RoleStaff, a.tillUseVoucher},
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
