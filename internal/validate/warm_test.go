package validate

import (
	"runtime"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox/frontdoor"
)

// The checkers the front door keeps warm give the verdicts cold ones give,
// and closing the front door ends them.
func TestWarmPoolGivesSameVerdictsAndCleansUp(t *testing.T) {
	before := runtime.NumGoroutine()
	cold := newHostValidator(t, Options{})
	fd, err := frontdoor.New(frontdoor.Config{Backend: hostRuntime{tb: t}, Admitter: frontdoor.NewSimpleAdmitter(4, 4, 2, time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	warm := newHostValidator(t, Options{Runtime: fd})
	fd.AddPool(warm.CheckerPool(2))
	for _, code := range []string{"print(1)", "import os", "while True:\n    pass", "print(1", "eval('1')"} {
		a := validate(t, cold, Request{Code: code})
		b := validate(t, warm, Request{Code: code})
		if a.Valid != b.Valid || a.PolicyViolation != b.PolicyViolation || len(a.Errors) != len(b.Errors) || len(a.Warnings) != len(b.Warnings) {
			t.Fatalf("%q: cold %+v, warm %+v", code, a, b)
		}
	}
	fd.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d → %d after Close", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
