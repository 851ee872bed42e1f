package handlers

import "testing"

// Production refuses webhook URLs on private and local networks; the
// models test what is refused, this that production asks for it.
func TestWebhookTargetsFollowProduction(t *testing.T) {
	if (&App{prod: true}).webhookTargets().AllowPrivate {
		t.Error("production allows private webhook targets")
	}
	if !(&App{}).webhookTargets().AllowPrivate {
		t.Error("development refuses local webhook targets, which local receivers and tests use")
	}
}
