package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInheritedDescriptorsStayOutside starts `runblock run` the way the
// attack did (`exec 7</secret; exec runblock run ...`): the program in the
// sandbox must hold only 0-2 and, as a Python run, the write end of its
// figure pipe at 7 (see internal/sandbox/figure), and must not read the
// secret.
func TestInheritedDescriptorsStayOutside(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("inherited-secret-text"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(secret)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prog := filepath.Join(dir, "probe.py")
	if err := os.WriteFile(prog, []byte(`import os
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
fds = sorted(fd for fd in map(int, os.listdir('/proc/self/fd')) if is_open(fd))
print('fds', fds)
for fd in fds[3:]:
    print('link', fd, os.readlink('/proc/self/fd/%d' % fd))
    try:
        print('read', fd, os.pread(fd, 100, 0))
    except OSError as e:
        print('unreadable', fd, e.errno)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashServerProcess$", "--", "run", prog)
	cmd.Env = append(os.Environ(), crashServerEnv+"=1")
	// fds 3-6 closed, 7 the secret: what `exec 7<secret` leaves behind.
	cmd.ExtraFiles = []*os.File{nil, nil, nil, nil, f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runblock run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if strings.Contains(out, "inherited-secret-text") || !strings.HasPrefix(out, "fds [0, 1, 2, 7]\nlink 7 pipe:[") ||
		!strings.Contains(out, "unreadable 7 ") {
		t.Fatalf("a descriptor runblock inherited reached the sandbox:\n%s", stdout.String())
	}
}
