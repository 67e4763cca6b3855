package hostproc

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func threadSlacks(t *testing.T) map[string]int {
	t.Helper()
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tid := range tids {
		b, err := os.ReadFile("/proc/" + tid.Name() + "/timerslack_ns")
		if err != nil {
			continue // ended meanwhile
		}
		out[tid.Name()], _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return out
}

// onNewThreads runs f on n goroutines, each locked to a thread while the
// others are too: n threads at once, at least some new.
func onNewThreads(n int, f func()) {
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	release := make(chan struct{})
	for range n {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer done.Done()
			ready.Done()
			<-release
			f()
		}()
	}
	ready.Wait()
	close(release)
	done.Wait()
}

// Every thread of the server gets the coarse slack, threads made later
// too; children forked through WithHostSlack get the slack the process
// had, the rest inherit the coarse one (which is why the wrapper exists).
func TestCoarsenTimerSlack(t *testing.T) {
	host, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const coarse = 700_000
	if host == coarse {
		t.Fatalf("test set-up: the host's slack is already %d", coarse)
	}
	onNewThreads(6, func() {}) // some threads to change
	if err := CoarsenTimerSlack(coarse); err != nil {
		if os.Geteuid() != 0 {
			t.Skipf("needs CAP_SYS_NICE: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		all := map[string]bool{}
		for tid := range threadSlacks(t) {
			all[tid] = true
		}
		setSlack(all, host)
		hostSlack.Store(0)
	})
	for tid, ns := range threadSlacks(t) {
		if ns != coarse {
			t.Errorf("thread %s has slack %d, want %d", tid, ns, coarse)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	onNewThreads(12, func() {
		tid := strconv.Itoa(unix.Gettid())
		b, _ := os.ReadFile("/proc/" + tid + "/timerslack_ns")
		own, _ := exec.Command("cat", "/proc/self/timerslack_ns").Output()
		var child []byte
		err := WithHostSlack(func() error {
			var err error
			child, err = exec.Command("cat", "/proc/self/timerslack_ns").Output()
			return err
		})
		after, _ := os.ReadFile("/proc/" + tid + "/timerslack_ns")
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Error(err)
		}
		seen[tid] = strings.Join([]string{string(b), string(own), string(child), string(after)}, " ")
	})
	want := strings.Join([]string{"700000\n", "700000\n", strconv.Itoa(host) + "\n", "700000\n"}, " ")
	for tid, got := range seen {
		if got != want {
			t.Errorf("thread %s: thread, plain child, WithHostSlack child, thread after = %q, want %q", tid, got, want)
		}
	}
}

// Before any coarsening the wrapper changes nothing.
func TestWithHostSlackUncoarsened(t *testing.T) {
	host, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	if err := WithHostSlack(func() error {
		out, err = exec.Command("cat", "/proc/self/timerslack_ns").Output()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != strconv.Itoa(host) {
		t.Fatalf("child's slack %q, want %d", out, host)
	}
}

// A thread kept at the host's slack forks children with it, whether it
// was kept before the coarsening (which leaves it alone) or after (it
// gets the host's slack back).
func TestKeepHostSlack(t *testing.T) {
	host, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = CoarsenTimerSlack(host)
		hostSlack.Store(0)
	})
	childSlack := func(ready chan<- struct{}, proceed <-chan struct{}) string {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		release, err := KeepHostSlack()
		if err != nil {
			t.Error(err)
			return ""
		}
		defer release()
		close(ready)
		<-proceed
		out, err := exec.Command("cat", "/proc/self/timerslack_ns").Output()
		if err != nil {
			t.Error(err)
		}
		return strings.TrimSpace(string(out))
	}
	before, proceed := make(chan struct{}), make(chan struct{})
	got := make(chan string, 2)
	go func() { got <- childSlack(before, proceed) }()
	<-before
	if err := CoarsenTimerSlack(700_000); err != nil {
		close(proceed)
		<-got
		if os.Geteuid() != 0 {
			t.Skipf("needs CAP_SYS_NICE: %v", err)
		}
		t.Fatal(err)
	}
	after := make(chan struct{})
	go func() { got <- childSlack(after, proceed) }()
	<-after
	close(proceed)
	for range 2 {
		if s := <-got; s != strconv.Itoa(host) {
			t.Errorf("a kept thread's child has slack %s, want the host's %d", s, host)
		}
	}
}
