package bwrap_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
	"github.com/runblock/runblock/internal/sandbox/hostproc"
)

// netView is what a sandbox sees of its network namespace: its id, the
// interfaces of /proc/net/dev with their packet counts, its IPv6
// addresses and its IPv4 routes.
const netView = `import os
print(os.readlink('/proc/self/ns/net'))
print([l.split()[0] for l in open('/proc/net/dev').read().splitlines()[2:]])
print(repr(open('/proc/net/if_inet6').read()), len(open('/proc/net/route').read().splitlines()))
`

// Sandboxes run at the same time share one network namespace, not the
// host's, in which no interface is up and no address or route exists: the
// namespace a sandbox can't change is empty for good (see netns.go).
func TestSandboxesShareAnEmptyNetworkNamespace(t *testing.T) {
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	rt := defaultRuntime(t)
	outs := make([]string, 3)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runPython(rt, netView)
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	// The process (its main thread, which /proc/self shows) stays in the
	// host's namespace: only the launcher's own thread left it.
	if now, err := os.Readlink("/proc/self/ns/net"); err != nil || now != host {
		t.Fatalf("the process moved from %s to %s (%v)", host, now, err)
	}
	for _, out := range outs {
		if out != outs[0] {
			t.Fatalf("sandboxes in different network namespaces or views:\n%s\n%s", outs[0], out)
		}
	}
	lines := strings.Split(outs[0], "\n")
	if len(lines) < 3 || lines[0] == host || !strings.HasPrefix(lines[0], "net:[") {
		t.Fatalf("namespace %q, host's %q", outs[0], host)
	}
	if lines[1] != "['lo:']" || lines[2] != "'' 0" {
		t.Fatalf("the shared namespace is not empty (want only lo, no IPv6 address, no IPv4 route):\n%s", outs[0])
	}
}

// defaultRuntime is a runtime with the default configuration, closed
// after the test.
func defaultRuntime(t *testing.T) *bwrap.Runtime {
	t.Helper()
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// runPython runs code as a Python program in rt: its stdout, or an error
// with its stderr when it did not succeed.
func runPython(rt *bwrap.Runtime, code string) (string, error) {
	var out, errb bytes.Buffer
	req := sandbox.Request{Language: config.DefaultLanguages()["python"], Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb}
	res, err := rt.Run(context.Background(), req)
	if err != nil || res.Status != sandbox.StatusSuccess {
		return "", fmt.Errorf("run: %v %+v %s", err, res, errb.String())
	}
	return out.String(), nil
}

// mountPointsOf lists the mount points (field 5) of a mountinfo table.
func mountPointsOf(table string) []string {
	var out []string
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) >= 5 {
			out = append(out, f[4])
		}
	}
	return out
}

// runtimeAndLauncherTable starts a runtime (closed with the test) and
// reads its launcher's mount table.
func runtimeAndLauncherTable(t *testing.T) (*bwrap.Runtime, string) {
	t.Helper()
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	table, err := bwrap.LauncherMountinfo(rt)
	if err != nil {
		t.Fatal(err)
	}
	return rt, table
}

// Sandboxes are started from a mount namespace of the launcher's own,
// which holds the /usr and /etc views and none of the host's mounts that
// sandboxes aren't made from (bwrap reads the table at every bind): the
// views are not in the host's table, and /sys is not in the launcher's.
func TestViewsLiveInTheLaunchersMountNamespace(t *testing.T) {
	_, launcher := runtimeAndLauncherTable(t)
	raw, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	host, mine := mountPointsOf(string(raw)), mountPointsOf(launcher)
	views := 0
	for _, p := range mine {
		if strings.HasPrefix(p, "/sys") || strings.HasPrefix(p, "/dev/") {
			t.Errorf("the launcher keeps the host's %s", p)
		}
		if strings.HasPrefix(p, "/run/runblock-usr/") {
			views++
		}
	}
	for _, p := range host {
		if strings.HasPrefix(p, "/run/runblock-usr/") {
			t.Errorf("a view is mounted in the host's namespace: %s", p)
		}
	}
	// /usr and /etc for each of the default 16 uids.
	if views != 32 {
		t.Errorf("%d views in the launcher's namespace, want 32:\n%s", views, launcher)
	}
	t.Logf("host: %d mounts, launcher: %d", len(host), len(mine))
}

// A uid's sandboxes start from a copy of the launcher's namespace that
// holds that uid's views and no other uid's (each mount there costs every
// bind bwrap makes), and they run.
func TestEachUIDStartsFromItsOwnViews(t *testing.T) {
	rt, base := runtimeAndLauncherTable(t)
	uids := bwrap.UIDs(rt)
	for _, uid := range uids {
		raw, err := bwrap.UIDMountinfo(rt, uid)
		if err != nil {
			t.Fatal(err)
		}
		var views []string
		for _, p := range mountPointsOf(raw) {
			if strings.HasPrefix(p, "/run/runblock-usr/") {
				views = append(views, p)
			}
		}
		own := fmt.Sprintf("/run/runblock-usr/%d/", uid)
		if len(views) != 2 || !strings.HasPrefix(views[0], own) || !strings.HasPrefix(views[1], own) {
			t.Fatalf("uid %d starts from views %q", uid, views)
		}
		if n, all := len(mountPointsOf(raw)), len(mountPointsOf(base)); n != all-2*(len(uids)-1) {
			t.Fatalf("uid %d: %d mounts, launcher %d", uid, n, all)
		}
	}
	// The launcher itself is back in its own namespace, with every view.
	if again, _ := bwrap.LauncherMountinfo(rt); len(mountPointsOf(again)) != len(mountPointsOf(base)) {
		t.Fatalf("launcher's table changed:\n%s", again)
	}
	// Runs on several uids at once work from their own tables.
	py := config.DefaultLanguages()["python"]
	var wg sync.WaitGroup
	errs := make(chan string, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			res, err := rt.Run(context.Background(), sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte("import os; print(len(os.listdir('/usr/bin')) > 0)")}}, Stdout: &out})
			if err != nil || res.Status != sandbox.StatusSuccess || out.String() != "True\n" {
				errs <- fmt.Sprintf("%v %+v %q", err, res, out.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A server coarsens its threads' timer slack (hostproc.CoarsenTimerSlack);
// the programs it starts keep the host's, so a learner's short sleeps
// stay as precise as outside.
func TestSandboxKeepsTheHostsTimerSlack(t *testing.T) {
	host, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt := defaultRuntime(t)
	if err := hostproc.CoarsenTimerSlack(hostproc.ServerTimerSlack); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hostproc.CoarsenTimerSlack(host) })
	out, err := runPython(rt, "print(open('/proc/self/timerslack_ns').read().strip())")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != strconv.Itoa(host) {
		t.Fatalf("the program's timer slack is %s ns, want the host's %d (the server's is %d)", got, host, hostproc.ServerTimerSlack)
	}
}
