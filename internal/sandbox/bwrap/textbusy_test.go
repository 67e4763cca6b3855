package bwrap_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/runblock/runblock/internal/sandbox/bwrap"
)

// A binary the server writes and a process execs at once (a cached build
// released to its held sandbox) must not meet "Text file busy" while other
// goroutines fork: a fork in between holds the write descriptor until its
// own exec. Unlocked, this loop saw 11 of 300 execs fail. The binary is a
// copy of /bin/true, run outside any sandbox: no program of a learner's.
func TestWrittenBinaryIsNeverTextBusy(t *testing.T) {
	src, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_ = exec.Command("/bin/true").Run()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	busy := 0
	for i := 0; i < 300; i++ {
		p := filepath.Join(dir, fmt.Sprint("bin", i))
		if err := bwrap.WriteNoFork(p, src, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command(p).Run(); errors.Is(err, syscall.ETXTBSY) {
			busy++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if busy != 0 {
		t.Fatalf("%d of 300 execs failed with ETXTBSY", busy)
	}
}
