package execute

import (
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// A compile step killed at its own limits is reported with those, not the
// run's: "Memory limit exceeded (128 MB)" for a 512 MB compiler was wrong.
func TestFailureMessageNamesTheStageLimits(t *testing.T) {
	run := sandbox.Limits{WallTime: 30 * time.Second, MemoryBytes: 128 << 20, OutputChars: 10000}
	compile := sandbox.Limits{WallTime: 20 * time.Second, MemoryBytes: 512 << 20, OutputChars: 10000}
	for _, c := range []struct {
		res  sandbox.Result
		want string
	}{
		{sandbox.Result{Status: sandbox.StatusMemoryLimit, Stage: sandbox.StageCompile, Limits: compile}, "Memory limit exceeded (512 MB)"},
		{sandbox.Result{Status: sandbox.StatusTimeout, Stage: sandbox.StageCompile, Limits: compile}, "Execution timed out after 20s"},
		{sandbox.Result{Status: sandbox.StatusMemoryLimit, Stage: sandbox.StageRun, Limits: run}, "Memory limit exceeded (128 MB)"},
		// A runtime that doesn't say which limits applied: the run's.
		{sandbox.Result{Status: sandbox.StatusTimeout, Stage: sandbox.StageRun}, "Execution timed out after 30s"},
	} {
		if got := FailureMessage(Outcome{Result: c.res, Limits: run}); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.res.Stage, c.res.Status, got, c.want)
		}
	}
}
