package bwrap

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// maxUID keeps leases below nobody (65534) and the 16-bit legacy range.
const maxUID = 65000

// leaseUIDs takes n sandbox uids from base upward. A uid is ours while we
// hold an exclusive flock on its lock file in dir; the kernel drops the lock
// when the last holder dies, and the janitor inherits the files, so a uid is
// only handed to another runtime once everything that ran as it is gone.
// Every process still running as a newly leased uid belongs to a dead
// runtime (nothing else may use these uids) and is killed.
func leaseUIDs(dir string, base, n int) ([]int, []*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("bwrap: uid leases: %w", err)
	}
	var uids []int
	var files []*os.File
	for uid := base; uid <= maxUID && len(uids) < n; uid++ {
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(uid)+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			releaseAll(files)
			return nil, nil, fmt.Errorf("bwrap: uid leases: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // another runtime holds it
			continue
		}
		if err := killUID(uid); err != nil {
			f.Close()
			releaseAll(files)
			return nil, nil, err
		}
		uids, files = append(uids, uid), append(files, f)
	}
	if len(uids) < n {
		releaseAll(files)
		return nil, nil, fmt.Errorf("bwrap: only %d free sandbox uids from %d up (need %d)", len(uids), base, n)
	}
	return uids, files, nil
}

func releaseAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// killUID kills every process whose real uid is uid and waits until none
// is left (a fork between scans is caught by the next one).
func killUID(uid int) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesOf(uid)
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bwrap: processes of uid %d survive SIGKILL: %v", uid, pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func processesOf(uid int) []int {
	entries, _ := os.ReadDir("/proc")
	want := []byte("\t" + strconv.Itoa(uid) + "\t")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		// "Uid:\treal\teffective\tsaved\tfs"; zombies are gone once reaped.
		if i := bytes.Index(b, []byte("\nUid:")); i >= 0 {
			line := b[i+5:]
			if j := bytes.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			if bytes.HasPrefix(append(line, '\t'), want) && !bytes.Contains(b, []byte("\nState:\tZ")) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
