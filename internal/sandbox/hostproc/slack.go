package hostproc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ServerTimerSlack is the timer slack CoarsenTimerSlack gives the server's
// threads: timers that fire up to 1 ms late, which Go's own netpoller
// (millisecond timeouts) already rounds to.
const ServerTimerSlack = 1_000_000 // ns

// hostSlack is the slack the process had before CoarsenTimerSlack (0:
// never coarsened); what children are forked with.
var hostSlack atomic.Int64

// CoarsenTimerSlack sets the timer slack of every thread of the process
// to ns; threads made later inherit it from theirs.
//
// Why: while any goroutine is in a system call (a fork, a cgroup mkdir, a
// wait for a sandbox), Go's sysmon thread polls every 20 µs to take its P
// back, and with runs in flight that never stops. Each wake-up is a timer
// interrupt and two context switches, which on a small virtual machine
// cost a sandbox run several per cent of its CPU (measured: 2,900 wake-ups
// a second at 60 runs/s on 2 cores). With the slack the kernel wakes it
// together with other timers instead.
//
// Children must not inherit it: a learner's time.sleep keeps its
// precision. WithHostSlack forks with the slack the process had. Changing
// another thread's slack needs CAP_SYS_NICE; without it nothing is
// changed and the error says so.
func CoarsenTimerSlack(ns int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("timer slack: %w", err)
	}
	if own <= 0 {
		return errors.New("timer slack: this thread has none (real-time)")
	}
	hostSlack.CompareAndSwap(0, int64(own))
	done := map[string]bool{}
	// Twice over: a thread made during the first pass by one not yet
	// changed would keep the old slack.
	for pass := 0; pass < 2; pass++ {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("timer slack: %w", err)
		}
		for _, t := range tids {
			if done[t.Name()] {
				continue
			}
			// /proc/<tid>, not /proc/self/task/<tid>: only the former has
			// the file, for any thread.
			err := os.WriteFile("/proc/"+t.Name()+"/timerslack_ns", []byte(strconv.Itoa(ns)), 0)
			if err != nil && !errors.Is(err, os.ErrNotExist) { // ended meanwhile
				setSlack(done, int(hostSlack.Load()))
				return fmt.Errorf("timer slack: %w", err)
			}
			done[t.Name()] = true
		}
	}
	return nil
}

// setSlack sets the slack of the named threads (best effort: undoing).
func setSlack(tids map[string]bool, ns int) {
	for t := range tids {
		_ = os.WriteFile("/proc/"+t+"/timerslack_ns", []byte(strconv.Itoa(ns)), 0)
	}
}

// WithHostSlack runs fork (one that starts a process, such as
// exec.Cmd.Start) on a thread whose timer slack is, for that moment, the
// one the process had before CoarsenTimerSlack: a child inherits its
// parent thread's slack, through exec.
func WithHostSlack(fork func() error) error {
	want := hostSlack.Load()
	if want == 0 {
		return fork()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cur, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || int64(cur) == want {
		return fork()
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(want), 0, 0, 0); err != nil {
		return fmt.Errorf("timer slack: %w", err)
	}
	defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(cur), 0, 0, 0)
	return fork()
}
