package bwrap_test

import (
	"context"
	"testing"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

// The suite runs as root in CI; the runtime drops to unprivileged uids itself.
func TestConformance(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	langs := config.DefaultLanguages()
	sandboxtest.Run(t, rt, sandboxtest.Languages{Python: langs["python"], C: langs["c"]})
}

func TestCheckReportsStrongIsolation(t *testing.T) {
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rep := rt.Check(context.Background())
	if !rep.Strong {
		t.Fatalf("check: %+v", rep)
	}
	names := map[string]bool{}
	for _, it := range rep.Items {
		names[it.Name] = it.OK
	}
	for _, n := range []string{"cgroups", "seccomp", "unprivileged uid", "no network", "user namespace"} {
		if !names[n] {
			t.Errorf("check item %q missing or failed: %+v", n, rep.Items)
		}
	}
}
