package hostproc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ServerTimerSlack is the timer slack CoarsenTimerSlack gives the server's
// threads: timers that fire up to 1 ms late, which Go's own netpoller
// (millisecond timeouts) already rounds to.
const ServerTimerSlack = 1_000_000 // ns

// hostSlack is the slack the process had before CoarsenTimerSlack (0:
// not known yet); what children are forked with.
var hostSlack atomic.Int64

// kept are the threads that keep hostSlack (KeepHostSlack); mu orders
// their changes with CoarsenTimerSlack's.
var (
	mu   sync.Mutex
	kept = map[string]bool{}
)

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
// precision. A thread that starts them keeps the slack the process had
// (KeepHostSlack), or forks through WithHostSlack. Changing
// another thread's slack needs CAP_SYS_NICE; without it nothing is
// changed and the error says so.
func CoarsenTimerSlack(ns int) error {
	mu.Lock()
	defer mu.Unlock()
	// A kept thread is locked to its goroutine, so this is not one.
	if err := noteHostSlack(); err != nil {
		return err
	}
	done := map[string]bool{}
	// Twice over: a thread made during the first pass by one not yet
	// changed would keep the old slack.
	for pass := 0; pass < 2; pass++ {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("timer slack: %w", err)
		}
		for _, t := range tids {
			if done[t.Name()] || kept[t.Name()] {
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

// noteHostSlack records the calling thread's slack as the host's, unless
// one is already known.
func noteHostSlack() error {
	if hostSlack.Load() != 0 {
		return nil
	}
	own, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("timer slack: %w", err)
	}
	if own <= 0 {
		return errors.New("timer slack: this thread has none (real-time)")
	}
	hostSlack.Store(int64(own))
	return nil
}

// KeepHostSlack keeps the calling thread, which must be locked to its
// goroutine (runtime.LockOSThread) for as long as it starts processes, at
// the slack the process had, whether CoarsenTimerSlack ran before or runs
// later: a thread that only starts sandboxes forks with no per-fork cost.
// release gives the thread up (call it before it ends: its id can be
// reused).
func KeepHostSlack() (release func(), err error) {
	mu.Lock()
	defer mu.Unlock()
	if err := noteHostSlack(); err != nil {
		return nil, err
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(hostSlack.Load()), 0, 0, 0); err != nil {
		return nil, fmt.Errorf("timer slack: %w", err)
	}
	tid := strconv.Itoa(unix.Gettid())
	kept[tid] = true
	return func() {
		mu.Lock()
		delete(kept, tid)
		mu.Unlock()
	}, nil
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
