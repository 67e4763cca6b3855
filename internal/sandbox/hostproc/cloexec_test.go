package hostproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func inheritable(t *testing.T) int {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(p, syscall.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

func cloexec(t *testing.T, fd int) bool {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.FD_CLOEXEC != 0
}

func TestCloseOnExecFrom(t *testing.T) {
	fd := inheritable(t)
	if cloexec(t, fd) {
		t.Fatal("test setup: descriptor already close-on-exec")
	}
	if err := CloseOnExecFrom(3); err != nil {
		t.Fatal(err)
	}
	if !cloexec(t, fd) {
		t.Fatalf("fd %d still passed to children", fd)
	}
}

// The fallback for kernels without close_range's flag does the same.
func TestCloseOnExecSlow(t *testing.T) {
	fd := inheritable(t)
	if err := closeOnExecSlow(3); err != nil {
		t.Fatal(err)
	}
	if !cloexec(t, fd) {
		t.Fatalf("fd %d still passed to children", fd)
	}
	if cloexec(t, 2) {
		t.Fatal("stderr marked close-on-exec")
	}
}
