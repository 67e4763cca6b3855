package hostproc

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// An orphaned grandchild is adopted and reaped through its pidfd; a process
// that is not our child is left alone, and an exec.Cmd still gets its own
// exit status.
func TestReapPidfd(t *testing.T) {
	if err := AdoptOrphans(); err != nil {
		t.Fatal(err)
	}
	if !IsReaper() {
		t.Fatal("not a subreaper after AdoptOrphans")
	}
	// sh starts a sleeper, prints its pid, waits for our go-ahead and exits
	// with 7, orphaning the sleeper.
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & echo $!; read _; exit 7")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := stdout.Read(buf)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatalf("pid %q: %v", buf[:n], err)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	// Not our child yet: returns at once without touching it.
	if err := ReapPidfd(pidfd); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		t.Fatalf("sleeper gone before it was orphaned: %v", err)
	}
	stdin.Close()
	if err := cmd.Wait(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("exec.Cmd lost its exit status: %v", err)
	}
	// Now adopted: killed and reaped, it must be gone entirely (no zombie).
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := ReapPidfd(pidfd); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !os.IsNotExist(err) {
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		t.Fatalf("sleeper not reaped: %s", st)
	}
}
