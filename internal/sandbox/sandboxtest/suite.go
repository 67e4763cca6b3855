// Package sandboxtest is the conformance suite every sandbox.Runtime must
// pass: the isolation and limit guarantees runblock promises, checked by
// running hostile programs inside the real sandbox.
package sandboxtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runblock/runblock/internal/sandbox"
)

// Languages the suite needs from the runtime under test.
type Languages struct {
	Python sandbox.Language
	C      sandbox.Language
	// LocalSockets: the runtime gives each sandbox a network namespace of
	// its own and lets programs make unix and IP sockets in it (the
	// container runtime). Without it socket(2) is refused for every family
	// (bubblewrap's sandboxes share one empty namespace).
	LocalSockets bool
}

// Run runs the suite. The runtime must use the seed's default limits
// (128 MB memory, 64 pids, 10,000 output characters) unless a case overrides them.
func Run(t *testing.T, rt sandbox.Runtime, langs Languages) { RunOnly(t, rt, langs) }

// RunOnly runs the named cases, or all of them when none is named: a runtime
// that can't offer a guarantee at all (an image without a C compiler, no
// figure channel) runs the rest, and says which and why at the call.
func RunOnly(t *testing.T, rt sandbox.Runtime, langs Languages, names ...string) {
	s := &suite{rt: rt, langs: langs}
	cases := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"HelloAndExitCodes", s.helloAndExitCodes},
		{"Stdin", s.stdin},
		{"CompileStep", s.compileStep},
		{"InfiniteLoopTimesOut", s.infiniteLoop},
		{"MemoryBombIsOOMKilled", s.memoryBomb},
		{"ForkBombContained", s.forkBomb},
		{"NoNetwork", s.noNetwork},
		{"NoServerSecrets", s.noSecrets},
		{"ReadOnlyOutsideTmp", s.readOnly},
		{"TmpSizeCapped", s.tmpCapped},
		{"ResourceLimitsSet", s.resourceLimits},
		{"CPUCapped", s.cpuCapped},
		{"HugeOutputTruncated", s.hugeOutput},
		{"DaemonKilled", s.daemonKilled},
		{"CancelKillsTree", s.cancel},
		{"ConcurrentRunsIsolated", s.concurrentIsolated},
		{"Syscall32BitDenied", s.int80Denied},
		{"DangerousSyscallsDenied", s.dangerousSyscalls},
		{"NotRoot", s.notRoot},
		{"InheritedFDsNotPassed", s.inheritedFDs},
		{"SocketFamiliesLimited", s.socketFamilies},
		{"DevReadOnlyShmCapped", s.devReadOnly},
		{"HostDetailsHidden", s.hostDetailsHidden},
		{"CompileStageReportsItsLimits", s.compileLimits},
		{"HostLocksUnaffected", s.hostLocksUnaffected},
		{"FiguresInOrder", s.figuresInOrder},
		{"FiguresAtExit", s.figuresAtExit},
		{"FakeFiguresStayText", s.fakeFigures},
		{"FigureBudget", s.figureBudget},
		{"FigureChannelIsTheOnlyExtraFD", s.figureFDOnly},
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, c := range cases {
		if len(names) == 0 || want[c.name] {
			delete(want, c.name)
			t.Run(c.name, c.fn)
		}
	}
	for n := range want {
		t.Errorf("no conformance case named %q", n)
	}
}

type suite struct {
	rt    sandbox.Runtime
	langs Languages
}

type run struct {
	res            sandbox.Result
	stdout, stderr string
}

