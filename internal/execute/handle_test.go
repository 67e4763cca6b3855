package execute

import (
	"context"
	"strings"
	"testing"

	"github.com/runblock/runblock/internal/apperr"
	"github.com/runblock/runblock/internal/auth"
)

// A run's handle says whether it started, registers it while it runs (so
// its owner can stop it from another request) and gives the outcome once.
func TestRunHandleLifecycle(t *testing.T) {
	s, _, _, _ := newService(t)
	held := &heldRuntime{g: newGate()}
	s2, err := New(held, s.langs, s.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	s2.WithRegistry(reg)
	who := Caller{UserID: "u1", Role: auth.RoleService}

	run := s2.Start(context.Background(), who, Request{Code: "print(1)"}, IO{}, true)
	<-run.Started()
	o, ok := run.StartInfo()
	if !ok || o.ID == "" || run.ID() != o.ID {
		t.Fatalf("start info %+v %v", o, ok)
	}
	if !reg.Has(o.ID) {
		t.Fatal("a started run is not registered")
	}
	if err := reg.Input(o.ID, "u1", []byte("x\n"), true); err != nil {
		t.Fatalf("input through the registry: %v", err)
	}
	if err := reg.Cancel(o.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	end, err := run.Wait()
	if err != nil || end.ID != o.ID {
		t.Fatalf("wait: %+v %v", end, err)
	}
	if reg.Has(o.ID) {
		t.Fatal("a finished run is still registered")
	}
	if err := reg.Cancel(o.ID, "u1"); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("cancel after the end: %v", err)
	}

	// Refused before it had a sandbox: Started still closes, without a start.
	bad := s2.Start(context.Background(), who, Request{Code: "x", Language: "cobol"}, IO{}, false)
	<-bad.Started()
	if _, ok := bad.StartInfo(); ok {
		t.Fatal("a refused run says it started")
	}
	if _, err := bad.Wait(); err == nil || !strings.Contains(err.Error(), "cobol") {
		t.Fatalf("refusal: %v", err)
	}
}
