package bwrap

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/hostproc"
)

// TestNoZombiesLeft: sandboxes that end normally, time out or are cancelled
// leave no zombie behind, neither adopted by this process nor re-parented
// to the host's PID 1, and every run still gets its own exit status (a
// blanket wait would have taken it from exec.Cmd.Wait).
func TestNoZombiesLeft(t *testing.T) {
	// As runblock's main does; orphans would otherwise go to the host's
	// PID 1, out of this test's sight.
	if err := hostproc.AdoptOrphans(); err != nil {
		t.Fatal(err)
	}
	rt, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	runPy := func(ctx context.Context, code string, lim sandbox.Limits) sandbox.Result {
		var out bytes.Buffer
		res, err := rt.Run(ctx, sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &out, Limits: lim})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return res
	}
	for i := 0; i < 3; i++ {
		if res := runPy(context.Background(), "raise SystemExit(3)", sandbox.Limits{}); res.Status != sandbox.StatusError || res.ExitCode != 3 {
			t.Fatalf("exit status lost: %+v", res)
		}
		if res := runPy(context.Background(), "while True: pass", sandbox.Limits{WallTime: 300 * time.Millisecond}); res.Status != sandbox.StatusTimeout {
			t.Fatalf("timeout: %+v", res)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		if res := runPy(ctx, "import time\ntime.sleep(60)", sandbox.Limits{}); res.Status != sandbox.StatusCancelled {
			t.Fatalf("cancel: %+v", res)
		}
	}
	if z := zombieChildren(); len(z) > 0 {
		t.Fatalf("zombies left by the sandboxes: %v", z)
	}
}

// zombieChildren lists this process's zombie children.
func zombieChildren() []string {
	me := strconv.Itoa(os.Getpid())
	matches, _ := filepath.Glob("/proc/[0-9]*/status")
	var out []string
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		var state, ppid, uid string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "State:":
				state = f[1]
			case len(f) >= 2 && f[0] == "PPid:":
				ppid = f[1]
			case len(f) >= 2 && f[0] == "Uid:":
				uid = f[1]
			}
		}
		if state == "Z" && ppid == me {
			out = append(out, filepath.Base(filepath.Dir(m))+" (parent "+ppid+", uid "+uid+")")
		}
	}
	return out
}