func (s *suite) run(t *testing.T, ctx context.Context, lang sandbox.Language, code, stdin string, lim sandbox.Limits) run {
	t.Helper()
	var out, errb SyncBuffer
	req := sandbox.Request{Language: lang, Files: []sandbox.File{{Content: []byte(code)}}, Stdout: &out, Stderr: &errb, Limits: lim}
	if stdin != "" {
		req.Stdin = strings.NewReader(stdin)
	}
	res, err := s.rt.Run(ctx, req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return run{res, out.String(), errb.String()}
}

func (s *suite) py(t *testing.T, code string, lim sandbox.Limits) run {
	t.Helper()
	return s.run(t, context.Background(), s.langs.Python, code, "", lim)
}

func expect(t *testing.T, r run, status sandbox.Status) {
	t.Helper()
	if r.res.Status != status {
		t.Fatalf("status = %s, want %s (exit %d %s)\nstdout: %.500s\nstderr: %.500s", r.res.Status, status, r.res.ExitCode, r.res.Signal, r.stdout, r.stderr)
	}
}

func (s *suite) helloAndExitCodes(t *testing.T) {
	r := s.py(t, "print('Hello, World!')", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if r.stdout != "Hello, World!\n" || r.res.ExitCode != 0 {
		t.Fatalf("stdout %q exit %d", r.stdout, r.res.ExitCode)
	}
	if r.res.WallTime <= 0 || r.res.CPUTime <= 0 {
		t.Errorf("missing measurements: %+v", r.res)
	}
	// A warm sandbox reports the program's own share of memory, which for
	// hello can be nothing beyond the interpreter already loaded; what the
	// program allocates must show either way.
	r = s.py(t, "x = b'x' * (16 << 20)\nprint(len(x))", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if r.res.MemoryPeak < 12<<20 || r.res.MemoryPeak > 128<<20 {
		t.Errorf("memory peak %d bytes for a program holding 16 MiB: %+v", r.res.MemoryPeak, r.res)
	}
	r = s.py(t, "import sys\nprint('bye', file=sys.stderr)\nraise SystemExit(3)", sandbox.Limits{})
	expect(t, r, sandbox.StatusError)
	if r.res.ExitCode != 3 || r.stderr != "bye\n" {
		t.Fatalf("exit %d stderr %q", r.res.ExitCode, r.stderr)
	}
	r = s.py(t, "1/0", sandbox.Limits{})
	expect(t, r, sandbox.StatusError)
	if r.res.ExitCode != 1 || !strings.Contains(r.stderr, "ZeroDivisionError") {
		t.Fatalf("exit %d stderr %q", r.res.ExitCode, r.stderr)
	}
}

func (s *suite) stdin(t *testing.T) {
	r := s.run(t, context.Background(), s.langs.Python, "name = input('name? ')\nprint('hi', name)\ntry:\n    input()\nexcept EOFError:\n    print('eof')", "Ada\n", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if r.stdout != "name? hi Ada\neof\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func (s *suite) compileStep(t *testing.T) {
	ok := s.run(t, context.Background(), s.langs.C, "#include <stdio.h>\nint main(void){ printf(\"%d\\n\", 6*7); return 0; }\n", "", sandbox.Limits{})
	expect(t, ok, sandbox.StatusSuccess)
	if ok.stdout != "42\n" || ok.res.Stage != sandbox.StageRun {
		t.Fatalf("stdout %q stage %s", ok.stdout, ok.res.Stage)
	}
	bad := s.run(t, context.Background(), s.langs.C, "int main(void){ return 0 }\n", "", sandbox.Limits{})
	expect(t, bad, sandbox.StatusError)
	if bad.res.Stage != sandbox.StageCompile || !strings.Contains(bad.stderr, "error") {
		t.Fatalf("stage %s stderr %q", bad.res.Stage, bad.stderr)
	}
}

func (s *suite) infiniteLoop(t *testing.T) {
	const limit = 2 * time.Second
	token := UniqueToken()
	// The shell child carries the token in its argv so a leftover can be found.
	var seen []string
	code := fmt.Sprintf("import subprocess\nsubprocess.Popen(['/bin/sh','-c','sleep 600; : %s'])\n%swhile True:\n    pass", token, pauseAtMarker)
	r := s.observed(t, context.Background(), s.langs.Python, code, sandbox.Limits{WallTime: limit}, func() { seen = waitProcess(token) })
	expect(t, r, sandbox.StatusTimeout)
	assertSeen(t, token, seen)
	if r.res.WallTime < limit || r.res.WallTime > limit+5*time.Second {
		t.Errorf("wall time %s for a %s limit", r.res.WallTime, limit)
	}
	AssertNoProcess(t, token)
}

func (s *suite) memoryBomb(t *testing.T) {
	r := s.py(t, "x = b'x' * (512 << 20)\nprint(len(x))", sandbox.Limits{})
	expect(t, r, sandbox.StatusMemoryLimit)
	if !r.res.OOMKilled {
		t.Errorf("OOMKilled not set: %+v", r.res)
	}
}

func (s *suite) forkBomb(t *testing.T) {
	token := UniqueToken()
	code := fmt.Sprintf("import os, time\nn = 0\nfor _ in range(1000):\n    try:\n        if os.fork() == 0:\n            os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 600; : %s'])\n        n += 1\n    except OSError:\n        pass\nprint('forked', n)\n%s", token, pauseAtMarker)
	var seen []string
	r := s.observed(t, context.Background(), s.langs.Python, code, sandbox.Limits{WallTime: 10 * time.Second}, func() { seen = waitProcess(token) })
	expect(t, r, sandbox.StatusSuccess)
	assertSeen(t, token, seen)
	var n int
	fmt.Sscanf(r.stdout, "forked %d", &n)
	if n == 0 || n >= 64 {
		t.Fatalf("forked %d children, want 0 < n < 64 (pids limit); stdout %q", n, r.stdout)
	}
	AssertNoProcess(t, token)
}

func (s *suite) noNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("reached the host\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	code := fmt.Sprintf(`import socket
for host, port in [('127.0.0.1', %d), ('1.1.1.1', 53), ('10.0.0.1', 80)]:
    try:
        s = socket.socket()
        s.settimeout(2)
        s.connect((host, port))
        print('CONNECTED', host, s.recv(100))
    except OSError as e:
        print('failed', host, e.errno)
`, port)
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.Contains(r.stdout, "CONNECTED") || strings.Count(r.stdout, "failed") != 3 {
		t.Fatalf("network reachable from the sandbox:\n%s", r.stdout)
	}
}

func (s *suite) noSecrets(t *testing.T) {
	secret := "runblock-secret-" + UniqueToken()
	t.Setenv("RUNBLOCK_TEST_SECRET", secret)
	code := `import os
print(dict(os.environ))
for p in ['/proc/1/environ', '/proc/1/cmdline', '/proc/self/environ']:
    try:
        print(p, open(p, 'rb').read())
    except OSError as e:
        print(p, 'error', e.errno)
print(os.listdir('/proc'))
`
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stdout, "RUNBLOCK_TEST_SECRET") {
		t.Fatalf("server environment visible in the sandbox:\n%s", r.stdout)
	}
}

func (s *suite) readOnly(t *testing.T) {
	code := `import os
for p in ['/x', '/usr/x', '/usr/local/x', '/etc/x', '/box/x', '/proc/x', '/dev/x', '/home/x', '/root/x']:
    try:
        open(p, 'w').write('x')
        print('WROTE', p)
    except OSError as e:
        print('denied', p)
open('/tmp/ok', 'w').write('fine')
print('tmp', open('/tmp/ok').read())
`
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.Contains(r.stdout, "WROTE") || !strings.Contains(r.stdout, "tmp fine") {
		t.Fatalf("write outside /tmp:\n%s", r.stdout)
	}
}

// The program's rlimits: no core dumps (a host core_pattern may run a host
// program with them), bounded descriptors, and no file larger than
// FileBytes, which a write past it meets as EFBIG. None can be raised.
func (s *suite) resourceLimits(t *testing.T) {
	code := `import resource as r, errno
for name in ('CORE', 'NOFILE', 'FSIZE'):
    print(name, *r.getrlimit(getattr(r, 'RLIMIT_' + name)))
try:
    r.setrlimit(r.RLIMIT_CORE, (1 << 20, 1 << 20))
    print('raised')
except (ValueError, OSError):
    print('not raised')
try:
    with open('/tmp/big', 'wb') as f:
        for _ in range(4):
            f.write(b'x' * (1 << 20))
            f.flush()
    print('wrote 4 MiB')
except OSError as e:
    print('stopped', errno.errorcode[e.errno])
`
	r := s.py(t, code, sandbox.Limits{FileBytes: 2 << 20, TmpBytes: 16 << 20})
	expect(t, r, sandbox.StatusSuccess)
	var core, coreMax, nofile, nofileMax, fsize, fsizeMax int64
	var raised, wrote string
	n, _ := fmt.Sscanf(r.stdout, "CORE %d %d\nNOFILE %d %d\nFSIZE %d %d\nnot %s\nstopped %s",
		&core, &coreMax, &nofile, &nofileMax, &fsize, &fsizeMax, &raised, &wrote)
	if n != 8 || core != 0 || coreMax != 0 || nofileMax <= 0 || nofileMax > 1024 ||
		fsize != 2<<20 || fsizeMax != 2<<20 || wrote != "EFBIG" {
		t.Fatalf("limits not in place: %q (stderr %q)", r.stdout, r.stderr)
	}
}

// cpuCapped: a program spinning for a second of wall time gets about
// half a second of CPU (the seed's 0.5 CPU), not the whole core it could
// have. Only the upper bound is checked: a busy machine gives less.
func (s *suite) cpuCapped(t *testing.T) {
	code := "import time\nt, c = time.monotonic(), time.process_time()\nwhile time.monotonic() - t < 1.5:\n    pass\nprint(round(time.process_time() - c, 3))\n"
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	var cpu float64
	if _, err := fmt.Sscanf(r.stdout, "%g", &cpu); err != nil || cpu <= 0 || cpu > 1.0 {
		t.Fatalf("%q s of CPU in 1.5 s of wall time, want about 0.75 (stderr %q)", r.stdout, r.stderr)
	}
}

func (s *suite) tmpCapped(t *testing.T) {
	code := `import errno
written = 0
try:
    with open('/tmp/big', 'wb') as f:
        for _ in range(64):
            f.write(b'x' * (1 << 20))
            f.flush()
            written += 1
except OSError as e:
    print('stopped', written, errno.errorcode[e.errno])
`
	r := s.py(t, code, sandbox.Limits{TmpBytes: 8 << 20})
	expect(t, r, sandbox.StatusSuccess)
	var mb int
	var code2 string
	fmt.Sscanf(r.stdout, "stopped %d %s", &mb, &code2)
	if mb == 0 || mb > 8 || (code2 != "ENOSPC" && code2 != "EFBIG") {
		t.Fatalf("tmp not capped at 8 MiB: %q", r.stdout)
	}
}

func (s *suite) hugeOutput(t *testing.T) {
	// Finite but over the cap: the program completes, the output is cut.
	r := s.py(t, "print('é' * 50000)\nprint('done')", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if !r.res.Truncated || len([]rune(r.stdout)) != 10000 {
		t.Fatalf("truncated=%v chars=%d", r.res.Truncated, len([]rune(r.stdout)))
	}
	// Endless: must end well before the wall limit, not hang on a full pipe.
	start := time.Now()
	r = s.py(t, "import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n    sys.stderr.write('y' * 4096)", sandbox.Limits{WallTime: 20 * time.Second})
	if !r.res.Truncated || len([]rune(r.stdout+r.stderr)) != 10000 {
		t.Fatalf("truncated=%v chars=%d", r.res.Truncated, len([]rune(r.stdout+r.stderr)))
	}
	if r.res.Status == sandbox.StatusTimeout || time.Since(start) > 15*time.Second {
		t.Fatalf("flooding program ran to the wall limit: %s after %s", r.res.Status, time.Since(start))
	}
}

func (s *suite) daemonKilled(t *testing.T) {
	token := UniqueToken()
	code := fmt.Sprintf(`import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 600; : %s'])
    os._exit(0)
os.wait()
print('parent done')
%s`, token, pauseAtMarker)
	var seen []string
	r := s.observed(t, context.Background(), s.langs.Python, code, sandbox.Limits{}, func() { seen = waitProcess(token) })
	expect(t, r, sandbox.StatusSuccess)
	assertSeen(t, token, seen)
	AssertNoProcess(t, token)
}

func (s *suite) cancel(t *testing.T) {
	token := UniqueToken()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	var cancelled time.Time
	code := fmt.Sprintf("import subprocess\nsubprocess.Popen(['/bin/sh','-c','sleep 600; : %s'])\n%ssubprocess.run(['/bin/sh','-c','sleep 600; : %s'])", token, pauseAtMarker, token)
	r := s.observed(t, ctx, s.langs.Python, code, sandbox.Limits{}, func() {
		seen = waitProcess(token)
		cancelled = time.Now()
		cancel()
	})
	expect(t, r, sandbox.StatusCancelled)
	assertSeen(t, token, seen)
	if d := time.Since(cancelled); d > 5*time.Second {
		t.Fatalf("cancel took %s", d)
	}
	AssertNoProcess(t, token)
}

func (s *suite) concurrentIsolated(t *testing.T) {
	token := UniqueToken()
	var wg sync.WaitGroup
	var a, b run
	wg.Add(2)
	go func() {
		defer wg.Done()
		a = s.py(t, fmt.Sprintf("import time\nopen('/tmp/%s','w').write('mine')\nprint(open('/box/main.py').read().count('%s'))\ntime.sleep(2)", token, token), sandbox.Limits{})
	}()
	go func() {
		defer wg.Done()
		time.Sleep(700 * time.Millisecond)
		b = s.py(t, fmt.Sprintf(`import os, glob
found = []
for root in ['/tmp', '/box', '/proc']:
    for dirpath, dirs, files in os.walk(root):
        if dirpath.startswith('/proc/') and dirpath.count('/') > 3:
            continue
        found += [f for f in files + dirs if '%s' in f]
print('found', found, os.listdir('/box'))
`, token[:8]+"_never"), sandbox.Limits{})
	}()
	wg.Wait()
	expect(t, a, sandbox.StatusSuccess)
	expect(t, b, sandbox.StatusSuccess)
	if strings.Contains(b.stdout, token) || !strings.Contains(b.stdout, "found [] ['main.py']") {
		t.Fatalf("run B saw run A's files: %s", b.stdout)
	}
	// B looked for a name A never created; now check A's file really is invisible to B by name.
	c := s.py(t, fmt.Sprintf("import os\nprint(os.path.exists('/tmp/%s'))", token), sandbox.Limits{})
	if strings.TrimSpace(c.stdout) != "False" {
		t.Fatalf("a later run sees an earlier run's /tmp: %q", c.stdout)
	}
}

func (s *suite) int80Denied(t *testing.T) {
	code := `#include <stdio.h>
int main(void) {
	long ret;
	/* getpid through the 32-bit table (i386 number 20) */
	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20) : "memory");
	printf("%ld\n", ret);
	return 0;
}
`
	r := s.run(t, context.Background(), s.langs.C, code, "", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	if strings.TrimSpace(r.stdout) != "-1" { // -EPERM
		t.Fatalf("32-bit syscall answered %q, want -1 (EPERM)", r.stdout)
	}
}

func (s *suite) dangerousSyscalls(t *testing.T) {
	code := `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for name, nr, args in [('unshare', 272, (0x10000000,)), ('keyctl', 250, (0, 0)), ('ptrace', 101, (0, 0, 0, 0)), ('mount', 165, (0, 0, 0, 0, 0)), ('bpf', 321, (0, 0, 0))]:
    r = libc.syscall(nr, *args)
    print(name, r, ctypes.get_errno())
`
	r := s.py(t, code, sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != "-1" || f[2] != "1" {
			t.Errorf("syscall not denied with EPERM: %q", line)
		}
	}
}

func (s *suite) notRoot(t *testing.T) {
	r := s.py(t, "import os\nprint(os.getuid(), os.geteuid(), os.getgid())\nprint(open('/proc/self/status').read())", sandbox.Limits{})
	expect(t, r, sandbox.StatusSuccess)
	first := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
	if len(first) != 3 || first[0] == "0" || first[1] == "0" || first[2] == "0" {
		t.Fatalf("sandbox runs as root: %q", first)
	}
	if !strings.Contains(r.stdout, "CapEff:\t0000000000000000") {
		t.Fatalf("sandbox has capabilities:\n%s", r.stdout)
	}
}

// AssertNoProcess fails when any process on the host has token in its argv.
func AssertNoProcess(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids := FindProcesses(token)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left running after the run: %v", pids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FindProcesses lists host pids whose argv contains token.
func FindProcesses(token string) []string {
	matches, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err == nil && bytes.Contains(b, []byte(token)) {
			pids = append(pids, filepath.Base(filepath.Dir(m)))
		}
	}
	return pids
}

// UniqueToken returns a string to put in a sandboxed process's argv so a test can look for leftovers.
func UniqueToken() string { return fmt.Sprintf("rbtok%d", time.Now().UnixNano()) }

// SyncBuffer is a bytes.Buffer safe for the runtime's reader goroutines (also
// for other packages' sandbox tests).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
