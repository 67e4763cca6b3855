package execute

import (
	"testing"

	"github.com/runblock/runblock/internal/auth"
)

// The platform's backend must not be held to one learner's queue places.
func TestServiceRunsQueueAsTheirOwnUsers(t *testing.T) {
	svc := Caller{UserID: "platform", Role: auth.RoleService}
	if a, b := svc.queueKey(), svc.queueKey(); a == b {
		t.Fatalf("two service runs share a queue key %q: the second would replace the first", a)
	}
	learner := Caller{UserID: "u1", QuotaKey: "anon:10.0.0.1", Role: auth.RoleUser}
	if a, b := learner.queueKey(), learner.queueKey(); a != b || a != "u1" {
		t.Fatalf("a learner's runs queue as %q and %q, want u1 both times", a, b)
	}
}
