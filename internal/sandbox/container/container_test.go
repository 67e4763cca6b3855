package container_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
	"github.com/runblock/runblock/internal/sandbox/container"
	"github.com/runblock/runblock/internal/sandbox/container/podmantest"
	"github.com/runblock/runblock/internal/sandbox/sandboxtest"
)

var python = sandbox.Language{Name: "python", FileName: "main.py", Run: []string{"python3", "-u", "main.py"}}

func newRuntime(t *testing.T, e *podmantest.Engine, cfg container.Config) *container.Runtime {
	t.Helper()
	cfg.Host, cfg.Image = e.Host, e.Image
	if cfg.Owner == "" {
		cfg.Owner = "test-" + sandboxtest.UniqueToken()
	}
	rt, err := container.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// The cases the container runtime can offer. Left out, and why:
// CompileStep, Syscall32BitDenied, CompileStageReportsItsLimits need a C
// compiler, which the test image (the host's Python only) does not have;
// the figure cases need the figure channel, which containers don't have;
// ReadOnlyOutsideTmp: /box is the container's writable, size-capped work
// dir (readOnlyExceptWork below checks the rest); HostDetailsHidden and
// HostLocksUnaffected check bubblewrap's own /proc and lock handling;
// DevReadOnlyShmCapped wants EROFS where the engine's /dev (a root-owned
// tmpfs) answers EACCES: devNotWritable below checks the same guarantee.
var cases = []string{
	"HelloAndExitCodes", "Stdin", "InfiniteLoopTimesOut", "MemoryBombIsOOMKilled",
	"ForkBombContained", "NoNetwork", "NoServerSecrets", "TmpSizeCapped", "ResourceLimitsSet",
	"HugeOutputTruncated", "DaemonKilled", "CancelKillsTree", "ConcurrentRunsIsolated",
	"DangerousSyscallsDenied", "NotRoot", "InheritedFDsNotPassed", "SocketFamiliesLimited",
}

func TestConformanceCold(t *testing.T) {
	e := podmantest.Start(t)
	rt := newRuntime(t, e, container.Config{})
	sandboxtest.RunOnly(t, rt, sandboxtest.Languages{Python: python, LocalSockets: true}, cases...)
	t.Run("ReadOnlyOutsideWorkDirs", func(t *testing.T) { readOnlyExceptWork(t, rt) })
	t.Run("DevNotWritableShmCapped", func(t *testing.T) { devNotWritable(t, rt) })
}

func run(t *testing.T, rt sandbox.Runtime, code string, lim sandbox.Limits) (sandbox.Result, string, string) {
	t.Helper()
	var out, errb sandboxtest.SyncBuffer
	res, err := rt.Run(context.Background(), sandbox.Request{Language: python, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return res, out.String(), errb.String()
}

func devNotWritable(t *testing.T, rt sandbox.Runtime) {
	code := `import errno, os
def fill(path):
    written = 0
    try:
        with open(path, 'wb') as f:
            for _ in range(64):
                f.write(b'x' * (1 << 20))
                f.flush()
                written += 1
        return 'full %d' % written
    except OSError as e:
        return 'stopped %d %s' % (written, errno.errorcode[e.errno])
print('dev', fill('/dev/big'))
print('shm', fill('/dev/shm/big'))
`
	res, out, errOut := run(t, rt, code, sandbox.Limits{TmpBytes: 8 << 20})
	if res.Status != sandbox.StatusSuccess {
		t.Fatalf("%+v %s", res, errOut)
	}
	if !strings.Contains(out, "dev stopped 0 EACCES") && !strings.Contains(out, "dev stopped 0 EROFS") {
		t.Errorf("/dev is writable:\n%s", out)
	}
	if !strings.Contains(out, "shm stopped 8 ENOSPC") {
		t.Errorf("/dev/shm not capped at 8 MiB:\n%s", out)
	}
}

func readOnlyExceptWork(t *testing.T, rt sandbox.Runtime) {
	code := `import os
for p in ['/x', '/usr/x', '/usr/local/x', '/etc/x', '/proc/x', '/dev/x', '/home/x', '/root/x', '/bin/x']:
    try:
        open(p, 'w').write('x')
        print('WROTE', p)
    except OSError as e:
        print('denied', p)
open('/tmp/ok', 'w').write('fine')
print('tmp', open('/tmp/ok').read())
`
	var out, errb sandboxtest.SyncBuffer
	res, err := rt.Run(context.Background(), sandbox.Request{Language: python, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb})
	if err != nil || res.Status != sandbox.StatusSuccess {
		t.Fatalf("%v %+v %s", err, res, errb.String())
	}
	if strings.Contains(out.String(), "WROTE") || !strings.Contains(out.String(), "tmp fine") {
		t.Fatalf("write outside /tmp and /box:\n%s", out.String())
	}
}

// TestGVisor runs programs on gVisor (Debian's runsc, installed by
// scripts/setup.sh) as a Podman service's default runtime, with the
// conformance cases that can be observed from the host. Left out: the
// cases that look for the program's processes on the host (loop, fork
// bomb, daemons, cancel: gVisor's tasks live in its own kernel, invisible
// to the host's /proc, which is the point), the host syscall filter,
// descriptor and /dev cases (gVisor replaces that kernel surface), and the
// measurements (no cgroup files inside gVisor).
func TestGVisor(t *testing.T) {
	e := podmantest.StartGVisor(t)
	rt := newRuntime(t, e, container.Config{})
	res, out, errOut := run(t, rt, "import os, sys\nprint(os.uname().release)\nprint('bye', file=sys.stderr)\nraise SystemExit(3)", sandbox.Limits{})
	if res.Status != sandbox.StatusError || res.ExitCode != 3 || strings.TrimSpace(out) != "4.4.0" || errOut != "bye\n" {
		t.Fatalf("not gVisor's kernel (4.4.0), or not its exit code: %+v %q %q", res, out, errOut)
	}
	res, _, _ = run(t, rt, "while True:\n    pass", sandbox.Limits{WallTime: 2 * time.Second})
	if res.Status != sandbox.StatusTimeout {
		t.Fatalf("loop: %+v", res)
	}
	res, out, _ = run(t, rt, "x = b'x' * (512 << 20)\nprint(len(x))", sandbox.Limits{})
	if res.Status == sandbox.StatusSuccess || strings.Contains(out, "536870912") {
		t.Fatalf("512 MiB held under a 128 MiB limit: %+v %q", res, out)
	}
	sandboxtest.RunOnly(t, rt, sandboxtest.Languages{Python: python, LocalSockets: true},
		"Stdin", "NoNetwork", "NoServerSecrets", "TmpSizeCapped", "HugeOutputTruncated", "ConcurrentRunsIsolated", "NotRoot")
}

// TestIgnoredOCIRuntimeFailsClosed: Podman 4.3's API drops HostConfig.Runtime;
// a run must then fail, not run on runc while the operator asked for gVisor.
func TestIgnoredOCIRuntimeFailsClosed(t *testing.T) {
	e := podmantest.Start(t)
	rt := newRuntime(t, e, container.Config{OCIRuntime: "runsc"})
	_, err := rt.Run(context.Background(), sandbox.Request{Language: python, Files: []sandbox.File{{Content: []byte("print(1)")}}})
	if err == nil || !strings.Contains(err.Error(), `not the configured "runsc"`) {
		t.Fatalf("run on an engine that ignored the OCI runtime: %v", err)
	}
}
