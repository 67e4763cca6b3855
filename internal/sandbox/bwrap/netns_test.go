package bwrap_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/runblock/runblock/internal/config"
	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/bwrap"
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
	rt, err := bwrap.New(context.Background(), bwrap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	py := config.DefaultLanguages()["python"]
	outs := make([]string, 3)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			res, err := rt.Run(context.Background(), sandbox.Request{Language: py, Files: []sandbox.File{{Content: []byte(netView)}}, Stdout: &out, Stderr: &errb})
			if err != nil || res.Status != sandbox.StatusSuccess {
				t.Errorf("run: %v %+v %s", err, res, errb.String())
			}
			outs[i] = out.String()
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
